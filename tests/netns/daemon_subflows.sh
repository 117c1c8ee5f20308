#!/usr/bin/env bash
# mpsteerd creates a subflow on every configured path of every connection,
# with the configured priorities, for IPv4 and IPv6; its source routing is in
# place while it runs and gone (and only its own) after it exits.
#
#   client ns (mpsteerd)          router ns                 server ns (mpsteerd)
#   +--------------------+        +-------------------+     +--------------------+
#   | c1 10.1.1.2 fd01:1::2|------| r1 10.1.1.1        |     |                    |
#   | c2 10.1.2.2 fd01:2::2|------| r2 10.1.2.1        |-----| s0 10.9.0.2 fd09::2|
#   | c3 10.1.3.2 fd01:3::2|------| r3 10.1.3.1  (backup path)                     |
#   +--------------------+        +-------------------+     +--------------------+
#   ncat (mpsteer run): 4 IPv4 + 2 IPv6 idle connections   ncat -l -k :8080 (mpsteer run)
#
# Client policy: per-interface (the default), c3 is backup by a static rule.
set -eu
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
daemon_topo 3

cat >"$TMP/client.conf" <<'EOF2'
[daemon]
log_level = debug
[interfaces]
allow = c*
backup = c3
[routing]
source_routing = yes
EOF2
cat >"$TMP/server.conf" <<'EOF2'
[interfaces]
allow = s*
EOF2

# A rule that is not the daemon's: it must survive the daemon.
ip -n "$CLI" rule add from 10.1.1.2 lookup 100 priority 500

daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
CPID=$DPID
check "path manager of the client namespace" userspace \
	"$(ip netns exec "$CLI" sysctl -n net.mptcp.path_manager)"
wait_eq 10 "source routing rules (IPv4)" 3 \
	bash -c "ip -n $CLI -4 rule | grep -c 'lookup 70'"
wait_eq 10 "source routing rules (IPv6)" 3 \
	bash -c "ip -n $CLI -6 rule | grep -c 'lookup 70'"

ncat_sink "$SRV" 8080 "$TMP/sink.out"
for i in 1 2 3 4; do ncat_hold "$CLI" $SRV4 8080 "hello v4 $i"; done
for i in 1 2; do ncat_hold "$CLI" $SRV6 8080 "hello v6 $i"; done
wait_eq 10 "the server received the 6 greetings" 6 grep -c '^hello v[46] [1-4]$' "$TMP/sink.out"

full() { # connections with 3 established subflows
	kconns "$1" | jq '[.[] | select([.subflows[] | select(.state == "ESTAB")] |
		length == 3)] | length'
}
wait_eq 20 "6 client connections with 3 established subflows each" 6 full "$CLI"
wait_eq 20 "6 server connections with 3 established subflows each" 6 full "$SRV"

# Every connection: one subflow per interface; the c3 one asked as backup.
check "client subflows per connection (ifname:backup)" '["c1:false,c2:false,c3:true"]' \
	"$(kconns "$CLI" | jq -c '[.[] | [.subflows[] | select(.state == "ESTAB") |
		"\(.ifname):\(.backup_local)"] | sort | join(",")] | unique')"
check "families of the connections" '["4","4","4","4","6","6"]' \
	"$(kconns "$CLI" |
		jq -c '[.[] | if (.remote | startswith("[")) then "6" else "4" end] | sort')"
check "the connections are those of the 6 ncat clients" "6 ncat" \
	"$(kconns "$CLI" | jq -r '.[].pid' | sort -u | xargs -I{} cat /proc/{}/comm | uniq -c |
		awk '{ print $1, $2 }')"
# The server sees the peer's backup request on exactly one subflow per connection.
check "server: one subflow per connection is backup by the peer's request" '[1]' \
	"$(kconns "$SRV" | jq -c '[.[] | [.subflows[] | select(.backup_peer)] | length] | unique')"

# The daemon's view agrees, and `mpsteer conns` reports it.
check "connections managed under per-interface" 6 \
	"$(mps "$CLI" -j conns |
		jq '[.[] | select(.managed and .policy == "per-interface")] | length')"
check "daemon: connections tracked" 6 "$(dstat "$CLI" connections)"
check "daemon: subflows created = 2 per connection" 12 "$(dstat "$CLI" subflows_created)"
check "server daemon: tracks the 6 connections" 6 "$(dstat "$SRV" connections)"
check "server daemon: created nothing (accepts joins)" 0 "$(dstat "$SRV" subflows_created)"
check "text status names the policy" 1 \
	"$(mps "$CLI" status | grep -c 'client per-interface')"

# Reload switches source routing off and on again.
sed -i 's/^source_routing = yes/source_routing = no/' "$TMP/client.conf"
kill -HUP "$CPID"
nrules() { # the daemon's rules, both families
	echo $(( $(count 'lookup 70' ip -n "$CLI" -4 rule) + $(count 'lookup 70' ip -n "$CLI" -6 rule) ))
}
wait_eq 10 "reload without source routing removes the rules" 0 nrules
sed -i 's/^source_routing = no/source_routing = yes/' "$TMP/client.conf"
kill -HUP "$CPID"
wait_eq 10 "reload with source routing puts them back" 6 nrules
check "the connections kept their subflows" 6 "$(full "$CLI")"

# Exit: the daemon's rules and tables go, the foreign rule stays.
kill -TERM "$CPID"
wait "$CPID" || fail "mpsteerd exited with an error on SIGTERM"
check "daemon rules removed (IPv4)" 0 "$(count 'lookup 70' ip -n "$CLI" -4 rule)"
check "daemon rules removed (IPv6)" 0 "$(count 'lookup 70' ip -n "$CLI" -6 rule)"
check "daemon tables removed" 0 "$(count 'table 70' ip -n "$CLI" route show table all)"
check "foreign rule kept" 1 "$(ip -n "$CLI" rule | grep -c 'lookup 100')"
check_true "control socket removed" test ! -e "$(sockpath "$CLI")"
log "PASS ($CHECKS checks)"
