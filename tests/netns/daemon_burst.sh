#!/usr/bin/env bash
# A burst of 20000 short MPTCP connections: afterwards mpsteerd's view equals
# the kernel's (no connection missed or left behind) and its memory is back at
# its starting level (+-10%). An event-socket overflow (daemon stopped during
# a burst) is noticed and answered by a resync.
#
#   client ns (mpsteerd)          router ns                 server ns (mpsteerd)
#   +--------------------+        +-------------------+     +--------------------+
#   | c1 10.1.1.2          |------| r1 10.1.1.1        |     |                    |
#   |                      |      | r0 10.9.0.1        |-----| s0 10.9.0.2        |
#   | c2 10.1.2.2          |------| r2 10.1.2.1        |     |                    |
#   +--------------------+        +-------------------+     +--------------------+
#   ncat x 3: long-lived connections                        ncat -l -k :8080
#   (unmodified, on MPTCP by mpsteer run)
#   burst.py: 4 processes x 5000 connect/close              close.py :8081
#
# The burst keeps a small load generator of its own (burst.py and close.py,
# MPTCP sockets asked for directly): no Debian program opens and closes 20000
# connections in the time a test has, and one process per connection
# (ncat, curl) would measure fork and exec rather than the daemon.
# The client's daemon (per-interface policy) tries a second subflow for each
# short connection too, so every connection costs it several events and a
# netlink command.
set -eu
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
daemon_topo 2
N_PROC=4
N_EACH=5000
cat >"$TMP/client.conf" <<'EOF2'
[daemon]
reconcile_interval = 2
[interfaces]
allow = c*
[routing]
source_routing = yes
EOF2
cat >"$TMP/server.conf" <<'EOF2'
[daemon]
reconcile_interval = 2
[interfaces]
allow = s*
EOF2

daemon_start "$SRV" "$TMP/server.conf"
SPID=$DPID
daemon_start "$CLI" "$TMP/client.conf"
CPID=$DPID
close_server "$SRV" 8081
ncat_sink "$SRV" 8080 "$TMP/sink.out"
for i in 1 2 3; do ncat_hold "$CLI" $SRV4 8080 "hello $i"; done
wait_eq 10 "3 held connections (their lines arrived)" 3 grep -c '^hello [1-3]$' "$TMP/sink.out"

ktokens() { kconns "$1" | jq -c '[.[].token] | sort'; }
dtokens() { ctl "$1" '{"v":1,"cmd":"conns"}' | jq -c '[.conns[].token] | sort'; }
# Memory is measured once a reconciliation (which trims the heap) has run.
settle() {
	local r
	r=$(dstat "$1" reconciles)
	wait_ge 20 "a reconciliation" $((r + 1)) dstat "$1" reconciles
}
wait_eq 10 "client daemon tracks the 3 connections" 3 dstat "$CLI" connections
settle "$CLI"
settle "$SRV"
rss0_c=$(rss_kb "$CPID")
rss0_s=$(rss_kb "$SPID")
held=$(ktokens "$CLI")
log "start: client daemon ${rss0_c} kB, server daemon ${rss0_s} kB"

log "burst of $((N_PROC * N_EACH)) connections"
pids=()
for ((i = 0; i < N_PROC; i++)); do
	burst_bg "$CLI" $SRV4 8081 $N_EACH "$TMP/burst.$i"
	pids+=("$BG_PID")
done
for p in "${pids[@]}"; do wait "$p" || fail "a burst client failed"; done
made=$(cat "$TMP"/burst.* | awk '{ s += $1 } END { print s }')
check "connections made" $((N_PROC * N_EACH)) "$made"

wait_eq 60 "client daemon's view equals the kernel's held connections" "$held" dtokens "$CLI"
check "kernel: only the held connections remain (client)" "$held" "$(ktokens "$CLI")"
wait_eq 60 "server daemon's view equals the kernel's" "$(ktokens "$SRV")" dtokens "$SRV"
check "server: 3 connections" 3 "$(dstat "$SRV" connections)"

ev=$(dstat "$CLI" events)
rs=$(dstat "$CLI" resyncs)
log "client daemon: $ev events, $rs resyncs, $(dstat "$CLI" reaped) reaped," \
	"$(dstat "$CLI" vanished) vanished," \
	"$(dstat "$CLI" subflows_created) subflows created"
# Three events (CREATED, ESTABLISHED, CLOSED) per connection at least, unless
# the socket overflowed, which must then have been answered by a resync.
check "every connection's events handled, or overflow resynced" 1 \
	"$(( ev >= 3 * made || rs > 0 ? 1 : 0 ))"

# Overflow: with a small event buffer (set by a reload), the daemon stopped
# while 2000 connections come and go loses events; it must notice (ENOBUFS)
# and resync from sock_diag.
printf '[daemon]\nevent_buffer = 64K\n' >>"$TMP/client.conf"
check "reload request" true "$(ctl "$CLI" '{"v":1,"cmd":"reload"}' | jq .ok)"
kill -STOP "$CPID"
burst_bg "$CLI" $SRV4 8081 2000 /dev/null
wait "$BG_PID" || fail "the burst failed"
kill -CONT "$CPID"
log "overflow phase done"
wait_ge 30 "the overflow was answered by a resync" $((rs + 1)) dstat "$CLI" resyncs
wait_eq 60 "after the resync the view equals the kernel's" "$held" dtokens "$CLI"
check "kernel: still only the held connections" "$held" "$(ktokens "$CLI")"

settle "$CLI"
settle "$SRV"
rss1_c=$(rss_kb "$CPID")
rss1_s=$(rss_kb "$SPID")
log "end: client daemon ${rss1_c} kB, server daemon ${rss1_s} kB"
check "client daemon memory back within 10%" 1 \
	"$(( rss1_c * 10 <= rss0_c * 11 && rss1_c * 10 >= rss0_c * 9 ? 1 : 0 ))"
check "server daemon memory back within 10%" 1 \
	"$(( rss1_s * 10 <= rss0_s * 11 && rss1_s * 10 >= rss0_s * 9 ? 1 : 0 ))"
log "PASS ($CHECKS checks)"
