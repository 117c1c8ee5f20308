#!/usr/bin/env bash
# kill -9 of the client's mpsteerd at 20 random points of a busy run (a transfer, four idle
# connections, a churn of short ones), restarted each time: no connection is lost, every
# long-lived one is adopted by each new daemon, and at the end its view equals the kernel's.
#
#   client ns (mpsteerd, killed and restarted)               server ns (mpsteerd)
#   c1 10.1.1.2, c2 10.1.2.2 ---- router ---- s0 10.9.0.2
#   ncat < stream (until the kills end)                      ncat -l -k :9000 > file
#   ncat x 4, idle                                           ncat -l -k :8080
#   churn.py: short MPTCP connections, one after another     close.py :8081
#   (the ncats unmodified, on MPTCP by mpsteer run; tbf 20mbit on c1 and c2)
set -eu
. "$(dirname "$0")/daemon_lib.sh"
daemon_test_init 2
KILLS=${KILLS:-20}
shape_paths 20mbit
printf '[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n' >"$TMP/client.conf"
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
CPID=$DPID

cat >"$TMP/churn.py" <<'PY'
import os, socket, sys, time
n = 0
while not os.path.exists(sys.argv[2]):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    try:
        s.connect((sys.argv[1], 8081))
        n += 1
    except OSError:
        pass
    s.close()
    time.sleep(0.01)
print(n, flush=True)
PY
close_server "$SRV" 8081
ncat_sink "$SRV" 8080 "$TMP/held.out"
fifos=()
for i in 1 2 3 4; do
	ncat_hold "$CLI" $SRV4 8080 "hello $i"
	fifos+=("${HOLD_OUT%.out}")
done
stream_start "$TMP/kills.done"
wait_eq 10 "the 4 idle connections are up" 4 count '^hello [1-4]$' cat "$TMP/held.out"
wait_for 10 "the transfer runs" test -s "$TMP/recv"
bg "$CLI" python3 "$TMP/churn.py" $SRV4 "$TMP/kills.done" >"$TMP/churn.out"
CHURN=$BG_PID
# The five long-lived connections, by the kernel (the churn's come and go).
long_lived() {
	kconns "$CLI" | jq -c '[.[] | select(.remote == "10.9.0.2:8080" or .remote == "10.9.0.2:9000")
		| .token] | sort'
}
n_long_lived() { long_lived | jq length; }
wait_eq 10 "5 long-lived connections" 5 n_long_lived
held=$(long_lived)
adopted_by() { # the daemon's tokens among the long-lived ones
	ctl "$CLI" '{"v":1,"cmd":"conns"}' | jq -c --argjson h "$held" \
		'[.conns[].token | select(. as $t | $h | index($t))] | sort'
}

mkfifo "$TMP/never"
exec 9<>"$TMP/never"
adopted=0
for ((k = 1; k <= KILLS; k++)); do
	# A random point, 0.1 to 0.9 s into this daemon's life (a read timeout on a fifo that
	# nobody writes to: not a wait for some state).
	read -r -t "0.$((RANDOM % 9 + 1))" -u 9 _ || :
	kill -9 "$CPID"
	wait "$CPID" 2>/dev/null || :
	daemon_start "$CLI" "$TMP/client.conf"
	CPID=$DPID
	wait_eq 20 "kill $k: the new daemon adopted every long-lived connection" "$held" adopted_by
	adopted=$((adopted + $(dstat "$CLI" adopted)))
done
touch "$TMP/kills.done"
wait "$CHURN" || fail "the churn failed"
churned=$(cat "$TMP/churn.out")

stream_check
for i in 1 2 3 4; do echo "again $i" >"${fifos[$((i - 1))]}"; done
wait_eq 10 "the 4 idle connections still carry data" 4 count '^again [1-4]$' cat "$TMP/held.out"
view_equal 20 "$CLI"
log "$KILLS kill -9 survived: $churned short connections meanwhile, $adopted adoptions by" \
	"the restarted daemons, transfer of $(stat -c %s "$TMP/sent") bytes intact"
check "every restart adopted the long-lived connections at least" 1 $(( adopted >= 5 * KILLS ))
log "PASS ($CHECKS checks)"
