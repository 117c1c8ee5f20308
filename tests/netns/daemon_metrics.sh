#!/usr/bin/env bash
# mpsteerd's Prometheus endpoint: curl's scrape parses strictly as the text
# exposition format, its counters equal `mpsteer -j status`, `mpsteer metrics`
# says the same; clients that send nothing, send garbage, or come too many at
# once are refused or timed out and never stall the daemon.
#
#   client ns (mpsteerd, metrics_listen = 127.0.0.1:9773)    router    server ns
#   c1 10.1.1.2 ---- r1 ----+                                           (mpsteerd)
#   c2 10.1.2.2 ---- r2 ----+---- r0 10.9.0.1 ---- s0 10.9.0.2   ncat -l -k :8080
#   3 idle ncat connections, each with a subflow per path.
set -eu
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
command -v curl >/dev/null || skip "curl is not installed"
PARSE="$(dirname "$0")/prom_parse.py"
daemon_topo 2

cat >"$TMP/client.conf" <<'EOF2'
[daemon]
metrics_listen = 127.0.0.1:9773
[interfaces]
allow = c*
[routing]
source_routing = yes
[steering]
policy = handover
[handover]
prefer = c2
EOF2
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
printf '[daemon]\nmetrics_listen = 127.0.0.1\n' >"$TMP/bad.conf"
out=$("$MPSTEERD" -n -c "$TMP/bad.conf" 2>&1) && fail "a metrics_listen without port was taken"
check "a bad metrics_listen is refused naming file:line" true \
	"$(grep -q "bad.conf:2: bad value '127.0.0.1' for key 'metrics_listen'" <<<"$out" && echo true)"

daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
ncat_sink "$SRV" 8080 "$TMP/sink.out"
for i in 1 2 3; do ncat_hold "$CLI" $SRV4 8080 "hello $i"; done
full() { kconns "$CLI" | jq '[.[] | select([.subflows[] | select(.state == "ESTAB")] | length == 2)] | length'; }
wait_eq 20 "3 connections with 2 established subflows" 3 full

