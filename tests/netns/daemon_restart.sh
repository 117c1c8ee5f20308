#!/usr/bin/env bash
# kill -9 of the client's mpsteerd in the middle of a transfer loses nothing;
# the restarted daemon adopts the connection, lists it, and can steer it; its
# override survives the connection's subflows changing. A connection older
# than the daemon (in-kernel PM) is listed as unmanaged and left alone.
#
#   client ns (mpsteerd)          router ns                 server ns (mpsteerd)
#   +--------------------+        +-------------------+     +--------------------+
#   | c1 10.1.1.2          |------| r1 10.1.1.1        |     |                    |
#   |                      |      | r0 10.9.0.1        |-----| s0 10.9.0.2        |
#   | c2 10.1.2.2          |------| r2 10.1.2.1        |     |                    |
#   +--------------------+        +-------------------+     +--------------------+
#   ncat < 100 MB (tbf 100mbit on c1, c2)                   ncat -l -k :9000 > file
#   ncat, idle, started before the client's daemon          ncat -l -k :8080
#   (all unmodified, on MPTCP by mpsteer run)
set -eu
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
daemon_topo 2
upload_setup
cat >"$TMP/client.conf" <<'EOF2'
[interfaces]
allow = c*
[routing]
source_routing = yes
EOF2
cat >"$TMP/server.conf" <<'EOF2'
[interfaces]
allow = s*
EOF2

daemon_start "$SRV" "$TMP/server.conf"
# A connection older than the client's daemon belongs to the in-kernel PM.
ncat_sink "$SRV" 8080 "$TMP/old"
ncat_hold "$CLI" $SRV4 8080 "hello old"
wait_eq 10 "pre-daemon connection up (its line arrived)" "hello old" cat "$TMP/old"
OLD=$(kconns "$CLI" | jq '.[0].token')
daemon_start "$CLI" "$TMP/client.conf"
check "the pre-daemon connection is listed as unmanaged" "false unmanaged" \
	"$(dconn "$CLI" "$OLD" '"\(.managed) \(.policy)"')"
check "and mpsteer conns says so" "false unmanaged" \
	"$(mps "$CLI" -j conns | jq -r ".[] | select(.token == $OLD) | \"\\(.managed) \\(.policy)\"")"
r=$(ctl "$CLI" "{\"cmd\":\"override-set\",\"token\":$OLD,\"via\":\"c2\"}")
check "and cannot be given an override" "false" "$(jq .ok <<<"$r")"
ncat_sink "$SRV" 9000 "$TMP/recv"
ncat_send "$CLI" $SRV4 9000 "$TMP/data"
SENDER=$SEND_PID

sf() { # "ifname:backup_local" of the transfer's established subflows, sorted
	kconns "$CLI" | jq -c "[.[] | select(.token != $OLD) | .subflows[] |
		select(.state == \"ESTAB\") | \"\(.ifname):\(.backup_local)\"] | sort"
}
wait_eq 10 "subflows on c1 and c2" '["c1:false","c2:false"]' sf
check "both connections are ncat's" '["ncat","ncat"]' "$(kconns "$CLI" | jq -c '[.[].comm]')"
wait_ge 30 "20 MB received" 20000000 ifbytes "$SRV" s0 rx

log "kill -9 mpsteerd"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || true
check_true "the socket file of the dead daemon is still there" test -S "$(sockpath "$CLI")"
daemon_start "$CLI" "$TMP/client.conf"
TOKEN=$(kconns "$CLI" | jq ".[] | select(.token != $OLD) | .token")
check "restarted daemon adopted both connections" 2 "$(dstat "$CLI" adopted)"
check "restarted daemon lists the transfer, managed" "true per-interface" \
	"$(dconn "$CLI" "$TOKEN" '"\(.managed) \(.policy)"')"
check "and mpsteer conns says so" "true per-interface" \
	"$(mps "$CLI" -j conns | jq -r ".[] | select(.token == $TOKEN) | \"\\(.managed) \\(.policy)\"")"
check "adopted with both subflows" 2 \
	"$(dconn "$CLI" "$TOKEN" '.subflows | length')"

log "steer: primary via c2"
mps "$CLI" primary token "$TOKEN" via c2 >/dev/null
check "kernel: c1 demoted" '["c1:true","c2:false"]' "$(sf)"
check "daemon recorded the override" c2 \
	"$(mps "$CLI" -j conns | jq -r ".[] | select(.token == $TOKEN) | .override")"
c1=$(ifbytes "$CLI" c1 tx)
c2=$(ifbytes "$CLI" c2 tx)
wait_ge 60 "10 MB more through c2" $((c2 + 10000000)) ifbytes "$CLI" c2 tx
check "c1 carried less than 10% of it" 1 \
	"$(( ($(ifbytes "$CLI" c1 tx) - c1) * 10 < $(ifbytes "$CLI" c2 tx) - c2 ? 1 : 0 ))"

log "c1 flaps: the override covers its new subflow"
ip -n "$CLI" link set c1 down
wait_eq 10 "c1's subflow closed" '["c2:false"]' sf
ip -n "$CLI" link set c1 up
ip -n "$CLI" route add default via 10.1.1.1 dev c1 metric 100
wait_eq 20 "c1's subflow re-created, as backup" '["c1:true","c2:false"]' sf

log "clear the override"
ctl "$CLI" "{\"v\":1,\"cmd\":\"override-clear\",\"token\":$TOKEN}" >"$TMP/reply"
check "override-clear reply" true "$(jq .ok "$TMP/reply")"
wait_eq 10 "static priorities back" '["c1:false","c2:false"]' sf

wait "$SENDER" || fail "the sending ncat failed"
kill -0 "$SINK_PID" 2>/dev/null || fail "the receiving ncat failed"
check "bytes and sha256 received" "100000000 $want" "$(size_sha "$TMP/recv")"
log "PASS ($CHECKS checks)"
