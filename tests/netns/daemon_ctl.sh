#!/usr/bin/env bash
# The control socket and the operator's side of mpsteerd: an unprivileged user
# can read but not change anything; the configured group can; garbage,
# oversized and unknown requests get errors and the daemon keeps working;
# one daemon per namespace; `mpsteerd -n` validates; SIGHUP reloads (and a bad
# config on reload is refused, keeping the old one); path_manager = check
# refuses to start when the namespace is not on the userspace PM. Privilege is
# the peer's at connect() against the current config; unprivileged clients
# cannot take the last slots; a hung daemon's socket is neither waited on nor
# taken over.
#
#   ns A (mpsteerd, control_group = users)      ns B (mpsteerd)
#   +---------------------------------+          +-----------------+
#   | lo only: no MPTCP traffic needed |          | lo only          |
#   +---------------------------------+          +-----------------+
#   clients: root, nobody, nobody+users
#   ns C: a silent listener on the socket path, backlog full (a hung daemon)
set -eu
. "$(dirname "$0")/daemon_lib.sh"
ctl_test_init
getent group users >/dev/null || skip "no group 'users' to configure as control_group"
A=$(ns_new mpsd-a)
B=$(ns_new mpsd-b)
export MPSTEER_RUNDIR=$TMP/run
chmod 755 "$TMP" # the unprivileged client must reach the socket

cat >"$TMP/a.conf" <<'EOF2'
[daemon]
control_group = users
# The clients held below stay for the whole check, under any load (daemon_bounds tests this).
control_idle_timeout = 3600
[client]
policy = per-interface
EOF2
cp "$TMP/a.conf" "$TMP/a.good"
cat >"$TMP/raw.py" <<'PY'
# raw.py HEXBYTES|big:N ...: sends each argument (hex, or N bytes "a" with no
# line end) and prints each reply line or "CLOSED"
import os, socket, sys
p = "%s/mpsteerd-%d.sock" % (os.environ["MPSTEER_RUNDIR"], os.stat("/proc/self/ns/net").st_ino)
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(p)
f = s.makefile("rb")
for h in sys.argv[1:]:
    try:
        s.sendall(b"a" * int(h[4:]) if h.startswith("big:") else bytes.fromhex(h))
        line = f.readline()
    except OSError:
        line = b""
    print(line.decode(errors="replace").strip() if line else "CLOSED", flush=True)
PY
hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
# req NS AS LINE: one request line as root|nobody|users; prints the reply
req() {
	local who
	case $2 in
	root) who=() ;;
	nobody) who=(setpriv --reuid=65534 --regid=65534 --clear-groups) ;;
	users) who=(setpriv --reuid=65534 --regid=65534 --groups=100) ;;
	esac
	ip netns exec "$1" "${who[@]}" /usr/bin/python3 "$TMP/raw.py" "$(hex "$3")0a"
}
ok() { jq -r '.ok' <<<"$1"; }
err() { jq -r '.error' <<<"$1"; }

log "config validation (-n)"
check "-n accepts a good file" "$TMP/a.conf: ok" "$("$MPSTEERD" -n -c "$TMP/a.conf")"
printf '[daemon]\nlog_level = debug\n[client]\npolicy = sometimes\n' >"$TMP/bad.conf"
set +e
out=$("$MPSTEERD" -n -c "$TMP/bad.conf" 2>&1)
rc=$?
set -e
check "-n rejects a bad file (EX_CONFIG)" 78 "$rc"
check "-n names file:line, key and value" \
	"mpsteerd: $TMP/bad.conf:4: bad value 'sometimes' for key 'policy'" "$out"

log "path_manager = check refuses a namespace on the in-kernel PM"
printf '[daemon]\npath_manager = check\n' >"$TMP/check.conf"
set +e
out=$(ip netns exec "$A" "$MPSTEERD" -c "$TMP/check.conf" 2>&1)
rc=$?
set -e
check "refused to start" 69 "$rc"
check "says why" 1 "$(grep -c "path_manager is 'kernel', not 'userspace'" <<<"$out")"
check "left the sysctl alone" kernel "$(ip netns exec "$A" sysctl -n net.mptcp.path_manager)"

daemon_start "$A" "$TMP/a.conf"
APID=$DPID
log "one daemon per namespace"
set +e
out=$(ip netns exec "$A" "$MPSTEERD" -c "$TMP/a.conf" 2>&1)
rc=$?
set -e
check "a second daemon in the same namespace refuses" 69 "$rc"
check "it says so" 1 "$(grep -c 'another mpsteerd answers' <<<"$out")"
check "the first one still answers" "$APID" "$(dstat "$A" pid)"
# A daemon that hangs with its backlog full still owns its socket: a new one
# neither blocks nor takes the socket over. (Stand-in: a silent listener.)
C=$(ns_new mpsd-c)
bg "$C" /usr/bin/python3 - "$MPSTEER_RUNDIR" "$TMP/hung.ready" <<'PY'
import os, socket, sys, time
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
l = socket.socket(socket.AF_UNIX)
l.bind(p)
l.listen(0)
fill = []
while True:
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(p)
    except BlockingIOError:
        break
    fill.append(s)
