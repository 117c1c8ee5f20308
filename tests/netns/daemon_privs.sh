#!/usr/bin/env bash
# Least privilege: mpsteerd started as root (here by `ip netns exec`, with every capability)
# keeps CAP_NET_ADMIN alone once started (CAP_NET_BIND_SERVICE too while it announces
# addresses), sets no_new_privs, and goes on working: subflows created by policy, source
# routing rules installed, SIGHUP reload read, a join-only listener opened for an announced
# port. With --user it runs as that user, same capabilities. `mpsteer run` neither drops nor
# adds a capability of the program it runs.
#
#   client ns (mpsteerd, source routing)   router ns   server ns (mpsteerd --user nobody,
#   c1 10.1.1.2, c2 10.1.2.2                           announces 10.9.0.100:7000)
#   ncat (unmodified, `mpsteer run`) -------------------------> ncat -l -k :8080
set -eu
. "$(dirname "$0")/daemon_lib.sh"
daemon_test_init 2
ip -n "$SRV" addr add 10.9.0.100/24 dev s0
chmod 755 "$TMP" # the daemon run as nobody must read its config on SIGHUP
printf '[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n' >"$TMP/client.conf"
printf '[interfaces]\nallow = s*\n[server]\nannounce = 10.9.0.100:7000\n' >"$TMP/server.conf"
chmod 644 "$TMP"/*.conf
daemon_start "$CLI" "$TMP/client.conf"
CPID=$DPID
daemon_start "$SRV" "$TMP/server.conf" --user nobody
SPID=$DPID

# status PID FIELD: a line of /proc/PID/status, its value only
status() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
net_admin=0000000000001000        # bit 12
with_bind=0000000000001400        # bits 12 and 10
for f in CapEff CapPrm CapBnd; do
	check "client daemon: $f is CAP_NET_ADMIN alone" $net_admin "$(status "$CPID" $f)"
	check "server daemon (announces): $f is CAP_NET_ADMIN + CAP_NET_BIND_SERVICE" $with_bind \
		"$(status "$SPID" $f)"
done
for p in "$CPID" "$SPID"; do
	check "daemon $p: CapInh empty" 0000000000000000 "$(status "$p" CapInh)"
	check "daemon $p: CapAmb empty" 0000000000000000 "$(status "$p" CapAmb)"
	check "daemon $p: NoNewPrivs" 1 "$(status "$p" NoNewPrivs)"
done
check "client daemon: still uid 0" 0 "$(status "$CPID" Uid)"
check "server daemon: --user nobody" 65534 "$(status "$SPID" Uid)"
check "server daemon: group nobody too" 65534 "$(status "$SPID" Gid)"
grep Cap "/proc/$CPID/status" | sed "s/^/[$TEST_NAME] client mpsteerd: /"

log "the daemons still do their work"
ncat_sink "$SRV" 8080 "$TMP/sink.out"
ncat_hold "$CLI" $SRV4 8080 hello
wait_eq 10 "connection up" hello cat "$TMP/sink.out"
wait_eq 10 "a subflow on c2, created by the client daemon" 1 on_iface_of "$CLI" c2
check "source routing rules installed after the drop" 1 \
	"$(( $(count 'lookup 70' ip -n "$CLI" -4 rule) >= 2 ))"
wait_for 10 "join-only listener on the announced port (server daemon as nobody)" \
	listening "$SRV" 7000
printf '[interfaces]\nallow = c*\n[client]\npolicy = fullmesh\n[routing]\nsource_routing = yes\n' \
	>"$TMP/client.conf"
kill -HUP "$CPID"
wait_eq 10 "client daemon re-read its config on SIGHUP" fullmesh dstat "$CLI" client_policy
printf '[interfaces]\nallow = s*\n[server]\npolicy = fullmesh\nannounce = 10.9.0.100:7000\n' \
	>"$TMP/server.conf"
kill -HUP "$SPID"
wait_eq 10 "server daemon (nobody) re-read its config on SIGHUP" fullmesh dstat "$SRV" server_policy

log "mpsteer run drops nothing and adds nothing"
caps() { grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status; }
export -f caps
own=$(ip netns exec "$CLI" bash -c caps)
for mode in seccomp preload; do
	check "mpsteer run --mode $mode (root): the program's capabilities and no_new_privs" \
		"$own" "$(ip netns exec "$CLI" "$MPSTEER" run --mode $mode -- bash -c caps)"
done
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
own=$(ip netns exec "$CLI" "${nobody[@]}" bash -c caps | grep Cap)
for mode in seccomp preload; do
	check "mpsteer run --mode $mode (nobody): the program's capabilities" "$own" \
		"$(ip netns exec "$CLI" "${nobody[@]}" "$MPSTEER" run --mode $mode -- bash -c caps |
			grep Cap)"
done
log "PASS ($CHECKS checks)"
