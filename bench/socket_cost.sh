#!/usr/bin/env bash
# What `mpsteer run` costs, side by side with plain programs.
#
# 1. socket()+close() per call: plain TCP, MPTCP asked for by the program itself, and the same
#    TCP program under `mpsteer run` (seccomp) and `mpsteer run --mode preload`. The loop is
#    tests/progs/mps_testprog.c `loop N` (clock_gettime around N pairs); median of R runs.
#    And write(2) to /dev/null, plain and under the seccomp filter: the filter's cost on every
#    other system call.
# 2. Data path: iperf3 throughput over a veth pair between two namespaces, the client's MPTCP
#    connection created by its own socket() call (via the preload wrapper, which touches nothing
#    but socket()) versus the same client under `mpsteer run` (seccomp: every syscall of the
#    process goes through the filter). Plain TCP is printed for reference. Median of R runs.
#
#   bench-c (iperf3 -c)  c0 10.78.0.1/24 <-- veth --> s0 10.78.0.2/24  bench-s (iperf3 -s)
#
# Usage: bench/socket_cost.sh [N=20000] [R=5] [SECONDS=3]
# Env: MPSTEER, PRELOAD (default: build/ of this tree). Needs root (namespaces) and iperf3.
set -eu
N=${1:-20000}
R=${2:-5}
SECS=${3:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
MPSTEER=${MPSTEER:-$top/build/src/mpsteer/mpsteer}
PRELOAD=${PRELOAD:-$(dirname "$MPSTEER")/../preload/libmpsteer-preload.so}
export MPSTEER_PRELOAD=$PRELOAD
[ -x "$MPSTEER" ] || { echo "no mpsteer at $MPSTEER (set MPSTEER)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/mpsteer-bench.XXXXXX)
C=bench-c-$$
S=bench-s-$$
cleanup() {
	set +e
	for ns in "$C" "$S"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
cc -O2 -pthread -o "$tmp/tp" "$top/tests/progs/mps_testprog.c"

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

ip netns add "$C"
ip netns add "$S"
ip -n "$C" link set lo up
ip -n "$S" link set lo up
ip link add c0 netns "$C" type veth peer name s0 netns "$S"
# Cached metrics of one run (ssthresh) would slow down the next one.
ip netns exec "$C" sysctl -qw net.ipv4.tcp_no_metrics_save=1
ip netns exec "$S" sysctl -qw net.ipv4.tcp_no_metrics_save=1
ip -n "$C" addr add 10.78.0.1/24 dev c0
ip -n "$S" addr add 10.78.0.2/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up

# --- 1. socket() -------------------------------------------------------------------------
loop_ns() {
	local i
	for ((i = 0; i < R; i++)); do
		ip netns exec "$C" "$@"
	done | median
}
tcp=$(loop_ns "$tmp/tp" loop "$N")
mptcp=$(loop_ns "$tmp/tp" loop "$N" mptcp)
sec=$(loop_ns "$MPSTEER" run -- "$tmp/tp" loop "$N")
pre=$(loop_ns "$MPSTEER" run --mode preload -- "$tmp/tp" loop "$N")
echo "socket()+close(), $N calls, median of $R runs (ns per call):"
printf "  %-34s %8s ns   x%s\n" "plain TCP" "$tcp" "1.00"
printf "  %-34s %8s ns   x%s\n" "MPTCP asked by the program" "$mptcp" "$(ratio "$mptcp" "$tcp")"
printf "  %-34s %8s ns   x%s   (%+d ns per socket)\n" "mpsteer run (seccomp)" "$sec" \
	"$(ratio "$sec" "$tcp")" "$((sec - mptcp))"
printf "  %-34s %8s ns   x%s   (%+d ns per socket)\n" "mpsteer run --mode preload" "$pre" \
	"$(ratio "$pre" "$tcp")" "$((pre - mptcp))"
echo "  (ns per socket: against MPTCP asked by the program, i.e. what the interception adds)"

# Every other system call of a process under the filter runs the filter's few BPF
# instructions: write(2) of one byte to /dev/null, the cheapest call there is, shows that cost.
W=$((N * 50))
w_plain=$(loop_ns "$tmp/tp" writes "$W")
w_sec=$(loop_ns "$MPSTEER" run -- "$tmp/tp" writes "$W")
echo "write(2) of 1 byte to /dev/null, $W calls, median of $R runs (ns per call):"
printf "  %-34s %8s ns   x%s\n" "plain" "$w_plain" "1.00"
printf "  %-34s %8s ns   x%s   (%+d ns per system call)\n" "under mpsteer run (seccomp)" \
	"$w_sec" "$(ratio "$w_sec" "$w_plain")" "$((w_sec - w_plain))"

# --- 2. data path ------------------------------------------------------------------------
if ! command -v iperf3 >/dev/null; then
	echo "iperf3 not installed: data path not measured"
	exit 0
fi
ip netns exec "$S" env LD_PRELOAD="$PRELOAD" iperf3 -s -p 5301 -D -I "$tmp/iperf3.pid"
for ((i = 0; i < 50; i++)); do
	ip netns exec "$S" ss -Hltn 'sport = :5301' | grep . >/dev/null && break
	sleep 0.1
done
# "Mbit/s cpu%": received throughput and the sender's CPU use (iperf3's host_total).
iperf() {
	ip netns exec "$C" "$@" iperf3 -c 10.78.0.2 -p 5301 -t "$SECS" -J | python3 -c '
import json, sys
j = json.load(sys.stdin)["end"]
mbit = int(j["sum_received"]["bits_per_second"] / 1e6)
print(mbit, round(j["cpu_utilization_percent"]["host_total"]))'
}
col() {
	printf '%s\n' "${@:2}" | cut -d' ' -f"$1" | median
}
# data_path TITLE: R interleaved runs of each, so a change of load hits all alike.
data_path() {
	local i tcp nat sec
	local -a t_tcp=() t_nat=() t_sec=()
	for ((i = 0; i < R; i++)); do
		t_tcp+=("$(iperf env)")
		t_nat+=("$(iperf env LD_PRELOAD="$PRELOAD")")
		t_sec+=("$(iperf "$MPSTEER" run --)")
	done
	echo "iperf3, $1, ${SECS}s, median of $R runs (Mbit/s received, sender CPU %):"
	tcp=$(col 1 "${t_tcp[@]}")
	nat=$(col 1 "${t_nat[@]}")
	sec=$(col 1 "${t_sec[@]}")
	printf "  %-34s %8s Mbit/s  cpu %3s%%\n" "plain TCP (reference)" "$tcp" \
		"$(col 2 "${t_tcp[@]}")"
	printf "  %-34s %8s Mbit/s  cpu %3s%%   x1.00\n" "MPTCP, created natively" "$nat" \
		"$(col 2 "${t_nat[@]}")"
	printf "  %-34s %8s Mbit/s  cpu %3s%%   x%s\n" "MPTCP, under mpsteer run (seccomp)" \
		"$sec" "$(col 2 "${t_sec[@]}")" "$(ratio "$sec" "$nat")"
	echo "  runs (Mbit/s): tcp ${t_tcp[*]%% *} | native ${t_nat[*]%% *} |" \
		"seccomp ${t_sec[*]%% *}"
}
data_path "veth, unshaped"
# Shaped: the link, not the CPU, is the limit, as on real networks.
ip netns exec "$C" tc qdisc add dev c0 root tbf rate 1gbit burst 256kb latency 20ms
data_path "veth shaped to 1 Gbit/s (tbf)"
