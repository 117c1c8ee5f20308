#!/usr/bin/env bash
# The mptcp_pm module against the real kernel: every userspace-PM command once
# (through the mpsteer primitives), and the events both sides report for it,
# field by field (`mpsteer monitor -j`). Argument: 4 or 6 (address family).
#
#   client (userspace PM)                     server (userspace PM)
#   port 9029 (0x2345)                        listener port 4660 (0x1234)
#   c1 10.0.1.1 / fd00:1::1 ----------------- s1 10.0.1.2 / fd00:1::2
#   c2 10.0.2.1 / fd00:2::1 ----------------- s2 10.0.2.2 / fd00:2::2
#
# Both ports have two different bytes, so a port left in network order shows
# up as 13330 / 17699 instead of 4660 / 9029.
set -eu
. "$(dirname "$0")/lib.sh"
FAM=${1:-4}
TEST_NAME="pm_events-v$FAM"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

cli=$(ns_new mps-pcli)
srv=$(ns_new mps-psrv)
link_pair "$cli" c1 10.0.1.1/24 "$srv" s1 10.0.1.2/24 fd00:1::1/64 fd00:1::2/64
link_pair "$cli" c2 10.0.2.1/24 "$srv" s2 10.0.2.2/24 fd00:2::1/64 fd00:2::2/64
set_pm "$cli" userspace
set_pm "$srv" userspace
if [ "$FAM" = 6 ]; then
	C1=fd00:1::1 C2=fd00:2::1 S1=fd00:1::2 S2=fd00:2::2 ANY=:: FNAME=inet6
	ep() { echo "[$1]:$2"; }
else
	C1=10.0.1.1 C2=10.0.2.1 S1=10.0.1.2 S2=10.0.2.2 ANY=0.0.0.0 FNAME=inet
	ep() { echo "$1:$2"; }
fi

# Monitors first: the server accepts MP_JOINs only while someone listens to events.
bg "$srv" "$MPSTEER" -v -j monitor >"$TMP/srv.ev" 2>"$TMP/srv.err"
bg "$cli" "$MPSTEER" -v -j monitor >"$TMP/cli.ev" 2>"$TMP/cli.err"
wait_for 5 "server monitor ready" grep -q listening "$TMP/srv.err"
wait_for 5 "client monitor ready" grep -q listening "$TMP/cli.err"

# ev FILE EVENT [JQ-FILTER]: the matching events, compact, one per line.
ev() { jq -c "select(.event == \"$2\") ${3:+| select($3)}" "$TMP/$1.ev"; }
nev() { ev "$@" | wc -l; }
# field FILE EVENT FILTER KEYS: "v1 v2 ..." of the first matching event.
field() { ev "$1" "$2" "$3" | head -1 | jq -r "[$4] | map(tostring) | join(\" \")"; }

py_server='
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM, 262)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind((sys.argv[1], 4660)); s.listen(4)
c, _ = s.accept()
while c.recv(65536):
    pass
c.close(); s.close()'
py_client='
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM, 262)
s.bind((sys.argv[1], 9029)); s.connect((sys.argv[2], 4660))
for line in sys.stdin:
    s.sendall(line.encode())
s.close()'

bg "$srv" python3 -c "$py_server" "$ANY"
wait_for 5 "server listening" listening "$srv" 4660
wait_eq 5 "LISTENER_CREATED" 1 nev srv LISTENER_CREATED
check "listener: family saddr sport" "$FNAME $ANY 4660" \
	"$(field srv LISTENER_CREATED . '.family, .saddr, .sport')"

mkfifo "$TMP/cli-in"
exec 7<>"$TMP/cli-in"
# 7>&-: the client must not hold a writer of its own stdin, or it never sees EOF.
bg "$cli" python3 -c "$py_client" "$C1" "$S1" <"$TMP/cli-in" 7>&-
# The client is fully established (its ESTABLISHED event) once data was acked.
echo hello >&7
wait_eq 10 "server ESTABLISHED" 1 nev srv ESTABLISHED
wait_eq 10 "client ESTABLISHED" 1 nev cli ESTABLISHED
stok=$(field srv CREATED . .token)
ctok=$(field cli CREATED . .token)
check "server token = conns token" "$stok" "$(mps "$srv" -j conns | jq '.[0].token')"
check "server CREATED" "$FNAME $S1 4660 $C1 9029 true" \
	"$(field srv CREATED . '.family, .saddr, .sport, .daddr, .dport, .server_side')"
check "client CREATED" "$FNAME $C1 9029 $S1 4660 false" \
	"$(field cli CREATED . '.family, .saddr, .sport, .daddr, .dport, (.server_side // false)')"
check "ESTABLISHED carries the CREATED token" "$ctok" "$(field cli ESTABLISHED . .token)"

# ANNOUNCE (server) -> ANNOUNCED (client); the family is derived by the parser.
mps "$srv" announce token "$stok" addr "$S2" id 7
wait_eq 5 "client ANNOUNCED" 1 nev cli ANNOUNCED
check "ANNOUNCED" "$ctok $FNAME 7 $S2" "$(field cli ANNOUNCED . '.token, .family, .rem_id, .daddr')"

