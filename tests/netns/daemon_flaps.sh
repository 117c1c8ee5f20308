#!/usr/bin/env bash
# 1,000 link flaps (carrier down and up, at random intervals of 0-9 ms) on one of two paths
# during a transfer: no connection lost, the data intact (sha256), the daemon's view equal to
# the kernel's at the end, its memory flat.
#
#   client ns (mpsteerd)          router ns                 server ns (mpsteerd)
#   c1 10.1.1.2 ----------------- r1
#   c2 10.1.2.2 ----------------- r2  <- down/up x 1000: c2 loses and regains its carrier
#                                 r0 ----------------------- s0 10.9.0.2
#   ncat < a stream that lasts until the flaps end          ncat -l -k :9000 > file
#   (both unmodified, on MPTCP by mpsteer run; tbf 20mbit on c1 and c2)
set -eu
. "$(dirname "$0")/daemon_lib.sh"
daemon_test_init 2
FLAPS=${FLAPS:-1000}
shape_paths 20mbit
printf '%s\n' '[daemon]' 'reconcile_interval = 2' '[interfaces]' 'allow = c*' \
	'[links]' 'flap_base_ms = 10' 'flap_max_ms = 100' 'retry_base_ms = 10' \
	'retry_max_ms = 100' 'retry_limit = 0' '[routing]' 'source_routing = yes' >"$TMP/client.conf"
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
CPID=$DPID

stream_start "$TMP/flaps.done"
wait_eq 10 "a subflow on c2 (created by mpsteerd)" 1 on_iface_of "$CLI" c2
settle "$CLI"
rss0=$(rss_kb "$CPID")

carrier_changes() { ip netns exec "$CLI" cat /sys/class/net/c2/carrier_changes; }
cc0=$(carrier_changes)
log "$FLAPS flaps of c2's carrier"
# One ip process reads the commands (an exec per flap would be the slowest part); the pauses
# are read timeouts on a fifo nobody writes to: no fork either.
coproc FLAPPER { ip -n "$RTR" -batch -; }
_PIDS+=("$FLAPPER_PID")
mkfifo "$TMP/never"
exec 9<>"$TMP/never"
pause() { read -r -t "0.00$((RANDOM % 10))" -u 9 _ || :; }
for ((i = 0; i < FLAPS; i++)); do
	echo "link set r2 down" >&"${FLAPPER[1]}"
	pause
	echo "link set r2 up" >&"${FLAPPER[1]}"
	pause
done
exec {FLAPPER[1]}>&-
wait "$FLAPPER_PID" || fail "ip -batch failed"
check "c2's carrier went down and up $FLAPS times" $((2 * FLAPS)) $(( $(carrier_changes) - cc0 ))
kill -0 "$SENDER" 2>/dev/null || fail "the transfer ended during the flaps"
wait_eq 30 "c2's subflow back after the last flap" 1 on_iface_of "$CLI" c2
view_equal 20 "$CLI"
view_equal 20 "$SRV"

touch "$TMP/flaps.done"
stream_check
settle "$CLI"
rss1=$(rss_kb "$CPID")
log "$FLAPS flaps survived: $(stat -c %s "$TMP/sent") bytes intact; client daemon:" \
	"$(dstat "$CLI" subflows_closed_link) subflows closed with the link," \
	"$(dstat "$CLI" subflows_created) created, $(dstat "$CLI" subflows_retried) retried;" \
	"RSS $rss0 -> $rss1 kB"
check "client daemon memory flat (within 10%)" 1 $(( rss1 * 10 <= rss0 * 11 ))
check "the daemon saw the link go" 1 $(( $(dstat "$CLI" subflows_closed_link) >= 1 ))
log "PASS ($CHECKS checks)"
