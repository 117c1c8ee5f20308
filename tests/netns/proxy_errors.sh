#!/usr/bin/env bash
# mpsteer proxy socks answers refused destinations, unreachable hosts and bad
# requests with the RFC 1928 reply they deserve (checked byte by byte), and a
# malformed or stalled client gets a reply or a close within the timeouts,
# never a crash or a stuck slot.
#
#   server ns: proxy socks on 127.0.0.1:1080 (loopback clients: the default)
#              w0 10.8.0.1 ------------- w1 10.8.0.2 web ns: nginx :80, sha256 server :9000
#              no route to 10.77.0.0/16; 10.8.0.99 does not exist; port 82 drops SYNs
set -eu
. "$(dirname "$0")/lib.sh"
netns_init
for t in python3 nginx jq; do command -v $t >/dev/null || skip "$t is not installed"; done
SRV=$(ns_new pxe-srv)
WEB=$(ns_new pxe-web)
link_pair "$SRV" w0 10.8.0.1/24 "$WEB" w1 10.8.0.2/24
mkdir -p "/etc/netns/$SRV"
trap 'rc=$?; set +e; rm -rf "/etc/netns/$SRV"; (exit $rc); _cleanup' EXIT
# No name server: lookups of unknown names fail at once (ICMP port unreachable).
echo "nameserver 127.0.0.1" >"/etc/netns/$SRV/resolv.conf"
printf '10.8.0.2 web.test\n' >"/etc/netns/$SRV/hosts"
# A missing neighbour is reported within a second (one probe of 200 ms, not three of 1 s).
ip netns exec "$SRV" sysctl -qw net.ipv4.neigh.w0.mcast_solicit=1 \
	net.ipv4.neigh.w0.retrans_time_ms=200
# Port 82 of the web host swallows SYNs: a connect that never finishes.
ip netns exec "$WEB" nft -f - <<'NFT'
table inet blackhole { chain in { type filter hook input priority 0; tcp dport 82 drop; }; }
NFT
export MPSTEER_RUNDIR=$TMP/run
mkdir -p "$TMP/www"
echo hello >"$TMP/www/index.html"
cat >"$TMP/nginx.conf" <<CONF
daemon off; user root; worker_processes 1; pid $TMP/nginx.pid; error_log $TMP/ngx.log;
events { worker_connections 64; }
http { access_log off; client_body_temp_path $TMP/b; proxy_temp_path $TMP/p;
  fastcgi_temp_path $TMP/f; uwsgi_temp_path $TMP/u; scgi_temp_path $TMP/s;
  server { listen 80; root $TMP/www; } }
CONF
bg "$WEB" nginx -c "$TMP/nginx.conf" -e "$TMP/ngx.log"
wait_for 10 "nginx listens" listening "$WEB" 80
# Port 9000 of the web host: reads to the end, then answers with the sha256 of what it got.
bg "$WEB" python3 -c '
import hashlib, socket
l = socket.create_server(("0.0.0.0", 9000))
while True:
    c, _ = l.accept()
    h = hashlib.sha256()
    while b := c.recv(65536):
        h.update(b)
    c.sendall(h.hexdigest().encode())
    c.close()
'
wait_for 10 "the sha256 server listens" listening "$WEB" 9000
bg "$SRV" "$MPSTEER" proxy socks listen 127.0.0.1:1080 connect-timeout 2 idle-timeout 3 \
	2>"$TMP/proxy.log"
PROXY=$BG_PID
wait_for 10 "the proxy listens" listening "$SRV" 1080

raw() { # raw HEX... : the proxy's answer in hex
	ip netns exec "$SRV" python3 "$(dirname "$0")/socks_raw.py" 127.0.0.1 1080 "$@"
}
pstat() {
	mps "$SRV" -j proxy status | jq -er ".[0].counters.$1"
}
G=050100        # greeting: one method, no authentication
OK=0500         # the server picks it
ZERO=0001000000000000 # RSV ATYP=1 0.0.0.0:0 (the rest of a failure reply)

check "refused destination (loopback, refuse-dest default): not allowed" "${OK}0502$ZERO" \
	"$(raw $G 050100017f0000010050)"
check "connection refused (10.8.0.2:81)" "${OK}0505$ZERO" "$(raw $G 050100010a0800020051)"
check "network unreachable (10.77.0.1)" "${OK}0503$ZERO" "$(raw $G 050100010a4d00010050)"
check "host unreachable (10.8.0.99, no neighbour)" "${OK}0504$ZERO" \
	"$(raw $G 050100010a0800630050)"
