#!/usr/bin/env bash
# Scenario d, bufferbloat: the request stream of scenario c (reqgen against nginx, one
# keep-alive connection, a small response every 50 ms) while plain-TCP cross traffic (an
# iperf3 download to c1) keeps a deep queue full on path 1's downlink (tbf on the router's
# r1, QUEUE_MS of data at its rate); path 2 has an ordinary queue. Topology and load:
# eval/lib/requests.sh. Arms, one after the other on the same topology:
#   interactive  mpsteerd with the interactive policy (primary: the path with the lower RTT)
#   kernel       the in-kernel PM, an endpoint on c2 (two active subflows: the kernel's
#                scheduler chooses per packet)
#   tcp          plain TCP (on path 1, the default route)
# Figures: p50/p95/p99 request time (from when the request was sent to its last byte), failed
# requests (no response in 5 s); plot: the CDF of request times.
# Env: ARMS, SECS (length of each stream), QUEUE_MS (depth of path 1's queue).
set -eu
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/requests.sh"
ARMS=${ARMS:-interactive kernel tcp}
SECS=${SECS:-$(eval_size 5 20)}
QUEUE_MS=${QUEUE_MS:-500}
QUEUE=$((RQ_RATE * 1000000 * QUEUE_MS / 8000))
eval_init "request stream with a bloated queue on path 1: ${ARMS// / vs }"
rq_topo "$QUEUE"

# shellcheck disable=SC2086 # a list of words
rq_pick $ARMS
for arm in "${RQ_ARMS[@]}"; do
	rq_bloat_run "$arm" "$SECS" "$QUEUE" "$EVAL_OUT/$arm.csv"
	read -r n f s p50 p95 p99 gap < <(rq_stats "$EVAL_OUT/$arm.csv")
	echo "$arm $n $f $s $p50 $p95 $p99 $gap" >>"$TMP/stats"
	log "$arm: $n requests, $f failed, p50/p95/p99 $p50/$p95/$p99 ms"
	# The CDF: request times sorted, with the fraction of requests at or below each.
	tail -n +2 "$EVAL_OUT/$arm.csv" | cut -d, -f2 | sort -g |
		awk -v n="$n" 'BEGIN { print "ms,fraction" } { printf "%s,%.4f\n", $1, NR / n }' \
			>"$EVAL_OUT/cdf-$arm.csv"
done

colors=('#2ca02c' '#1f77b4' '#d62728' '#9467bd' '#ff7f0e')
{
	echo "set title 'request times with path 1 bufferbloated" \
		"(${QUEUE_MS} ms queue, cross traffic)'"
	echo "set xlabel 'request time (ms, log scale)'"
	echo "set ylabel 'fraction of requests'"
	echo "set logscale x"
	echo "set yrange [0:1.02]"
	echo "set key inside right bottom box opaque"
	echo "set arrow 1 from graph 0, first 0.95 to graph 1, first 0.95 nohead dt 3" \
		"lc rgb 'gray40'"
	echo "set label 1 'p95' at graph 0.01, first 0.95 offset 0,0.6 textcolor rgb 'gray40'"
	printf 'plot '
	i=0
	for arm in "${RQ_ARMS[@]}"; do
		[ $i = 0 ] || printf ', '
		printf "'%s' using 1:2 skip 1 with steps lw 2 lc rgb '%s' title '%s'" \
			"$EVAL_OUT/cdf-$arm.csv" "${colors[$i]}" "$(rq_label "$arm")"
		i=$((i + 1))
	done
	echo
} | eval_gnuplot "$EVAL_OUT/bufferbloat_cdf.png" 900 550

eval_md "The request stream of scenario c ($RQ_BYTES-byte responses every $RQ_INTERVAL_MS ms on" \
	"one keep-alive connection, $SECS s per arm) over two paths of $RQ_RATE Mbit/s (tbf)," \
	"while a plain-TCP download (iperf3) to the client's path 1 keeps that path's downlink" \
	"queue full ($QUEUE_MS ms = $QUEUE bytes deep); path 2's queue holds 20 ms. Request" \
	"time: from when the request was sent to the last byte of its response."
{
	printf 'arm\trequests\tfailed\tstalled > 1 s\tp50 ms\tp95 ms\tp99 ms\tlongest stall ms\n'
	for arm in "${RQ_ARMS[@]}"; do
		printf '%s\t%s\n' "$(rq_label "$arm")" \
			"$(grep "^$arm " "$TMP/stats" | cut -d' ' -f2- | tr ' ' '\t')"
	done
} | eval_md_table
eval_md_plot bufferbloat_cdf.png "CDF of request times, path 1 bufferbloated"

stat_of() {
	grep "^$1 " "$TMP/stats" | cut -d' ' -f"$2"
}
# Headline rows compare mpsteerd's policy (the first arm) with each alternative.
ours=${RQ_ARMS[0]}
alts=("${RQ_ARMS[@]:1}")
case $ours in handover | interactive) ;; *) alts=() ;; esac
for alt in "${alts[@]}"; do
	for f in 6:p95 7:p99; do
		eval_headline "${f#*:} request time" \
			"$(rq_label "$ours")" "$(stat_of "$ours" "${f%:*}")" \
			"$(rq_label "$alt")" "$(stat_of "$alt" "${f%:*}")" ms
	done
done
eval_done
