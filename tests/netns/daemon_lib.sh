# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by the tests that source this file)
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

# daemon_test_init N: netns_init, the programs the daemon tests use, daemon_topo N.
daemon_test_init() {
	netns_init
	command -v jq >/dev/null || skip "jq is not installed"
	command -v ncat >/dev/null || skip "ncat is not installed"
	daemon_topo "$1"
}

# dview NS / kview NS: the daemon's view and the kernel's (sock_diag) of NS's MPTCP
# connections: token and established subflows ("local>remote", sorted) of each, as one line.
dview() {
	ctl "$1" '{"v":1,"cmd":"conns"}' | jq -c '[.conns[] | {t: .token, s: ([.subflows[] |
		select(.state == "established") | "\(.local)>\(.remote)"] | sort)}] | sort_by(.t)'
}
kview() {
	kconns "$1" | jq -c '[.[] | select(.fallback | not) | {t: .token, s: ([.subflows[] |
		select(.state == "ESTAB") | "\(.local)>\(.remote)"] | sort)}] | sort_by(.t)'
}
# view_equal SECONDS NS: waits until the daemon's view of NS equals the kernel's.
view_equal() {
	local k
	k=$(kview "$2")
	wait_eq "$1" "the daemon's view of $2 equals the kernel's ($k)" "$k" dview "$2"
}
# settle NS: waits for the daemon's next reconciliation (which also trims its heap), so that
# its memory can be compared.
settle() {
	local r
	r=$(dstat "$1" reconciles)
	wait_ge 20 "a reconciliation in $1" $((r + 1)) dstat "$1" reconciles
}

# shape_paths RATE: tbf at RATE on the client's c1 and c2, so that transfers take their time.
shape_paths() {
	local i
	for i in 1 2; do
		ip netns exec "$CLI" tc qdisc add dev "c$i" root tbf rate "$1" burst 32kb latency 50ms ||
			skip "tc tbf is not available"
	done
}

# stream_start DONEFILE: an upload by ncat (client -> server :9000) of a stream of random data
# that lasts until DONEFILE exists: 1 MB, 32 KB every 20 ms, 1 MB at the end. What is sent is
# kept in $TMP/sent, what arrives in $TMP/recv. Sets SENDER; stream_check checks the end.
stream_start() {
	mkfifo "$TMP/feed"
	bg "$CLI" bash -c '{ head -c 1M /dev/urandom; while [ ! -e "$1" ]; do
		head -c 32K /dev/urandom; sleep 0.02; done; head -c 1M /dev/urandom; } |
		tee "$2" >"$3"' feeder "$1" "$TMP/sent" "$TMP/feed"
	FEED=$BG_PID
	ncat_sink "$SRV" 9000 "$TMP/recv"
	ncat_send "$CLI" $SRV4 9000 "$TMP/feed"
	SENDER=$SEND_PID
}
# stream_check: after DONEFILE was made, the connection ends cleanly with the data intact.
stream_check() {
	wait "$SENDER" || fail "the sending ncat failed: the connection was lost"
	wait "$FEED" || fail "the stream's writer failed"
	kill -0 "$SINK_PID" 2>/dev/null || fail "the receiving ncat failed"
	wait_eq 20 "everything received" "$(stat -c %s "$TMP/sent")" stat -c %s "$TMP/recv"
	check "transfer: bytes and sha256" "$(size_sha "$TMP/sent")" "$(size_sha "$TMP/recv")"
}

# close_server NS PORT: accepts MPTCP connections on PORT and closes them at once (a
# python3 load generator: no Debian program does that for thousands of connections).
close_server() {
	cat >"$TMP/close.py" <<'PY'
import socket, sys
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", int(sys.argv[1])))
ls.listen(4096)
while True:
    ls.accept()[0].close()
PY
	bg "$1" python3 "$TMP/close.py" "$2"
	wait_for 10 "close.py listening" listening "$1" "$2"
}

# burst_bg NS ADDR PORT N OUT: N MPTCP connections to ADDR:PORT, one after another, each
# closed at once; the number made goes to OUT. Background (BG_PID).
burst_bg() {
	[ -e "$TMP/burst.py" ] || cat >"$TMP/burst.py" <<'PY'
import socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ok = 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    try:
        s.connect((addr, port))
        ok += 1
    except OSError:
        pass
    s.close()
print(ok, flush=True)
PY
	bg "$1" python3 "$TMP/burst.py" "$2" "$3" "$4" >"$5"
}

# ctl_test_init: netns_init for the control-socket tests, whose clients run as nobody.
ctl_test_init() {
	netns_init
	command -v jq >/dev/null || skip "jq is not installed"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is needed to run a client as nobody"
}

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

