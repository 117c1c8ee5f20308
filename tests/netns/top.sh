#!/usr/bin/env bash
# mpsteer top during a transfer, driven and read as a person would through tmux
# (send-keys / capture-pane): its connection row and per-interface rates match
# the interfaces' own byte counters within 10%; its keys sort, filter, pause and
# quit; not on a terminal it prints one snapshot and exits.
#
#   cli (in-kernel PM, endpoint c2 subflow)          srv (in-kernel PM)
#   c1 10.0.1.1 --- tbf 40 Mbit/s --- s1 10.0.1.2    iperf3 -s (mpsteer run)
#   c2 10.0.2.1 --- tbf 40 Mbit/s --- s2 10.0.2.2
#   iperf3 -c 10.0.1.2 (mpsteer run), upload over both subflows
set -eu
. "$(dirname "$0")/lib.sh"
netns_init
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
command -v tmux >/dev/null || skip "tmux is not installed"

cli=$(ns_new mps-tcli)
srv=$(ns_new mps-tsrv)
link_pair "$cli" c1 10.0.1.1/24 "$srv" s1 10.0.1.2/24
link_pair "$cli" c2 10.0.2.1/24 "$srv" s2 10.0.2.2/24
ip -n "$cli" mptcp limits set subflows 2
ip -n "$srv" mptcp limits set subflows 2
ip -n "$cli" mptcp endpoint add 10.0.2.1 dev c2 subflow
ip -n "$cli" rule add from 10.0.2.1 table 102
ip -n "$cli" route add default via 10.0.2.2 dev c2 table 102
for i in 1 2; do
	ip netns exec "$cli" tc qdisc add dev c$i root tbf rate 40mbit burst 64kb latency 50ms
done
mptcp_bg "$srv" iperf3 -s -1 -p 5201 >/dev/null
wait_for 5 "iperf3 listening" listening "$srv" 5201
mptcp_bg "$cli" iperf3 -c 10.0.1.2 -p 5201 -t 60 >"$TMP/iperf.out"
# iperf3 makes two connections (control, data), each with a subflow per path.
wait_eq 10 "iperf3's 2 connections have 2 subflows each" 4 n_subflows "$cli" .

# tmux on its own socket: nothing of the user's server is touched.
SOCK=$TMP/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
_top_cleanup() { tm kill-server 2>/dev/null || true; }
trap '_top_cleanup; _cleanup' EXIT
tm new-session -d -x 110 -y 30 "ip netns exec $cli $MPSTEER top interval 2; sleep 60"
screen() { tm capture-pane -p; }
# iface_rate IF: the SEND column of the interface's row ("40.1 Mbit/s").
iface_rate() { screen | awk -v i="$1" 'index($0, i " ") == 1 { print $3, $4 }'; }
to_bps() { awk '{ m = $2 == "Gbit/s" ? 1e9 : $2 == "Mbit/s" ? 1e6 : $2 == "kbit/s" ? 1e3 : 1;
	printf "%.0f\n", $1 * m }'; }
wait_for 10 "top shows both interfaces" sh -c "tmux -S $SOCK capture-pane -p | grep -q '^c2 '"

# Rates: top's over its last 2 s against the interfaces' tx counters over 4 s
# around them (tbf keeps each path steady at 40 Mbit/s, so both windows agree).
# Headers count on the wire, not in top's payload bytes: a few percent.
wait_for 10 "a refresh with rates on c1" sh -c "tmux -S $SOCK capture-pane -p | grep -q '^c1 .*Mbit/s'"
for i in 1 2; do t0[i]=$(ifbytes "$cli" c$i tx); done
s0=$(date +%s%N)
wait_for 10 "the screen changes (a refresh)" sh -c "tmux -S $SOCK capture-pane -p >$TMP/a; \
	sleep 0.5; tmux -S $SOCK capture-pane -p | cmp -s - $TMP/a && exit 1 || exit 0"
for i in 1 2; do top_bps[i]=$(iface_rate c$i | to_bps); done
sleep 2 # the measuring window of the counters, not a wait for state
for i in 1 2; do t1[i]=$(ifbytes "$cli" c$i tx); done
s1=$(date +%s%N)
for i in 1 2; do
	wire=$(( (t1[i] - t0[i]) * 8 * 1000000000 / (s1 - s0) ))
	log "c$i: top ${top_bps[$i]} bit/s, interface counter $wire bit/s"
	check "c$i: top's rate within 10% of the interface counter" true \
		"$(awk -v a="${top_bps[$i]}" -v b="$wire" 'BEGIN { d = a - b; if (d < 0) d = -d;
			print (b > 1e6 && d <= 0.1 * b) ? "true" : "false" }')"
done
screen >"$TMP/screen.txt"
check "both iperf3 connections have a row naming the process" 2 \
	"$(grep -Ec '^[0-9]+ +iperf3/[0-9]+ +10\.0\.1\.2:5201' "$TMP/screen.txt")"
check "a subflow row per interface and connection, all primary" 4 \
	"$(grep -Ec '^  c[12] +primary +ESTAB +rtt' "$TMP/screen.txt")"
check "the busy connection is sorted first" true \
	"$(awk '/^TOKEN/ { getline; print ($5 == "Mbit/s" && $4 > 1) ? "true" : "false"; exit }' \
	"$TMP/screen.txt")"

tm send-keys p
wait_for 5 "p pauses" sh -c "tmux -S $SOCK capture-pane -p | head -n1 | grep -q PAUSED"
tm send-keys p s
wait_for 5 "s sorts by send rate" sh -c "tmux -S $SOCK capture-pane -p | head -n1 | grep -q 'sort send'"
tm send-keys f
wait_for 5 "f asks for a filter" sh -c "tmux -S $SOCK capture-pane -p | grep -q '^filter'"
tm send-keys 'peer 10.9.9.9' Enter
wait_for 5 "the filter hides the connection" sh -c \
	"tmux -S $SOCK capture-pane -p | head -n1 | grep -q '0 connections, .*filter peer 10.9.9.9'"
tm send-keys f Enter
wait_for 5 "an empty filter shows it again" sh -c \
	"tmux -S $SOCK capture-pane -p | head -n1 | grep -q '^mpsteer top: 2 connections,'"
tm send-keys q
wait_for 5 "q quits (the pane runs the sleep after it)" sh -c \
	"tmux -S $SOCK list-panes -F '#{pane_current_command}' | grep -qx sleep"

# A narrow terminal: lines are cut, nothing wraps.
tm resize-window -x 40 -y 12 2>/dev/null || tm resize-window -t 0 -x 40 -y 12
tm respawn-pane -k "ip netns exec $cli $MPSTEER top; sleep 60"
wait_for 10 "top on 40 columns" sh -c "tmux -S $SOCK capture-pane -p | grep -q '^c2 '"
check "no line is longer than 40 columns" 0 "$(screen | awk 'length > 40' | wc -l)"

# Not a terminal: one snapshot, then exit.
mps "$cli" top interval 0.5 >"$TMP/snap.txt"
check "a snapshot shows the connections" 2 "$(grep -Ec '^[0-9]+ +iperf3/' "$TMP/snap.txt")"
check "-j: rates of both interfaces" 2 \
	"$(mps "$cli" -j top interval 0.5 | jq '[.interfaces[] | select(.send_bps > 1e6)] | length')"
log "$CHECKS checks passed"
