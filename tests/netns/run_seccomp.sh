#!/usr/bin/env bash
# `mpsteer run` (seccomp mode) puts unmodified clients on MPTCP: dynamic C, static C, Go, python3.
#
#   CLI: mpsteer run -- CLIENT                 SRV: MPTCP echo server (mps-testprog serve)
#   +-------------------------+                +-------------------------+
#   | c0 10.77.1.1/24         |---- veth ------| s0 10.77.1.2/24         |
#   |    fd00:77::1/64        |                |    fd00:77::2/64        |
#   +-------------------------+                +-------------------------+
#
# Inside: every client prints SO_PROTOCOL of its socket (262 = MPTCP), from the main thread, a
# pthread and a forked child for the C programs; UDP and Unix sockets keep 17 / 0; the
# SOCK_NONBLOCK / SOCK_CLOEXEC flags survive. Outside: the server's MPCapableSYNRX counter grows
# by exactly the number of connections, `ss -M` and `mpsteer conns` list a held connection
# (owned by the program, not by the supervisor). The data comes back
# intact (sha256). Exit statuses pass through; signals sent to mpsteer reach CMD; mpsteer waits
# for orphaned grandchildren; a CMD that moves to another netns gets its sockets there; an i386
# program (when gcc-multilib is there) runs unharmed and unconverted.
set -eu
TEST_NAME=run-seccomp
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"
run_init
run_progs
run_topology

bg "$SRV" "$TP" serve 5000 mptcp
wait_for 5 "echo server listening" listening "$SRV" 5000
head -c 1500000 /dev/urandom >"$TMP/in"
want=$(sha "$TMP/in")
syn0=$(mptcp_counter "$SRV" MPCapableSYNRX)
conns=0

run_cli() {
	ip netns exec "$CLI" "$MPSTEER" run --summary -- "$@"
}

# C, dynamic and static: main thread, pthread, forked child.
for prog in "$TP" "$TPS"; do
	name=$(basename "$prog")
	run_cli "$prog" multi "$SRV4" 5000 "$TMP/in" "$TMP/out-$name" \
		>"$TMP/$name.txt" 2>"$TMP/$name.err" || fail "$name failed: $(cat "$TMP/$name.err")"
	for tag in main thread child; do
		check "$name $tag: SO_PROTOCOL" 262 "$(proto_of "$TMP/$name.txt" $tag)"
		check "$name $tag: data echoed intact" "$want" "$(sha "$TMP/out-$name.$tag")"
	done
	check "$name: summary" "3 converted to MPTCP, 0 fell back to TCP, 0 left alone" \
		"$(sed -n 's/.*sockets: //p' "$TMP/$name.err")"
	conns=$((conns + 3))
done

if [ -n "$GOC" ]; then
	run_cli "$GOC" "$SRV4" 5000 "$TMP/in" "$TMP/out-go" >"$TMP/go.txt" 2>"$TMP/go.err" ||
		fail "Go client failed: $(cat "$TMP/go.err")"
	check "Go: SO_PROTOCOL" 262 "$(proto_of "$TMP/go.txt" main)"
	check "Go: data echoed intact" "$want" "$(sha "$TMP/out-go")"
	conns=$((conns + 1))
fi

# python3 over IPv6: AF_INET6 is converted too.
run_cli python3 "$PYC" "$SRV6" 5000 "$TMP/in" "$TMP/out-py" >"$TMP/py.txt" 2>"$TMP/py.err" ||
	fail "python3 client failed: $(cat "$TMP/py.err")"
check "python3 (IPv6): SO_PROTOCOL" 262 "$(proto_of "$TMP/py.txt" main)"
check "python3 (IPv6): data echoed intact" "$want" "$(sha "$TMP/out-py")"
conns=$((conns + 1))

check "server saw an MP_CAPABLE SYN per connection" "$conns" \
	$(($(mptcp_counter "$SRV" MPCapableSYNRX) - syn0))
check "no fallback to TCP on the server" 0 "$(mptcp_counter "$SRV" MPCapableFallbackACK)"

# Other sockets untouched, flags kept.
run_cli "$TPS" kinds >"$TMP/kinds.txt" 2>/dev/null
check "UDP untouched" 17 "$(proto_of "$TMP/kinds.txt" udp)"
check "Unix stream untouched" 0 "$(proto_of "$TMP/kinds.txt" unix)"
check "Unix datagram untouched" 0 "$(proto_of "$TMP/kinds.txt" unixdgram)"
check "SOCK_NONBLOCK|SOCK_CLOEXEC kept" "tcp6flags proto=262 nonblock=1 cloexec=1" \
	"$(grep tcp6flags "$TMP/kinds.txt")"
check "no flags stays no flags" "tcpplain proto=262 nonblock=0 cloexec=0" \
	"$(grep tcpplain "$TMP/kinds.txt")"
check "IPPROTO_TCP converted" 262 "$(proto_of "$TMP/kinds.txt" tcpexplicit)"

# Seen from outside while it lives; SIGTERM sent to mpsteer reaches CMD: 128+15.
bg "$CLI" "$MPSTEER" run -- "$TPS" hold "$SRV4" 5000 >"$TMP/hold.txt"
hold_pid=$BG_PID
held() {
	ip netns exec "$CLI" ss -HMn state established 'dport = :5000' | grep . >/dev/null
}
wait_for 5 "held connection visible in ss -M" held
check "ss -M: one MPTCP connection to the server" 1 \
	"$(ip netns exec "$CLI" ss -HMn state established 'dport = :5000' | wc -l)"