# steer_confs POLICY [KEY=VALUE...]: $TMP/client.conf (c* uplinks, source routing, the
# steering POLICY, each KEY=VALUE as a line of its [POLICY] section) and $TMP/server.conf
# (s* only, no steering) of the steering tests.
steer_confs() {
	local policy=$1 kv
	shift
	printf '[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n[steering]\npolicy = %s\n[%s]\n' \
		"$policy" "$policy" >"$TMP/client.conf"
	for kv in "$@"; do
		printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$TMP/client.conf"
	done
	printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
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

# The applications are unmodified Debian programs (ncat, nginx) made MPTCP by
# `mpsteer run` (lib.sh's mptcp_bg): nothing here opens an IPPROTO_MPTCP
# socket itself.

# ncat_sink NS PORT OUTFILE: `ncat -l -k PORT` (dual stack: ncat listens on
# 0.0.0.0 and ::), everything its clients send appended to OUTFILE; it closes
# a connection at the client's EOF, after writing out what it read.
# -k: without it ncat closes its listening socket once it has accepted, and
# the joins of a client's further subflows to that address and port find no
# listener (reset). Its stdin is a fifo kept open: at EOF there ncat would
# send a DATA_FIN on its connections, and the kernel refuses joins to a
# connection closing that way (measured: MPJoinRejected).
# Sets SINK_PID (the supervisor).
ncat_sink() {
	local ns=$1 port=$2 out=$3 fifo fd
	fifo=$(mktemp -u "$TMP/sink-in.XXXXXX")
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	mptcp_bg "$ns" ncat -l -k "$port" <"$fifo" >"$out"
	SINK_PID=$BG_PID
	wait_for 10 "ncat listening on $port in $ns" listening "$ns" "$port"
}

# ncat_hold NS ADDR PORT TEXT [NCAT_ARGS...]: one long-lived, idle connection
# of an ncat client. It sends TEXT and a newline (the initiator's path
# manager, here mpsteerd, is told the connection is established only once
# data has been exchanged: measured, no ESTABLISHED event without it) and
# keeps the connection open until killed: its stdin is a fifo that stays
# open. What it receives goes to $HOLD_OUT.
# Sets HOLD_PID (the supervisor; app_pid gives ncat).
ncat_hold() {
	local ns=$1 addr=$2 port=$3 text=$4 fifo fd
	shift 4
	fifo=$(mktemp -u "$TMP/hold-in.XXXXXX")
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	HOLD_OUT=$fifo.out
	mptcp_bg "$ns" ncat "$@" "$addr" "$port" <"$fifo" >"$HOLD_OUT"
	HOLD_PID=$BG_PID
	printf '%s\n' "$text" >&"$fd"
}

# nginx_dual NS PORT: nginx (master and a worker) on one dual-stack socket,
# [::]:PORT with ipv6only=off (IPv4 clients arrive v4-mapped), keeping idle
# HTTP/1.1 connections for an hour; / is "hello".
nginx_dual() {
	local ns=$1 port=$2 d=$TMP/ngx-$2
	mkdir -p "$d/www"
	echo hello >"$d/www/index.html"
	cat >"$d/nginx.conf" <<-CONF
	daemon off;
	user root; # the workers read files under the test's private directory
	master_process on;
	worker_processes 1;
	pid $d/nginx.pid;
	error_log $d/error.log;
	events { worker_connections 64; }
	http {
		access_log $d/access.log;
		keepalive_timeout 3600s;
		client_body_temp_path $d/body;
		proxy_temp_path $d/proxy;
		fastcgi_temp_path $d/fastcgi;
		uwsgi_temp_path $d/uwsgi;
		scgi_temp_path $d/scgi;
		server { listen [::]:$port ipv6only=off; root $d/www; }
	}
	CONF
	mptcp_bg "$ns" nginx -c "$d/nginx.conf" -e "$d/error.log"
	wait_for 10 "nginx listening on $port in $ns" listening "$ns" "$port"
}

# ncat_send NS ADDR PORT FILE: sends FILE with an ncat client: at its end ncat
# shuts its sending side down and exits once the server has closed, i.e. after
# the server read everything. Sets SEND_PID (the supervisor).
ncat_send() {
	mptcp_bg "$1" ncat "$2" "$3" <"$4" >/dev/null
	SEND_PID=$BG_PID
}

# size_sha FILE: "<bytes> <sha256>"
size_sha() {
	echo "$(stat -c %s "$1") $(sha256sum "$1" | cut -d' ' -f1)"
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

# upload_setup [RATE]: the 100 MB upload of the link-loss, restart and handover
# tests: client links shaped to RATE (100mbit) so the transfer lasts long
# enough to act in the middle of it; $TMP/data holds the payload and $want
# its sha256.
upload_setup() {
	local i rate=${1:-100mbit}
	for i in 1 2; do
		ip netns exec "$CLI" tc qdisc add dev "c$i" root tbf rate "$rate" burst 64kb latency 50ms ||
			skip "tc tbf is not available"
	done
	head -c 100000000 /dev/urandom >"$TMP/data"
	want=$(sha256sum "$TMP/data" | cut -d' ' -f1)
}
