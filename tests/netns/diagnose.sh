#!/usr/bin/env bash
# mpsteer diagnose names the cause and the fix when MPTCP is broken on purpose,
# one cause at a time, and finds no problem on the healthy setup. Where the
# printed fix is a complete command, the test runs it and expects health back.
#
#   cli (in-kernel PM, endpoint 10.0.2.1 dev c2 subflow, source routing for it)
#     c1 10.0.1.1 ----------- s1 10.0.1.2    srv: ncat on MPTCP :7000, plain TCP :7001
#     c2 10.0.2.1 ----------- s2 10.0.2.2
set -eu
. "$(dirname "$0")/lib.sh"
netns_init
command -v ncat >/dev/null || skip "ncat is not installed"
command -v nft >/dev/null || skip "nft is not installed"

cli=$(ns_new mps-dcli)
srv=$(ns_new mps-dsrv)
link_pair "$cli" c1 10.0.1.1/24 "$srv" s1 10.0.1.2/24
link_pair "$cli" c2 10.0.2.1/24 "$srv" s2 10.0.2.2/24
source_route() {
	ip -n "$cli" rule del from 10.0.2.1 table 102 2>/dev/null || true
	ip -n "$cli" rule add from 10.0.2.1 table 102
	ip -n "$cli" route replace default via 10.0.2.2 dev c2 table 102
}
ip -n "$cli" mptcp limits set subflows 2 add_addr_accepted 0
ip -n "$cli" mptcp endpoint add 10.0.2.1 dev c2 subflow
source_route
mptcp_bg "$srv" ncat -l -k 10.0.1.2 7000 </dev/null >/dev/null
# shellcheck disable=SC2217 # bg is lib.sh's, not the builtin
bg "$srv" ncat -l -k 10.0.1.2 7001 </dev/null >/dev/null
wait_for 5 "the MPTCP server listens" listening "$srv" 7000
wait_for 5 "the TCP server listens" listening "$srv" 7001

# diag NS ARGS... : the JSON findings (exit status in $DIAG_RC).
diag() {
	local ns=$1
	shift
	DIAG_RC=0
	DIAG=$(mps "$ns" -j diagnose sample 0.2 timeout 2 "$@") || DIAG_RC=$?
}
ids() { jq -r '[.findings[] | select(.level == "problem") | .id] | join(",")' <<<"$DIAG"; }
fix_of() { jq -r --arg id "$1" '[.findings[] | select(.id == $id) | .fix][0]' <<<"$DIAG"; }
text_of() { jq -r --arg id "$1" '[.findings[] | select(.id == $id) | .text][0]' <<<"$DIAG"; }

healthy() {
	diag "$cli" 10.0.1.2:7000
	check "$1: no problem" "" "$(ids)"
	check "$1: exit 0" 0 "$DIAG_RC"
}
# broken DESC ID PATTERN-IN-TEXT PATTERN-IN-FIX [ARGS...]
broken() {
	local desc=$1 id=$2 tpat=$3 fpat=$4
	shift 4
	diag "$cli" "${@:-10.0.1.2:7000}"
	CHECKS=$((CHECKS + 1))
	[ "$DIAG_RC" = 1 ] || fail "$desc: exit $DIAG_RC, expected 1: $DIAG"
	grep -qw -- "$id" <<<"$(ids | tr , ' ')" || fail "$desc: no '$id' among problems: $(ids)"
	grep -Eq -- "$tpat" <<<"$(text_of "$id")" || fail "$desc: '$(text_of "$id")' lacks '$tpat'"
	grep -Eq -- "$fpat" <<<"$(fix_of "$id")" || fail "$desc: fix '$(fix_of "$id")' lacks '$fpat'"
	log "ok: $desc -> $(text_of "$id") / fix: $(fix_of "$id")"
}
run_fix() { ip netns exec "$cli" sh -c "$(fix_of "$1")"; }

healthy "healthy setup"
check "the probe saw MP_CAPABLE" "10.0.1.2:7000 answered MP_CAPABLE" "$(text_of probe)"
check "the endpoint's route is checked" "route from 10.0.2.1 to 10.0.1.2 via c2" "$(text_of route)"
mps "$cli" diagnose sample 0 10.0.1.2:7000 >"$TMP/text"
check "text output ends with the count" "0 problems, 0 hints (-v: every check)" "$(tail -n1 "$TMP/text")"

ip -n "$cli" mptcp limits set subflows 0
broken "limits 0" limits-subflows-0 "allow 0 extra subflows" "^ip mptcp limits set subflows 1$"
run_fix limits-subflows-0
healthy "after the limits fix"

ip -n "$cli" rule del from 10.0.2.1 table 102
broken "missing source route" source-route "from 10.0.2.1 \(c2\) to 10.0.1.2 would leave via c1" \
	"^ip rule add from 10.0.2.1 table [0-9]+; ip route add .* dev c2 table"
source_route
healthy "source routing back"

