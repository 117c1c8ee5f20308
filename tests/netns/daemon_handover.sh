#!/usr/bin/env bash
# The handover policy: an upload uses the preferred path c1 only; when c1 fails
# (carrier lost, or a silent blackhole: carrier up, every packet dropped by
# nftables) the traffic moves to c2 with the connection intact; once c1 works
# again and the dwell time passes, the traffic returns to c1.
#
#   client ns (mpsteerd, handover: prefer c1 c2)  router ns     server ns
#   +----------------------+                      +---------+   +---------------+
#   | c1 10.1.1.2 preferred|----------------------| r1   r0 |---| s0 10.9.0.2   |
#   |   fails, recovers    |                      |         |   |               |
#   | c2 10.1.2.2          |----------------------| r2      |   |               |
#   +----------------------+                      +---------+   +---------------+
#   ncat < 100 MB of random data                               ncat -l -k :9000 > file
#   (both unmodified, on MPTCP by mpsteer run; tbf 50mbit on c1 and c2)
#
# Usage: daemon_handover.sh [carrier|blackhole]
set -eu
MODE=${1:-carrier}
TEST_NAME=daemon_handover-$MODE
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
[ "$MODE" = carrier ] || command -v nft >/dev/null || skip "nft is not installed"
daemon_topo 2
upload_setup 50mbit

steer_confs handover "prefer=c1 c2" dwell_ms=2000

daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
# Every decision as it is made, from the daemon's event stream.
bg "$CLI" "$MPSTEER" -j monitor decisions >"$TMP/decisions"
wait_for 10 "the monitor connected" bash -c "ip netns exec $CLI ss -xp | grep -q 'pid=$BG_PID,'"
ncat_sink "$SRV" 9000 "$TMP/recv"
ncat_send "$CLI" $SRV4 9000 "$TMP/data"
SENDER=$SEND_PID
wait_eq 10 "a subflow on c2 (created by mpsteerd)" 1 on_iface_of "$CLI" c2
wait_ge 10 "handover chose a primary" 1 dstat "$CLI" steering.policies.handover.decisions
TOKEN=$(kconns "$CLI" | jq -r '.[0].token')
check "the connection's policy" handover "$(dconn "$CLI" "$TOKEN" .steering.policy)"
check "its primary" c1 "$(dconn "$CLI" "$TOKEN" .steering.last.to.dev)"

tx() { ifbytes "$CLI" "$1" tx; }
sent() { echo $(($(tx c1) + $(tx c2))); }
# window: remembers the counters; share DEV: percent of what was sent since then out of DEV
window() { a0=$(tx c1) b0=$(tx c2); }
share() {
	local a=$(($(tx c1) - a0)) b=$(($(tx c2) - b0))
	if [ "$1" = c1 ]; then echo $((a * 100 / (a + b + 1))); else echo $((b * 100 / (a + b + 1))); fi
}
window
wait_ge 30 "10 MB sent" $((a0 + b0 + 10000000)) sent
check "c1 carried >= 90% while healthy" 1 "$(( $(share c1) >= 90 ? 1 : 0 ))"

if [ "$MODE" = carrier ]; then
	log "c1 loses its carrier"
	ip -n "$CLI" link set c1 down
else
	log "c1 blackholed (carrier stays up)"
	ip netns exec "$CLI" nft -f - <<-'NFT'
	table inet blackhole {
		chain out { type filter hook output priority 0; oifname "c1" drop; }
		chain in { type filter hook input priority 0; iifname "c1" drop; }
	}
	NFT
fi
wait_ge 20 "the primary moved off c1" 2 dstat "$CLI" steering.policies.handover.decisions
check "the new primary" c2 "$(dconn "$CLI" "$TOKEN" .steering.last.to.dev)"
reason=$(dconn "$CLI" "$TOKEN" '.steering.last.reason + ":" + (.steering.last.health // "")')
if [ "$MODE" = carrier ]; then
	check "why: the subflow closed with its link" "gone:" "$reason"
else
	case $reason in
	unhealthy:stall | unhealthy:rto-backoff) CHECKS=$((CHECKS + 1)) ;;
	*) fail "why the primary moved: expected unhealthy:stall or rto-backoff, got $reason" ;;
	esac
	check "the stalled subflow was closed (its data reinjected at once)" 1 \
		"$(dstat "$CLI" steering.closed_stalled)"
fi
window
wait_ge 60 "15 MB more sent" $((a0 + b0 + 15000000)) sent
check "c2 carried >= 90% while c1 failed" 1 "$(( $(share c2) >= 90 ? 1 : 0 ))"
kill -0 "$SENDER" 2>/dev/null || fail "the transfer ended before c1 recovered"

log "c1 recovers"
if [ "$MODE" = carrier ]; then
	ip -n "$CLI" link set c1 up
	ip -n "$CLI" route add default via 10.1.1.1 dev c1 metric 100 # as DHCP would
else
	ip netns exec "$CLI" nft delete table inet blackhole
fi
wait_ge 40 "traffic returned to c1" 3 dstat "$CLI" steering.policies.handover.decisions
check "the primary again" c1 "$(dconn "$CLI" "$TOKEN" .steering.last.to.dev)"
check "why" return "$(dconn "$CLI" "$TOKEN" .steering.last.reason)"
window
wait_ge 60 "8 MB more sent" $((a0 + b0 + 8000000)) sent
check "c1 carried >= 90% after the return" 1 "$(( $(share c1) >= 90 ? 1 : 0 ))"

wait "$SENDER" || fail "the sending ncat failed"
kill -0 "$SINK_PID" 2>/dev/null || fail "the receiving ncat failed"
check "bytes and sha256 received" "100000000 $want" "$(size_sha "$TMP/recv")"
check "one connection all along" 1 "$(dstat "$CLI" conns_established)"
check "status counts the decisions" 3 "$(dstat "$CLI" steering.policies.handover.decisions)"
wait_eq 10 "the monitor saw the three decisions" 3 bash -c "wc -l <'$TMP/decisions'"
if [ "$MODE" = carrier ]; then first_why=gone; else first_why=unhealthy; fi
check "the monitor: the reasons in order" "initial $first_why return" \
	"$(jq -r .reason "$TMP/decisions" | paste -sd' ')"
check "the monitor: the paths" "c1 c2 c1" "$(jq -r .to.dev "$TMP/decisions" | paste -sd' ')"
log "PASS ($CHECKS checks)"
