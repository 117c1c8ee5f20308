#!/usr/bin/env bash
# Server side and fullmesh: the server's mpsteerd announces its configured
# addresses (and listens on an announced port nobody listens on); the
# client's fullmesh policy joins every announced address from every
# interface; the peer's deny-join-id0 is honoured; the server's static backup
# rule (a remote prefix) holds on its dual-stack socket.
#
#   client ns (mpsteerd, fullmesh)             server ns (mpsteerd)
#   +-----------------------+                  +------------------------------+
#   | c1 10.2.1.2           |------------------| s1 10.2.1.1 (initial address) |
#   | c2 10.2.2.2           |------------------| s2 10.2.2.1, 10.2.2.100       |
#   +-----------------------+                  +------------------------------+
#   ncat -> 10.2.1.1:8080 (HTTP/1.1 request,   announce = 10.2.2.1 10.2.2.100:7000
#   then idle)                                 nginx [::]:8080 ipv6only=off
#   (both unmodified, on MPTCP by mpsteer run)
set -eu
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
command -v nginx >/dev/null || skip "nginx is not installed"
CLI=$(ns_new mpsd-cli)
SRV=$(ns_new mpsd-srv)
link_pair "$CLI" c1 10.2.1.2/24 "$SRV" s1 10.2.1.1/24
link_pair "$CLI" c2 10.2.2.2/24 "$SRV" s2 10.2.2.1/24
ip -n "$SRV" addr add 10.2.2.100/24 dev s2
export MPSTEER_RUNDIR=$TMP/run
cat >"$TMP/client.conf" <<'EOF2'
[client]
policy = fullmesh
[interfaces]
allow = c*
[routing]
source_routing = yes
EOF2
cat >"$TMP/server.conf" <<'EOF2'
[server]
announce = 10.2.2.1 10.2.2.100:7000
[interfaces]
allow = s*
# The server steers too: what its client sends from c2 is backup (a remote prefix).
backup = 10.2.2.2/32
EOF2
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
nginx_dual "$SRV" 8080

paths() { # "ifname>remote" of the established subflows of the client's connection $1
	kconns "$CLI" | jq -c "[.[] | select(.token == $1) | .subflows[] |
		select(.state == \"ESTAB\") | \"\(.ifname)>\(.remote)\"] | sort"
}
# hold: an ncat client asks nginx for / over HTTP/1.1 and keeps the connection
# open; it returns once the answer is in. Sets H (the ncat process).
hold() {
	ncat_hold "$CLI" 10.2.1.1 8080 $'GET / HTTP/1.1\nHost: srv\n' --crlf
	wait_for 10 "nginx answered over connection $1" grep -q '^HTTP/1.1 200 OK' "$HOLD_OUT"
	H=$(app_pid "$HOLD_PID")
	check "connection $1: the HTTP answer is / of nginx" hello "$(tail -n1 "$HOLD_OUT")"
}
newest_token() { # the connection of ncat process $1
	kconns "$CLI" | jq ".[] | select(.pid == $1) | .token"
}

log "fullmesh to the initial and the two announced addresses"
hold 1
T1=$(newest_token "$H")
want='["c1>10.2.1.1:8080","c1>10.2.2.100:7000","c1>10.2.2.1:8080",'
want+='"c2>10.2.1.1:8080","c2>10.2.2.100:7000","c2>10.2.2.1:8080"]'
wait_eq 20 "6 subflows: 2 interfaces x 3 server addresses" "$want" paths "$T1"
check "server daemon announced 2 addresses" 2 "$(dstat "$SRV" announced)"
check_true "server daemon listens on the announced port 7000" \
	bash -c "ip netns exec $SRV ss -Hltn 'sport = :7000' | grep -q ."
# That listener is only for joins: a new connection to it is refused, not left waiting.
refused() { # a plain TCP ncat client, as before MPTCP; it sends nothing (FIN at once)
	local rc=0 out
	out=$(ip netns exec "$CLI" timeout 10 ncat 10.2.2.100 7000 </dev/null 2>&1) || rc=$?
	case "$rc:$out" in
	*"reset by peer"*) echo reset ;;
	124:*) echo hangs ;;
	0:) echo eof ;;
	*) echo "other ($rc): $out" ;;
	esac
}
check "a new connection to the join-only port is reset" reset "$(refused)"
check "server: the joins arrived" 6 \
	"$(kconns "$SRV" | jq '[.[].subflows[] | select(.state == "ESTAB")] | length')"
# The server's socket is dual-stack: the daemon speaks plain IPv4 to the kernel all the same.
srv_backup() { # "remote-ip:backup_local" of the server's subflows, unique and sorted
	kconns "$SRV" | jq -c '[.[].subflows[] | select(.state == "ESTAB") |
		"\(.remote | split(":")[0]):\(.backup_local)"] | unique'
}
wait_eq 10 "server: subflows from 10.2.2.2 backup by its static rule, others not" \
	'["10.2.1.2:false","10.2.2.2:true"]' srv_backup
check "client: the peer's backup request is on its c2 subflows only" \
	'["c1:false","c2:true"]' "$(kconns "$CLI" | jq -c '[.[].subflows[] |
		select(.state == "ESTAB") | "\(.ifname):\(.backup_peer)"] | unique')"

log "deny-join-id0: the initial address is not joined"
ip netns exec "$SRV" sysctl -qw net.mptcp.allow_join_initial_addr_port=0
hold 2
T2=$(newest_token "$H")
want='["c1>10.2.1.1:8080","c1>10.2.2.100:7000","c1>10.2.2.1:8080",'
want+='"c2>10.2.2.100:7000","c2>10.2.2.1:8080"]'
wait_eq 20 "5 subflows: none joins 10.2.1.1:8080 but the initial one" "$want" paths "$T2"
check "no join to the initial address was attempted" 0 \
	"$(dconn "$CLI" "$T2" '[.subflows[] |
		select(.remote == "10.2.1.1:8080" and .created_by_daemon)] | length')"
check "daemon: no subflow failed" 0 "$(dstat "$CLI" subflows_failed)"
log "PASS ($CHECKS checks)"
