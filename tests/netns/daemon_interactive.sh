#!/usr/bin/env bash
# The interactive policy: a small-message stream (ncat) follows the lower RTT.
#
#   client ns (mpsteerd, interactive)        router ns      server ns
#   +-------------------------+              +---------+    +------------------+
#   | c1 10.1.1.2  tbf 10mbit,|--------------| r1   r0 |----| s0 10.9.0.2      |
#   |   500 ms deep queue     |              |         |    | ncat -l -k :9000 |
#   | c2 10.1.2.2  tbf 10mbit |--------------| r2      |    | iperf3 -s :5201  |
#   +-------------------------+              +---------+    +------------------+
#   ncat (a line every 50 ms, on MPTCP by mpsteer run)
#   iperf3 -B 10.1.1.2 (plain TCP): the cross traffic that fills c1's queue
#
# Usage: daemon_interactive.sh [queue|equal]
# queue: prefer = c1 c2; cross traffic on c1 moves the primary to c2, and it comes
#        back to c1 once the cross traffic is gone.
# equal: two equal paths, no preference: one decision (the first) in 10 seconds, no flapping.
set -eu
MODE=${1:-queue}
TEST_NAME=daemon_interactive-$MODE
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
daemon_topo 2
for i in 1 2; do
	latency=50ms
	[ "$MODE$i" = queue1 ] && latency=500ms
	ip netns exec "$CLI" tc qdisc add dev "c$i" root tbf rate 10mbit burst 16kb \
		latency $latency || skip "tc tbf is not available"
done

if [ "$MODE" = queue ]; then
	steer_confs interactive "prefer=c1 c2" hold_ms=1000 probe_ms=300
else
	steer_confs interactive hold_ms=1000 probe_ms=300
fi
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
ncat_sink "$SRV" 9000 "$TMP/recv"
bg "$SRV" iperf3 -s -p 5201
wait_for 10 "iperf3 listening" listening "$SRV" 5201

# The stream: a numbered line every 50 ms for as long as the test runs.
fifo=$TMP/stream
mkfifo "$fifo"
exec {wfd}<>"$fifo"
mptcp_bg "$CLI" ncat $SRV4 9000 <"$fifo" >/dev/null
( for ((n = 1; ; n++)); do printf 'line %06d\n' $n; sleep 0.05; done ) >&"$wfd" &
WRITER=$!
trap 'kill $WRITER 2>/dev/null || true; _cleanup' EXIT
wait_eq 10 "a subflow on c2" 1 on_iface_of "$CLI" c2
TOKEN=$(kconns "$CLI" | jq -r '.[0].token')
check "the connection's policy" interactive "$(dconn "$CLI" "$TOKEN" .steering.policy)"
primary() { dconn "$CLI" "$TOKEN" '.steering.last.to.dev // "-"'; }
decisions() { dstat "$CLI" steering.policies.interactive.decisions; }
# The kernel's view: the backup flag of the client's subflow on c$1
kbackup() {
	kconns "$CLI" | jq -r "[.[] | .subflows[] | select(.state == \"ESTAB\" and
		(.local | startswith(\"10.1.$1.2:\"))) | .backup_local] | join(\",\")"
}

if [ "$MODE" = equal ]; then
	wait_ge 10 "the first choice" 1 decisions
	first=$(primary)
	# Ten seconds of the stream over two equal paths, sampled every 100 ms.
	end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do sleep 0.5; done
	check "one decision in 10 s: no flapping between equal paths" 1 "$(decisions)"
	check "the primary stayed" "$first" "$(primary)"
	check "the kernel: exactly one of the two subflows is backup" "1" \
		"$(( $(kbackup 1 | grep -c true) + $(kbackup 2 | grep -c true) ))"
	log "PASS ($CHECKS checks)"
	exit 0
fi

wait_eq 15 "the primary on c1 (preferred, RTTs similar)" c1 primary
check "the kernel: c2's subflow is backup" true "$(kbackup 2)"
n0=$(decisions)

log "cross traffic fills c1's queue"
bg "$CLI" iperf3 -c $SRV4 -p 5201 -B 10.1.1.2 -t 60
IPERF=$BG_PID
wait_eq 20 "the primary moved to c2" c2 primary
check "why" lower-rtt "$(dconn "$CLI" "$TOKEN" .steering.last.reason)"
from_rtt=$(dconn "$CLI" "$TOKEN" .steering.last.from_rtt_us)
to_rtt=$(dconn "$CLI" "$TOKEN" .steering.last.to_rtt_us)
check "c1's RTT was above c2's by the margin" 1 "$(( from_rtt * 100 > to_rtt * 130 ? 1 : 0 ))"
check "the kernel: c1's subflow is backup" true "$(kbackup 1)"
check "the kernel: c2's subflow is primary" false "$(kbackup 2)"
c2_0=$(ifbytes "$CLI" c2 tx)
wait_ge 10 "the stream flows on c2" $((c2_0 + 2000)) ifbytes "$CLI" c2 tx

log "cross traffic stops"
kill "$IPERF"
wait_eq 20 "the primary back on c1" c1 primary
check "why" preferred "$(dconn "$CLI" "$TOKEN" .steering.last.reason)"
check "the kernel: c1's subflow is primary again" false "$(kbackup 1)"
check "two decisions for the queue: away and back" $((n0 + 2)) "$(decisions)"
kill -0 "$WRITER" || fail "the stream writer died"
check "one connection all along" 1 "$(dstat "$CLI" conns_established)"
log "PASS ($CHECKS checks)"
