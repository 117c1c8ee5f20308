# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by the scripts that source this file)
# The access-point topology of the balance policy's test (policy_balance.sh) and
# benchmark (bench/balance.sh), on top of lib.sh (source that first).
#
#   client k (k = 1..N, one namespace each, in-kernel PM: a subflow from b0)
#   +----------------+     AP-A ns                           server ns (mpsteerd)
#   | a0 10.1.0.10+k |-+   +----------------------------+    +------------------------+
#   |                | +---| apbr 10.1.0.1   u 10.8.1.1 |----| sa 10.8.1.2  tbf CAP_A |
#   | b0 10.2.0.10+k |-+   +----------------------------+    |                        |
#   +----------------+ |   AP-B ns                           |  lo 10.9.0.1 (service) |
#                      |   +----------------------------+    |                        |
#                      +---| apbr 10.2.0.1   u 10.8.2.1 |----| sb 10.8.2.2  tbf CAP_B |
#   background (plain  \   +----------------------------+    +------------------------+
#   TCP, no MPTCP)      +-- on AP-A: 10.1.0.200
#
# Each access point is a router with a bridge for its clients; its uplink to the server is
# shaped by tbf to its capacity in both directions (the server's sa/sb egress, the AP's u
# egress). The service address 10.9.0.1 is reached through either AP: a client's default
# route is AP-A (its connections are made there), a source rule sends what leaves from
# 10.2.0.10+k through AP-B; the client's in-kernel path manager adds the subflow from b0.
# sa and sb carry one access network each: their counters measure its whole load.

BAL_SRV_ADDR=10.9.0.1
# Jumbo frames by default: at 1500 bytes, headers take 5% of each AP's capacity, which would
# hide what steering changes (BAL_MTU=1500 for the other view).
BAL_MTU=${BAL_MTU:-9000}

# bal_addr A|B K: client K's address behind AP-A or AP-B.
bal_addr() {
	echo "10.$([ "$1" = A ] && echo 1 || echo 2).0.$((10 + $2))"
}

# bal_topo N CAP_A_MBIT CAP_B_MBIT: sets SRV APA APB BGNS and CLIENTS[1..N].
bal_topo() {
	local n=$1 cap_a=$2 cap_b=$3 k
	SRV=$(ns_new bal-srv)
	APA=$(ns_new bal-apa)
	APB=$(ns_new bal-apb)
	BGNS=$(ns_new bal-bg)
	ip -n "$SRV" addr add $BAL_SRV_ADDR/32 dev lo
	_bal_ap "$APA" 1 sa "$cap_a"
	_bal_ap "$APB" 2 sb "$cap_b"
	set_pm "$SRV" userspace
	CLIENTS=()
	for ((k = 1; k <= n; k++)); do
		CLIENTS[k]=$(ns_new "bal-c$k")
		_bal_port "${CLIENTS[k]}" a0 "$(bal_addr A $k)" "$APA"
		_bal_port "${CLIENTS[k]}" b0 "$(bal_addr B $k)" "$APB"
		ip -n "${CLIENTS[k]}" route add default via 10.1.0.1 dev a0 metric 100
		ip -n "${CLIENTS[k]}" route add default via 10.2.0.1 dev b0 metric 200
		ip -n "${CLIENTS[k]}" route add default via 10.2.0.1 dev b0 table 102
		ip -n "${CLIENTS[k]}" rule add from "$(bal_addr B $k)" table 102 priority 102
		ip -n "${CLIENTS[k]}" mptcp limits set subflows 1 add_addr_accepted 0
		ip -n "${CLIENTS[k]}" mptcp endpoint add "$(bal_addr B $k)" dev b0 subflow
	done
	_bal_port "$BGNS" a0 10.1.0.200 "$APA"
	ip -n "$BGNS" route add default via 10.1.0.1 dev a0
}

# _bal_ap NS I SRVIF CAP_MBIT: access point I (router + bridge 10.I.0.1/24) and its
# shaped uplink u 10.8.I.1 <-> the server's SRVIF 10.8.I.2.
_bal_ap() {
	local ns=$1 i=$2 sif=$3 cap=$4
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$ns" link add apbr type bridge
	ip -n "$ns" addr add "10.$i.0.1/24" dev apbr
	ip -n "$ns" link set apbr up
	link_pair "$ns" u "10.8.$i.1/24" "$SRV" "$sif" "10.8.$i.2/24"
	ip -n "$ns" link set u mtu "$BAL_MTU"
	ip -n "$SRV" link set "$sif" mtu "$BAL_MTU"
	ip -n "$ns" link set apbr mtu "$BAL_MTU"
	ip -n "$ns" route add $BAL_SRV_ADDR/32 via "10.8.$i.2" dev u
	ip -n "$SRV" route add "10.$i.0.0/24" via "10.8.$i.1" dev "$sif"
	# A burst of a few packets, a queue of 20 ms: the capacity is a rate, not a buffer.
	ip netns exec "$SRV" tc qdisc add dev "$sif" root tbf rate "${cap}mbit" burst 32kb \
		latency 20ms || skip "tc tbf is not available"
	ip netns exec "$ns" tc qdisc add dev u root tbf rate "${cap}mbit" burst 32kb latency 20ms
}

