#!/usr/bin/env bash
# Steering a live connection of an unmodified program from outside.
#
#   client (in-kernel PM, endpoint on c2)        server (userspace PM)
#   +------------------+                          +------------------+
#   | c1 10.0.1.1      |------- path 1 -----------| s1 10.0.1.2       |
#   |    fd00:1::1     |                          |    fd00:1::2      |
#   | c2 10.0.2.1      |------- path 2 -----------| s2 10.0.2.2       |
#   |    fd00:2::1     |                          |    fd00:2::2      |
#   +------------------+                          +------------------+
#   iperf3 -c --bidir                              iperf3 -s, mpsteer monitor
#
# The server's operator runs `mpsteer primary` against the server's
# connections: at least 90% of the bytes crossing the interfaces afterwards,
# in both directions, must use the chosen path; switching back likewise.
# `conns -j` must show both subflows with the right addresses, interfaces,
# ids and owner; `monitor -j` must report the events with the fields `ss` shows.
# Usage: steer.sh [4|6]
set -eu
family=${1:-4}
TEST_NAME=steer-v$family
. "$(dirname "$0")/lib.sh"
netns_init
command -v iperf3 >/dev/null || skip "iperf3 is not installed"

cli=$(ns_new mps-cli)
srv=$(ns_new mps-srv)
two_paths "$cli" "$srv" "$family"

# The monitors subscribe to the events group (which is also what makes the
# userspace PM accept joins).
bg "$srv" "$MPSTEER" -v -j monitor 2>"$TMP/srv-mon.err" >"$TMP/srv-mon.json"
bg "$cli" "$MPSTEER" -v -j monitor 2>"$TMP/cli-mon.err" >"$TMP/cli-mon.json"
wait_for 5 "server monitor ready" grep -q listening "$TMP/srv-mon.err"
wait_for 5 "client monitor ready" grep -q listening "$TMP/cli-mon.err"

# The server runs under `mpsteer run` (seccomp), the client in preload mode.
mptcp_bg "$srv" iperf3 -s -1 -B "$s1" -p 5201
wait_for 5 "iperf3 listening" listening "$srv" 5201
srv_pid=$(app_pid "$BG_PID")
MPTCP_MODE=preload mptcp_bg "$cli" iperf3 -c "$s1" -p 5201 --bidir -t 60 -l 128K
# iperf3 opens a control connection and two data connections; each gets a
# second subflow from the client's endpoint.
wait_eq 10 "3 connections with 2 subflows each" 6 n_subflows "$srv" 'select(.local | test(":5201$"))'

# --- conns -j: addresses, interfaces, ids, owner ---------------------------------
mps "$srv" -j conns >"$TMP/conns.json"
data_tok=$(jq -r '[.[] | select(.comm == "iperf3")][0].token' "$TMP/conns.json")
check "owner pid" "$srv_pid" "$(jq -r ".[] | select(.token == $data_tok) | .pid" "$TMP/conns.json")"
check "owner comm" iperf3 "$(jq -r ".[] | select(.token == $data_tok) | .comm" "$TMP/conns.json")"
check "conns pid: the 3 connections of iperf3" 3 "$(mps "$srv" -j conns pid "$srv_pid" | jq length)"
check "not fallback" false "$(jq -r ".[] | select(.token == $data_tok) | .fallback" "$TMP/conns.json")"
sf() { jq -r ".[] | select(.token == $data_tok) | .subflows[] | select(.ifname == \"$1\") | $2" "$TMP/conns.json"; }
if [ "$family" = 6 ]; then pat='^\[%s\]:[0-9]+$'; else pat='^%s:[0-9]+$'; fi
# shellcheck disable=SC2059
check_true "initial subflow s1: $c1 -> $s1:5201" \
	grep -Eq "$(printf "$pat" "$c1")" <<<"$(sf s1 .remote)"
check "initial subflow local" "$( [ "$family" = 6 ] && echo "[$s1]:5201" || echo "$s1:5201")" "$(sf s1 .local)"
# shellcheck disable=SC2059
check_true "joined subflow s2 comes from $c2" grep -Eq "$(printf "$pat" "$c2")" <<<"$(sf s2 .remote)"
check "joined subflow reaches the server's initial address" \
	"$( [ "$family" = 6 ] && echo "[$s1]:5201" || echo "$s1:5201")" "$(sf s2 .local)"
check "initial subflow ids" "0/0" "$(sf s1 '"\(.loc_id)/\(.rem_id)"')"
check "joined subflow remote id (client endpoint id)" 1 "$(sf s2 .rem_id)"
# Cross-check the ports with the kernel's own view (ss).
sport2=$(sf s2 .remote | sed 's/.*://')
check_true "ss knows subflow $c2 port $sport2" ss_has "$srv" "dport = :$sport2"

