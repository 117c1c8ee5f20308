#!/usr/bin/env bash
# Access-point concentration: N clients behind two access points of unequal capacity, one of
# which also carries plain TCP background load, downloading from one server. Compared side by
# side in one run, on the same topology and the same load:
#   none     no steering: each connection's primary stays where it was made (AP-A: the
#            server's mpsteerd flags every subflow through AP-B backup);
#   static   a split fixed in advance: odd clients on AP-A, even clients on AP-B (backup rules
#            by client address);
#   balance  mpsteerd's balance policy moves primaries from the measured loads;
#   active   (for reference) no primary at all: both subflows of every connection active,
#            the kernel's scheduler spreads each connection over both APs. Not what a
#            deployment that keeps one AP per client (the research's setting) can use.
# Topology: tests/netns/balance_lib.sh (client k: 10.1.0.10+k via AP-A, 10.2.0.10+k via AP-B; the
# server's sa/sb shaped to CAP_A/CAP_B Mbit/s by tbf; background host on AP-A).
#
# Load (the same in every variant): clients 1 and 3 download as fast as they can (iperf3 -R,
# no rate limit), the others at LIGHT Mbit/s each (iperf3 -b), the background host at BG
# Mbit/s over plain TCP. A split fixed before usage is known puts the two heavy users on
# the same AP three times in seven; this run shows that case.
#
# Per variant, after WARM seconds, over WIN seconds: each AP's utilisation (bytes the server
# sent through sa/sb over its capacity), Jain's fairness index of the two utilisations,
# aggregate goodput (what the iperf3 receivers got, clients and background, per second,
# over CAP_A + CAP_B), primary switches (mpsteerd's counter).
#
# Usage: bench/balance.sh [VARIANTS="none static balance active"] [N=8]
# Env: CAP_A (60) CAP_B (40) BG (15) LIGHT ("2 1 4 2 1 2", cycled) WARM (10) WIN (10),
# BAL_MTU (9000), MPSTEER, MPSTEERD. Needs root.
set -eu
VARIANTS=${1:-none static balance active}
N=${2:-8}
CAP_A=${CAP_A:-60}
CAP_B=${CAP_B:-40}
BG=${BG:-15}
LIGHT=${LIGHT:-2 1 4 2 1 2}
WARM=${WARM:-10}
WIN=${WIN:-10}
. "$(dirname "$0")/lib.sh"
# shellcheck source=../tests/netns/balance_lib.sh
. "$_top/tests/netns/balance_lib.sh"
bench_init
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
[ "$N" -ge 4 ] || fail "N must be at least 4"
bal_topo "$N" "$CAP_A" "$CAP_B"
bal_iperf_servers "$N"
read -r -a light <<<"$LIGHT"

# rate K: client K's iperf3 -b (0: unlimited).
rate() {
	if [ "$1" = 1 ] || [ "$1" = 3 ]; then
		echo 0
	else
		echo "${light[$((($1 - 1) % ${#light[@]}))]}M"
	fi
}

# goodput FILE T0 T1: Mbit/s the iperf3 receiver of FILE got between T0 and T1 seconds.
goodput() {
	jq --argjson t0 "$1" --argjson t1 "$2" '[.intervals[].sum |
		select(.start >= $t0 - 0.01 and .end <= $t1 + 0.01) | .bits_per_second] |
		if length == 0 then 0 else (add / length / 1e6) end' "$3"
}

# util BYTES CAP: utilisation of an AP that sent BYTES in the window.
util() {
	awk -v d="$1" -v c="$2" -v w="$WIN" 'BEGIN { printf "%.3f", d * 8 / w / c / 1e6 }'
}

run() {
	local v=$1 k t0 t1 a0 b0 a1 b1 ua ub secs=$((WARM + WIN + 2)) sum=0 g pids=()
	bal_variant_conf "$v" "$TMP/$v.conf" "$CAP_A" "$CAP_B" "$N"
	daemon_up "$SRV" "$TMP/$v.conf" 2>"$TMP/$v.log"
	bal_background "${BG}M" "$secs" "$TMP/$v-bg.json"
	pids+=("$BG_PID")
	for ((k = 1; k <= N; k++)); do
		bal_download "$k" "$(rate "$k")" "$secs" "$TMP/$v-$k.json"
		pids+=("$BG_PID")
	done
	sleep "$WARM" # the load runs WARM s before the window (a benchmark, not a test)
	read -r a0 b0 < <(bal_txbytes)
	sleep "$WIN"
	read -r a1 b1 < <(bal_txbytes)
	for p in "${pids[@]}"; do wait "$p" || true; done
	ua=$(util $((a1 - a0)) "$CAP_A")
	ub=$(util $((b1 - b0)) "$CAP_B")
	t0=$WARM t1=$((WARM + WIN))
	for f in "$TMP/$v-bg.json" "$TMP/$v"-[0-9]*.json; do
		g=$(goodput "$t0" "$t1" "$f") || fail "no iperf3 report in $f"
		sum=$(awk -v a="$sum" -v b="$g" 'BEGIN { print a + b }')
	done
	RES_UA[$v]=$ua RES_UB[$v]=$ub
	RES_J[$v]=$(awk -v a="$ua" -v b="$ub" 'BEGIN { s = a * a + b * b;
		if (s == 0) print "nan"; else printf "%.3f", (a + b) ^ 2 / (2 * s) }')
	RES_G[$v]=$(awk -v g="$sum" -v c=$((CAP_A + CAP_B)) 'BEGIN { printf "%.3f", g / c }')
	RES_SW[$v]=$(mps "$SRV" -j status | jq -r '.steering.policies.balance.reasons.balance // 0')
	daemon_down "$DPID"
	log "$v: AP-A $ua AP-B $ub Jain ${RES_J[$v]} goodput ${RES_G[$v]} of capacity"
}

declare -A RES_UA RES_UB RES_J RES_G RES_SW
start=$(date +%s)
for v in $VARIANTS; do
	run "$v"
done

echo
echo "access-point concentration: $N clients (2 heavy, the rest ${LIGHT// /,} Mbit/s), AP-A" \
	"${CAP_A} Mbit/s + ${BG} Mbit/s plain TCP background, AP-B ${CAP_B} Mbit/s, MTU $BAL_MTU;" \
	"window ${WIN}s after ${WARM}s"
printf '%-8s %8s %8s %7s %9s %9s %8s %8s %9s %9s\n' variant util-A util-B Jain goodput \
	switches J/none gp/none J/static gp/static
for v in $VARIANTS; do
	printf '%-8s %8s %8s %7s %9s %9s %8s %8s %9s %9s\n' "$v" "${RES_UA[$v]}" "${RES_UB[$v]}" \
		"${RES_J[$v]}" "${RES_G[$v]}" "${RES_SW[$v]}" \
		"$(ratio "${RES_J[$v]}" "${RES_J[none]:-nan}")" \
		"$(ratio "${RES_G[$v]}" "${RES_G[none]:-nan}")" \
		"$(ratio "${RES_J[$v]}" "${RES_J[static]:-nan}")" \
		"$(ratio "${RES_G[$v]}" "${RES_G[static]:-nan}")"
done
echo "goodput: application bytes received (clients + background) / (CAP_A + CAP_B);" \
	"goal for balance: Jain >= 0.95, goodput >= 0.95; took $(($(date +%s) - start)) s"
