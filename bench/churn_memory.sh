#!/usr/bin/env bash
# Memory after a long churn of connections: the daemon's resident memory (VmRSS) sampled
# every STEP connections over N short MPTCP connections, mpsteerd and, side by side on the
# same churn, mptcpd 0.12 (plugin sspi) when it is installed. A daemon that frees its
# per-connection state comes back to the same level after every step: the curve is flat.
#
#   client ns (the daemon, bt burst)     router ns            server ns (bt accept)
#   +---------------------+              +---------+          +---------------------+
#   | c1 10.1.1.2         |--------------| r1   r0 |----------| s0 10.9.0.2 :8080   |
#   | c2 10.1.2.2         |--------------| r2      |          | in-kernel PM        |
#   +---------------------+              +---------+          +---------------------+
#
# Each step: STEP connections (bench/lib.sh `bt burst`, CONC in flight: connect, wait for
# the server's close, close), then wait until the kernel has no MPTCP connection left and
# the daemon has read every queued event, then sample VmRSS. The verdict compares the end
# with the level after the first step (allocator and tables warmed up) and with the start:
# flat when within +-10%. For mptcpd the table also says whether it still reads events
# (once its event socket overflows it stops reading for good, and then stays flat because
# it no longer sees any connection, see daemon_burst.sh).
#
# Usage: bench/churn_memory.sh [N=50000] [STEP=5000] [CONC=4]
# (CONC is low on purpose: this measures memory, not bursts; at 4 in flight mptcpd usually
# keeps up with the events and its growth per connection shows; daemon_burst.sh measures
# bursts.)
# Env: MPSTEER, MPSTEERD (default: build/ of this tree), MPTCPD. Needs root.
set -eu
N=${1:-50000}
STEP=${2:-5000}
CONC=${3:-4}
. "$(dirname "$0")/lib.sh"
bench_init
bench_topo 2
bench_tools
bg_ready "$SRV" "$TMP/accept.out" "$BT" accept 8080

client_conf

declare -A CURVE SOCK TRACKED

# churn TOOL: starts TOOL, runs the churn, fills CURVE[TOOL] with the samples (kB).
churn() {
	local tool=$1 pid done=0 st=ok
	client_pm_up "$tool"
	pid=$PM_PID
	CURVE[$tool]="$(rss_kb "$pid")"
	while [ "$done" -lt "$N" ]; do
		ip netns exec "$CLI" "$BT" burst $SRV4 8080 "$STEP" "$CONC" >/dev/null
		done=$((done + STEP))
		wait_eq 60 "the kernel's connections gone" 0 kconns "$CLI"
		[ "$(settle "$CLI" "$pid")" = drained ] || [ "$st" != ok ] ||
			st="stopped reading during the step ending at $done"
		[ "$tool" = mpsteerd ] &&
			wait_eq 60 "mpsteerd tracks nothing" 0 dstat "$CLI" connections
		CURVE[$tool]+=" $(rss_kb "$pid")"
	done
	SOCK[$tool]=$st
	case $tool in
	mpsteerd)
		TRACKED[$tool]="$(dstat "$CLI" connections) tracked, $(dstat "$CLI" events) events, $(dstat "$CLI" resyncs) resyncs"
		daemon_down "$pid"
		;;
	mptcpd)
		TRACKED[$tool]="$(grep -c 'is unimplemented' "$TMP/mptcpd.log" || true) ESTABLISHED events seen"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		;;
	esac
	log "$tool: ${CURVE[$tool]}"
}

tools=(mpsteerd)
if [ -x "$MPTCPD" ] && ls /usr/lib/*/mptcpd/sspi.so >/dev/null 2>&1; then
	tools+=(mptcpd)
else
	log "mptcpd or its sspi plugin is not installed: measuring mpsteerd alone"
fi
for t in "${tools[@]}"; do
	churn "$t"
done

# verdict "start s1 ... end": flat when end is within 10% of s1 and of start.
verdict() {
	echo "$1" | awk '{ s = $1; w = $2; e = $NF
		dw = (e - w) * 100 / w; ds = (e - s) * 100 / s
		flat = (dw <= 10 && dw >= -10 && ds <= 10 && ds >= -10)
		printf "%s: end %+.1f%% vs first step, %+.1f%% vs start\n", flat ? "FLAT" : "NOT FLAT", dw, ds }'
}

echo
echo "VmRSS (kB) every $STEP connections, $N short MPTCP connections ($CONC in flight)," \
	"daemon on the client side; $(uname -r), $(nproc) cores"
printf "  %-12s" "connections"
for ((c = 0; c <= N; c += STEP)); do printf " %7s" "$c"; done
echo
for t in "${tools[@]}"; do
	printf "  %-12s" "$t"
	for v in ${CURVE[$t]}; do printf " %7s" "$v"; done
	echo
done
for t in "${tools[@]}"; do
	echo "  $t: $(verdict "${CURVE[$t]}"); after: ${TRACKED[$t]}; event socket: ${SOCK[$t]}"
done
if [ "${#tools[@]}" = 2 ]; then
	set -- ${CURVE[mpsteerd]}
	shift $(($# - 1))
	m_end=$1
	set -- ${CURVE[mptcpd]}
	shift $(($# - 1))
	echo "  ratio of the end levels mpsteerd / mptcpd: x$(ratio "$m_end" "$1")"
fi
