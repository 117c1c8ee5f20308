#!/usr/bin/env bash
# Unmodified servers under `mpsteer run` accept MPTCP connections: iperf3 -s and nginx
# (master + forked workers), also daemonised nginx under `mpsteer run --detach`.
#
#   CLI: MPTCP clients                         SRV: mpsteer run -- iperf3 -s / nginx
#   +-------------------------+                +-------------------------+
#   | c0 10.77.1.1/24         |---- veth ------| s0 10.77.1.2/24         |
#   |    fd00:77::1/64        |                |    fd00:77::2/64        |
#   +-------------------------+                +-------------------------+
#
# Checked: the servers' listeners are MPTCP (`ss -Ml`), a held connection shows in `ss -M` on
# the server side, the server's MPCapableSYNRX grows and no MPTCP fallback is counted, the bytes
# arrive intact (sha256 of the served file, iperf3's byte count).
set -eu
TEST_NAME=run-server
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"
run_init
run_progs
run_topology

mptcp_listening() {
	ip netns exec "$SRV" ss -HMln "sport = :$1" | grep . >/dev/null
}

# --- iperf3 -s ---------------------------------------------------------------------------
if command -v iperf3 >/dev/null; then
	bg "$SRV" "$MPSTEER" run -- iperf3 -s -p 5201 --logfile "$TMP/iperf3-s.log"
	wait_for 5 "iperf3 listening" listening "$SRV" 5201
	check_true "iperf3 -s: its listener is MPTCP" mptcp_listening 5201
	syn0=$(mptcp_counter "$SRV" MPCapableSYNRX)
	# A real transfer first (a fresh server is not busy), the client also under mpsteer run.
	ip netns exec "$CLI" "$MPSTEER" run -- iperf3 -c "$SRV4" -p 5201 -n 8M -J \
		>"$TMP/iperf.json" || fail "iperf3 client failed"
	# iperf3 counts in whole blocks (-n may overshoot by one), and sum_received may miss what
	# was in flight at the end: check completion and the lower bound, not an exact count.
	check "iperf3: transfer completed, at least 8 MiB sent" ok \
		"$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
ok = "error" not in j and j["end"]["sum_sent"]["bytes"] >= 8388608
print("ok" if ok else j.get("error", j["end"]))' "$TMP/iperf.json")"
	# A connection held open by a client (iperf3's control connection waits for a cookie).
	bg "$CLI" "$MPSTEER" run -- "$TPS" hold "$SRV4" 5201 >"$TMP/hold.txt"
	held() {
		ip netns exec "$SRV" ss -HMn state established 'sport = :5201' | grep . >/dev/null
	}
	not_held() {
		! held
	}
	wait_for 5 "held connection on the server" held
	check "iperf3 -s: ss -M shows the accepted MPTCP connection" 1 \
		"$(ip netns exec "$SRV" ss -HMn state established 'sport = :5201' | wc -l)"
	kill "$BG_PID"
	wait_for 5 "held connection gone" not_held
	# iperf3's control and data connections + the held one
	check "iperf3: every connection was MPTCP on the server" 3 \
		$(($(mptcp_counter "$SRV" MPCapableSYNRX) - syn0))
else
	log "NOTE: iperf3 is not installed: iperf3 -s not covered"
fi

# --- nginx -------------------------------------------------------------------------------
if ! command -v nginx >/dev/null; then
	log "NOTE: nginx is not installed: nginx not covered"
	log "PASS ($CHECKS checks)"
	exit 0
fi
mkdir -p "$TMP/www" "$TMP/ngx"
chmod a+rx "$TMP" "$TMP/www" # nginx workers run as nobody
head -c 300000 /dev/urandom >"$TMP/www/blob"
# nginx.conf PORT DAEMON
nginx_conf() {
	cat <<-CONF
	daemon $2;
	master_process on;
	worker_processes 2;
	pid $TMP/ngx/nginx-$1.pid;
	error_log $TMP/ngx/error-$1.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $TMP/ngx/body;
		proxy_temp_path $TMP/ngx/proxy;
		fastcgi_temp_path $TMP/ngx/fastcgi;
		uwsgi_temp_path $TMP/ngx/uwsgi;
		scgi_temp_path $TMP/ngx/scgi;
		server { listen 8080; listen [::]:8080; root $TMP/www; }
		server { listen 8081; root $TMP/www; }
	}
	CONF
}
# GET PORT OUT: an HTTP client that asks for MPTCP itself.
get() {
	ip netns exec "$CLI" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"GET /blob HTTP/1.0\r\nHost: x\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
open(sys.argv[3], "wb").write(body)
print(head.split(b"\r\n")[0].decode())
' "$SRV4" "$1" "$2"
}
want=$(sha "$TMP/www/blob")

nginx_conf 8080 off >"$TMP/ngx/fg.conf"
syn0=$(mptcp_counter "$SRV" MPCapableSYNRX)
bg "$SRV" "$MPSTEER" run -- nginx -c "$TMP/ngx/fg.conf" -e "$TMP/ngx/error-8080.log"
ngx_pid=$BG_PID
wait_for 10 "nginx listening" listening "$SRV" 8080
check_true "nginx: its listener is MPTCP" mptcp_listening 8080
check "nginx: HTTP status" "HTTP/1.1 200 OK" "$(get 8080 "$TMP/got1")"
check "nginx: body intact" "$want" "$(sha "$TMP/got1")"
check "nginx: the connection was MPTCP on the server" 1 \
	$(($(mptcp_counter "$SRV" MPCapableSYNRX) - syn0))
check "nginx: no MPTCP fallback" 0 "$(mptcp_counter "$SRV" MPCapableFallbackACK)"
# SIGQUIT to mpsteer reaches nginx (graceful stop); nginx's status comes back.
kill -QUIT "$ngx_pid"
rc=0
wait "$ngx_pid" || rc=$?
check "nginx: SIGQUIT forwarded, graceful exit status" 0 "$rc"

# Daemonised nginx (like systemd Type=forking): --detach returns when the master's parent
# exits, the background supervisor keeps serving the daemon's sockets.
nginx_conf 8081 on >"$TMP/ngx/bg.conf"
ip netns exec "$SRV" "$MPSTEER" run --detach -- nginx -c "$TMP/ngx/bg.conf" \
	-e "$TMP/ngx/error-8081.log" || fail "nginx (daemon on) under --detach failed"
wait_for 10 "daemonised nginx listening" listening "$SRV" 8081
check_true "daemonised nginx: its listener is MPTCP" mptcp_listening 8081
check "daemonised nginx: HTTP status" "HTTP/1.1 200 OK" "$(get 8081 "$TMP/got2")"
check "daemonised nginx: body intact" "$want" "$(sha "$TMP/got2")"
supervisor_alive() {
	pgrep -f -- "run --detach -- nginx -c $TMP/ngx/bg.conf" >/dev/null
}
check_true "daemonised nginx: a background supervisor serves it" supervisor_alive
kill -TERM "$(cat "$TMP/ngx/nginx-8081.pid")"
supervisor_gone() {
	local p
	p=$(procs "run --detach -- nginx -c $TMP/ngx/bg.conf") || fail "pgrep failed"
	[ -z "$p" ]
}
wait_for 10 "background supervisor exits after nginx" supervisor_gone
check "daemonised nginx: no nginx left" "" "$(procs "^nginx.*$TMP/ngx/bg.conf")"

log "PASS ($CHECKS checks)"
