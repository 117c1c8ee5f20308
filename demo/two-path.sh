#!/usr/bin/env bash
# The main demo: steer a live connection of an unmodified program.
#
#   client                                      server (userspace path manager)
#   c1 10.0.1.1 ------------ path 1 ----------- s1 10.0.1.2
#   c2 10.0.2.1 ------------ path 2 ----------- s2 10.0.2.2
#
# iperf3 (from Debian, unmodified) runs under `mpsteer run` on both ends and
# moves data both ways. Each path is shaped to 200 Mbit/s so that the
# numbers are easy to read. Halfway through, the server's operator types
#   mpsteer primary peer 10.0.1.1 via s2
# and then switches back to s1; the per-path byte counts show traffic follow.
# Usage: demo/two-path.sh [BUILDDIR]
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
export MPSTEER=${MPSTEER:-$top/$build/src/mpsteer/mpsteer}
export PRELOAD=${PRELOAD:-$top/$build/src/preload/libmpsteer-preload.so}
TEST_NAME=demo
. "$top/tests/netns/lib.sh"
netns_init

cli=$(ns_new demo-cli)
srv=$(ns_new demo-srv)
two_paths "$cli" "$srv" 4
for dev in s1 s2; do
	ip netns exec "$srv" tc qdisc add dev "$dev" root tbf rate 200mbit burst 64kb latency 20ms
done
for dev in c1 c2; do
	ip netns exec "$cli" tc qdisc add dev "$dev" root tbf rate 200mbit burst 64kb latency 20ms
done

bg "$srv" "$MPSTEER" -v monitor 2>"$TMP/mon.err" >"$TMP/mon.txt"
wait_for 5 "monitor" grep -q listening "$TMP/mon.err"
mptcp_bg "$srv" iperf3 -s -1 -B 10.0.1.2 >/dev/null
wait_for 5 "iperf3 server" listening "$srv" 5201
mptcp_bg "$cli" iperf3 -c 10.0.1.2 --bidir -t 16 >/dev/null
wait_eq 10 "two subflows per connection" 6 n_subflows "$srv" 'select(.local | test(":5201$"))'

echo "== mpsteer conns (server side) =="
mps "$srv" conns
echo

declare -A last
sample() {
	local d
	for d in s1 s2; do
		last[$d.tx]=$(ifbytes "$srv" $d tx)
		last[$d.rx]=$(ifbytes "$srv" $d rx)
	done
}
# One line per second: Mbit/s sent and received on each path.
report() {
	local label=$1 d tx rx line=""
	for d in s1 s2; do
		tx=$(( ($(ifbytes "$srv" $d tx) - last[$d.tx]) * 8 / 1000000 ))
		rx=$(( ($(ifbytes "$srv" $d rx) - last[$d.rx]) * 8 / 1000000 ))
		line+=$(printf "  %s: out %4d Mbit/s in %4d Mbit/s" "$d" "$tx" "$rx")
	done
	printf "%-18s%s\n" "$label" "$line"
}
run_for() {
	local i
	for ((i = 0; i < $2; i++)); do
		sample
		sleep 1 # the demo reports once a second: this is a display interval
		report "$1"
	done
}

run_for "both paths" 3
echo
echo "\$ mpsteer primary peer 10.0.1.1 via s2"
mps "$srv" primary peer 10.0.1.1 via s2
run_for "primary via s2" 4
echo
echo "\$ mpsteer primary peer 10.0.1.1 via s1"
mps "$srv" primary peer 10.0.1.1 via s1
run_for "primary via s1" 4
echo
echo "== events seen by the server (mpsteer monitor) =="
head -n 12 "$TMP/mon.txt"
