#!/usr/bin/env bash
# The balance policy: a server's mpsteerd moves the primaries of its clients' connections
# until its two access networks are evenly used, and leaves idle clients alone.
#
# Topology: balance_lib.sh (8 clients, one namespace each, behind AP-A and AP-B, both
# shaped to CAP Mbit/s; the server reaches AP-A through sa and AP-B through sb; a plain TCP
# background host on AP-A). Every connection is made through AP-A.
#   clients 1, 2   iperf3 -R, as fast as they can (heavy)
#   clients 3..6   iperf3 -R -b 2M (light)
#   clients 7, 8   one ncat connection each, idle after its first line
#   background     iperf3 -R -b BG over plain TCP through AP-A (no MPTCP: the daemon can
#                  only see it in sa's counters)
# All applications are unmodified Debian programs, MPTCP through `mpsteer run`.
#
# The server's mpsteerd starts without a steering policy and a static rule that makes every
# subflow through AP-B backup (every primary where its connection was made); once AP-A is
# full and AP-B idle, a reload (SIGHUP) gives every connection the balance policy.
# Asserted, by measured facts:
#   - utilisation (bytes the server sent through sa / sb over 1 s, over CAP) is first
#     lopsided (AP-A full, AP-B idle) and then, once the daemon moved primaries, within BAND
#     of each other, both APs carrying traffic;
#   - the daemon recorded balance decisions (mpsteer -j conns: reason "balance" with the
#     measured rate and utilisations), and mpsteer status counts them;
#   - no ping-pong: over HOLD more plans of the daemon (counted, not timed), no connection
#     is moved a second time (there and back): the dwell (30 s, the default) outlasts the
#     test, so a second move of one connection would break the dwell guarantee;
#   - idle clients were not moved: no balance decision on their connections, and their b0
#     (AP-B) interface received next to nothing (below IDLE_BYTES);
#   - a heavy client was moved: its b0 received megabytes;
#   - no connection was lost: every iperf3 ended without error.
set -eu
. "$(dirname "$0")/daemon_lib.sh"
. "$(dirname "$0")/balance_lib.sh"
netns_init
for p in jq iperf3 ncat; do
	command -v $p >/dev/null || skip "$p is not installed"
done

CAP=40        # Mbit/s of each AP
BG=10M        # background load on AP-A
BAND=0.20     # utilisations within 20 points of each other (the daemon's band is 15)
IDLE_BYTES=20000
HOLD=6        # plans made once balanced: none may move a connection
SECS=25       # iperf3 duration: balancing must happen well within it
N=8

bal_topo $N $CAP $CAP
# conf POLICY: the server's config (the static rule only counts until a policy chooses).
conf() {
	bal_server_conf "$TMP/server.conf" $CAP $CAP "$(cat <<-EOF
		[daemon]
		log_level = debug
		[interfaces]
		backup = 10.2.0.0/24
		[steering]
		policy = $1
		[balance]
		band = 15
		interval_ms = 1000
		dwell_ms = 30000
		EOF
	)"
	ip netns exec "$SRV" "$MPSTEERD" -n -c "$TMP/server.conf" >/dev/null ||
		fail "the server's config is refused"
}
conf none
daemon_start "$SRV" "$TMP/server.conf" 2>"${BAL_LOG:-$TMP/mpsteerd.log}"
bal_iperf_servers 6
ncat_sink "$SRV" 7000 "$TMP/sink.out"

for k in 7 8; do
	ncat_hold "${CLIENTS[k]}" $BAL_SRV_ADDR 7000 "idle client $k"
done
# util_pair: "uA uB", each AP's utilisation over the next second (server -> clients).
util_pair() {
	local a0 b0 a1 b1
	read -r a0 b0 < <(bal_txbytes)
	sleep 1 # the measuring window
	read -r a1 b1 < <(bal_txbytes)
	awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v c=$CAP \
		'BEGIN { printf "%.3f %.3f\n", a * 8 / c / 1e6, b * 8 / c / 1e6 }'
}
# two subflows per idle connection (the client's in-kernel PM joins once data was acked)
idle_tokens() {
	mps "$SRV" -j conns | jq -r '.[] | select(.local | endswith(":7000")) | .token'
}
wait_eq 10 "both idle connections with two subflows" 4 \
	n_subflows "$SRV" 'select(.local | endswith(":7000"))'
idle_b0_start=$(($(ifbytes "${CLIENTS[7]}" b0 rx) + $(ifbytes "${CLIENTS[8]}" b0 rx)))
heavy_b0_start=$(($(ifbytes "${CLIENTS[1]}" b0 rx) + $(ifbytes "${CLIENTS[2]}" b0 rx)))

bal_background $BG $SECS "$TMP/bg.json"
pids=("$BG_PID")
for k in 1 2 3 4 5 6; do
	rate=0
	[ $k -le 2 ] || rate=2M
	bal_download $k $rate $SECS "$TMP/c$k.json"
	pids+=("$BG_PID")
done

