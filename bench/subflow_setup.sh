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
# The measure: the kernel's own events, taken by `mpsteer -j monitor` in the client
# namespace: for each client-side token, ts(SUB_ESTABLISHED) - ts(ESTABLISHED). Both events
# reach the monitor through the same socket, so their delivery delay cancels out.
# Rounds alternate between the two path managers (M/ROUNDS connections per round), so a
# change of the machine's load hits both alike.
#
# Usage: bench/subflow_setup.sh [M=200] [ROUNDS=4]
# Env: MPSTEER, MPSTEERD (default: build/ of this tree). Needs root.
set -eu
M=${1:-200}
ROUNDS=${2:-4}
. "$(dirname "$0")/lib.sh"
bench_init
bench_topo 2
bench_tools
bg_ready "$SRV" "$TMP/sink.out" "$BT" sink 8080

cat >"$TMP/mpsteerd.conf" <<'EOF'
[client]
policy = per-interface
[interfaces]
allow = c*
EOF

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
		"ip netns exec $CLI $BT join $SRV4 8080 1 2 2000 >/dev/null; grep -q SUB_ESTABLISHED $TMP/mon.json"
	skip=$(wc -l <"$TMP/mon.json")
	ip netns exec "$CLI" "$BT" join $SRV4 8080 "$n" 2 2000 >>"$TMP/$pm.done"
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
for ((r = 1; r <= ROUNDS; r++)); do
	phase kernel "$per"
	phase mpsteerd "$per"
done

ms() { awk '{ printf "%.3f\n", $1 / 1000 }'; }
stat_line() {
	local f=$TMP/$1.us n med p90 max done
	n=$(wc -l <"$f")
	med=$(pct 50 <"$f" | ms)
	p90=$(pct 90 <"$f" | ms)
	max=$(pct 100 <"$f" | ms)
	done=$(awk '{ c += $1; t += $2 } END { printf "%d complete, %d timed out", c, t }' "$TMP/$1.done")
	printf "  %-34s %6s %10s %10s %10s   %s\n" "$2" "$n" "$med" "$p90" "$max" "$done"
	eval "MED_$1=$med P90_$1=$p90"
}
echo
echo "ESTABLISHED -> SUB_ESTABLISHED of the extra subflow, client side, $((per * ROUNDS)) connections" \
	"per path manager in $ROUNDS alternating rounds; $(uname -r), $(nproc) cores"
printf "  %-34s %6s %10s %10s %10s   %s\n" "path manager" "conns" "median ms" "p90 ms" "max ms" \
	"connections (2 subflows within 2 s)"
stat_line kernel "in-kernel PM (endpoint subflow)"
stat_line mpsteerd "mpsteerd (per-interface)"
echo "  ratio mpsteerd / in-kernel: median x$(ratio "$MED_mpsteerd" "$MED_kernel")," \
	"p90 x$(ratio "$P90_mpsteerd" "$P90_kernel")"
