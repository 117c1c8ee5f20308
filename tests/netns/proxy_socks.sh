#!/usr/bin/env bash
# mpsteer proxy socks: an MPTCP client (curl, unmodified, on MPTCP by mpsteer run)
# fetches files from a plain-TCP nginx through the SOCKS5 server, by name and by
# IPv4 and IPv6 address, with and without RFC 1929 authentication; the server's
# `mpsteer conns` names the TCP peer of the converted MPTCP connection.
#
#   client ns (mpsteerd)   router   server ns (mpsteerd, proxy socks :1080/:1081)   web ns
#   curl --socks5-hostname  c1, c2 ---------- s0 10.9.0.2              w0 ----------- nginx :80
#   (2 subflows)                                                                     (TCP only)
set -eu
. "$(dirname "$0")/proxy_lib.sh"
netns_init
for t in jq curl nginx; do command -v $t >/dev/null || skip "$t is not installed"; done
proxy_topo
web_up big.bin:32000000 small.bin:100000
printf '[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n' >"$TMP/client.conf"
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
proxy_bg "$SRV" socks listen '[::]:1080' allow-client 10.1.0.0/16 allow-client fd01::/16
printf '# users of the proxy\nalice:s3cr:et\n' >"$TMP/users"
bg "$SRV" "$MPSTEER" proxy socks listen 0.0.0.0:1081 allow-client 10.1.0.0/16 \
	credentials "$TMP/users" 2>"$TMP/auth.log"
wait_for 10 "the authenticating proxy listens" listening "$SRV" 1081

mcurl() { # curl on MPTCP in the client namespace
	ip netns exec "$CLI" env MPSTEER_PRELOAD="$PRELOAD" "$MPSTEER" run -- curl -sS "$@"
}

log "a slow download by name: the converted connection has two subflows and a TCP peer"
# Slow enough that the socket buffers on the way (some 20 MB) cannot hold the rest.
mptcp_bg "$CLI" curl -sS --socks5-hostname $SRV4:1080 --limit-rate 1000k -o /dev/null \
	http://web.test/big.bin
CURL=$BG_PID
proxied() { # jq over the server's MPTCP connections converted to the web server
	mps "$SRV" -j conns | jq -r "[.[] | select(.proxy.tcp_remote == \"$WEB4:80\")] | $1"
}
wait_eq 10 "the server's connection to nginx appears in mpsteer conns" 1 proxied length
wait_eq 10 "two established subflows on it" 2 \
	proxied '.[0].subflows | map(select(.state == "ESTAB")) | length'
check "its proxy entry names the destination as asked" "web.test:80 socks" \
	"$(proxied '.[0].proxy | "\(.dest) \(.role)"')"
check "text output shows the TCP side" 1 \
	"$(mps "$SRV" conns | grep -c "proxy socks: tcp .* -> $WEB4:80 dest web.test:80")"
kill "$CURL"
wait "$CURL" || true

log "the whole file at full speed"
rx1=$(ifbytes "$CLI" c1 rx) rx2=$(ifbytes "$CLI" c2 rx)
mcurl --socks5-hostname $SRV4:1080 -o "$TMP/got" http://web.test/big.bin
check "32 MB through the proxy, sha256 intact" "32000000 $(sha_of big.bin)" \
	"$(size_sha "$TMP/got")"
check "the download used c1" 1 "$(( $(ifbytes "$CLI" c1 rx) - rx1 > 1000000 ? 1 : 0 ))"
check "the download used c2" 1 "$(( $(ifbytes "$CLI" c2 rx) - rx2 > 1000000 ? 1 : 0 ))"

log "IPv4 and IPv6 addresses, an IPv6 name"
mcurl --socks5 $SRV4:1080 -o "$TMP/g4" http://$WEB4/small.bin
check "by IPv4 address" "100000 $(sha_of small.bin)" "$(size_sha "$TMP/g4")"
mcurl --socks5-hostname $SRV4:1080 -o "$TMP/g6" 'http://[fd08::2]/small.bin'
check "by IPv6 address" "100000 $(sha_of small.bin)" "$(size_sha "$TMP/g6")"
mcurl --socks5-hostname $SRV4:1080 -o "$TMP/g6n" http://web6.test/small.bin
check "by a name with an IPv6 address" "100000 $(sha_of small.bin)" "$(size_sha "$TMP/g6n")"
mcurl --socks5-hostname '[fd09::2]:1080' -o "$TMP/g66" http://web.test/small.bin
check "to the proxy over IPv6" "100000 $(sha_of small.bin)" "$(size_sha "$TMP/g66")"
wait_ge 5 "5 connections completed" 5 pstat "$SRV" completed
wait_ge 5 "bytes down counted" 32400000 pstat "$SRV" bytes_down

log "username/password (RFC 1929)"
mcurl --proxy 'socks5h://alice:s3cr%3Aet@'$SRV4:1081 -o "$TMP/ga" http://web.test/small.bin
check "with the right password" "100000 $(sha_of small.bin)" "$(size_sha "$TMP/ga")"
rc=0
mcurl --proxy "socks5h://alice:wrong@$SRV4:1081" -o /dev/null http://web.test/small.bin \
	2>/dev/null || rc=$?
check "a wrong password fails curl (CURLE_PROXY)" 97 "$rc"
rc=0
mcurl --socks5-hostname $SRV4:1081 -o /dev/null http://web.test/small.bin 2>/dev/null || rc=$?
check "no credentials: refused" 97 "$rc"
check "one log line per refusal" 2 "$(grep -c 'refused' "$TMP/auth.log")"
check "the user named in the log" 1 "$(grep -c 'refused: bad password for user "alice"' "$TMP/auth.log")"

log "the proxy never relays for clients outside allow-client (the web host)"
rc=0
ip netns exec "$WEB" curl -sS --max-time 5 --socks5-hostname 10.8.0.1:1080 \
	-o /dev/null http://web.test/ 2>/dev/null || rc=$?
check "curl from outside the allowed prefixes fails" 97 "$rc"
wait_eq 5 "refused_client counted" 1 pstat "$SRV" refused_client
check "logged with the client's address" 1 \
	"$(grep -c 'from 10.8.0.2.*refused: client not in allow-client' "$TMP/proxy-$SRV-socks.log")"
kill -0 "$PROXY_PID" || fail "the proxy died"
log "PASS ($CHECKS checks)"