# --- steering ---------------------------------------------------------------------
# share PATH_IF: waits until 100 MB crossed the server's interfaces since the
# call to `mark`, then prints "tx_share rx_share" of PATH_IF in percent.
mark() { m_s1tx=$(ifbytes "$srv" s1 tx) m_s1rx=$(ifbytes "$srv" s1 rx) m_s2tx=$(ifbytes "$srv" s2 tx) m_s2rx=$(ifbytes "$srv" s2 rx); }
moved() {
	local t=$(( $(ifbytes "$srv" s1 tx) - m_s1tx + $(ifbytes "$srv" s2 tx) - m_s2tx ))
	local r=$(( $(ifbytes "$srv" s1 rx) - m_s1rx + $(ifbytes "$srv" s2 rx) - m_s2rx ))
	[ "$t" -ge 100000000 ] && [ "$r" -ge 100000000 ]
}
share() {
	local want=$1 tx1 tx2 rx1 rx2
	wait_for 60 "100 MB each way" moved
	tx1=$(( $(ifbytes "$srv" s1 tx) - m_s1tx )) tx2=$(( $(ifbytes "$srv" s2 tx) - m_s2tx ))
	rx1=$(( $(ifbytes "$srv" s1 rx) - m_s1rx )) rx2=$(( $(ifbytes "$srv" s2 rx) - m_s2rx ))
	if [ "$want" = s2 ]; then
		echo "$(( tx2 * 100 / (tx1 + tx2) )) $(( rx2 * 100 / (rx1 + rx2) ))"
	else
		echo "$(( tx1 * 100 / (tx1 + tx2) )) $(( rx1 * 100 / (rx1 + rx2) ))"
	fi
}

mps "$srv" primary peer "$c1" via s2 >"$TMP/primary1.txt"
cat "$TMP/primary1.txt"
check "primary reports 3 connections" 3 "$(grep -c '^token .*: primary via s2' "$TMP/primary1.txt")"
mps "$srv" -j conns token "$data_tok" >"$TMP/conns2.json"
check "path 1 is backup after the switch" true \
	"$(jq -r '.[0].subflows[] | select(.ifname == "s1") | .backup_local' "$TMP/conns2.json")"
check "path 2 is primary after the switch" false \
	"$(jq -r '.[0].subflows[] | select(.ifname == "s2") | .backup_local' "$TMP/conns2.json")"
# Let data queued on path 1 before the switch drain, then measure.
mark
read -r tx rx < <(share s2)
log "after primary via s2: ${tx}% of sent and ${rx}% of received bytes on path 2"
check_true "at least 90% of sent bytes on path 2 (got $tx%)" test "$tx" -ge 90
check_true "at least 90% of received bytes on path 2 (got $rx%)" test "$rx" -ge 90

# By the client's path-1 address (a remote address: on the server every
# subflow has the server's initial address as its local one).
mps "$srv" -j primary pid "$srv_pid" via "$c1" >"$TMP/primary2.json"
check "switch back changed 6 subflows" 6 "$(jq .changed "$TMP/primary2.json")"
mark
read -r tx rx < <(share s1)
log "after primary via $c1: ${tx}% of sent and ${rx}% of received bytes on path 1"
check_true "at least 90% of sent bytes on path 1 (got $tx%)" test "$tx" -ge 90
check_true "at least 90% of received bytes on path 1 (got $rx%)" test "$rx" -ge 90

# --- monitor -j ---------------------------------------------------------------------
ev() { jq -c "select(.event == \"$2\" and .token == $3)" "$TMP/$1-mon.json"; }
check "server: one CREATED for the data connection" 1 "$(ev srv CREATED "$data_tok" | wc -l)"
check "server: one ESTABLISHED for the data connection" 1 "$(ev srv ESTABLISHED "$data_tok" | wc -l)"
check "server: CREATED is server-side" true "$(ev srv CREATED "$data_tok" | jq -r .server_side)"
est=$(ev srv ESTABLISHED "$data_tok")
check "ESTABLISHED saddr" "$s1" "$(jq -r .saddr <<<"$est")"
check "ESTABLISHED sport (host order)" 5201 "$(jq -r .sport <<<"$est")"
check "ESTABLISHED daddr" "$c1" "$(jq -r .daddr <<<"$est")"
dport=$(jq -r .dport <<<"$est")
check_true "ESTABLISHED dport $dport is a port ss shows" \
	ss_has "$srv" "sport = :5201 and dport = :$dport"
sub=$(ev srv SUB_ESTABLISHED "$data_tok")
check "SUB_ESTABLISHED daddr" "$c2" "$(jq -r .daddr <<<"$sub")"
check "SUB_ESTABLISHED dport" "$sport2" "$(jq -r .dport <<<"$sub")"
check "SUB_ESTABLISHED rem_id" 1 "$(jq -r .rem_id <<<"$sub")"
# The client is told of each MP_PRIO: the first switch demotes path 1 (3
# subflows), the second promotes path 1 and demotes path 2 (6 more).
wait_ge 5 "client saw SUB_PRIORITY events" 9 jq -s '[.[] | select(.event == "SUB_PRIORITY")] | length' "$TMP/cli-mon.json"
check "client SUB_PRIORITY backup=1 on path 1 after the first switch" true \
	"$(jq -s '[.[] | select(.event == "SUB_PRIORITY" and .backup == 1 and .saddr == "'"$c1"'")] | length >= 3' "$TMP/cli-mon.json")"
log "$CHECKS checks passed"
