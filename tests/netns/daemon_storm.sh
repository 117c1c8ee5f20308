#!/usr/bin/env bash
# An event storm that overflows mpsteerd's netlink socket (ENOBUFS: a 4 KB event buffer,
# 2,000 short connections) while subflows are being created: the daemon resyncs from
# sock_diag, counts it in `mpsteer status`, gives the connections made during the storm
# their subflows, and its view equals the kernel's afterwards.
#
#   client ns (mpsteerd, event_buffer = 4K)    router ns    server ns (mpsteerd)
#   c1 10.1.1.2, c2 10.1.2.2 -------------------------------- s0 10.9.0.2
#   burst.py x 4: 500 connect/close each                   close.py :8081
#   ncat x 3, made during the storm (unmodified, MPTCP by mpsteer run)   ncat -l -k :8080
set -eu
. "$(dirname "$0")/daemon_lib.sh"
daemon_test_init 2
printf '[daemon]\nevent_buffer = 4K\n[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n' \
	>"$TMP/client.conf"
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
CPID=$DPID
close_server "$SRV" 8081
ncat_sink "$SRV" 8080 "$TMP/held.out"
rs0=$(dstat "$CLI" resyncs)
ev0=$(dstat "$CLI" events)

pids=()
for i in 1 2 3 4; do
	burst_bg "$CLI" $SRV4 8081 500 "$TMP/burst.$i"
	pids+=("$BG_PID")
done
for i in 1 2 3; do ncat_hold "$CLI" $SRV4 8080 "hello $i"; done
for p in "${pids[@]}"; do wait "$p" || fail "a burst client failed"; done
made=$(cat "$TMP"/burst.* | awk '{ s += $1 } END { print s }')
check "storm: connections made" 2000 "$made"
wait_ge 30 "the overflow was noticed and answered by a resync" $((rs0 + 1)) dstat "$CLI" resyncs
wait_eq 10 "the 3 connections made during the storm are up" 3 \
	count '^hello [1-3]$' cat "$TMP/held.out"
wait_eq 20 "each of them got its subflow on c2" 3 on_iface_of "$CLI" c2
view_equal 30 "$CLI"
view_equal 30 "$SRV"
check "the daemon survived (same pid)" "$CPID" "$(dstat "$CLI" pid)"
log "storm of $made connections: $(( $(dstat "$CLI" events) - ev0 )) events handled," \
	"$(( $(dstat "$CLI" resyncs) - rs0 )) resyncs (ENOBUFS), $(dstat "$CLI" reaped) reaped," \
	"$(dstat "$CLI" adopted) adopted, $(dstat "$CLI" subflows_created) subflows created"
log "PASS ($CHECKS checks)"
