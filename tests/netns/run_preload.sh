#!/usr/bin/env bash
# `mpsteer run --mode preload`: the LD_PRELOAD light mode.
#
#   CLI: mpsteer run --mode preload -- CLIENT  SRV: MPTCP echo server
#   +-------------------------+                +-------------------------+
#   | c0 10.77.1.1/24         |---- veth ------| s0 10.77.1.2/24         |
#   |    fd00:77::1/64        |                |    fd00:77::2/64        |
#   +-------------------------+                +-------------------------+
#
# Dynamic C (main thread, pthread, forked child) and python3 get MPTCP; UDP/Unix untouched and
# flags kept; the static binary is NOT converted (documented limit) and mpsteer says so; Go
# 1.19 is not converted either (GODEBUG=multipathtcp=1 needs Go 1.21+). The environment the
# program had is kept (LD_PRELOAD and GODEBUG are extended, not replaced); exit statuses pass.
set -eu
TEST_NAME=run-preload
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"
run_init
run_progs
run_topology

bg "$SRV" "$TP" serve 5000 mptcp
wait_for 5 "echo server listening" listening "$SRV" 5000
head -c 1000000 /dev/urandom >"$TMP/in"
want=$(sha "$TMP/in")
syn0=$(mptcp_counter "$SRV" MPCapableSYNRX)

run_pre() {
	ip netns exec "$CLI" env MPSTEER_PRELOAD="$PRELOAD" "$MPSTEER" run --mode preload "$@"
}

run_pre --summary -- "$TP" multi "$SRV4" 5000 "$TMP/in" "$TMP/out-c" >"$TMP/c.txt" 2>"$TMP/c.err" ||
	fail "dynamic C failed: $(cat "$TMP/c.err")"
for tag in main thread child; do
	check "dynamic C $tag: SO_PROTOCOL" 262 "$(proto_of "$TMP/c.txt" $tag)"
	check "dynamic C $tag: data echoed intact" "$want" "$(sha "$TMP/out-c.$tag")"
done
check "dynamic C: summary" "3 converted to MPTCP, 0 fell back to TCP, 0 left alone" \
	"$(sed -n 's/.*sockets: //p' "$TMP/c.err")"

run_pre --verbose -- python3 "$PYC" "$SRV6" 5000 "$TMP/in" "$TMP/out-py" >"$TMP/py.txt" \
	2>"$TMP/py.err" || fail "python3 failed: $(cat "$TMP/py.err")"
check "python3 (IPv6): SO_PROTOCOL" 262 "$(proto_of "$TMP/py.txt" main)"
check "python3 (IPv6): data echoed intact" "$want" "$(sha "$TMP/out-py")"
check "python3: --verbose logged the conversion" 1 \
	"$(grep -c 'AF_INET6, SOCK_STREAM.*-> MPTCP' "$TMP/py.err")"

# Reports never block the program: with the supervisor stopped, 300 socket() calls still
# finish (the report queue holds net.unix.max_dgram_qlen datagrams); what was dropped is counted
# and told with a later report (here the one sent at exit, once the supervisor reads again).
mkfifo "$TMP/go"
exec 9<>"$TMP/go"
py_many='import socket, sys
sys.stdin.readline()
for i in range(300):
    socket.socket().close()
print("done", flush=True)
sys.stdin.readline()'
ip netns exec "$CLI" env MPSTEER_PRELOAD="$PRELOAD" "$MPSTEER" run --mode preload --summary -- \
	python3 -c "$py_many" <"$TMP/go" >"$TMP/many.out" 2>"$TMP/many.err" &
