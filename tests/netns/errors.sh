#!/usr/bin/env bash
# Every error of `mpsteer primary` (and the primitives) gives one line naming
# the bad input, a non-zero exit code, and leaves the connection as it was.
#
#   client (in-kernel PM)                      server (userspace PM, then in-kernel)
#   c1 10.0.1.1 / fd00:1::1 ----------------- s1 10.0.1.2 / fd00:1::2
#   c2 10.0.2.1 / fd00:2::1 ----------------- s2 10.0.2.2 / fd00:2::2
#
# Connection A is made while the server is on the userspace PM, connection B
# after the server switched back to the in-kernel PM: a selector matching both
# must be refused before anything is sent.
set -eu
. "$(dirname "$0")/lib.sh"
netns_init
command -v ncat >/dev/null || skip "ncat is not installed"

cli=$(ns_new mps-ecli)
srv=$(ns_new mps-esrv)
two_paths "$cli" "$srv" 4
bg "$srv" "$MPSTEER" -v monitor 2>"$TMP/mon.err" >/dev/null
wait_for 5 "monitor ready" grep -q listening "$TMP/mon.err"

# A: an idle ncat connection on the userspace PM (server keeps it open).
mkfifo "$TMP/srv-in"
exec 6<>"$TMP/srv-in"
mptcp_bg "$srv" ncat -l -k 10.0.1.2 7000 <"$TMP/srv-in" >/dev/null
wait_for 5 "ncat listening" listening "$srv" 7000
# The fifo keeps the client's stdin open (and the connection idle) until the end.
mkfifo "$TMP/a-in"
exec 7<>"$TMP/a-in"
mptcp_bg "$cli" ncat 10.0.1.2 7000 <"$TMP/a-in"
# The initiator's path manager adds subflows once data has been acknowledged.
echo hello >&7
wait_eq 10 "connection A has 2 subflows" 2 n_subflows "$srv" .
tok_a=$(mps "$srv" -j conns | jq '.[0].token')
cli_tok=$(mps "$cli" -j conns | jq '.[0].token')
state() { mps "$srv" -j conns | jq -c '[.[] | {token, s: [.subflows[] | {local, remote, backup_local}]}]'; }
before=$(state)

# expect_err DESC EXIT_CODE PATTERN CMD... : fails with that code, says PATTERN, changes nothing.
expect_err() {
	local desc=$1 code=$2 pat=$3 rc=0 out
	shift 3
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	CHECKS=$((CHECKS + 1))
	[ "$rc" = "$code" ] || fail "$desc: exit $rc, expected $code ($out)"
	[ "$(wc -l <<<"$out")" = 1 ] || fail "$desc: expected one line, got: $out"
	grep -Eq "$pat" <<<"$out" || fail "$desc: message '$out' lacks '$pat'"
	[ "$(state)" = "$before" ] || fail "$desc: the connections changed"
	log "ok: $desc -> $out"
}

# sysexits: 64 usage, 66 no input, 69 unavailable, 77 no permission
expect_err "unknown token" 66 "no MPTCP connection matches token 12345" \
	mps "$srv" primary token 12345 via s2
expect_err "token not a number" 64 'invalid token "abc"' mps "$srv" primary token abc via s2
expect_err "unknown peer" 66 "no MPTCP connection matches peer 10.9.9.9" \
	mps "$srv" primary peer 10.9.9.9 via s2
expect_err "bad peer" 64 'invalid peer "10.0.1.300"' mps "$srv" primary peer 10.0.1.300 via s2
expect_err "no such pid" 66 "no process with pid 4000000" mps "$srv" primary pid 4000000 via s2
expect_err "pid without MPTCP connections" 66 "no MPTCP connection matches pid $$" \
	mps "$srv" primary pid $$ via s2
expect_err "path matching no subflow" 66 "connection $tok_a has no established subflow via 10.0.9.9" \
	mps "$srv" primary token "$tok_a" via 10.0.9.9
expect_err "path neither interface nor address" 64 'path "nosuch0" is neither' \
	mps "$srv" primary token "$tok_a" via nosuch0
expect_err "a word primary does not take" 64 'primary: unknown word "over" \(it takes token T' \
	mps "$srv" primary token "$tok_a" over s2
expect_err "missing via" 64 'needs either "via PATH" or "auto"' mps "$srv" primary token "$tok_a"
expect_err "no selector" 64 'primary needs one of: token T, pid P, peer' mps "$srv" primary via s2
expect_err "in-kernel PM connection" 69 "path_manager=userspace" \
	mps "$cli" primary token "$cli_tok" via c2
expect_err "unprivileged" 77 "needs CAP_NET_ADMIN" \
	ip netns exec "$srv" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$MPSTEER" primary token "$tok_a" via s2
expect_err "subflow add without remote port" 64 "remote needs a port" \
	mps "$srv" subflow add token "$tok_a" local 10.0.2.2 remote 10.0.2.1
expect_err "announce with id 0" 64 'invalid id "0"' \
	mps "$srv" announce token "$tok_a" addr 10.0.2.2 id 0
expect_err "backup on a subflow that does not exist" 66 "subflow not found|not found" \
	mps "$srv" backup on token "$tok_a" local 10.0.1.2:7000 remote 10.0.9.9:1
expect_err "mixed families" 64 "different families" \
	mps "$srv" backup on token "$tok_a" local 10.0.1.2:7000 remote [fd00::1]:1
expect_err "scope naming no interface" 64 'invalid local address "fe80::1%nosuch0": no such interface' \
	mps "$srv" subflow add token "$tok_a" local fe80::1%nosuch0 remote [fe80::2%s2]:7000
expect_err "scope on a global address" 64 'invalid remote address "\[fd00:2::1%s2\]:7000"' \
	mps "$srv" subflow add token "$tok_a" local fd00:2::2 remote [fd00:2::1%s2]:7000
expect_err "scope and dev disagree" 64 'name different interfaces \(s1, s2\)' \
	mps "$srv" subflow add token "$tok_a" local fe80::1%s2 dev s1 remote [fe80::2]:7000
expect_err "token beyond 32 bits" 64 'invalid token "4294967296"' \
	mps "$srv" subflow add token 4294967296 local 10.0.2.2 remote 10.0.2.1:1
expect_err "token with a sign" 64 'invalid token "\+5"' \
	mps "$srv" primary token +5 via s2
expect_err "unknown command" 64 'unknown command "frobnicate"' mps "$srv" frobnicate

# B: a second connection made after the server went back to the in-kernel PM.
set_pm "$srv" kernel
mkfifo "$TMP/b-in"
exec 8<>"$TMP/b-in"
mptcp_bg "$cli" ncat 10.0.1.2 7000 <"$TMP/b-in"
echo hello >&8
nconns() { mps "$srv" -j conns | jq length; }
wait_eq 10 "connection B is there" 2 nconns
before=$(state)
expect_err "peer matching a userspace and an in-kernel connection" 69 "path_manager=userspace" \
	mps "$srv" primary peer 10.0.1.1 via s2

# And the working command still works afterwards on A alone.
mps "$srv" primary token "$tok_a" via s2 >/dev/null
check "A steered after the refusals" true \
	"$(mps "$srv" -j conns token "$tok_a" | jq '.[0].subflows[] | select(.ifname == "s1") | .backup_local')"
log "$CHECKS checks passed"