# SUBFLOW_CREATE (client) -> SUB_ESTABLISHED on both sides, ids as given.
mps "$cli" subflow add token "$ctok" local "$C2" id 3 remote "$(ep "$S2" 4660)"
wait_eq 10 "client SUB_ESTABLISHED" 1 nev cli SUB_ESTABLISHED
wait_eq 10 "server SUB_ESTABLISHED" 1 nev srv SUB_ESTABLISHED
sport=$(field cli SUB_ESTABLISHED . .sport)
check "client SUB_ESTABLISHED" "3 7 $C2 $S2 4660 0" \
	"$(field cli SUB_ESTABLISHED . '.loc_id, .rem_id, .saddr, .daddr, .dport, .backup')"
check "server SUB_ESTABLISHED" "7 3 $S2 4660 $C2 $sport" \
	"$(field srv SUB_ESTABLISHED . '.loc_id, .rem_id, .saddr, .sport, .daddr, .dport')"

# SET_FLAGS backup (client) -> the server sees the peer's MP_PRIO.
mps "$cli" backup on token "$ctok" local "$(ep "$C2" "$sport")" remote "$(ep "$S2" 4660)"
wait_eq 5 "server SUB_PRIORITY" 1 nev srv SUB_PRIORITY
check "SUB_PRIORITY" "1 $S2 4660 $C2 $sport" \
	"$(field srv SUB_PRIORITY . '.backup, .saddr, .sport, .daddr, .dport')"

# SUBFLOW_CREATE to a port nobody listens on: accepted, then SUB_CLOSED with ECONNREFUSED.
mps "$cli" subflow add token "$ctok" local "$C2" id 3 remote "$(ep "$S2" 5555)"
wait_eq 5 "refused subflow closed" 1 nev cli SUB_CLOSED '.dport == 5555'
check "refused subflow: error" "111" "$(field cli SUB_CLOSED '.dport == 5555' .error)"

# SUBFLOW_DESTROY (client) -> SUB_CLOSED on both sides for that subflow.
mps "$cli" subflow del token "$ctok" local "$(ep "$C2" "$sport")" remote "$(ep "$S2" 4660)"
wait_eq 5 "server SUB_CLOSED" 1 nev srv SUB_CLOSED
check "server SUB_CLOSED" "$stok $S2 4660 $C2 $sport" \
	"$(field srv SUB_CLOSED . '.token, .saddr, .sport, .daddr, .dport')"

# REMOVE (server) -> REMOVED (client).
mps "$srv" remove token "$stok" id 7
wait_eq 5 "client REMOVED" 1 nev cli REMOVED
check "REMOVED" "$ctok 7" "$(field cli REMOVED . '.token, .rem_id')"

# Errors keep the kernel's words.
out=$(mps "$cli" backup on token 12345 local "$(ep "$C1" 9029)" remote "$(ep "$S1" 4660)" 2>&1) &&
	fail "bad token accepted"
check "bad token: kernel text" 1 "$(grep -c 'invalid token' <<<"$out")"
out=$(mps "$cli" subflow del token "$ctok" local "$(ep "$C2" 1)" remote "$(ep "$S2" 4660)" 2>&1) &&
	fail "missing subflow destroyed"
check "subflow not found: kernel text" 1 "$(grep -c 'subflow not found' <<<"$out")"

# A scoped link-local address names the subflow's interface (IF_IDX): fe80::...%c2.
if [ "$FAM" = 6 ]; then
	lladdr() { ip -n "$1" -6 -o addr show dev "$2" scope link -tentative | awk '{print $4}' | cut -d/ -f1; }
	has_ll() { [ -n "$(lladdr "$1" "$2")" ]; }
	wait_for 10 "client link-local address usable" has_ll "$cli" c2
	wait_for 10 "server link-local address usable" has_ll "$srv" s2
	cll=$(lladdr "$cli" c2) sll=$(lladdr "$srv" s2)
	mps "$cli" subflow add token "$ctok" local "$cll%c2" id 5 remote "[$sll%c2]:4660"
	wait_eq 10 "link-local SUB_ESTABLISHED" 1 nev cli SUB_ESTABLISHED ".saddr == \"$cll\""
	check "link-local subflow: ids, daddr, interface" "5 $sll 4660 $(ip -n "$cli" -o link show c2 | cut -d: -f1)" \
		"$(field cli SUB_ESTABLISHED ".saddr == \"$cll\"" '.loc_id, .daddr, .dport, .ifindex')"
	out=$(mps "$cli" subflow add token "$ctok" local "$cll%c2" id 5 remote "[$sll%c1]:4660" 2>&1) &&
		fail "subflow with two interfaces accepted"
	check "two scopes refused" 1 "$(grep -c 'name different interfaces (c2, c1)' <<<"$out")"
fi

# Close: CLOSED on both sides, then the listener goes.
exec 7>&-
wait_eq 10 "client CLOSED" 1 nev cli CLOSED
wait_eq 10 "server CLOSED" 1 nev srv CLOSED
check "CLOSED tokens" "$ctok $stok" "$(field cli CLOSED . .token) $(field srv CLOSED . .token)"
wait_eq 10 "LISTENER_CLOSED" 1 nev srv LISTENER_CLOSED
check "LISTENER_CLOSED" "$ANY 4660" "$(field srv LISTENER_CLOSED . '.saddr, .sport')"

log "$CHECKS checks passed"
