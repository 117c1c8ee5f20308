#!/usr/bin/env bash
# The MPTCP <-> TCP converters against direct MPTCP and against microsocks.
#
#   lan ns (TCP only)   gateway ns (mpsteerd,         router: tbf RATE      server ns (mpsteerd,       web ns
#   iperf3 -c -R  ----- proxy client :1081 -> socks   on r1 and r2          proxy socks :1080,         iperf3 -s
#                       proxy client :1082 -> micro   (towards the gateway) microsocks :1090 (mpsteer  :5201 :5202
#                       c1, c2 --- 2 paths ---------------------------------- run), iperf3 -s :5300     (TCP)
#
# 1. throughput of a download (iperf3 -R, SECONDS s) over the two shaped paths:
#      direct: iperf3 on MPTCP (mpsteer run) gateway -> server, the reference;
#      pair:   LAN (plain TCP) -> proxy client -> MPTCP -> proxy socks -> TCP -> web;
#      pair with microsocks as the SOCKS server (on MPTCP through mpsteer run);
#    and the CPU the converters used per Gbit/s carried (both ends together);
# 2. memory per idle connection: N SOCKS connections opened and left idle (VmRSS growth
#    of the SOCKS server / N), mpsteer proxy socks vs microsocks;
# 3. connection setup rate: SOCKS handshakes + connects, one after another, for M s.
#
# Usage: bench/proxy.sh [RATE=100mbit] [SECONDS=8] [N=1000] [M_SECONDS=5]
set -eu
RATE=${1:-100mbit}
SECS=${2:-8}
N=${3:-1000}
MSECS=${4:-5}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../tests/netns/proxy_lib.sh"
bench_init
for t in iperf3 microsocks python3 nft; do command -v $t >/dev/null || skip "$t is not installed"; done
proxy_topo lan
for i in 1 2; do ip netns exec "$RTR" tc qdisc add dev r$i root tbf rate "$RATE" burst 64kb \
	latency 50ms; done
printf '[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n' >"$TMP/client.conf"
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
proxy_bg "$SRV" socks listen 0.0.0.0:1080 allow-client 10.1.0.0/16 idle-timeout 0
SOCKS=$PROXY_PID
mptcp_bg "$SRV" microsocks -i 0.0.0.0 -p 1090
wait_for 10 "microsocks listens" listening "$SRV" 1090
MICRO=$(app_pid "$BG_PID")
ip netns exec "$CLI" nft -f - <<'NFT'
table ip bench_gw {
	chain pre {
		type nat hook prerouting priority dstnat;
		iifname "l0" tcp dport 5201 redirect to :1081;
		iifname "l0" tcp dport 5202 redirect to :1082;
	}
}
NFT
proxy_bg "$CLI" client server $SRV4:1080 transparent 0.0.0.0:1081 allow-client 192.168.1.0/24 \
	pipeline yes
GW1=$PROXY_PID
proxy_bg "$CLI" client server $SRV4:1090 transparent 0.0.0.0:1082 allow-client 192.168.1.0/24
GW2=$PROXY_PID
for p in 5201 5202; do bg "$WEB" iperf3 -s -p $p; done
mptcp_bg "$SRV" iperf3 -s -p 5300
for p in 5201 5202; do wait_for 10 "iperf3 :$p" listening "$WEB" $p; done
wait_for 10 "iperf3 :5300" listening "$SRV" 5300

# iperf3 NS ARGS...: received bits per second of a -R run
iperf() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" -R -t "$SECS" -J | jq '.end.sum_received.bits_per_second'
}
cpu_of() { local s=0 p; for p in "$@"; do s=$((s + $(cpu_us "$p"))); done; echo $s; }
# cores per Gbit/s: CPU µs over the run / run µs / (bits/s / 1e9)
per_gbps() { awk -v c="$1" -v t="$SECS" -v b="$2" 'BEGIN { printf "%.3f", c / (t * 1e6) / (b / 1e9) }'; }

