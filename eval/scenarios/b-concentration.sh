#!/usr/bin/env bash
# Scenario b, access-point concentration: N clients (each its own namespace) reach one server
# through two access points of unequal capacity; one AP also carries plain TCP background
# load; clients start and stop downloads along a fixed schedule. Compared, one after the other
# on the same topology and the same schedule:
#   none     no steering: every connection's primary stays where it was made (AP-A; the
#            server's mpsteerd flags the subflows through AP-B backup);
#   static   a split fixed in advance: odd clients on AP-A, even ones on AP-B;
#   balance  mpsteerd's balance policy on the server moves primaries from measured loads.
# Topology: tests/netns/balance_lib.sh (the server's sa/sb are the APs' uplinks, shaped by
# tbf to CAP_A/CAP_B; the server's sa/sb tx counters sampled every EVAL_TICK_MS).
# Schedule: clients 1, 3, 5 and 8 download as fast as they can (heavy users), in staggered
# windows; the others at 1..4 Mbit/s each, starting and stopping (see schedule()).
# Figures per arm: Jain's index of the two APs' utilisations (mean over the samples while
# clients are active), aggregate goodput (what the iperf3 receivers got, clients and
# background) over CAP_A + CAP_B, each client's mean goodput, and primary switches.
# Env: N (16), CAP_A (60), CAP_B (40), BG (15) Mbit/s, T (duration, s).
set -eu
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../../tests/netns/balance_lib.sh
. "$_top/tests/netns/balance_lib.sh"
N=${N:-16}
CAP_A=${CAP_A:-60}
CAP_B=${CAP_B:-40}
BG=${BG:-15}
T=${T:-$(eval_size 24 60)}
ARMS=${ARMS:-none static balance}
eval_init "access-point concentration, $N clients: the balance policy vs no steering vs a \
static split"
eval_need iperf3 "the downloads"
[ "$N" -ge 8 ] || fail "N must be at least 8"

bal_topo "$N" "$CAP_A" "$CAP_B"
bal_iperf_servers "$N"

# schedule K: "START DURATION RATE" of client K, in seconds and iperf3 -b (0: unlimited),
# scaled to T (the full run: 60 s).
schedule() {
	local k=$1 s d r
	case $k in
	1) s=0 d=60 r=0 ;;
	3) s=5 d=45 r=0 ;;
	5) s=15 d=45 r=0 ;;
	8) s=30 d=30 r=0 ;;
	*) s=$(((k * 7) % 30)) d=$((20 + (k * 11) % 25)) r=$((1 + k % 4))M ;;
	esac
	[ $((s + d)) -le 60 ] || d=$((60 - s))
	echo "$((s * T / 60)) $((d * T / 60 > 2 ? d * T / 60 : 2)) $r"
}

# arm NAME: the schedule once, with the server's config of NAME.
arm() {
	local name=$1 k s d r pids=() sw
	bal_variant_conf "$name" "$TMP/$name.conf" "$CAP_A" "$CAP_B" "$N"
	daemon_up "$SRV" "$TMP/$name.conf" 2>"$EVAL_OUT/$name.mpsteerd.log"
	eval_series_start "$name" "$SRV" sa sb
	bal_background "${BG}M" "$T" "$TMP/$name-bg.json"
	pids+=("$BG_PID")
	for ((k = 1; k <= N; k++)); do
		read -r s d r < <(schedule "$k")
		(
			sleep "$s" # the schedule's start time, not a wait for state
			exec ip netns exec "${CLIENTS[k]}" env MPSTEER_PRELOAD="$PRELOAD" \
				"$MPSTEER" run -- iperf3 -c $BAL_SRV_ADDR -p $((5200 + k)) -R -b "$r" -t "$d" -J \
				--logfile "$TMP/$name-$k.json"
		) &
		pids+=("$!")
		_PIDS+=("$!")
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
	eval_series_stop "$name"
	sw=$(mps "$SRV" -j status |
		jq -r '.steering.policies.balance.reasons.balance // 0' 2>/dev/null || echo 0)
	daemon_down "$DPID"
	echo "$sw" >"$TMP/$name.switches"
	# Per-client mean goodput (Mbit/s) over its own download.
	for ((k = 1; k <= N; k++)); do
		jq -r --argjson k "$k" '"\($k),\(.end.sum_received.bits_per_second // 0)"' \
			"$TMP/$name-$k.json" 2>/dev/null || echo "$k,0"
	done | awk -F, '{ printf "%d,%.3f\n", $1, $2 / 1e6 }' >"$EVAL_OUT/$name.clients.csv"
	log "$name: done, $sw primary switches"
}

for a in $ARMS; do arm "$a"; done

