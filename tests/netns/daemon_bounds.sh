#!/usr/bin/env bash
# Nobody holds mpsteerd's control socket for free. Clients that make no progress are closed
# after control_idle_timeout, root's too, so every slot comes free again; the reply bytes
# queued to unprivileged clients are capped all together (control_queue_limit): the client
# that would go beyond is dropped with the reason logged, the others are served in full, and
# root is served throughout.
#
#   ns D (mpsteerd; lo only, no MPTCP traffic needed)
#   clients: 64 idle ones of root; 12 of nobody that send 2,000 requests each and read nothing
set -eu
. "$(dirname "$0")/daemon_lib.sh"
ctl_test_init
D=$(ns_new mpsd-bnd)
export MPSTEER_RUNDIR=$TMP/run
chmod 755 "$TMP" # the unprivileged clients must reach the socket
printf '[daemon]\ncontrol_idle_timeout = 1\n' >"$TMP/d.conf"
bg "$D" "$MPSTEERD" -c "$TMP/d.conf" 2>"$TMP/d.log"
DPID=$BG_PID
wait_for 10 "mpsteerd answers" mps "$D" status

log "idle clients are closed, root's too"
cat >"$TMP/idle.py" <<'PY'
# 64 connections that never send: prints how many the daemon closed (EOF) within 30 s.
import os, select, socket, sys, time
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
socks = [socket.socket(socket.AF_UNIX) for i in range(64)]
for s in socks:
    s.connect(p)
closed, end = 0, time.time() + 30
while socks and time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.2)
    for s in r:
        if s.recv(200) == b"":
            closed += 1
        socks.remove(s)
print(closed)
PY
ip netns exec "$D" /usr/bin/python3 "$TMP/idle.py" "$MPSTEER_RUNDIR" >"$TMP/idle.out"
check "64 idle root clients: all closed by the daemon" 64 "$(cat "$TMP/idle.out")"
check "counted as closed for idleness" 1 "$(( $(dstat "$D" ctl_idle_closed) >= 64 ? 1 : 0 ))"
check "the reason is logged" 1 "$(( $(count 'closed: no progress for 1s' cat "$TMP/d.log") >= 64 ))"
check "served again afterwards" "$DPID" "$(dstat "$D" pid)"

log "bytes queued to unprivileged clients are capped"
printf '[daemon]\ncontrol_idle_timeout = 3600\ncontrol_queue_limit = 4K\n' >"$TMP/d.conf"
check "reload" true "$(ctl "$D" '{"v":1,"cmd":"reload"}' | jq -r .ok)"
mkfifo "$TMP/go"
exec 7<>"$TMP/go"
cat >"$TMP/flood.py" <<'PY'
# 12 clients send 2,000 status requests each and read nothing until told (a line on stdin);
# then each reads until EOF and the number of replies it got is printed, one per line
# (after a first line "sent").
import os, socket, sys
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
socks = []
for i in range(12):
    s = socket.socket(socket.AF_UNIX)
    s.connect(p)
    s.sendall(b'{"v":1,"cmd":"status"}\n' * 2000)
    socks.append(s)
print("sent", flush=True)
sys.stdin.readline()
for s in socks:
    s.settimeout(20)
    n, buf = 0, b""
    try:
        while n < 2000:
            b = s.recv(1 << 16)
            if not b:
                break
            n += b.count(b"\n")
    except OSError:
        pass
    print(n, flush=True)
PY
bg "$D" setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 "$TMP/flood.py" \
	"$MPSTEER_RUNDIR" <"$TMP/go" >"$TMP/flood.out" 7>&-
FLOOD=$BG_PID
wait_for 20 "the flood is sent" grep -q sent "$TMP/flood.out"
wait_ge 20 "a client dropped at the queue limit" 1 dstat "$D" ctl_queue_dropped
check "root is served meanwhile" "$DPID" "$(dstat "$D" pid)"
echo read >&7
wait "$FLOOD" || fail "the flood client failed"
full=$(count '^2000$' cat "$TMP/flood.out")
cut=$(count '^([0-9]|[0-9][0-9]|[0-9][0-9][0-9]|1[0-9][0-9][0-9])$' cat "$TMP/flood.out")
dropped=$(dstat "$D" ctl_queue_dropped)
log "12 stalled unprivileged clients: $full served in full, $cut cut off, $dropped dropped"
check "every client either served in full or dropped" 12 $((full + cut))
check "the daemon's drops are the clients cut off" "$cut" "$dropped"
check "others were still served in full" 1 "$(( full >= 1 ))"
check "the drop's reason is logged" "$dropped" \
	"$(count 'dropped: its reply .* beyond 4096 \(control_queue_limit\)' cat "$TMP/d.log")"
check "the daemon survived (same pid)" "$DPID" "$(dstat "$D" pid)"
log "PASS ($CHECKS checks)"