sup=$!
_PIDS+=("$sup")
wait_for 5 "python3 started under the supervisor" pgrep -P "$sup" python3
kill -STOP "$sup"
echo go >&9
wait_for 20 "300 sockets made while the supervisor is stopped" grep -q done "$TMP/many.out"
kill -CONT "$sup"
echo exit >&9
rc=0; wait "$sup" || rc=$?
check "stalled supervisor: program exit status" 0 "$rc"
sum=$(sed -n 's/.*sockets: //p' "$TMP/many.err")
conv=$(sed -E 's/^([0-9]+) converted.*/\1/' <<<"$sum")
lost=$(sed -nE 's/.* ([0-9]+) more not reported.*/\1/p' <<<"$sum")
log "stalled supervisor: $conv reported, ${lost:-0} dropped and counted ($sum)"
check "stalled supervisor: some reports were dropped" true "$([ "${lost:-0}" -gt 0 ] && echo true)"
check "stalled supervisor: reported + dropped = 300" 300 $((conv + ${lost:-0}))

# Documented limit: a static binary never loads the library.
run_pre --summary -- "$TPS" client "$SRV4" 5000 "$TMP/in" "$TMP/out-static" >"$TMP/static.txt" \
	2>"$TMP/static.err" || fail "static C failed: $(cat "$TMP/static.err")"
check "static C: NOT converted in preload mode" 6 "$(proto_of "$TMP/static.txt" main)"
check "static C: still works" "$want" "$(sha "$TMP/out-static")"
check "static C: mpsteer warned about it" 1 "$(grep -c 'statically linked' "$TMP/static.err")"

if [ -n "$GOC" ]; then
	run_pre -- "$GOC" "$SRV4" 5000 "$TMP/in" "$TMP/out-go" >"$TMP/go.txt" 2>/dev/null ||
		fail "Go client failed"
	gover=$(go env GOVERSION | sed 's/^go//')
	# GODEBUG=multipathtcp=1 is honoured from Go 1.21 on; Debian 12 ships 1.19.
	if printf '1.21\n%s\n' "$gover" | sort -V -C; then expect=262; else expect=6; fi
	check "Go $gover in preload mode: SO_PROTOCOL" "$expect" "$(proto_of "$TMP/go.txt" main)"
	check "Go: still works" "$want" "$(sha "$TMP/out-go")"
fi

check "server saw MP_CAPABLE only from the converted programs" 4 \
	$(($(mptcp_counter "$SRV" MPCapableSYNRX) - syn0))

run_pre -- "$TP" kinds >"$TMP/kinds.txt"
check "UDP untouched" 17 "$(proto_of "$TMP/kinds.txt" udp)"
check "Unix stream untouched" 0 "$(proto_of "$TMP/kinds.txt" unix)"
check "SOCK_NONBLOCK|SOCK_CLOEXEC kept" "tcp6flags proto=262 nonblock=1 cloexec=1" \
	"$(grep tcp6flags "$TMP/kinds.txt")"
check "IPPROTO_TCP converted" 262 "$(proto_of "$TMP/kinds.txt" tcpexplicit)"

# The program's own environment is extended, not replaced.
lib=$(realpath "$PRELOAD")
check "existing LD_PRELOAD kept after ours" "$lib:/nonexistent.so" \
	"$(LD_PRELOAD=/nonexistent.so run_pre -- sh -c 'echo $LD_PRELOAD' 2>/dev/null)"
check "existing GODEBUG kept" "http2debug=1,multipathtcp=1" \
	"$(GODEBUG=http2debug=1 run_pre -- sh -c 'echo $GODEBUG')"
check "an explicit multipathtcp setting is respected" "multipathtcp=0" \
	"$(GODEBUG=multipathtcp=0 run_pre -- sh -c 'echo $GODEBUG')"

# Exit statuses, with CMD exec'd directly and under the --summary supervisor.
rc=0; run_pre -- "$TP" exit 3 || rc=$?
check "exit status passed through" 3 "$rc"
rc=0; run_pre --summary -- "$TP" exit 4 2>/dev/null || rc=$?
check "exit status passed through (supervised)" 4 "$rc"
rc=0; run_pre --summary -- "$TP" selfkill 15 2>/dev/null || rc=$?
check "killed by SIGTERM: 128+15" 143 "$rc"

log "PASS ($CHECKS checks)"
