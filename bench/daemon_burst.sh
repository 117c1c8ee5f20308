#!/usr/bin/env bash
# Event handling under a burst of short MPTCP connections: mpsteerd against mptcpd 0.12
# (Debian's mptcpd + mptcpd-plugins, plugin "sspi", the only userspace-PM policy it ships),
# each as the client's path manager, in one run, on the same topology and the same burst.
#
#   client ns (the daemon, bt burst)     router ns            server ns (bt accept)
#   +---------------------+              +---------+          +---------------------+
#   | c1 10.1.1.2         |--------------| r1   r0 |----------| s0 10.9.0.2 :8080   |
#   | c2 10.1.2.2         |--------------| r2      |          | in-kernel PM        |
#   +---------------------+              +---------+          +---------------------+
#
# The burst: N connections made as fast as possible, CONC in flight (bench/lib.sh `bt burst`,
# C, epoll): connect, wait for the server's close, close. Each connection makes the kernel
# emit CREATED, ESTABLISHED and CLOSED in the client namespace, plus events of the subflows
# the daemon creates.
#
# What is measured, per daemon:
#   events emitted   a reference listener (`bt evcount`, 512 MB receive buffer, reads nothing
#                    until the burst is over, so it costs no CPU during it) counts every event
#   events dropped   the kernel's own count of messages dropped on the daemon's generic netlink
#                    sockets because they were full (the Drops column of /proc/net/netlink)
#   conns handled    connections whose ESTABLISHED event the daemon processed. mptcpd: its
#                    sspi plugin logs "sspi_connection_established is unimplemented." once per
#                    ESTABLISHED event: counted in its log (exact). mpsteerd: its own count
#                    (`conns_established` of `mpsteer -j status`); with an mpsteerd that lacks
#                    it, a lower bound: the ESTABLISHED events emitted minus every event the
#                    daemon did not count itself (its `events` against the events the kernel
#                    delivered to it), as if each event it missed had been an ESTABLISHED
#   noticed          whether the daemon noticed its losses (mpsteerd: resyncs; mptcpd has none)
#   socket after     whether the daemon read everything queued for it, or stopped reading
#   later conns      PROBE connections made one at a time after the burst: were their events
#                    read (the daemon's socket drained, no new drop), or dropped
#   CPU              the daemon's CPU time (/proc/PID/task/*/schedstat), from before the burst
#                    to after it drained its socket, divided by the connections it handled
#   peak RSS         VmHWM
#   view after       connections the daemon still tracks once the kernel has none
# Usage: bench/daemon_burst.sh [N=20000] [CONC=64] [ROUNDS=3]
# Env: MPSTEER, MPSTEERD (default: build/ of this tree), MPTCPD (/usr/libexec/mptcpd).
# Needs root. Without mptcpd installed (apt-get install mptcpd mptcpd-plugins) only mpsteerd
# is measured.
set -eu
N=${1:-20000}
CONC=${2:-64}
ROUNDS=${3:-3}
PROBE=20
. "$(dirname "$0")/lib.sh"
bench_init
bench_topo 2
bench_tools
bg_ready "$SRV" "$TMP/accept.out" "$BT" accept 8080

client_conf

declare -A R

# handled TOOL ESTABLISHED DELIVERED: connections whose ESTABLISHED event TOOL processed.
handled() {
	local self
	case $1 in
	mptcpd) grep -c 'sspi_connection_established is unimplemented' "$TMP/mptcpd.log" || true ;;
	mpsteerd)
		# Its own count of ESTABLISHED events where it has one (conns_established).
		self=$(mps "$CLI" -j status | jq -r '.conns_established // empty')
		if [ -n "$self" ]; then
			echo "$self"
			return
		fi
		self=$(dstat "$CLI" events)
		[ "$self" -ge "$3" ] && echo "$2" || echo $(($2 - ($3 - self)))
		;;
	esac
}