log "throughput ($RATE per path, ${SECS}s each)"
direct=$(iperf "$CLI" env MPSTEER_PRELOAD="$PRELOAD" "$MPSTEER" run -- iperf3 -c $SRV4 -p 5300)
c0=$(cpu_of "$GW1" "$SOCKS")
pair=$(iperf "$LAN" iperf3 -c $WEB4 -p 5201)
cpu_pair=$(( $(cpu_of "$GW1" "$SOCKS") - c0 ))
c0=$(cpu_of "$GW2" "$MICRO")
micro=$(iperf "$LAN" iperf3 -c $WEB4 -p 5202)
cpu_micro=$(( $(cpu_of "$GW2" "$MICRO") - c0 ))

# The target of the SOCKS connections: accepts everything and holds it, idle.
bg "$WEB" python3 -c '
import socket
l = socket.create_server(("0.0.0.0", 7000), backlog=4096)
held = []
while True:
    c, _ = l.accept()
    held.append(c)
    if len(held) > 2000:
        held.pop(0).close()
'
wait_for 10 "the idle sink :7000" listening "$WEB" 7000
# socks_load.py idle PORT N | rate PORT SECONDS: MPTCP SOCKS clients from the gateway namespace.
cat >"$TMP/socks_load.py" <<'PY'
import socket, sys, time
mode, port, arg = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
req = bytes([5, 1, 0, 1, 10, 8, 0, 2, 0x1b, 0x58])  # CONNECT 10.8.0.2:7000

def handshake():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    s.connect(("10.9.0.2", port))
    s.sendall(b"\x05\x01\x00")
    assert s.recv(2) == b"\x05\x00"
    s.sendall(req)
    r = b""
    while len(r) < 10:
        r += s.recv(10 - len(r))
    assert r[1] == 0, r
    return s

if mode == "idle":
    held = [handshake() for _ in range(int(arg))]
    print("ready", flush=True)
    sys.stdin.readline()
else:
    n, end = 0, time.time() + arg
    while time.time() < end:
        handshake().close()
        n += 1
    print(n / arg)
PY
idle_kb() { # PID PORT: VmRSS growth per idle connection, in bytes
	local pid=$1 port=$2 before after fifo fd
	before=$(rss_kb "$pid")
	fifo=$TMP/idle-$port
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	ip netns exec "$CLI" python3 "$TMP/socks_load.py" idle "$port" "$N" <"$fifo" >"$fifo.out" &
	local py=$!
	wait_for 120 "$N idle connections on :$port" grep -q ready "$fifo.out"
	after=$(rss_kb "$pid")
	echo x >&"$fd"
	exec {fd}>&-
	wait "$py" || true
	awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }'
}
log "memory per idle connection ($N connections)"
mem_socks=$(idle_kb "$SOCKS" 1080)
mem_micro=$(idle_kb "$MICRO" 1090)
log "connection setup rate (${MSECS}s each)"
rate_socks=$(ip netns exec "$CLI" python3 "$TMP/socks_load.py" rate 1080 "$MSECS")
rate_micro=$(ip netns exec "$CLI" python3 "$TMP/socks_load.py" rate 1090 "$MSECS")

mbit() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
printf '\n%-52s %14s %14s %8s\n' "" "mpsteer" "compared" "ratio"
printf '%-52s %14s %14s %8s\n' "download, converter pair vs direct MPTCP (Mbit/s)" \
	"$(mbit "$pair")" "$(mbit "$direct")" "$(ratio "$pair" "$direct")"
printf '%-52s %14s %14s %8s\n' "download, pair: mpsteer socks vs microsocks (Mbit/s)" \
	"$(mbit "$pair")" "$(mbit "$micro")" "$(ratio "$pair" "$micro")"
printf '%-52s %14s %14s %8s\n' "CPU of both converters (cores per Gbit/s)" \
	"$(per_gbps "$cpu_pair" "$pair")" "$(per_gbps "$cpu_micro" "$micro")" \
	"$(ratio "$(per_gbps "$cpu_pair" "$pair")" "$(per_gbps "$cpu_micro" "$micro")")"
printf '%-52s %14s %14s %8s\n' "SOCKS server memory per idle connection (bytes)" \
	"$mem_socks" "$mem_micro" "$(ratio "$mem_socks" "$mem_micro")"
printf '%-52s %14.0f %14.0f %8s\n' "SOCKS connection setups per second (sequential)" \
	"$rate_socks" "$rate_micro" "$(ratio "$rate_socks" "$rate_micro")"
echo "(compared: direct MPTCP for the first row, microsocks 1.0.3 on MPTCP for the others)"