open(sys.argv[2], "w").close()
time.sleep(300)
PY
HUNG=$BG_PID
wait_for 10 "silent listener with a full backlog" test -e "$TMP/hung.ready"
set +e
out=$(ip netns exec "$C" timeout -s KILL 60 "$MPSTEERD" -c "$TMP/a.good" 2>&1)
rc=$?
set -e
check "a hung daemon's socket: the new one refuses (69) instead of hanging" 69 "$rc"
check "it says why" 1 "$(grep -c 'another mpsteerd answers' <<<"$out")"
check "the hung daemon keeps its socket" 1 "$(ip netns exec "$C" ss -xlH | grep -c mpsteerd-)"
kill "$HUNG"
printf '[daemon]\nlog_level = info\n' >"$TMP/b.conf"
daemon_start "$B" "$TMP/b.conf"
check "a daemon in another namespace is another daemon" 1 \
	"$(( $(dstat "$B" pid) != APID ? 1 : 0 ))"
check "each namespace's CLI finds its own daemon" "$APID" "$(dstat "$A" pid)"

log "privileges"
r=$(req "$A" nobody '{"v":1,"cmd":"status"}')
check "nobody may read status" true "$(ok "$r")"
r=$(req "$A" nobody '{"v":1,"cmd":"conns"}')
check "nobody may list connections" true "$(ok "$r")"
for c in '{"v":1,"cmd":"override-set","token":1,"via":"lo"}' \
	'{"v":1,"cmd":"override-clear","token":1}' '{"v":1,"cmd":"reload"}'; do
	r=$(req "$A" nobody "$c")
	check "nobody may not: $c" "false permission denied" \
		"$(ok "$r") $(err "$r" | cut -d: -f1)"
done
r=$(req "$A" users '{"v":1,"cmd":"reload"}')
check "the control group may reload" true "$(ok "$r")"
r=$(req "$A" users '{"v":1,"cmd":"override-set","token":1,"via":"lo"}')
check "the control group passes the check (then: unknown token)" \
	"token 0x00000001 is not managed by this daemon" "$(err "$r")"
# Privilege is what the client was when it connected: a process that connects
# without the group and gains it later (as /proc/PID/status then shows; the
# same as the fd passed on, its pid reused by a member) is still refused.
r=$(ip netns exec "$A" /usr/bin/python3 - "$MPSTEER_RUNDIR" <<'PY'
import os, socket, sys
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
os.setgroups([])
os.setegid(65534)
os.seteuid(65534)
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(p)
os.seteuid(0)
os.setgroups([100])
os.seteuid(65534)
s.sendall(b'{"v":1,"cmd":"override-set","token":1,"via":"lo"}\n')
print(s.makefile("rb").readline().decode().strip())
PY
)
check "a group gained after connect() does not count" "false permission denied" \
	"$(ok "$r") $(err "$r" | cut -d: -f1)"
# ...and against the current config: a reload that drops control_group also
# takes the right from a member's connection that is already open.
cat >"$TMP/grp.py" <<'PY'
import os, socket, sys
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(p)
f = s.makefile("rb")
for _ in range(2):
    s.sendall(b'{"v":1,"cmd":"override-clear","token":1}\n')
    print(f.readline().decode().strip(), flush=True)
    sys.stdin.readline()
PY
coproc GRP { ip netns exec "$A" setpriv --reuid=65534 --regid=65534 --groups=100 \
	/usr/bin/python3 "$TMP/grp.py" "$MPSTEER_RUNDIR"; }
read -r r <&"${GRP[0]}"
check "a member's open connection passes the check" \
	"token 0x00000001 is not managed by this daemon" "$(err "$r")"
printf '[client]\npolicy = per-interface\n' >"$TMP/a.conf"
check "reload without control_group" true "$(ok "$(req "$A" root '{"v":1,"cmd":"reload"}')")"
echo go >&"${GRP[1]}"
read -r r <&"${GRP[0]}"
check "the same connection after the reload: denied" "false permission denied" \
	"$(ok "$r") $(err "$r" | cut -d: -f1)"
echo go >&"${GRP[1]}"
wait "$GRP_PID" || true
cp "$TMP/a.good" "$TMP/a.conf"
check "reload with control_group again" true "$(ok "$(req "$A" root '{"v":1,"cmd":"reload"}')")"
r=$(req "$A" root '{"v":1,"cmd":"override-clear","token":"0x2"}')
check "root passes the check (then: unknown token)" \
	"token 0x00000002 is not managed by this daemon" "$(err "$r")"

log "garbage"
for g in 'garbage' '[]' '{"v":7,"cmd":"status"}' '{"cmd":42}' '{"v":1,"cmd":"frobnicate"}' \
	'{"v":1,"cmd":"override-set","token":-1,"via":"x"}' \
	'{"v":1,"cmd":"override-set","token":1}' '{"v":1,"cmd":"conns","token":"zz"}'; do
	r=$(req "$A" root "$g")
	check "error reply to $g" false "$(ok "$r")"
