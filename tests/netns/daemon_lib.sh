# shellcheck shell=bash
# Helpers of the mpsteerd tests (daemon_*.sh), on top of lib.sh.
#
# Topology (daemon_topo N builds N client paths, 1 <= N <= 3):
#
#   client ns (mpsteerd)          router ns                 server ns (mpsteerd)
#   +--------------------+        +-------------------+     +--------------------+
#   | c1 10.1.1.2 fd01:1::2|------| r1 10.1.1.1        |     |                    |
#   | c2 10.1.2.2 fd01:2::2|------| r2 10.1.2.1        |-----| s0 10.9.0.2 fd09::2|
#   | c3 10.1.3.2 fd01:3::2|------| r3 10.1.3.1        |  r0 10.9.0.1 fd09::1   |
#   +--------------------+        +-------------------+     +--------------------+
#
# The client is multihomed like a laptop: one default route per uplink
# (metrics 100, 200, 300); mpsteerd's source routing sends each subflow out of
# the interface of its address. The server has one address.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MPSTEERD=${MPSTEERD:-$(dirname "$MPSTEER")/../mpsteerd/mpsteerd}
SRV4=10.9.0.2
SRV6=fd09::2

daemon_topo() {
	local n=$1 i
	CLI=$(ns_new mpsd-cli)
	RTR=$(ns_new mpsd-rtr)
	SRV=$(ns_new mpsd-srv)
	ip netns exec "$RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	link_pair "$RTR" r0 10.9.0.1/24 "$SRV" s0 $SRV4/24 fd09::1/64 $SRV6/64
	ip -n "$SRV" route add default via 10.9.0.1
	ip -n "$SRV" -6 route add default via fd09::1
	for ((i = 1; i <= n; i++)); do
		link_pair "$CLI" c$i 10.1.$i.2/24 "$RTR" r$i 10.1.$i.1/24 \
			fd01:$i::2/64 fd01:$i::1/64
		ip -n "$CLI" route add default via 10.1.$i.1 dev c$i metric $((i * 100))
		ip -n "$CLI" -6 route add default via fd01:$i::1 dev c$i metric $((i * 100))
	done
	export MPSTEER_RUNDIR=$TMP/run
}

# daemon_start NS CONFFILE [ARGS...]: starts mpsteerd, waits until it answers.
# Sets DPID (its pid).
daemon_start() {
	local ns=$1 conf=$2
	shift 2
	bg "$ns" "$MPSTEERD" -c "$conf" "$@"
	DPID=$BG_PID
	wait_for 10 "mpsteerd in $ns answers" mps "$ns" status
}

# ctl NS LINE: one raw request line to the daemon of NS; prints the reply line.
ctl() {
	ip netns exec "$1" python3 -c '
import os, socket, sys
p = "%s/mpsteerd-%d.sock" % (os.environ["MPSTEER_RUNDIR"], os.stat("/proc/self/ns/net").st_ino)
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(p)
s.sendall(sys.argv[1].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    b = s.recv(65536)
    if not b:
        break
    buf += b
sys.stdout.write(buf.decode())
' "$2"
}

# dstat NS KEY: one counter of `mpsteer status -j`.
dstat() {
	mps "$1" -j status | jq -r ".$2"
}

# The kernel's view (sock_diag, not the daemon): `mpsteer --direct`.
kconns() {
	mps "$1" --direct -j conns
}

# A small MPTCP server: echo (default), sink (prints "<bytes> <sha256>" per
# connection to stdout) or close (accept and close at once). Dual stack.
write_server() {
	cat >"$TMP/server.py" <<'PY'
import hashlib, selectors, socket, sys
mode, port = sys.argv[1], int(sys.argv[2])
ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, 262)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
ls.bind(("::", port))
ls.listen(4096)
sel = selectors.DefaultSelector()
sel.register(ls, selectors.EVENT_READ)
state = {}
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is ls:
            c, _ = ls.accept()
            if mode == "close":
                c.close()
                continue
            sel.register(c, selectors.EVENT_READ)
            state[c] = [0, hashlib.sha256()]
            continue
        try:
            b = s.recv(1 << 18)
        except OSError:
            b = b""
        if not b:
            if mode == "sink":
                print(state[s][0], state[s][1].hexdigest(), flush=True)
            sel.unregister(s)
            del state[s]
            s.close()
            continue
        if mode == "echo":
            s.sendall(b)
        else:
            state[s][0] += len(b)
            state[s][1].update(b)
PY
}

# A client holding K connections open (each says hello and reads the echo),
# until killed. Usage: hold_conns ADDR PORT K
write_holder() {
	cat >"$TMP/holder.py" <<'PY'
import socket, sys, time
addr, port, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
conns = []
for i in range(k):
    s = socket.socket(fam, socket.SOCK_STREAM, 262)
    s.connect((addr, port))
    s.sendall(b"hello")
    s.recv(5)
    conns.append(s)
print("ready", flush=True)
while True:
    time.sleep(3600)
PY
}

# on_iface_of NS IF: established subflows of NS's connections listed on interface IF
on_iface_of() {
	kconns "$1" | jq "[.[] | .subflows[] |
		select(.state == \"ESTAB\" and .ifname == \"$2\")] | length"
}

# dconn NS TOKEN JQ: JQ applied to the daemon's view of one connection
dconn() {
	ctl "$1" "{\"cmd\":\"conns\",\"token\":$2}" | jq -r ".conns[0] | $3"
}

# rss_kb PID
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# sockpath NS: the control socket of the daemon of NS.
sockpath() {
	echo "$MPSTEER_RUNDIR/mpsteerd-$(ip netns exec "$1" stat -L -c %i /proc/self/ns/net).sock"
}
