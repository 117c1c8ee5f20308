#!/usr/bin/env bash
# What the snapshot (sock_diag + rtnetlink + /proc, shown by `mpsteer -j conns`)
# reports agrees with the kernel's own view (ss) on both ends of real MPTCP
# connections: tokens, owners, subflows per interface, ids, backup requests
# seen from each side, byte counters after a checksummed transfer, fallback to
# TCP, and the same answers for an unprivileged user.
#
#   client ns (in-kernel PM)                      server ns
#   +-------------------------------+             +-----------------------------+
#   | veth1 10.0.1.1  fd00:1::1     |-------------| veth1 10.0.1.2  fd00:1::2   |
#   | veth2 10.0.2.1  fd00:2::1     |-------------| veth2 10.0.2.2  fd00:2::2   |
#   |  endpoints: 10.0.2.1 (id 1), fd00:2::1 (id 2) dev veth2 subflow            |
#   +-------------------------------+             +-----------------------------+
#   peer.py send ADDR 5000 N (MPTCP)    ->        peer.py sink 5000 (MPTCP, sha256 of what it got)
#   peer.py send ADDR 5002 N (MPTCP)    ->        peer.py sink 5002 plain TCP (fallback)
#
# Argument: 4 (default) or 6.
set -eu
. "$(dirname "$0")/lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
FAM=${1:-4}
if [ "$FAM" = 6 ]; then
	SRV_IP=fd00:1::2 CLI_IP1=fd00:1::1 CLI_IP2=fd00:2::1 EP_ID=2
	fmt() { echo "[$1]:$2"; }
else
	SRV_IP=10.0.1.2 CLI_IP1=10.0.1.1 CLI_IP2=10.0.2.1 EP_ID=1
	fmt() { echo "$1:$2"; }
fi
N=3000000 # bytes sent per connection

CLI=$(ns_new dgc)
SRV=$(ns_new dgs)
link_pair "$CLI" veth1 10.0.1.1/24 "$SRV" veth1 10.0.1.2/24 fd00:1::1/64 fd00:1::2/64
link_pair "$CLI" veth2 10.0.2.1/24 "$SRV" veth2 10.0.2.2/24 fd00:2::1/64 fd00:2::2/64
for ns in "$CLI" "$SRV"; do
	ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1
	ip -n "$ns" mptcp limits set subflows 4 add_addr_accepted 4
done
# The subflow bound to veth2 needs a route to the server's first address
# there: IPv4 would assume it on-link, IPv6 does not (MPJoinSynTxConnectErr).
ip -n "$CLI" route add 10.0.1.0/24 via 10.0.2.2 dev veth2 metric 100
ip -n "$CLI" -6 route add fd00:1::/64 via fd00:2::2 dev veth2 metric 2000
# Both families: each connection joins with the endpoint of its own family.
ip -n "$CLI" mptcp endpoint add 10.0.2.1 dev veth2 id 1 subflow
ip -n "$CLI" mptcp endpoint add fd00:2::1 dev veth2 id 2 subflow

cat >"$TMP/peer.py" <<'EOF'
import hashlib, os, socket, sys, time
mode, port = sys.argv[1], int(sys.argv[3])
proto = 0 if mode == "sink-tcp" else 262
if mode.startswith("sink"):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(4)
    c, _ = s.accept(); h = hashlib.sha256(); n = 0
    while n < int(sys.argv[4]):
        d = c.recv(65536)
        if not d: break
        h.update(d); n += len(d)
    open(sys.argv[2], "w").write(h.hexdigest() + "\n")
    time.sleep(3600) # keep the connection for the checks
else:
    fam = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM, 262)
    c.connect((sys.argv[2], port))
    data = os.urandom(int(sys.argv[4]))
    open(sys.argv[5], "w").write(hashlib.sha256(data).hexdigest() + "\n")
    c.sendall(data)
    time.sleep(3600)
EOF

