#!/usr/bin/env bash
# mpsteer proxy client as a home gateway: a LAN host without MPTCP downloads
# from a TCP-only nginx with plain curl; the gateway intercepts the connection
# (nftables REDIRECT), carries it over MPTCP to mpsteer proxy socks, and both
# uplinks carry the download; it completes intact when an uplink dies mid-way.
# The gateway's local SOCKS5 endpoint works too, names resolved by the server, and
# interception by TPROXY.
#
#   lan ns (net.mptcp.enabled=0)   client ns = gateway (mpsteerd,     router      server ns      web ns
#   curl http://10.8.0.2/...       proxy client :1081 transparent,    (tbf 50mbit (mpsteerd,     nginx :80
#   e0 192.168.1.2 --------------- l0 192.168.1.1 :1080 SOCKS5)       towards the  proxy socks   (TCP only)
#                                  c1 10.1.1.2 ----------------------- r1 gateway) s0 10.9.0.2:1080
#                                  c2 10.1.2.2 ----------------------- r2          w0 ---------- w1 10.8.0.2
set -eu
. "$(dirname "$0")/proxy_lib.sh"
netns_init
for t in jq curl nginx nft; do command -v $t >/dev/null || skip "$t is not installed"; done
proxy_topo lan
for i in 1 2; do
	ip netns exec "$RTR" tc qdisc add dev r$i root tbf rate 50mbit burst 32kb latency 50ms ||
		skip "tc tbf is not available"
done
web_up big.bin:30000000 huge.bin:60000000 small.bin:100000
printf '[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n' >"$TMP/client.conf"
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
proxy_bg "$SRV" socks listen 0.0.0.0:1080 allow-client 10.1.0.0/16
SOCKS=$PROXY_PID
ip netns exec "$CLI" nft -f - <<'NFT'
table ip mpsteer_gw {
	chain pre {
		type nat hook prerouting priority dstnat;
		iifname "l0" tcp dport 80 redirect to :1081;
	}
}
NFT
proxy_bg "$CLI" client server $SRV4:1080 transparent 0.0.0.0:1081 listen 192.168.1.1:1080 \
	allow-client 192.168.1.0/24
GW=$PROXY_PID
check "the LAN host has no MPTCP" 0 "$(ip netns exec "$LAN" sysctl -n net.mptcp.enabled)"
lcurl() { ip netns exec "$LAN" curl -sS --max-time 60 "$@"; }

log "a slow transparent download: each end of the MPTCP connection names its TCP peer"
bg "$LAN" curl -sS --limit-rate 500k -o /dev/null http://$WEB4/big.bin
SLOW=$BG_PID
mapped() { # NS TCP-PEER-PREFIX: MPTCP connections of NS that the proxy maps to that peer
	mps "$1" -j conns | jq -r "[.[] | select(.proxy.tcp_remote // \"\" |
		startswith(\"$2\"))] | length"
}
wait_eq 10 "the gateway maps its MPTCP connection to the LAN host" 1 mapped "$CLI" 192.168.1.2:
wait_eq 10 "the server maps it to nginx" 1 mapped "$SRV" $WEB4:80
check "the gateway's entry names the original destination" "$WEB4:80 client" \
	"$(mps "$CLI" -j conns | jq -r '.[] | select(.proxy != null) | .proxy |
		"\(.dest) \(.role)"')"
kill "$SLOW"
wait "$SLOW" 2>/dev/null || true
# Its data in flight must not count for the next download.
wait_eq 20 "the slow connection is gone at the server" 0 mapped "$SRV" $WEB4:80
wait_eq 20 "and at the gateway" 0 mapped "$CLI" 192.168.1.2:

log "a full download: both uplinks carry it"
a1=$(ifbytes "$CLI" c1 rx) a2=$(ifbytes "$CLI" c2 rx)
lcurl -o "$TMP/got" http://$WEB4/big.bin
check "30 MB to the LAN host, sha256 intact" "30000000 $(sha_of big.bin)" "$(size_sha "$TMP/got")"
d1=$(( $(ifbytes "$CLI" c1 rx) - a1 )) d2=$(( $(ifbytes "$CLI" c2 rx) - a2 ))
log "bytes received: c1 $d1, c2 $d2"
check "c1 carried over a quarter" 1 "$(( d1 > 7500000 ? 1 : 0 ))"
check "c2 carried over a quarter" 1 "$(( d2 > 7500000 ? 1 : 0 ))"

log "the local SOCKS5 endpoint, by name (resolved by the server)"
lcurl --socks5-hostname 192.168.1.1:1080 -o "$TMP/gs" http://web.test/small.bin
check "100 kB by SOCKS5 through the gateway" "100000 $(sha_of small.bin)" "$(size_sha "$TMP/gs")"
rc=0
lcurl --socks5-hostname 192.168.1.1:1080 -o /dev/null http://127.0.0.1/ 2>/dev/null || rc=$?
check "a refused destination fails curl (CURLE_PROXY)" 97 "$rc"

log "TPROXY interception, and a client that pipelines its SOCKS messages"
ip netns exec "$CLI" nft -f - <<'NFT'
table ip mpsteer_tp {
	chain pre {
		type filter hook prerouting priority mangle;
		iifname "l0" tcp dport 8080 tproxy to :1083 meta mark set 1 accept;
	}
}
NFT
ip -n "$CLI" rule add fwmark 1 lookup 100
ip -n "$CLI" route add local 0.0.0.0/0 dev lo table 100
proxy_bg "$CLI" client server $SRV4:1080 transparent 0.0.0.0:1083 transparent-mode tproxy \
	allow-client 192.168.1.0/24 pipeline yes
TP=$PROXY_PID
lcurl -o "$TMP/gt" http://$WEB4:8080/small.bin
check "100 kB through the TPROXY listener" "100000 $(sha_of small.bin)" "$(size_sha "$TMP/gt")"
wait_ge 5 "counted as completed by the TPROXY client" 1 pstat "$CLI" completed "$TP"

log "an uplink dies mid-download"
bg "$LAN" curl -sS --max-time 60 -o "$TMP/huge" http://$WEB4/huge.bin
DL=$BG_PID
b1=$(ifbytes "$CLI" c1 rx)
wait_ge 30 "10 MB received over c1" $((b1 + 10000000)) ifbytes "$CLI" c1 rx
b2=$(ifbytes "$CLI" c2 rx)
ip -n "$CLI" link set c1 down
log "c1 down"
wait "$DL" || fail "the download failed after the uplink was lost"
check "60 MB intact after losing c1" "60000000 $(sha_of huge.bin)" "$(size_sha "$TMP/huge")"
check "c2 carried the rest (over 20 MB after the loss)" 1 \
	"$(( $(ifbytes "$CLI" c2 rx) - b2 > 20000000 ? 1 : 0 ))"
wait_ge 5 "the gateway counts 3 completed connections" 3 pstat "$CLI" completed "$GW"
# (relay errors are not: the slow download was killed, a reset passed on)
check "nothing refused or failed on the server" "0 0 0 0" \
	"$(for k in refused_client refused_dest connect_failed bad_request; do
		pstat "$SRV" $k "$SOCKS"; done | xargs)"
kill -0 "$GW" && kill -0 "$SOCKS" || fail "a proxy died"
log "PASS ($CHECKS checks)"