done
r=$(ip netns exec "$A" /usr/bin/python3 "$TMP/raw.py" "00ff00ff0a" \
	"$(hex '{"v":1,"cmd":"status"}')0a")
check "binary junk gets an error, the connection goes on" "false true" \
	"$(jq -r .ok <<<"$r" | tr '\n' ' ' | sed 's/ $//')"
r=$(ip netns exec "$A" /usr/bin/python3 "$TMP/raw.py" big:70000 "$(hex '{"cmd":"status"}')0a")
check "an oversized request: error, then the connection is closed" \
	'{"ok":false,"error":"request too long"} CLOSED' "$(tr '\n' ' ' <<<"$r" | sed 's/ $//')"
# 70 clients at once, more than the daemon serves: the extra ones are turned away.
ip netns exec "$A" /usr/bin/python3 - "$MPSTEER_RUNDIR" >"$TMP/many" <<'PY'
import os, socket, sys
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
socks = []
for i in range(70):
    s = socket.socket(socket.AF_UNIX)
    s.connect(p)  # blocking: waits while the daemon's backlog is full
    socks.append(s)
# The turned-away ones get a line and EOF; the others stay silent. Polls
# until the expected number has answered (or 10 s passed).
import select, time
busy, end = 0, time.time() + 10
while busy < 6 and time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.2)
    for s in r:
        if b"too many clients" in s.recv(200):
            busy += 1
        socks.remove(s)
print(busy)
PY
check "70 clients: 6 turned away" 6 "$(cat "$TMP/many")"
# Unprivileged clients cannot take the last slots: with nobody holding all it
# may (60), root still gets in and may still change things.
ip netns exec "$A" /usr/bin/python3 - "$MPSTEER_RUNDIR" >"$TMP/squat" <<'PY'
import os, select, socket, sys, time
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
rd, wr = os.pipe()    # child -> root: how many were turned away
rd2, wr2 = os.pipe()  # root -> child: done, let go
if os.fork() == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    socks = []
    for i in range(70):
        s = socket.socket(socket.AF_UNIX)
        s.connect(p)
        socks.append(s)
    busy, end = 0, time.time() + 10
    while busy < 10 and time.time() < end:
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            if b"too many clients" in s.recv(200):
                busy += 1
            socks.remove(s)
    os.write(wr, b"%d\n" % busy)
    os.read(rd2, 1)  # hold the others until root has been served
    os._exit(0)
busy = os.read(rd, 16).decode().strip()
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(p)
s.sendall(b'{"v":1,"cmd":"override-clear","token":3}\n')
print(busy, s.makefile("rb").readline().decode().strip())
os.write(wr2, b"x")
os.wait()
PY
check "70 unprivileged clients: 10 turned away, root still served" \
	'10 {"ok":false,"error":"token 0x00000003 is not managed by this daemon"}' "$(cat "$TMP/squat")"
# Every slot taken (by root, who may take them all): the CLI shows the daemon's refusal.
mkfifo "$TMP/hold"
exec 5<>"$TMP/hold"
cat >"$TMP/hold.py" <<'PY'
import os, select, socket, sys
p = "%s/mpsteerd-%d.sock" % (sys.argv[1], os.stat("/proc/self/ns/net").st_ino)
socks = [socket.socket(socket.AF_UNIX) for i in range(64)]
for s in socks:
    s.connect(p)
r, _, _ = select.select(socks, [], [], 0.5)  # none may be turned away
open(sys.argv[2], "w").write("%d\n" % (64 - len(r)))
sys.stdin.readline()
PY
bg "$A" /usr/bin/python3 "$TMP/hold.py" "$MPSTEER_RUNDIR" "$TMP/held" <"$TMP/hold" 5>&-
wait_for 10 "root holds the slots" test -s "$TMP/held"
check "root holds all 64 slots" 64 "$(cat "$TMP/held")"
rc=0; out=$(ip netns exec "$A" "$MPSTEER" status 2>&1) || rc=$?
check "every slot taken: the daemon's refusal, not a broken pipe" \
	"mpsteer: status: too many clients" "$out"
check "every slot taken: exit status" 70 "$rc"
echo done >&5
wait_eq 10 "the daemon serves again once they let go (same pid)" "$APID" dstat "$A" pid
check "it counted the requests" 1 "$(( $(dstat "$A" ctl_requests) >= 20 ? 1 : 0 ))"

log "SIGHUP reload"
printf '[client]\npolicy = fullmesh\n' >"$TMP/a.conf"
kill -HUP "$APID"
wait_eq 10 "new policy after SIGHUP" fullmesh dstat "$A" client_policy
printf '[client]\npolicy = sideways\n' >"$TMP/a.conf"
kill -HUP "$APID"
r=$(req "$A" root '{"v":1,"cmd":"reload"}')
check "a bad config on reload is refused, naming the line" \
	"false $TMP/a.conf:2: bad value 'sideways' for key 'policy'" "$(ok "$r") $(err "$r")"
check "the old config stays" fullmesh "$(dstat "$A" client_policy)"
check "the daemon survived both" "$APID" "$(dstat "$A" pid)"
log "PASS ($CHECKS checks)"
