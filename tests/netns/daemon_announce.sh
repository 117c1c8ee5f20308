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
#   holder.py -> 10.2.1.1:8080                 announce = 10.2.2.1 10.2.2.100:7000
#                                              server.py echo :8080
set -eu
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
CLI=$(ns_new mpsd-cli)
SRV=$(ns_new mpsd-srv)
link_pair "$CLI" c1 10.2.1.2/24 "$SRV" s1 10.2.1.1/24
link_pair "$CLI" c2 10.2.2.2/24 "$SRV" s2 10.2.2.1/24
ip -n "$SRV" addr add 10.2.2.100/24 dev s2
export MPSTEER_RUNDIR=$TMP/run
write_server
write_holder
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
bg "$SRV" python3 "$TMP/server.py" echo 8080
wait_for 10 "server listening" listening "$SRV" 8080

paths() { # "ifname>remote" of the established subflows of the client's connection $1
	kconns "$CLI" | jq -c "[.[] | select(.token == $1) | .subflows[] |
		select(.state == \"ESTAB\") | \"\(.ifname)>\(.remote)\"] | sort"
}
newest_token() { # the connection of the holder started last
	kconns "$CLI" | jq ".[] | select(.pid == $1) | .token"
}

log "fullmesh to the initial and the two announced addresses"
bg "$CLI" python3 "$TMP/holder.py" 10.2.1.1 8080 1 >"$TMP/h1"
H1=$BG_PID
wait_eq 10 "first connection up" ready cat "$TMP/h1"
T1=$(newest_token $H1)
want='["c1>10.2.1.1:8080","c1>10.2.2.100:7000","c1>10.2.2.1:8080",'
want+='"c2>10.2.1.1:8080","c2>10.2.2.100:7000","c2>10.2.2.1:8080"]'
wait_eq 20 "6 subflows: 2 interfaces x 3 server addresses" "$want" paths "$T1"
check "server daemon announced 2 addresses" 2 "$(dstat "$SRV" announced)"
check_true "server daemon listens on the announced port 7000" \
	bash -c "ip netns exec $SRV ss -Hltn 'sport = :7000' | grep -q ."
# That listener is only for joins: a new connection to it is refused, not left waiting.
refused() {
	ip netns exec "$CLI" python3 -c '
import socket, sys
s = socket.create_connection(("10.2.2.100", 7000), timeout=10)
try:
    print("eof" if s.recv(1) == b"" else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("hangs")'
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
bg "$CLI" python3 "$TMP/holder.py" 10.2.1.1 8080 1 >"$TMP/h2"
H2=$BG_PID
wait_eq 10 "second connection up" ready cat "$TMP/h2"
T2=$(newest_token $H2)
want='["c1>10.2.1.1:8080","c1>10.2.2.100:7000","c1>10.2.2.1:8080",'
want+='"c2>10.2.2.100:7000","c2>10.2.2.1:8080"]'
wait_eq 20 "5 subflows: none joins 10.2.1.1:8080 but the initial one" "$want" paths "$T2"
check "no join to the initial address was attempted" 0 \
	"$(dconn "$CLI" "$T2" '[.subflows[] |
		select(.remote == "10.2.1.1:8080" and .created_by_daemon)] | length')"
check "daemon: no subflow failed" 0 "$(dstat "$CLI" subflows_failed)"
log "PASS ($CHECKS checks)"