# figures ARM: "jain goodput" — Jain's index of (util_A, util_B) per sample, averaged over the
# samples where the APs carry something; aggregate goodput of the receivers over capacity.
figures() {
	local arm=$1 bytes=0 f b
	for f in "$TMP/$arm-bg.json" "$TMP/$arm"-[0-9]*.json; do
		b=$(jq -r '.end.sum_received.bytes // 0' "$f" 2>/dev/null || echo 0)
		bytes=$((bytes + ${b%.*}))
	done
	awk -F, -v ca="$CAP_A" -v cb="$CAP_B" -v bytes="$bytes" -v t="$T" 'NR == 1 { next }
		{ a = $3 / ca; b = $5 / cb; if (a + b < 0.05) next
		  j += (a + b) ^ 2 / (2 * (a * a + b * b)); n++ }
		END { printf "%.3f %.3f\n", n ? j / n : 0, bytes * 8 / t / 1e6 / (ca + cb) }' \
		"$EVAL_OUT/$arm.csv"
}
for a in $ARMS; do
	eval_require "$EVAL_OUT/$a.csv" 10 "per-AP samples of the $a arm"
	read -r j g < <(figures "$a")
	echo "$a $j $g $(cat "$TMP/$a.switches")" >>"$TMP/figures"
	log "$a: Jain $j, goodput $g of capacity"
done

# Per-AP utilisation over time, one panel per arm; the ifsample columns are
# t_s,sa_rx,sa_tx,sb_rx,sb_tx (Mbit/s): the APs' downlinks are the server's tx.
{
	n=$(wc -w <<<"$ARMS")
	echo "set multiplot layout $n,1"
	echo "set xlabel 'time (s)'"
	echo "set ylabel 'utilisation (% of capacity)'"
	echo "set yrange [0:120]"
	for a in $ARMS; do
		echo "set title '$a'"
		echo "plot '$EVAL_OUT/$a.csv' using 1:(\$3 * 100 / $CAP_A) skip 1 with lines lw 2" \
			"lc rgb '#1f77b4' title 'AP-A ($CAP_A Mbit/s, +$BG background)'," \
			"'' using 1:(\$5 * 100 / $CAP_B) skip 1 with lines lw 2 lc rgb '#d62728'" \
			"title 'AP-B ($CAP_B Mbit/s)'"
	done
	echo "unset multiplot"
} | eval_gnuplot "$EVAL_OUT/ap_utilisation.png" 1000 $((260 * $(wc -w <<<"$ARMS")))

# Per-client goodput, each arm's clients sorted from the least served.
for a in $ARMS; do
	sort -t, -k2 -g "$EVAL_OUT/$a.clients.csv" | awk -F, '{ print NR "," $2 }' \
		>"$EVAL_OUT/$a.clients.sorted.csv"
done
{
	echo "set xlabel 'clients, from the least served (rank)'"
	echo "set ylabel 'mean goodput of its download (Mbit/s)'"
	echo "set xrange [0.5:$N.5]"
	printf "plot "
	sep=""
	for a in $ARMS; do
		printf "%s'%s' using 1:2 with linespoints lw 2 pt 7 title '%s'" "$sep" \
			"$EVAL_OUT/$a.clients.sorted.csv" "$a"
		sep=", "
	done
	echo
} | eval_gnuplot "$EVAL_OUT/client_goodput.png" 900 450

eval_md "$N clients, each in its own network namespace, download from one server (iperf3 -R," \
	"unmodified, MPTCP through \`mpsteer run\`) through AP-A ($CAP_A Mbit/s, also carrying" \
	"$BG Mbit/s of plain TCP background) or AP-B ($CAP_B Mbit/s), tbf-shaped; every" \
	"connection is made through AP-A and has a second subflow through AP-B. Four heavy users" \
	"(clients 1, 3, 5, 8) and light ones (1..4 Mbit/s) start and stop along one schedule of" \
	"$T s, the same in every arm. Utilisation: the server's sa/sb transmit counters sampled" \
	"every $EVAL_TICK_MS ms over each AP's capacity."
eval_md_plot ap_utilisation.png "per-AP utilisation over time"
eval_md_plot client_goodput.png "per-client goodput distribution"
{
	printf 'arm\tJain index of AP utilisation\taggregate goodput / capacity\tprimary switches\n'
	while read -r a j g s; do printf '%s\t%s\t%s\t%s\n' "$a" "$j" "$g" "$s"; done \
		<"$TMP/figures"
} | eval_md_table
fig() { awk -v a="$1" -v c="$2" '$1 == a { print $c }' "$TMP/figures"; }
if grep -q '^balance ' "$TMP/figures"; then
	eval_headline "Jain index of AP utilisation" balance "$(fig balance 2)" "no steering" \
		"$(fig none 2)"
	eval_headline "... against a static split" balance "$(fig balance 2)" "static split" \
		"$(fig static 2)"
	eval_headline "aggregate goodput / capacity" balance "$(fig balance 3)" "no steering" \
		"$(fig none 3)"
	eval_headline "... against a static split" balance "$(fig balance 3)" "static split" \
		"$(fig static 3)"
else
	eval_missing "the balance arm was not run (ARMS=$ARMS)"
fi
eval_done
