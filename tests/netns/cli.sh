#!/usr/bin/env bash
# The command line as people type it: global options before or after the
# command (and -n NETNS instead of ip netns exec), command names by exact name
# or unique prefix, one line naming the word not taken for every bad input,
# "help CMD", a man page per command, the bash completion.
#
#   cli (in-kernel PM)  c1 10.0.1.1 --- s1 10.0.1.2  srv (in-kernel PM)
#   one idle ncat connection over MPTCP, so that conns has something to show.
set -eu
. "$(dirname "$0")/lib.sh"
netns_init
command -v ncat >/dev/null || skip "ncat is not installed"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)

cli=$(ns_new mps-cli)
srv=$(ns_new mps-clisrv)
link_pair "$cli" c1 10.0.1.1/24 "$srv" s1 10.0.1.2/24
mkfifo "$TMP/in"
exec 6<>"$TMP/in"
mptcp_bg "$srv" ncat -l -k 10.0.1.2 7000 </dev/null >/dev/null
wait_for 5 "ncat listening" listening "$srv" 7000
mptcp_bg "$cli" ncat 10.0.1.2 7000 <"$TMP/in"
echo hello >&6
nconns() { mps "$cli" -j conns | jq length; }
wait_eq 10 "the client has one connection" 1 nconns
tok=$(mps "$cli" -j conns | jq '.[0].token')

# The same JSON whichever way the options are placed.
want=$(mps "$cli" -j conns | jq -c '[.[].token]')
for form in "-j conns" "conns -j" "conns --json" "-n $cli conns -j" "conns -n $cli -j" \
	"conns --netns=$cli --json" "-jn $cli conns" "co -j -n $cli" "conns token $tok -j" \
	"conns -j -- token $tok"; do
	# shellcheck disable=SC2086 # word splitting is the point
	if [[ $form == *-n* ]]; then got=$("$MPSTEER" $form | jq -c '[.[].token]')
	else got=$(mps "$cli" $form | jq -c '[.[].token]'); fi
	check "mpsteer $form" "$want" "$got"
done
check "pretty JSON after the command" true \
	"$("$MPSTEER" conns -n "$cli" -j -p | head -n1 | grep -qx '\[' && echo true)"
check "conns -n NS names the connection of NS, not of the caller's namespace" "[$tok]" "$want"

# monitor takes -j after the command too; the event of a new connection arrives.
bg "$cli" "$MPSTEER" monitor -v -j event CREATED 2>"$TMP/mon.err" >"$TMP/mon.out"
wait_for 5 "monitor ready" grep -q listening "$TMP/mon.err"
mptcp_bg "$cli" sh -c 'echo x | ncat 10.0.1.2 7000'
wait_for 10 "a CREATED event as JSON" jq -e 'select(.event == "CREATED")' "$TMP/mon.out"

# run and systemd keep the options after their first word: CMD's own "-j".
check "run passes CMD's options through" "-j -n x" "$(mps "$cli" run -- echo -j -n x)"
check "run takes a global option before its first word" 0 \
	"$(mps "$cli" run -j --summary -- true 2>&1 >/dev/null | jq .converted)"

# expect_err DESC EXIT PATTERN ARGS... : one line on stderr matching PATTERN, that exit code.
expect_err() {
	local desc=$1 code=$2 pat=$3 rc=0 out
	shift 3
	out=$("$MPSTEER" "$@" 2>&1 >/dev/null) || rc=$?
	CHECKS=$((CHECKS + 1))
	[ "$rc" = "$code" ] || fail "$desc: exit $rc, expected $code ($out)"
	[ "$(wc -l <<<"$out")" = 1 ] || fail "$desc: expected one line, got: $out"
	grep -Eq -- "$pat" <<<"$out" || fail "$desc: message '$out' lacks '$pat'"
	log "ok: $desc -> $out"
}
expect_err "empty command name" 64 'empty command name' ""
expect_err "ambiguous prefix" 64 'ambiguous command "s": subflow, status, systemd' s
expect_err "no command" 64 'no command given' -j
expect_err "unknown command" 64 'unknown command "frob"' frob
expect_err "unknown long option after the command" 64 'unknown option "--bogus"' conns --bogus
expect_err "unknown short option in a cluster" 64 'unknown option "-x" in "-jx"' conns -jx
expect_err "a word conns does not take" 64 'conns: unknown word "foo" \(it takes token T, pid P' \
	conns foo