conns() { # NS [jq filter on the connection list]
	mps "$1" -j conns | jq -c "${2:-.}"
}
# The local token ss shows for the MPTCP socket with this local port, in decimal.
ss_token() {
	printf '%d\n' "0x$(ip netns exec "$1" ss -HMni "sport = :$2" | grep -o 'token:[0-9a-f]*' |
		cut -d: -f2)"
}
# wait_check SECONDS DESC EXPECTED CMD... : wait_eq, then counted as a check.
wait_check() {
	wait_eq "$@"
	check "$2" "$3" "$(shift 3; "$@")"
}
established_subflows() {
	conns "$1" "[.[] | select(.remote == \"$2\" or .local == \"$2\") | .subflows[] |
		select(.state == \"ESTAB\")] | length"
}

bg "$SRV" python3 "$TMP/peer.py" sink "$TMP/sha.srv" 5000 $N
SINK=$BG_PID
wait_for 10 "MPTCP server listening" listening "$SRV" 5000
bg "$CLI" python3 "$TMP/peer.py" send "$SRV_IP" 5000 $N "$TMP/sha.cli"
SENDER=$BG_PID
wait_for 20 "server received all $N bytes" test -s "$TMP/sha.srv"
check "sha256 of the transfer" "$(cat "$TMP/sha.cli")" "$(cat "$TMP/sha.srv")"
SRV_EP=$(fmt "$SRV_IP" 5000)
wait_check 20 "client connection has 2 established subflows" 2 established_subflows "$CLI" "$SRV_EP"
wait_check 20 "server connection has 2 established subflows" 2 established_subflows "$SRV" "$SRV_EP"

# --- the connection itself --------------------------------------------------
C=$(conns "$CLI" "[.[] | select(.remote == \"$SRV_EP\")]")
check "client: one connection to the server" 1 "$(jq length <<<"$C")"
CPORT=$(jq -r '.[0].local' <<<"$C" | sed 's/.*://')
check "client: token is the kernel's" "$(ss_token "$CLI" "$CPORT")" "$(jq '.[0].token' <<<"$C")"
check "client: owner pid is the sending process" "$SENDER" "$(jq '.[0].pid' <<<"$C")"
check "client: owner comm" python3 "$(jq -r '.[0].comm' <<<"$C")"
check "client: not fallen back" false "$(jq '.[0].fallback' <<<"$C")"
wait_check 10 "client: every byte acked at the MPTCP level" $N \
	conns "$CLI" ".[] | select(.remote == \"$SRV_EP\") | .bytes_acked"
check "client: bytes sent at the MPTCP level cover the transfer" true \
	"$(conns "$CLI" ".[] | select(.remote == \"$SRV_EP\") | .bytes_sent >= $N")"
S=$(conns "$SRV" "[.[] | select(.local == \"$SRV_EP\")]")
check "server: one connection" 1 "$(jq length <<<"$S")"
check "server: token is the kernel's" "$(ss_token "$SRV" 5000)" "$(jq '.[0].token' <<<"$S")"
check "server: owner is the sink" "$SINK" "$(jq '.[0].pid' <<<"$S")"
check "server: bytes received" $N "$(jq '.[0].bytes_received' <<<"$S")"

# --- subflows: interface, ids, ports as the kernel lists them ----------------
sf_summary() { # JSON list of one connection -> ifname:loc_id:rem_id:join,...
	jq -r '[.[0].subflows[] | "\(.ifname):\(.loc_id):\(.rem_id):\(.join)"] | join(",")'
}
check "client subflows (ifname:loc_id:rem_id:join)" "veth1:0:0:false,veth2:$EP_ID:0:true" \
	"$(sf_summary <<<"$C")"
# The server's joined subflow keeps the server's first address but leaves through veth2.
check "server subflows (ifname:loc_id:rem_id:join)" "veth1:0:0:false,veth2:0:$EP_ID:true" \
	"$(sf_summary <<<"$S")"
check "client subflow local ports are the kernel's" \
	"$(ip netns exec "$CLI" ss -Htn state established "dport = :5000" | awk '{print $3}' |
		sed 's/.*://' | sort -n | paste -sd,)" \
	"$(jq -r '[.[0].subflows[].local | sub(".*:"; "") | tonumber] | sort | map(tostring) |
		join(",")' <<<"$C")"
check "subflow bytes add up at the server" true \
	"$(jq "[.[0].subflows[].bytes_received] | add >= $N" <<<"$S")"

# --- backup: asked by the client, seen as the peer's request by the server ---
backup_view() { # NS ENDPOINT : "local,peer" of the veth2 subflow
	conns "$1" ".[] | select(.remote == \"$2\" or .local == \"$2\") | .subflows[] |
		select(.ifname == \"veth2\") | \"\(.backup_local),\(.backup_peer)\"" | tr -d '"'
}
check "no backup before" "false,false" "$(backup_view "$CLI" "$SRV_EP")"
ip -n "$CLI" mptcp endpoint change id $EP_ID backup
wait_check 10 "client: veth2 subflow is backup by its own request" "true,false" \
	backup_view "$CLI" "$SRV_EP"
wait_check 10 "server: veth2 subflow is backup by the peer's request" "false,true" \
	backup_view "$SRV" "$SRV_EP"
ip -n "$CLI" mptcp endpoint change id $EP_ID nobackup
wait_check 10 "client: backup cleared" "false,false" backup_view "$CLI" "$SRV_EP"
wait_check 10 "server: backup cleared" "false,false" backup_view "$SRV" "$SRV_EP"

# --- an unprivileged user sees the same connections -------------------------
VIEW='[.[] | {token, local, remote, subflows: [.subflows[] | {local, ifname, loc_id, rem_id}]}]'
unpriv() {
	ip netns exec "$1" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$MPSTEER" -j conns | jq -c "$VIEW"
}
check "unprivileged view equals root's (client)" "$(conns "$CLI" "$VIEW")" "$(unpriv "$CLI")"

# --- fallback: an MPTCP client against a plain TCP server --------------------
bg "$SRV" python3 "$TMP/peer.py" sink-tcp "$TMP/sha.tcp" 5002 1000
wait_for 10 "TCP server listening" listening "$SRV" 5002
bg "$CLI" python3 "$TMP/peer.py" send "$SRV_IP" 5002 1000 "$TMP/sha.tcpcli"
wait_for 20 "TCP server received" test -s "$TMP/sha.tcp"
check "sha256 over the fallen-back connection" "$(cat "$TMP/sha.tcpcli")" "$(cat "$TMP/sha.tcp")"
FB_EP=$(fmt "$SRV_IP" 5002)
check "client: connection to the TCP server fell back" true \
	"$(conns "$CLI" ".[] | select(.remote == \"$FB_EP\") | .fallback")"
check "client: it keeps one subflow" 1 \
	"$(conns "$CLI" "[.[] | select(.remote == \"$FB_EP\") | .subflows[]] | length")"
check "server: a plain TCP socket is no MPTCP connection" 0 \
	"$(conns "$SRV" "[.[] | select(.local == \"$FB_EP\")] | length")"

log "$CHECKS checks passed"
