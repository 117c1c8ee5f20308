#!/usr/bin/env bash
# A 100 MB upload whose primary link dies mid-way completes intact on the
# other path, and the dead path's subflow is re-created when the link returns.
#
#   client ns (mpsteerd)          router ns                 server ns (mpsteerd)
#   +--------------------+        +-------------------+     +--------------------+
#   | c1 10.1.1.2 (primary)|------| r1 10.1.1.1        |     |                    |
#   |       goes down, comes back | r0 10.9.0.1        |-----| s0 10.9.0.2        |
#   | c2 10.1.2.2          |------| r2 10.1.2.1        |     |                    |
#   +--------------------+        +-------------------+     +--------------------+
#   ncat < 100 MB of random data                            ncat -l -k :9000 > file
#   (both unmodified, on MPTCP by mpsteer run)
#   (tbf 100mbit on c1 and c2 so that the transfer lasts long enough to cut it)
#
# Usage: daemon_linkdown.sh [close|backup]  (the [links] on_down setting)
# close: the dead link's subflow is closed at once and re-created when it
# returns. backup: it is demoted at once and promoted again when it returns.
set -eu
MODE=${1:-close}
TEST_NAME=daemon_linkdown-$MODE
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
daemon_topo 2
upload_setup

cat >"$TMP/client.conf" <<EOF2
[interfaces]
allow = c*
[links]
on_down = $MODE
[routing]
source_routing = yes
EOF2
cat >"$TMP/server.conf" <<'EOF2'
[interfaces]
allow = s*
EOF2

daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
ncat_sink "$SRV" 9000 "$TMP/recv"
ncat_send "$CLI" $SRV4 9000 "$TMP/data"
SENDER=$SEND_PID
on_iface() { # established subflows of the client on interface $1
	on_iface_of "$CLI" "$1"
}
wait_eq 10 "a subflow on c1 (the initial one)" 1 on_iface c1
check "the connection is ncat's, at both ends" "ncat ncat" \
	"$(kconns "$CLI" | jq -r '.[0].comm') $(kconns "$SRV" | jq -r '.[0].comm')"
wait_eq 10 "a subflow on c2 (created by mpsteerd)" 1 on_iface c2
wait_ge 30 "20 MB received" 20000000 ifbytes "$SRV" s0 rx

backup_of() { # backup_local of the client's established subflow from the address of c$1
	# (by address: while c1 is down, its subflow's route, hence its listed interface, is c2's)
	kconns "$CLI" | jq -r "[.[] | .subflows[] | select(.state == \"ESTAB\" and
		(.local | startswith(\"10.1.$1.2:\"))) | .backup_local] | join(\",\")"
}
log "c1 goes down"
c2_before=$(ifbytes "$CLI" c2 tx)
ip -n "$CLI" link set c1 down
if [ "$MODE" = close ]; then
	wait_ge 10 "mpsteerd closed the subflow of c1" 1 dstat "$CLI" subflows_closed_link
	check "no subflow left on c1" 0 "$(on_iface c1)"
else
	wait_ge 10 "mpsteerd demoted the subflow of c1" 1 dstat "$CLI" demoted
	check "c1's subflow kept, as backup" true "$(backup_of 1)"
fi
wait_ge 60 "20 MB more sent through c2" $((c2_before + 20000000)) ifbytes "$CLI" c2 tx
kill -0 "$SENDER" 2>/dev/null || fail "the transfer ended before the link came back"

log "c1 comes back"
ip -n "$CLI" link set c1 up
ip -n "$CLI" route add default via 10.1.1.1 dev c1 metric 100 # as DHCP would
if [ "$MODE" = close ]; then
	wait_eq 20 "subflow on c1 re-created" 1 on_iface c1
else
	wait_eq 20 "subflow on c1 promoted again" false backup_of 1
fi
c1_before=$(ifbytes "$CLI" c1 tx)

wait "$SENDER" || fail "the sending ncat failed"
kill -0 "$SINK_PID" 2>/dev/null || fail "the receiving ncat failed"
check "bytes and sha256 received" "100000000 $want" "$(size_sha "$TMP/recv")"
check "the c1 subflow carried data after the link returned" 1 \
	"$(( $(ifbytes "$CLI" c1 tx) - c1_before > 1000000 ? 1 : 0 ))"
if [ "$MODE" = close ]; then
	check "daemon: 2 subflows created (c2, then c1 again)" 2 "$(dstat "$CLI" subflows_created)"
else
	check "daemon: 1 subflow created (c2; c1's survived)" 1 "$(dstat "$CLI" subflows_created)"
fi
check "daemon: still tracks the connection until it closes" 1 \
	"$(( $(dstat "$CLI" connections) <= 1 ? 1 : 0 ))"
log "PASS ($CHECKS checks)"
