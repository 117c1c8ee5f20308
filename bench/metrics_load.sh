#!/usr/bin/env bash
# bench/metrics_load.sh [N=500] [M=400]: what the Prometheus listener costs the daemon.
# With N idle MPTCP connections (each with a subflow per uplink) managed by mpsteerd, M
# control-socket round trips ("status", the CLI's request) are timed in three arms side
# by side: nobody scrapes; a scraper fetching /metrics back to back; every scraper slot
# held by an idle client plus a client sending garbage. Prints median and p99 of the
# round trip, their ratio to the first arm, and the time of one scrape.
set -eu
. "$(dirname "$0")/lib.sh"
N=${1:-500}
M=${2:-400}
bench_init
command -v python3 >/dev/null || skip "python3 is needed for the clients"
bench_topo 2
ip netns exec "$CLI" sysctl -qw net.core.somaxconn=4096
ip netns exec "$SRV" sysctl -qw net.core.somaxconn=4096
client_conf
printf '[daemon]\nmetrics_listen = 127.0.0.1:9773\n' >>"$TMP/mpsteerd.conf"
ip -n "$SRV" mptcp limits set subflows 8
daemon_up "$CLI" "$TMP/mpsteerd.conf"

# N idle connections: one python process holds both ends (MPTCP sockets, IPPROTO 262).
cat >"$TMP/hold.py" <<'PY'
import socket, sys, time
role, n = sys.argv[1], int(sys.argv[2])
if role == "server":
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("10.9.0.2", 7000)); l.listen(4096)
    held = [l.accept()[0] for _ in range(n)]
else:
    held = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
        s.connect(("10.9.0.2", 7000)); s.sendall(b"x"); held.append(s)
print("ready", flush=True)
time.sleep(3600)
PY
bg "$SRV" python3 "$TMP/hold.py" server "$N" >"$TMP/srv.out"
wait_for 10 "server listening" listening "$SRV" 7000
bg "$CLI" python3 "$TMP/hold.py" client "$N" >"$TMP/cli.out"
wait_for 60 "$N connections open" grep -q ready "$TMP/cli.out"
subflows() { mps "$CLI" --direct -j conns | jq '[.[].subflows[] | select(.state == "ESTAB")] | length'; }
wait_ge 120 "$N connections with 2 subflows" $((2 * N)) subflows

# rtt M: M status round trips on fresh control connections, one latency (us) per line.
cat >"$TMP/rtt.py" <<'PY'
import os, socket, sys, time
path = "%s/mpsteerd-%d.sock" % (os.environ["MPSTEER_RUNDIR"], os.stat("/proc/self/ns/net").st_ino)
for _ in range(int(sys.argv[1])):
    t = time.monotonic()
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(path)
    s.sendall(b'{"v":1,"cmd":"status"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(65536)
    s.close()
    print(int((time.monotonic() - t) * 1e6))
PY
# scrape: GETs /metrics back to back until killed; one scrape time (us) per line.
cat >"$TMP/scrape.py" <<'PY'
import socket, sys, time
mode = sys.argv[1]
if mode == "loop":
    while True:
        t = time.monotonic()
        s = socket.create_connection(("127.0.0.1", 9773))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        while s.recv(65536):
            pass
        s.close()
        print(int((time.monotonic() - t) * 1e6), flush=True)
held = [socket.create_connection(("127.0.0.1", 9773)) for _ in range(8)]
g = socket.create_connection(("127.0.0.1", 9773))
while True:  # garbage, and the slots re-taken as the daemon times them out
    try:
        g.sendall(b"\x16\x03\x01" * 100)
    except OSError:
        g = socket.create_connection(("127.0.0.1", 9773))
    for i, s in enumerate(held):
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                raise OSError
        except BlockingIOError:
            pass
        except OSError:
            held[i] = socket.create_connection(("127.0.0.1", 9773))
    time.sleep(0.05)
PY

declare -A med p99
arm() {
	local name=$1 pid=
	shift
	if [ $# -gt 0 ]; then
		bg "$CLI" python3 "$TMP/scrape.py" "$@" >"$TMP/$name.scrapes"
		pid=$BG_PID
		[ "$1" = loop ] && wait_for 10 "scrapes running" test -s "$TMP/$name.scrapes"
	fi
	ip netns exec "$CLI" python3 "$TMP/rtt.py" "$M" >"$TMP/$name.rtt"
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	med[$name]=$(median <"$TMP/$name.rtt")
	p99[$name]=$(pct 99 <"$TMP/$name.rtt")
}
arm idle
arm scraped loop
arm hostile hold
scrapes=$(wc -l <"$TMP/scraped.scrapes")
scrape_med=$(median <"$TMP/scraped.scrapes")
series=$(ip netns exec "$CLI" curl -s http://127.0.0.1:9773/metrics | grep -vc '^#')

echo
echo "mpsteerd with $N connections ($((2 * N)) subflows), $M control round trips per arm"
printf '%-44s %12s %10s %10s\n' arm "median (us)" "p99 (us)" "x idle"
printf '%-44s %12s %10s %10s\n' "nobody scrapes" "${med[idle]}" "${p99[idle]}" 1.00
printf '%-44s %12s %10s %10s\n' "a scraper back to back ($scrapes scrapes)" "${med[scraped]}" \
	"${p99[scraped]}" "$(ratio "${med[scraped]}" "${med[idle]}")"
printf '%-44s %12s %10s %10s\n' "8 idle scrapers + garbage" "${med[hostile]}" \
	"${p99[hostile]}" "$(ratio "${med[hostile]}" "${med[idle]}")"
echo "one scrape: median $scrape_med us for $series series"