# mpsteer conns: the connection belongs to the program (the fd lives in its table), not to
# the supervisor that created it.
prog_pid=$(pgrep -P "$hold_pid")
ip netns exec "$CLI" "$MPSTEER" -j conns >"$TMP/conns.json"
check "conns -j: MPTCP connection owned by the program, no fallback" "$prog_pid false" \
	"$(jq -r --arg peer "$SRV4:5000" '.[] | select(.remote == $peer) | "\(.pid) \(.fallback)"' \
		"$TMP/conns.json")"
kill -TERM "$hold_pid"
rc=0
wait "$hold_pid" || rc=$?
check "SIGTERM forwarded, status 128+15" 143 "$rc"

# CMD exited (status 3) but left a background child: a SIGTERM to mpsteer reaches that orphan,
# and mpsteer ends with CMD's status instead of ignoring the signal while it waits.
# In the test's namespace, through bg: the cleanup ends it (and its orphan) whatever happens.
bg "$CLI" "$MPSTEER" run -- sh -c 'sleep 300 & echo $! >"$1"; exit 3' sh "$TMP/orphan.pid"
sup=$BG_PID
wait_for 5 "the orphan is running" test -s "$TMP/orphan.pid"
orphan=$(cat "$TMP/orphan.pid")
ppid_of() { ps -o ppid= -p "$1" | tr -d ' '; }
wait_eq 5 "the orphan is the supervisor's child" "$sup" ppid_of "$orphan"
kill -TERM "$sup"
ended() { local st; st=$(ps -o stat= -p "$1"); [ -z "$st" ] || [[ $st == Z* ]]; }
wait_for 10 "mpsteer ends on SIGTERM after CMD exited" ended "$sup"
rc=0
wait "$sup" || rc=$?
check "SIGTERM after CMD exited ends its orphans; status is CMD's" 3 "$rc"
check_true "the orphan is gone" bash -c "! kill -0 $orphan 2>/dev/null"

# CMD keeps the soft fd limit it was given: the supervisor raises only its own (a raised one
# breaks programs that select() or close every fd up to the limit).
check "soft RLIMIT_NOFILE passed through" 256 \
	"$(ulimit -Sn 256 && run_cli sh -c 'ulimit -Sn' 2>/dev/null)"

# A program's invalid socket() flags get the kernel's own EINVAL, and no false warning that
# the kernel cannot hand sockets over.
run_cli python3 -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM | 0x100)
except OSError as e:
    print("errno", e.errno)' >"$TMP/badflags.txt" 2>"$TMP/badflags.err"
check "invalid flags: the kernel's EINVAL" "errno 22" "$(cat "$TMP/badflags.txt")"
check "invalid flags: no ADDFD warning" 0 \
	"$(count 'cannot hand over' cat "$TMP/badflags.err")"

# Exit statuses.
rc=0; run_cli "$TPS" exit 3 2>/dev/null || rc=$?
check "exit status passed through" 3 "$rc"
rc=0; run_cli "$TP" selfkill 9 2>/dev/null || rc=$?
check "killed by SIGKILL: 128+9" 137 "$rc"
rc=0; run_cli /nonexistent/prog 2>/dev/null || rc=$?
check "command not found: 127" 127 "$rc"

# A grandchild orphaned by its shell is waited for, and converted.
run_cli sh -c "'$TPS' client $SRV4 5000 '$TMP/in' '$TMP/out-orphan' >'$TMP/orphan.txt' & exit 0" \
	2>"$TMP/orphan.err"
check "orphaned grandchild: finished before mpsteer returned" "$want" "$(sha "$TMP/out-orphan")"
check "orphaned grandchild: SO_PROTOCOL" 262 "$(proto_of "$TMP/orphan.txt" main)"

# CMD that enters another netns: its socket must be made there (127.0.0.1:5000 exists only
# in SRV).
run_cli ip netns exec "$SRV" "$TPS" client 127.0.0.1 5000 "$TMP/in" "$TMP/out-ns" \
	>"$TMP/ns.txt" 2>"$TMP/ns.err" ||
	fail "client in another netns failed: $(cat "$TMP/ns.err")"
check "socket created in the caller's netns: SO_PROTOCOL" 262 "$(proto_of "$TMP/ns.txt" main)"
check "socket created in the caller's netns: data" "$want" "$(sha "$TMP/out-ns")"

# A 32-bit (i386) program is not converted (documented limit) but must run unharmed: the
# filter allows foreign architectures instead of killing them.
if printf 'int main(void){return 0;}' | cc -m32 -x c - -o "$TMP/probe32" 2>/dev/null; then
	cc -m32 -O2 -pthread -o "$TMP/tp32" "$PROGS_SRC/mps_testprog.c"
	run_cli "$TMP/tp32" kinds >"$TMP/kinds32.txt" 2>/dev/null || fail "i386 program failed"
	check "i386 program: runs, keeps plain TCP" 6 "$(proto_of "$TMP/kinds32.txt" tcpplain)"
else
	log "NOTE: no -m32 toolchain (gcc-multilib): i386 programs not covered"
fi

log "PASS ($CHECKS checks)"