ip -n "$cli" mptcp endpoint flush
ip -n "$cli" mptcp endpoint add 10.0.2.1 dev c2
broken "endpoint without subflow" endpoint-unused "neither 'subflow' nor 'signal'" \
	"ip mptcp endpoint add 10.0.2.1 dev c2 subflow"
run_fix endpoint-unused
healthy "after the endpoint fix"

broken "server without MPTCP" peer-no-mptcp "10.0.1.2:7001 answered without MP_CAPABLE" \
	"run the server on MPTCP" 10.0.1.2:7001
check "no firewall blamed for it" "" "$(jq -r '.findings[] | select(.id == "nft-strips-mptcp") | .id' <<<"$DIAG")"
# A live connection to it: diagnose for that connection says where it fell back.
mkfifo "$TMP/fb-in"
exec 7<>"$TMP/fb-in"
mptcp_bg "$cli" ncat 10.0.1.2 7001 <"$TMP/fb-in"
fb=$BG_PID
fb_conns() { mps "$cli" -j conns peer 10.0.1.2:7001 | jq '[.[] | select(.fallback)] | length'; }
wait_eq 10 "the client's fallen-back connection is listed" 1 fb_conns
broken "connection fell back" conn-fallback "fell back to TCP at the handshake" "" peer 10.0.1.2:7001
kill "$(app_pid "$fb")"
wait_eq 10 "the fallen-back connection is gone" 0 fb_conns

ip netns exec "$cli" nft add table inet mpsdiag
ip netns exec "$cli" nft add chain inet mpsdiag out '{ type filter hook output priority 0; }'
ip netns exec "$cli" nft add rule inet mpsdiag out tcp flags syn reset tcp option mptcp
broken "nftables strips the option from SYNs" nft-strips-mptcp "inet mpsdiag out" \
	"^nft delete rule inet mpsdiag out handle [0-9]+$"
check "the probe fell back, blamed on the rule" true \
	"$(grep -q "nftables rule above" <<<"$(text_of peer-no-mptcp)" && echo true)"
run_fix nft-strips-mptcp
healthy "after the nftables fix"

ip -n "$cli" link set c2 down
broken "interface down" endpoint-down "10.0.2.1 is on c2, which is down" "^ip link set c2 up$"
run_fix endpoint-down
wait_for 5 "c2 has carrier" sh -c "ip -n $cli link show c2 | grep -q LOWER_UP"
source_route # the kernel dropped c2's routes when it went down
healthy "after the interface fix"

# Userspace PM: joins are accepted only while some socket on the machine listens to events.
set_pm "$cli" userspace
diag "$cli"
if [ "$(ids)" = no-event-listener ]; then
	check "no listener: exit 1" 1 "$DIAG_RC"
	grep -q "start mpsteerd" <<<"$(fix_of no-event-listener)" || fail "fix: $(fix_of no-event-listener)"
	log "ok: no event listener -> $(text_of no-event-listener)"
else
	# Another program of this machine listens (CI runs one test at a time; a shared
	# development machine may not): it must be a real process in another namespace.
	pid=$(jq -r '.findings[] | select(.id == "no-local-listener") | .text' <<<"$DIAG" |
		sed -n 's/.*(pid \([0-9]*\),.*/\1/p')
	if [ -z "$pid" ] || [ ! -e "/proc/$pid" ]; then
		fail "neither no-event-listener nor a named listener: $DIAG"
	fi
	[ "$(readlink "/proc/$pid/ns/net")" != "$(ip netns exec "$cli" readlink /proc/self/ns/net)" ] ||
		fail "listener pid $pid is in this namespace"
	log "note: the no-listener case is masked by pid $pid ($(cat "/proc/$pid/comm")) listening elsewhere"
fi
bg "$cli" "$MPSTEER" -v monitor 2>"$TMP/mon.err" >/dev/null
mon=$BG_PID
wait_for 5 "monitor ready" grep -q listening "$TMP/mon.err"
diag "$cli"
check "a listener in the namespace: no problem" "" "$(ids)"
mon_pid=$(pgrep -P "$mon" -x mpsteer || echo "$mon")
check "the listener found is our monitor" "path manager: userspace, events listened to (pid $mon_pid, mpsteer)" \
	"$(text_of event-listener)"
set_pm "$srv" userspace
diag "$srv"
check "another userspace-PM namespace: joins work, but nothing of its own listens" \
	no-local-listener "$(jq -r '.findings[] | select(.level == "hint") | .id' <<<"$DIAG" |
	grep -x no-local-listener)"

expect_usage() {
	local rc=0 out
	out=$(mps "$cli" diagnose "$@" 2>&1 >/dev/null) || rc=$?
	check "diagnose $*: exit 64" 64 "$rc"
	check "diagnose $*: one line" 1 "$(wc -l <<<"$out")"
}
expect_usage nosuchword
expect_usage 10.0.1.2 10.0.1.3
expect_usage sample 99
log "$CHECKS checks passed"
