#!/usr/bin/env bash
# A subflow whose handshake fails is retried with backoff until it works, and
# a removed address takes its subflows (and their retries) with it.
#
#   client ns (mpsteerd)          router ns (nftables)       server ns (mpsteerd)
#   +--------------------+        +--------------------+     +--------------------+
#   | c1 10.1.1.2          |------| r1 10.1.1.1         |     |                    |
#   |                      |      | r0 10.9.0.1         |-----| s0 10.9.0.2        |
#   | c2 10.1.2.2          |------| r2 10.1.2.1         |     |                    |
#   +--------------------+        +--------------------+     +--------------------+
#                                 SYNs from 10.1.2.2 get a RST while the rule is in
#   ncat, idle connection                                   ncat -l -k :8080
#   (both unmodified, on MPTCP by mpsteer run)
set -eu
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v nft >/dev/null || skip "nft is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
daemon_topo 2
cat >"$TMP/client.conf" <<'EOF2'
[interfaces]
allow = c*
[links]
retry_base_ms = 100
retry_max_ms = 800
retry_limit = 0
[routing]
source_routing = yes
EOF2
cat >"$TMP/server.conf" <<'EOF2'
[interfaces]
allow = s*
EOF2
ip netns exec "$RTR" nft -f - <<'NFT' || skip "nftables cannot be used here"
table inet block {
	chain syn_reject {
		type filter hook forward priority 0;
		ip saddr 10.1.2.2 tcp flags & (syn | ack) == syn reject with tcp reset
	}
}
NFT
daemon_start "$SRV" "$TMP/server.conf"
daemon_start "$CLI" "$TMP/client.conf"
ncat_sink "$SRV" 8080 "$TMP/sink.out"
ncat_hold "$CLI" $SRV4 8080 hello
wait_eq 10 "connection up (its line arrived)" hello cat "$TMP/sink.out"
check "the connection is ncat's, at both ends" "ncat ncat" \
	"$(kconns "$CLI" | jq -r '.[0].comm') $(kconns "$SRV" | jq -r '.[0].comm')"

on_iface() {
	on_iface_of "$CLI" "$1"
}
wait_ge 20 "the join over c2 failed (RST) and was tried again" 3 dstat "$CLI" subflows_failed
check "no subflow on c2 while blocked" 0 "$(on_iface c2)"
ip netns exec "$RTR" nft delete table inet block
wait_eq 20 "the retried subflow on c2 is established" 1 on_iface c2
check "daemon counted retries" 1 "$(( $(dstat "$CLI" subflows_retried) >= 2 ? 1 : 0 ))"
check "every retry was a creation" 1 \
	"$(( $(dstat "$CLI" subflows_created) == $(dstat "$CLI" subflows_retried) + 1 ? 1 : 0 ))"

log "address removal closes the subflows from it"
rules_c2() {
	count 'from 10\.1\.2\.2 ' ip -n "$CLI" rule
}
check "source routing rule of 10.1.2.2 in place before the removal" 1 "$(rules_c2)"
ip -n "$CLI" addr del 10.1.2.2/24 dev c2
wait_eq 10 "no subflow on c2" 0 on_iface c2
check "the subflow from the removed address was closed by the daemon" 1 \
	"$(dstat "$CLI" subflows_closed_link)"
wait_eq 10 "source routing rule of the removed address gone" 0 rules_c2
check "the connection lives on c1" 1 "$(on_iface c1)"
log "PASS ($CHECKS checks)"