expect_err "a keyword conns does not take" 64 'conns: does not take "via"' conns via c1
expect_err "two selectors" 64 '"pid" and an earlier word exclude' conns token 1 pid 2
expect_err "keyword without its value" 64 'monitor: "token" needs a value \(token T\)' \
	monitor -j token
expect_err "bad token" 64 'invalid token "0x"' conns token 0x
expect_err "negative token" 64 'unknown option "-1"' conns token -1
expect_err "token out of range" 64 'invalid token "4294967296"' monitor token 4294967296
expect_err "-n without a name" 64 '"-n" needs a namespace name' conns -n
expect_err "no such namespace" 66 'cannot open network namespace "nosuch-'$$'"' -n "nosuch-$$" conns
expect_err "help for a command that does not exist" 64 'unknown command "frob"' help frob
expect_err "status takes no words" 64 'status: unknown word "x" \(it takes no arguments\)' status x
expect_err "subflow without its verb" 64 'subflow needs "add" or "del"' subflow
expect_err "run: an option it does not know, one line" 64 'run: unknown option "--bogus"' \
	run --bogus -- true
expect_err "run: an option without its value" 64 'run: "--mode" needs a value' run --mode
expect_err "run without CMD" 64 'run: no command given' run
expect_err "systemd without a verb" 64 'systemd needs "enable", "disable" or "show"' systemd
expect_err "a --option with a value it does not take" 64 'option "--json=1" takes no value' \
	--json=1 conns

# help: every command of the list has a usage line, the same with -h, --help, help CMD, and a page.
cmds=$("$MPSTEER" help | awk '/^Commands/ { c = 1; next } c && /^  [a-z]/ { print $1 } c && /^$/ { exit }')
[ "$(wc -w <<<"$cmds")" -ge 10 ] || fail "help lists only: $cmds"
for c in $cmds; do
	[ "$c" = help ] && continue
	h=$("$MPSTEER" help "$c")
	grep -q "mpsteer.* $c" <<<"$h" || fail "help $c: no usage line: $h"
	check "mpsteer $c --help = help $c" "$h" "$("$MPSTEER" "$c" --help)"
	[ "$c" = run ] || [ "$c" = systemd ] || check "mpsteer $c -h = help $c" "$h" "$("$MPSTEER" "$c" -h)"
	page="$SRCDIR/man/mpsteer-$c.8"
	[ -f "$page" ] || fail "no man page for $c ($page)"
	if command -v man >/dev/null; then # man-db (bootstrap.sh installs it)
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
		[ -z "$warn" ] || fail "man page of $c: $warn"
	fi
	grep -q "mpsteer-$c" "$SRCDIR/man/meson.build" || fail "mpsteer-$c.8 is not installed"
done
log "ok: $(wc -w <<<"$cmds") commands have a usage, -h/--help and a man page"
check "a unique prefix names its command" "$("$MPSTEER" help monitor)" "$("$MPSTEER" help mon)"

# The completion reads the same tables.
comp() {
	PATH=$(dirname "$MPSTEER"):$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_mpsteer; echo "${COMPREPLY[*]}"' _ "$SRCDIR/completion/mpsteer" "$@"
}
check "completion of a command prefix" "conns" "$(comp mpsteer -j co)"
check "completion of an ambiguous prefix" "subflow status systemd" "$(comp mpsteer s)"
check "completion of primary's keywords" "auto dry-run peer pid token via" \
	"$(comp mpsteer primary token 1 '')"
check "completion of -n" "$cli" "$(comp mpsteer -n "$cli" | tr ' ' '\n' | grep -x "$cli")"
log "$CHECKS checks passed"