# lopsided UA UB: AP-A full, AP-B idle
lopsided() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > 0.8 && b < 0.1) }'
}
# balanced UA UB: within BAND of each other, both carrying traffic
balanced() {
	awk -v a="$1" -v b="$2" -v band=$BAND \
		'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= band && a > 0.3 && b > 0.3) }'
}
# until_util PRED TRIES: measures seconds until PRED holds (at most TRIES); sets ua ub
until_util() {
	local i
	for ((i = 0; i < $2; i++)); do
		read -r ua ub < <(util_pair)
		log "utilisation AP-A $ua AP-B $ub"
		"$1" "$ua" "$ub" && return 0
	done
	return 1
}
until_util lopsided 8 || fail "without a policy AP-A never filled alone: AP-A $ua AP-B $ub"
log "ok: no policy, every primary where it was made: AP-A $ua AP-B $ub"
CHECKS=$((CHECKS + 1))

conf balance
kill -HUP "$DPID"
until_util balanced $((SECS - 12)) ||
	fail "utilisations never came within $BAND: last AP-A $ua AP-B $ub"
log "ok: balance policy: utilisation within $BAND: AP-A $ua AP-B $ub"
CHECKS=$((CHECKS + 1))

# No ping-pong: HOLD more plans of the daemon (its count of plans says they were made), and
# still no connection moved twice. (A move of another connection is allowed: on a loaded
# machine a sender may fall short of filling its AP for a while.)
rounds() { mps "$SRV" -j status | jq '.steering.balance.rounds'; }
r0=$(rounds)
wait_ge 10 "the daemon made $HOLD more plans" $((r0 + HOLD)) rounds
mps "$SRV" -j conns >"$TMP/hold.json"
once=$(jq '[.[] | select(.steering.balance.moves >= 1)] | length' "$TMP/hold.json")
check_true "the daemon counts each connection's moves ($once moved)" [ "$once" -ge 1 ]
twice=$(jq '[.[] | select(.steering.balance.moves > 1)] | length' "$TMP/hold.json")
check "no connection moved twice over $HOLD more plans (no ping-pong; moves in all: $(
	mps "$SRV" -j status | jq '.steering.balance.moves'))" 0 "$twice"

# Decision records: the daemon's view of each connection, and the status counters.
mps "$SRV" -j conns >"$TMP/conns.json"
moved=$(jq '[.[] | select(.steering.last.reason == "balance")] | length' "$TMP/conns.json")
check_true "the daemon recorded balance decisions ($moved connections)" [ "$moved" -ge 1 ]
jq -e '[.[] | select(.steering.last.reason == "balance") | .steering.last |
	select(.rate_bps > 0 and .from_access == "ap-a" and .to_access == "ap-b")] | length > 0' \
	"$TMP/conns.json" >/dev/null || fail "a balance record lacks its measured values: $(
		jq -c '[.[] | .steering.last]' "$TMP/conns.json")"
n=$(mps "$SRV" -j status | jq '.steering.policies.balance.reasons.balance // 0')
check_true "mpsteer status counts balance decisions ($n)" [ "$n" -ge "$moved" ]
mps "$SRV" status | grep -E '^balance: +ap-a [0-9.]+ ap-b [0-9.]+ \(spread' >/dev/null ||
	fail "mpsteer status shows no balance line: $(mps "$SRV" status)"
mps "$SRV" conns | grep -E 'sa -> sb \(balance: ap-a at [0-9.]+ -> ap-b at [0-9.]+, its rate' \
	>/dev/null || fail "mpsteer conns shows no balance decision: $(mps "$SRV" conns)"

for t in $(idle_tokens); do
	r=$(jq -r --argjson t "$t" '.[] | select(.token == $t) | .steering.last.reason // "none"' \
		"$TMP/conns.json")
	check_true "idle connection $t: no balance decision (last: $r)" [ "$r" != balance ]
done
idle_b0=$(($(ifbytes "${CLIENTS[7]}" b0 rx) + $(ifbytes "${CLIENTS[8]}" b0 rx) - idle_b0_start))
check_true "idle clients' AP-B interfaces received $idle_b0 bytes (< $IDLE_BYTES)" \
	[ "$idle_b0" -lt $IDLE_BYTES ]
heavy_b0=$(($(ifbytes "${CLIENTS[1]}" b0 rx) + $(ifbytes "${CLIENTS[2]}" b0 rx) - heavy_b0_start))
check_true "a heavy client moved to AP-B: its b0 received $heavy_b0 bytes" \
	[ "$heavy_b0" -gt 1000000 ]

# No connection lost: every transfer runs to its end and reports no error.
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
for k in 1 2 3 4 5 6; do
	e=$(jq -r '.error // (if .end.sum_received.bytes > 0 then "" else "nothing received" end)' \
		"$TMP/c$k.json" 2>/dev/null || echo "no report")
	check "client $k's transfer ended without error" "" "$e"
done
log "$(mps "$SRV" status | grep "^balance")"
log "$CHECKS checks passed"
