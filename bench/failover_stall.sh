#!/usr/bin/env bash
# Traffic stall after the primary link dies: mpsteerd (link awareness closes the dead
# interface's subflows at once) against the in-kernel path manager (which only moves data
# after retransmission timeouts), same topology, same steady transfer, in one run.
#
#   client ns (bt pace, PM)              router ns            server ns (bt sink)
#   +---------------------+              +---------+          +---------------------+
#   | c1 10.1.1.2 primary |--------------| r1   r0 |----------| s0 10.9.0.2 :8080   |
#   | c2 10.1.2.2         |--------------| r2      |          | in-kernel PM        |
#   +---------------------+              +---------+          +---------------------+
#        ^ carrier lost when r1 (the router's end) goes down
#
# One run: the client sends KBPS kB/s in 1 ms chunks (bench/lib.sh `bt pace`) over a
# connection whose initial subflow is on c1 and whose extra subflow is on c2 (created by
# mpsteerd's per-interface policy, or by the in-kernel PM from `endpoint ... dev c2 subflow`).
# Once both subflows are established and c1 has carried traffic, r1 is set down: c1 loses
# its carrier (a cable pulled, the first hop dead); routes stay, packets die. The receiver
# (`bt sink`) timestamps every read and reports the longest time without new data; the
# bytes received must equal the bytes sent. r1 comes back before the next run.
# Variants: "active": c2 is an ordinary subflow carrying part of the traffic; "backup": c2
# is backup (mpsteerd: `backup = c2`; in-kernel: the endpoint flagged backup), the common
# setup of a metered second uplink; "control": as active, but no link is lost (the noise
# floor of the measure: scheduling of sender and receiver on a busy machine). Runs alternate
# between the path managers.
#
# Usage: bench/failover_stall.sh [N=5] [VARIANTS="control active backup"] [KBPS=2000]
# Env: MPSTEER, MPSTEERD (default: build/ of this tree); SECS (3) per transfer; STALL_MAX
# (30): a transfer still stuck this long after its sender ended gets its link back, and its
# stall then reads as at least that long. Needs root.
set -eu
N=${1:-5}
VARIANTS=${2:-control active backup}
KBPS=${3:-2000}
SECS=${SECS:-3} # per run; a stall longer than what is left of it is still measured whole
STALL_MAX=${STALL_MAX:-30} # no progress this long after the sender ends: the link is restored
. "$(dirname "$0")/lib.sh"
bench_init
bench_topo 2
bench_tools
bg_ready "$SRV" "$TMP/sink.out" "$BT" sink 8080

# estab NS: established subflows of the connections of NS.
estab() {
	mps "$1" --direct -j conns | jq '[.[] | .subflows[] | select(.state == "ESTAB")] | length'
}
# grown NS IF DIR FROM MIN: true once the byte counter grew by MIN since FROM.
grown() {
	[ $(($(ifbytes "$1" "$2" "$3") - $4)) -ge "$5" ]
}

# reported N: the receiver has reported more than N transfers.
reported() {
	[ "$(wc -l <"$TMP/sink.out")" -gt "$1" ]
}
# poll SECONDS CMD...: true as soon as CMD is, false after SECONDS.
poll() {
	local i limit=$1
	shift
	for ((i = 0; i < limit * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# one VARIANT PM: one transfer with the primary's carrier lost mid-way; appends
# "stall_ms" to $TMP/VARIANT.PM and checks the byte count.
one() {
	local variant=$1 pm=$2 dpid="" pace tx0 lines sent got gap
	case $pm in
	kernel)
		ip netns exec "$CLI" sysctl -qw net.mptcp.path_manager=kernel
		ip -n "$CLI" mptcp limits set subflows 2
		if [ "$variant" = backup ]; then
			ip -n "$CLI" mptcp endpoint add 10.1.2.2 dev c2 subflow backup
		else
			ip -n "$CLI" mptcp endpoint add 10.1.2.2 dev c2 subflow
		fi
		;;
	mpsteerd)
		{
			printf '[client]\npolicy = per-interface\n[interfaces]\nallow = c*\n'
			[ "$variant" = backup ] && printf 'backup = c2\n'
		} >"$TMP/mpsteerd.conf"
		daemon_up "$CLI" "$TMP/mpsteerd.conf" 2>>"$TMP/mpsteerd.log"
		dpid=$DPID
		;;
	esac
	lines=$(wc -l <"$TMP/sink.out")
	tx0=$(ifbytes "$CLI" c1 tx)
	bg "$CLI" "$BT" pace $SRV4 8080 "$KBPS" "$SECS" >"$TMP/pace.out"
	pace=$BG_PID
	wait_eq 5 "two established subflows ($variant, $pm)" 2 estab "$CLI"
	wait_for 5 "traffic on c1" grown "$CLI" c1 tx "$tx0" $((KBPS * 100))
	[ "$variant" = control ] || ip -n "$RTR" link set r1 down
	wait "$pace" || fail "the sender failed ($variant, $pm)"
	if ! poll "$STALL_MAX" reported "$lines"; then
		# Stuck on the dead path: only the link's return ends the stall, which is the
		# measure then (at least STALL_MAX s).
		log "$variant/$pm: no progress ${STALL_MAX}s after the sender finished; link restored"
		ip -n "$RTR" link set r1 up
	fi
	wait_for 60 "the receiver's report ($variant, $pm)" reported "$lines"
	sent=$(cat "$TMP/pace.out")
	read -r got gap _ < <(tail -n1 "$TMP/sink.out")
	[ "$got" = "$sent" ] || fail "$variant/$pm: sent $sent bytes, received $got"
	echo "$gap" >>"$TMP/$variant.$pm"
	log "$variant/$pm: stall $gap ms, $got bytes intact"
	ip -n "$RTR" link set r1 up
	wait_eq 5 "carrier back on c1" 1 carrier "$CLI" c1
	# Neighbour entries that failed while the link was dead would refuse the next connect.
	ip -n "$CLI" neigh flush dev c1
	ip -n "$RTR" neigh flush dev r1
	wait_for 5 "c1 reaches the server again" reach "$CLI" 10.1.1.2 $SRV4
	case $pm in
	kernel) ip -n "$CLI" mptcp endpoint flush ;;
	mpsteerd) daemon_down "$dpid" ;;
	esac
	wait_eq 10 "no connection left" 0 kconns "$CLI"
}

for v in $VARIANTS; do
	: >"$TMP/$v.kernel"
	: >"$TMP/$v.mpsteerd"
	for ((i = 0; i < N; i++)); do
		one "$v" kernel
		one "$v" mpsteerd
	done
done

echo
echo "Longest gap in received data when the primary link's carrier is lost, $KBPS kB/s" \
	"steady transfer, $N runs per path manager; $(uname -r), $(nproc) cores"
printf "  %-8s %-26s %10s   %s\n" variant "path manager" "median ms" "runs (ms)"
for v in $VARIANTS; do
	k=$(median <"$TMP/$v.kernel")
	m=$(median <"$TMP/$v.mpsteerd")
	printf "  %-8s %-26s %10s   %s\n" "$v" "in-kernel PM" "$k" "$(tr '\n' ' ' <"$TMP/$v.kernel")"
	printf "  %-8s %-26s %10s   %s\n" "$v" "mpsteerd" "$m" "$(tr '\n' ' ' <"$TMP/$v.mpsteerd")"
	[ "$v" = control ] && continue
	echo "  $v: ratio mpsteerd / in-kernel x$(ratio "$m" "$k") (stall $(awk -v a="$k" -v b="$m" \
		'BEGIN { printf "%.0f", a - b }') ms shorter)"
done