# _bal_port NS IF ADDR APNS: a port of APNS's bridge, IF with ADDR/24 in NS.
_BAL_PORTS=0
_bal_port() {
	local ns=$1 ifn=$2 addr=$3 ap=$4 peer
	_BAL_PORTS=$((_BAL_PORTS + 1))
	peer=port$_BAL_PORTS
	ip link add "$ifn" netns "$ns" type veth peer name "$peer" netns "$ap"
	ip -n "$ns" addr add "$addr/24" dev "$ifn"
	ip -n "$ap" link set "$peer" mtu "$BAL_MTU" master apbr up
	ip -n "$ns" link set "$ifn" mtu "$BAL_MTU" up
}

# bal_server_conf FILE CAP_A CAP_B [EXTRA]: the server's mpsteerd config: the two access
# networks, and EXTRA appended (a backup rule, the balance policy ...).
bal_server_conf() {
	cat >"$1" <<-EOF
	[server]
	policy = none
	[interfaces]
	allow = sa sb
	[access ap-a]
	clients = 10.1.0.0/24
	interfaces = sa
	capacity = ${2}M
	[access ap-b]
	clients = 10.2.0.0/24
	interfaces = sb
	capacity = ${3}M
	EOF
	[ -z "${4:-}" ] || printf '%s\n' "$4" >>"$1"
}

# The server's steering in the comparisons (appended to bal_server_conf): no steering keeps
# every connection on AP-A, where it was made; the balance policy starts from there.
NONE_CONF=$'[interfaces]\nbackup = 10.2.0.0/24'
BALANCE_CONF="$NONE_CONF"$'\n[steering]\npolicy = balance\n'
BALANCE_CONF+=$'[balance]\ninterval_ms = 1000\ndwell_ms = 5000'

# bal_static_conf N: the steering of a split fixed in advance (for bal_server_conf): odd
# clients on AP-A, even ones on AP-B, by backup rules on their other address.
bal_static_conf() {
	local k a="" b=""
	for ((k = 1; k <= $1; k++)); do
		if ((k % 2)); then b+=" $(bal_addr B $k)"; else a+=" $(bal_addr A $k)"; fi
	done
	printf '[interfaces]\nbackup =%s%s' "$a" "$b"
}

# bal_variant_conf VARIANT FILE CAP_A CAP_B N: the server's config of one arm of the
# comparisons: none | static | balance | active (no primary: every subflow active).
bal_variant_conf() {
	case $1 in
	none) bal_server_conf "$2" "$3" "$4" "$NONE_CONF" ;;
	static) bal_server_conf "$2" "$3" "$4" "$(bal_static_conf "$5")" ;;
	balance) bal_server_conf "$2" "$3" "$4" "$BALANCE_CONF" ;;
	active) bal_server_conf "$2" "$3" "$4" ;;
	*) fail "unknown variant $1" ;;
	esac
}

# bal_iperf_servers N: one iperf3 server per client (port 5200+k) under `mpsteer run`,
# and a plain TCP one for the background load (port 5300).
bal_iperf_servers() {
	local n=$1 k
	for ((k = 1; k <= n; k++)); do
		mptcp_bg "$SRV" iperf3 -s -p $((5200 + k)) >/dev/null 2>&1
	done
	bg "$SRV" iperf3 -s -p 5300 >/dev/null 2>&1
	for ((k = 1; k <= n; k++)); do
		wait_for 10 "iperf3 on port $((5200 + k))" listening "$SRV" $((5200 + k))
	done
	wait_for 10 "iperf3 on port 5300" listening "$SRV" 5300
}

# bal_download K RATE SECS OUT: client K downloads from its server for SECS at RATE
# (iperf3 -b; 0 = as fast as it can), MPTCP under `mpsteer run`; JSON report in OUT.
bal_download() {
	mptcp_bg "${CLIENTS[$1]}" iperf3 -c $BAL_SRV_ADDR -p $((5200 + $1)) -R -b "$2" -t "$3" \
		-J --logfile "$4"
}

# bal_background RATE SECS OUT: plain TCP download to the background host through AP-A.
bal_background() {
	bg "$BGNS" iperf3 -c $BAL_SRV_ADDR -p 5300 -R -b "$1" -t "$2" -J --logfile "$3"
}

# bal_txbytes: "sa_tx sb_tx" of the server (what each access network carried to clients).
bal_txbytes() {
	echo "$(ifbytes "$SRV" sa tx) $(ifbytes "$SRV" sb tx)"
}