check "a connect that hangs: TTL expired at connect-timeout" "${OK}0506$ZERO" \
	"$(raw $G 050100010a0800020052)"
check "unknown name: host unreachable" "${OK}0504$ZERO" \
	"$(raw $G "0501000308$(printf nosuch.t | xxd -p)0050")"
check "BIND: command not supported" "${OK}0507$ZERO" "$(raw $G 050200010a0800020050)"
check "UDP ASSOCIATE: command not supported" "${OK}0507$ZERO" "$(raw $G 050300010a0800020050)"
check "address type 2: not supported" "${OK}0508$ZERO" "$(raw $G 05010002aabbccdd0050)"
check "a NUL in the name: general failure" "${OK}0501$ZERO" "$(raw $G 05010003036100620050)"
check "SOCKS4: closed without a reply" "" "$(raw 040100500a08000200)"
check "no acceptable method (GSSAPI only): 05 ff, closed" "05ff" "$(raw 050101)"
# (unread bytes left behind make the close a reset: both are a close)
out=$(raw $G "$(head -c 600 /dev/urandom | xxd -p | tr -d '\n' | sed 's/^../04/')")
check "garbage after the greeting: closed" "$OK" "${out% RESET}"
check "a request that stops half-way: closed at the handshake timeout" "$OK" \
	"$(raw $G 0501000308776562 --wait 8)"
check "a client that sends nothing: closed at the handshake timeout" "" "$(raw --wait 8)"

log "greeting, request and HTTP request in one write: the reply, then nginx's answer"
out=$(raw "${G}05010003087765622e746573740050$(printf 'GET / HTTP/1.0\r\n\r\n' | xxd -p)")
check "succeeded, bound to 10.8.0.1" "${OK}050000010a080001" "${out:0:20}"
check "then the page" 1 "$(echo "${out:24}" | xxd -r -p | grep -c '^hello')"

log "half-close: 4 MB up, our FIN passed on, the answer still comes back"
head -c 4000000 /dev/urandom >"$TMP/up"
got=$(ip netns exec "$SRV" python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 1080))
s.sendall(bytes.fromhex("050100" "050100010a0800022328"))
r = b""
while len(r) < 12:
    r += s.recv(12 - len(r))
assert r[:4] == bytes.fromhex("05000500"), r.hex()
s.sendall(open(sys.argv[1], "rb").read())
s.shutdown(socket.SHUT_WR)
out = b""
while b := s.recv(65536):
    out += b
print(out.decode())
' "$TMP/up")
check "the server read to our FIN and answered" "$(sha256sum "$TMP/up" | cut -d' ' -f1)" "$got"
out=$(raw "${G}050100010a0800020050" --wait 10)
# the reply (its bound port is the kernel's choice), then a reset (an aborted relay
# resets both sides), before our 10 s
check "a relayed connection idle for idle-timeout is reset" "${OK}050000010a080001 RESET" \
	"${out:0:20}${out:24}"

log "200 clients stall at once; meanwhile a good request still works"
ip netns exec "$SRV" python3 -c '
import socket, time
s = [socket.create_connection(("127.0.0.1", 1080)) for _ in range(200)]
for c in s: c.sendall(b"\x05\x01")
for c in s: c.settimeout(10); c.recv(1) # the proxy closes each at the handshake timeout
' &
STALL=$!
wait_ge 5 "200 stalled clients accepted" 200 pstat active
out=$(raw "${G}05010003087765622e746573740050$(printf 'GET / HTTP/1.0\r\n\r\n' | xxd -p)")
check "a good request during the stall" "${OK}0500" "${out:0:8}"
wait "$STALL" || fail "the stalled clients were not closed by the proxy"
wait_eq 10 "no slot stuck: nothing active" 0 pstat active
kill -0 "$PROXY" || fail "the proxy died"
check "timeouts counted (a connect, 2 + 200 stalled handshakes, an idle relay)" 204 "$(pstat timeouts)"
check "bad requests counted (BIND, UDP, ATYP 2, NUL, SOCKS4, garbage)" 6 "$(pstat bad_request)"
# One line per refused or failed connection.
for what in "not allowed by ruleset" "connection refused" "network unreachable" \
	"host unreachable" "TTL expired" "command not supported" "address type not supported"; do
	CHECKS=$((CHECKS + 1))
	grep -q "(reply: $what)" "$TMP/proxy.log" || fail "no log line saying \"$what\""
done
check "the unknown name is named in its log line" 1 \
	"$(grep -c 'to nosuch.t:80: cannot resolve "nosuch.t"' "$TMP/proxy.log")"
log "PASS ($CHECKS checks)"