# run_one TOOL: starts TOOL in the client namespace, bursts, waits until the kernel has no
# connection left and the daemon has read everything queued for it (or stopped reading),
# collects; then PROBE more connections one at a time: does it still hear events?
run_one() {
	local tool=$1 pid ev c0 c1 out h
	client_pm_up "$tool"
	pid=$PM_PID
	bg_ready "$CLI" "$TMP/ev.out" "$BT" evcount
	ev=$BG_PID
	c0=$(cpu_us "$pid")
	out=$(ip netns exec "$CLI" "$BT" burst $SRV4 8080 "$N" "$CONC")
	wait_eq 60 "the kernel's connections gone" 0 kconns "$CLI"
	R[$tool.socket]=$(settle "$CLI" "$pid")
	c1=$(cpu_us "$pid")
	kill -USR1 "$ev"
	wait "$ev"
	read -r _ created _ established _ _ _ _ _ _ _ _ _ _ _ emitted _ reflost < <(tail -n1 "$TMP/ev.out")
	[ "$reflost" = 0 ] || fail "the reference listener itself lost events: figures void ($(cat "$TMP/ev.out"))"
	R[$tool.burst_s]=$(echo "$out" | cut -d' ' -f3)
	R[$tool.created]=$created
	R[$tool.established]=$established
	R[$tool.emitted]=$emitted
	R[$tool.lost]=$(nl_drops "$CLI" "$pid")
	R[$tool.cpu_us]=$((c1 - c0))
	R[$tool.hwm_kb]=$(hwm_kb "$pid")
	R[$tool.handled]=$(handled "$tool" "$established" $((emitted - R[$tool.lost])))
	R[$tool.kernel]=$(kconns "$CLI")
	# After the burst: PROBE connections, one at a time. Their events are read or dropped.
	ip netns exec "$CLI" "$BT" burst $SRV4 8080 "$PROBE" 1 >/dev/null
	wait_eq 60 "the kernel's connections gone" 0 kconns "$CLI"
	h=$(($(nl_drops "$CLI" "$pid") - R[$tool.lost]))
	if [ "$(settle "$CLI" "$pid")" = drained ] && [ "$h" = 0 ]; then
		R[$tool.probe]="read"
	else
		R[$tool.probe]="dropped($h)"
	fi
	case $tool in
	mptcpd)
		R[$tool.noticed]="no (no such check)"
		R[$tool.tracked]="n/a (no interface)"
		R[$tool.action]="$(mib "$CLI" AddAddrTx) ADD_ADDR sent"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		;;
	mpsteerd)
		mps "$CLI" -j status >"$TMP/status.json"
		R[$tool.noticed]="$(jq .resyncs "$TMP/status.json") resyncs"
		R[$tool.tracked]=$(jq .connections "$TMP/status.json")
		R[$tool.action]="$(jq .subflows_created "$TMP/status.json") subflows asked"
		daemon_down "$pid"
		;;
	esac
	log "$tool: burst of $N done in ${R[$tool.burst_s]} s, socket ${R[$tool.socket]}"
}

pcent() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.1f", 100 * a / b }'
}
per_conn_us() {
	awk -v us="$1" -v e="$2" 'BEGIN { if (e <= 0) print "n/a"; else printf "%.1f", us / e }'
}

# One cell per round: A[tool.row] is the list of the rounds' values.
declare -A A
record() {
	local t=$1
	A[$t.burst]+="${R[$t.burst_s]} "
	A[$t.made]+="${R[$t.created]} "
	A[$t.emitted]+="${R[$t.emitted]} "
	A[$t.dropped]+="$(pcent "${R[$t.lost]}" "${R[$t.emitted]}") "
	A[$t.handled]+="$(pcent "${R[$t.handled]}" "${R[$t.established]}") "
	A[$t.noticed]+="${R[$t.noticed]%% *} "
	A[$t.socket]+="${R[$t.socket]%% *} "
	A[$t.probe]+="${R[$t.probe]} "
	A[$t.action]+="${R[$t.action]%% *} "
	A[$t.cpu]+="$(per_conn_us "${R[$t.cpu_us]}" "${R[$t.handled]}") "
	A[$t.hwm]+="${R[$t.hwm_kb]} "
	A[$t.view]+="${R[$t.tracked]%% *}/${R[$t.kernel]} "
}

tools=()
if [ -x "$MPTCPD" ] && ls /usr/lib/*/mptcpd/sspi.so >/dev/null 2>&1; then
	tools+=(mptcpd)
else
	log "mptcpd or its sspi plugin is not installed (apt-get install mptcpd mptcpd-plugins): measuring mpsteerd alone"
fi
tools+=(mpsteerd)
# Interleaved rounds: a change of the machine's load hits both alike.
for ((round = 1; round <= ROUNDS; round++)); do
	for t in "${tools[@]}"; do
		run_one "$t"
		record "$t"
	done
done

med() { printf '%s\n' $1 | grep -v n/a | median; }

echo
echo "Burst of $N MPTCP connections ($CONC in flight), daemon on the client side;" \
	"$ROUNDS rounds, one value per round; $(uname -r), $(nproc) cores"
printf "  %-36s" ""
for t in "${tools[@]}"; do printf " %-34s" "$t"; done
echo
row() {
	local label=$1 key=$2 t
	printf "  %-36s" "$label"
	for t in "${tools[@]}"; do printf " %-34s" "${A[$t.$key]% }"; done
	echo
}
row "burst time (s)" burst
row "connections made (kernel CREATED)" made
row "events emitted by the kernel" emitted
row "events dropped on its socket (%)" dropped
row "conns handled, ESTABLISHED seen (%)" handled
row "losses noticed (resyncs)" noticed
row "its event socket after the burst" socket
row "next $PROBE conns (one by one): events" probe
row "subflows asked / ADD_ADDR sent" action
row "CPU per conn handled (us)" cpu
row "peak RSS (VmHWM, kB)" hwm
row "tracked after / kernel has" view
if [ "${#tools[@]}" = 2 ]; then
	echo "  medians: handled mptcpd $(med "${A[mptcpd.handled]}")% vs mpsteerd" \
		"$(med "${A[mpsteerd.handled]}")%; ratios mpsteerd / mptcpd:" \
		"conns handled x$(ratio "$(med "${A[mpsteerd.handled]}")" "$(med "${A[mptcpd.handled]}")")," \
		"CPU per conn handled x$(ratio "$(med "${A[mpsteerd.cpu]}")" "$(med "${A[mptcpd.cpu]}")")," \
		"peak RSS x$(ratio "$(med "${A[mpsteerd.hwm]}")" "$(med "${A[mptcpd.hwm]}")")"
fi
