#!/usr/bin/env bash
# Time from a connection's establishment to its extra subflow being established: mpsteerd
# (client side, policy per-interface) against the in-kernel path manager with the equivalent
# endpoint (`ip mptcp endpoint add 10.1.2.2 dev c2 subflow`), same topology, same load.
#
#   client ns (bt join, PM)              router ns            server ns (bt sink)
#   +---------------------+              +---------+          +---------------------+
#   | c1 10.1.1.2         |--------------| r1   r0 |----------| s0 10.9.0.2 :8080   |
#   | c2 10.1.2.2         |--------------| r2      |          | in-kernel PM        |
#   +---------------------+              +---------+          +---------------------+
#
# The load: M connections one after another (bench/lib.sh `bt join`): connect from c1, send
# a few bytes, wait until both subflows are established (MPTCP_TCPINFO), close.
# The measures:
#  1. the kernel's own events, taken by `mpsteer -j monitor` in the client namespace: for
#     each client-side token, ts(SUB_ESTABLISHED) - ts(ESTABLISHED). The timestamps are taken
#     when the monitor reads the events: when it reads both at once (it was not scheduled
#     in between) the figure is too short, for both path managers alike;
#  2. the application's view: from connect()'s return to the moment MPTCP_TCPINFO lists two
#     established subflows (busy polling, no sleep in the way).
# Rounds alternate between the two path managers (M/ROUNDS connections per round), so a
# change of the machine's load hits both alike.
#
# Usage: bench/subflow_setup.sh [M=400] [ROUNDS=8]
# Env: MPSTEER, MPSTEERD (default: build/ of this tree). Needs root.
set -eu
M=${1:-400}
ROUNDS=${2:-8}
. "$(dirname "$0")/lib.sh"
bench_init
bench_topo 2
bench_tools
bg_ready "$SRV" "$TMP/sink.out" "$BT" sink 8080

client_conf

# deltas FILE SKIP: "ESTABLISHED -> SUB_ESTABLISHED" in us, one per client connection, from
# monitor lines after the first SKIP.
deltas() {
	tail -n +"$(($2 + 1))" "$1" | python3 -c '
import json, sys
est = {}
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("server_side"):
        continue
    t = e.get("token")
    if e.get("event") == "ESTABLISHED":
        est[t] = e["ts_us"]
    elif e.get("event") == "SUB_ESTABLISHED" and t in est:
        print(e["ts_us"] - est.pop(t))
'
}

# phase PM N: N connections under path manager PM (kernel | mpsteerd); appends the deltas
# to $TMP/PM.us and "complete timed_out" to $TMP/PM.done.
phase() {
	local pm=$1 n=$2 mon skip dpid=
	case $pm in
	kernel)
		ip netns exec "$CLI" sysctl -qw net.mptcp.path_manager=kernel
		ip -n "$CLI" mptcp limits set subflows 2
		ip -n "$CLI" mptcp endpoint add 10.1.2.2 dev c2 subflow
		;;
	mpsteerd)
		daemon_up "$CLI" "$TMP/mpsteerd.conf" 2>>"$TMP/mpsteerd.log"
		dpid=$DPID
		;;
	esac
	: >"$TMP/mon.json"
	bg "$CLI" "$MPSTEER" -j monitor >"$TMP/mon.json"
	mon=$BG_PID
	# One warm-up connection: proves the monitor listens; its events are not counted.
	wait_for 10 "monitor listening ($pm)" bash -c \
		"ip netns exec $CLI $BT join $SRV4 8080 1 2 2000 >/dev/null 2>&1; grep -q SUB_ESTABLISHED $TMP/mon.json"
	skip=$(wc -l <"$TMP/mon.json")
	ip netns exec "$CLI" "$BT" join $SRV4 8080 "$n" 2 2000 >>"$TMP/$pm.done" 2>>"$TMP/$pm.app"
	# Every connection closed, so every event of the phase is in the file.
	wait_eq 10 "connections of the $pm phase closed" 0 kconns "$CLI"
	kill "$mon"
	wait "$mon" 2>/dev/null || true
	deltas "$TMP/mon.json" "$skip" >>"$TMP/$pm.us"
	case $pm in
	kernel) ip -n "$CLI" mptcp endpoint flush ;;
	mpsteerd) daemon_down "$dpid" ;;
	esac
}

per=$(((M + ROUNDS - 1) / ROUNDS))
: >"$TMP/kernel.us"
: >"$TMP/mpsteerd.us"
: >"$TMP/kernel.app"
: >"$TMP/mpsteerd.app"
for ((r = 1; r <= ROUNDS; r++)); do
	phase kernel "$per"
	phase mpsteerd "$per"
done

ms() { awk '{ printf "%.3f\n", $1 / 1000 }'; }
# stat_line PM LABEL EXT: count, median, p90, max of $TMP/PM.EXT (us) in ms.
stat_line() {
	local f=$TMP/$1.$3 n med p90 max conns
	n=$(wc -l <"$f")
	med=$(pct 50 <"$f" | ms)
	p90=$(pct 90 <"$f" | ms)
	max=$(pct 100 <"$f" | ms)
	conns=$(awk '{ c += $1; t += $2 } END { printf "%d complete, %d timed out", c, t }' "$TMP/$1.done")
	printf "  %-34s %6s %10s %10s %10s   %s\n" "$2" "$n" "$med" "$p90" "$max" "$conns"
	MED[$1]=$med
	P90[$1]=$p90
}
declare -A MED P90
ratios() {
	echo "  ratio mpsteerd / in-kernel: median x$(ratio "${MED[mpsteerd]}" "${MED[kernel]}")," \
		"p90 x$(ratio "${P90[mpsteerd]}" "${P90[kernel]}")"
}
header() {
	echo "  $1:"
	printf "  %-34s %6s %10s %10s %10s   %s\n" "path manager" "conns" "median ms" "p90 ms" "max ms" \
		"connections (2 subflows within 2 s)"
}
echo
echo "Time to the extra subflow, client side, $((per * ROUNDS)) connections per path manager" \
	"in $ROUNDS alternating rounds; $(uname -r), $(nproc) cores"
header "kernel events, ESTABLISHED -> SUB_ESTABLISHED (mpsteer -j monitor; too short when read together)"
stat_line kernel "in-kernel PM (endpoint subflow)" us
stat_line mpsteerd "mpsteerd (per-interface)" us
ratios
header "application, connect() returned -> 2 subflows established (MPTCP_TCPINFO)"
stat_line kernel "in-kernel PM (endpoint subflow)" app
stat_line mpsteerd "mpsteerd (per-interface)" app
ratios