scrape() { ip netns exec "$CLI" curl -sS --max-time 5 http://127.0.0.1:9773/metrics; }
scrape >"$TMP/m1.txt"
"$PARSE" <"$TMP/m1.txt" >"$TMP/m1.json" || fail "the scrape is not valid exposition text"
mps "$CLI" -j status >"$TMP/status.json"
scrape | "$PARSE" >"$TMP/m2.json"
m() { jq -r --arg k "$2" '.[$k] // "missing"' "$TMP/$1.json"; }
s() { jq -r ".$1" "$TMP/status.json"; }
for pair in events_total:events subflows_created_total:subflows_created \
	subflows_failed_total:subflows_failed subflows_retried_total:subflows_retried \
	connections_established_total:conns_established connections_adopted_total:adopted \
	resyncs_total:resyncs announces_total:announced; do
	name=mpsteerd_${pair%%:*} key=${pair#*:}
	# Idle: the two scrapes agree, so the status taken between them must too.
	check "$name is stable while idle" "$(m m1 "$name")" "$(m m2 "$name")"
	check "$name = status .$key" "$(s "$key")" "$(printf '%.0f' "$(m m1 "$name")")"
done
# handover makes c2 the primary of each connection: 3 decisions, counted the same both ways.
wait_eq 10 "3 handover decisions" 3 \
	sh -c "ip netns exec $CLI $MPSTEER -j status | jq .steering.policies.handover.decisions"
scrape | "$PARSE" >"$TMP/m1.json"
mps "$CLI" -j status >"$TMP/status.json"
check "the decisions by reason add up" 3 \
	"$(jq '[to_entries[] | select(.key | startswith("mpsteerd_steering_decision_reasons_total{policy=handover,")) | .value] | add' "$TMP/m1.json")"
for pol in $(jq -r '.steering.policies | keys[]' "$TMP/status.json"); do
	check "decisions of steering policy $pol = status" \
		"$(jq ".steering.policies[\"$pol\"].decisions" "$TMP/status.json")" \
		"$(printf '%.0f' "$(m m1 "mpsteerd_steering_decisions_total{policy=$pol}")")"
done
check "connections by policy and state add up to status .connections" "$(s connections)" \
	"$(jq '[to_entries[] | select(.key | startswith("mpsteerd_connections{")) | .value] | add' \
	"$TMP/m1.json")"
check "3 established client connections under per-interface" 3 \
	"$(m m1 'mpsteerd_connections{policy=per-interface,state=established}')"
check "one established subflow on c2 per connection" 3 \
	"$(m m1 'mpsteerd_subflows{interface=c2,state=established}')"
# Bytes on c1 and c2: the greetings (at least 3 x "hello N\n") went out on the subflows.
check "bytes sent on the subflows add up to what the connections sent" \
	"$(kconns "$CLI" | jq '[.[].subflows[].bytes_acked] | add')" \
	"$(jq '[to_entries[] | select(.key | startswith("mpsteerd_subflow_sent_bytes{")) | .value] | add' \
	"$TMP/m1.json")"
mps "$CLI" metrics | "$PARSE" >"$TMP/m3.json" || fail "mpsteer metrics is not valid exposition text"
check "mpsteer metrics has the same series" "$(jq -c keys "$TMP/m1.json")" "$(jq -c keys "$TMP/m3.json")"
check "mpsteer -j metrics has every sample" "$(jq length "$TMP/m3.json")" \
	"$(mps "$CLI" -j metrics | jq length)"
check "-n NS after the command finds that namespace's daemon" "$(s pid)" \
	"$("$MPSTEER" status -j -n "$CLI" | jq .pid)"

# status_ok: the daemon answers its control socket (each call bounded by the CLI's own
# reply wait); polled, never timed.
status_ok() { mps "$CLI" -j status | jq -e '.pid' >/dev/null; }

# Bad clients, held open by one python process each: idle ones, a garbage one, a slow one.
# hold N MODE: N connections that send nothing (idle) or garbage; prints what each got.
hold() {
	ip netns exec "$CLI" python3 -c '
import socket, sys, time
n, mode = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", 9773), timeout=10)
    if mode == "garbage":
        s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 40)
    socks.append(s)
print("connected", flush=True)
for s in socks:
    try:
        got = s.recv(200)
    except socket.timeout:
        got = b"(nothing within 10 s)"
    print(repr(got[:40]), flush=True)
' "$@"
}
hold 1 garbage >"$TMP/garbage.out" &
_PIDS+=("$!")
wait_for 10 "the garbage client got its answer" grep -q "HTTP/1.1 400" "$TMP/garbage.out"
check_true "the daemon answers while a garbage client is connected" status_ok

hold 8 idle >"$TMP/idle.out" &
idle=$!
_PIDS+=("$idle")
wait_for 10 "8 idle scrapers connected" grep -q connected "$TMP/idle.out"
check_true "the daemon answers while 8 idle scrapers hold every slot" status_ok
busy=$(ip netns exec "$CLI" curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
	http://127.0.0.1:9773/metrics || true)
check "a ninth scraper is refused at once" 503 "$busy"
wait_for 20 "the idle scrapers are closed by their timeout" \
	bash -c "[ \$(grep -c \"^b''\" $TMP/idle.out) = 8 ]"
scrape | "$PARSE" >"$TMP/m4.json"
check "the timeouts are counted" 8 "$(m m4 'mpsteerd_metrics_refused_total{reason=timeout}')"
check "the refusal is counted" 1 "$(m m4 'mpsteerd_metrics_refused_total{reason=busy}')"
check "the garbage is counted" 1 "$(m m4 'mpsteerd_metrics_refused_total{reason=bad_request}')"
code=$(ip netns exec "$CLI" curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
	http://127.0.0.1:9773/other)
check "another path is 404" 404 "$code"
check "the connections were never disturbed" 3 "$(full)"
log "$CHECKS checks passed"
