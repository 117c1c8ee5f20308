#!/usr/bin/env bash
# Scenario c, handover: a stream of small HTTP requests (reqgen, one keep-alive connection,
# one request every 50 ms) from a client with a Wi-Fi-like path 1 (c1, preferred) and a
# cellular-like path 2 (c2) to nginx, while path 1 fails for DUR seconds: once by carrier
# loss (the router's end goes down) and once silently (nftables drops everything, the
# carrier stays up). Topology and load: eval/lib/requests.sh.
# Arms, one after the other on the same topology:
#   handover       mpsteerd with the handover policy (c1 preferred, c2 when c1 is unhealthy)
#   kernel-backup  the in-kernel PM, an endpoint on c2 flagged backup (what a user sets up
#                  today for "Wi-Fi first, cellular as backup")
#   tcp            plain TCP (no MPTCP); the client's host drops routes of a link without
#                  carrier, so new connections then take c2
# Figures per arm and failure: failed requests (no response within 5 s), stalled (> 1 s),
# p50/p95/p99 of the request time (from when it was sent to its last byte; failed ones
# counted as 5 s), the longest time without a completed response.
# Env: ARMS, PRE / DUR / POST (s before, during, after the failure).
set -eu
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/requests.sh"
ARMS=${ARMS:-handover kernel-backup tcp}
PRE=${PRE:-$(eval_size 2 4)}
DUR=${DUR:-$(eval_size 3 6)}
POST=${POST:-$(eval_size 2 5)}
eval_init "request stream while path 1 fails (carrier loss, silent blackhole): ${ARMS// / vs }"
rq_topo

# shellcheck disable=SC2086 # a list of words
rq_pick $ARMS
for arm in "${RQ_ARMS[@]}"; do
	for mode in carrier blackhole; do
		rq_failure_run "$arm" "$mode" "$PRE" "$DUR" "$POST" "$EVAL_OUT/$mode-$arm.csv"
		read -r n f s p50 p95 p99 gap < <(rq_stats "$EVAL_OUT/$mode-$arm.csv")
		echo "$mode $arm $n $f $s $p50 $p95 $p99 $gap" >>"$TMP/stats"
		log "$mode/$arm: $n requests, $f failed, $s stalled," \
			"p50/p95/p99 $p50/$p95/$p99 ms, longest stall $gap ms"
	done
done

colors=('#2ca02c' '#1f77b4' '#d62728' '#9467bd' '#ff7f0e')
for mode in carrier blackhole; do
	{
		echo "set title 'request time, path 1 failing by $mode from 0 to ${DUR} s" \
			"(one request at a time: a gap is a stall)'"
		echo "set xlabel 'time the request was sent, s since path 1 failed'"
		echo "set ylabel 'request time (ms, log scale)'"
		echo "set logscale y"
		echo "set yrange [0.05:20000]"
		echo "set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lw 2 lc rgb 'black'"
		echo "set label 1 'path 1 fails' at 0, graph 0.97 right rotate by 90 offset -0.5,0"
		echo "set arrow 2 from $DUR, graph 0 to $DUR, graph 1 nohead dt 2 lw 2" \
			"lc rgb 'black'"
		echo "set label 2 'path 1 back' at $DUR, graph 0.97 right rotate by 90" \
			"offset -0.5,0"
		printf 'plot '
		i=0
		for arm in "${RQ_ARMS[@]}"; do
			c=${colors[$i]}
			[ $i = 0 ] || printf ', '
			printf "'%s' using 1:(strcol(3) eq 'ok' ? \$2 : 1/0) skip 1 with points" \
				"$EVAL_OUT/$mode-$arm.csv"
			printf " pt 7 ps 0.6 lc rgb '%s' title '%s'" "$c" "$(rq_label "$arm")"
			printf ", '' using 1:(strcol(3) eq 'ok' ? 1/0 : \$2) skip 1"
			printf " with points pt 2 ps 1"
			printf " lc rgb '%s' title '%s: failed'" "$c" "$(rq_label "$arm")"
			i=$((i + 1))
		done
		echo
	} | eval_gnuplot "$EVAL_OUT/handover_$mode.png" 1100 500
done

eval_md "A request stream (one keep-alive HTTP/1.1 connection to nginx, a $RQ_BYTES-byte" \
	"response every $RQ_INTERVAL_MS ms, unmodified programs on MPTCP through \`mpsteer run\`)" \
	"over two paths of $RQ_RATE Mbit/s (tbf); path 1 fails for $DUR s, $PRE s into the run," \
	"once by carrier loss and once silently (nftables drops everything on the router)." \
	"Request time: from when the request was sent to the last byte of its response (one" \
	"request at a time, as an interactive client); failed: no response within" \
	"$RQ_TIMEOUT_MS ms" \
	"(counted as $RQ_TIMEOUT_MS ms in the percentiles); stalled: over 1 s."
for mode in carrier blackhole; do
	eval_md "" "**Path 1 fails by ${mode/blackhole/silent blackhole}**" ""
	{
		printf 'arm\trequests\tfailed\tstalled > 1 s\tp50 ms\tp95 ms\tp99 ms\t%s\n' \
			"longest stall ms"
		for arm in "${RQ_ARMS[@]}"; do
			printf '%s\t%s\n' "$(rq_label "$arm")" \
				"$(grep "^$mode $arm " "$TMP/stats" | cut -d' ' -f3- | tr ' ' '\t')"
		done
	} | eval_md_table
	eval_md_plot "handover_$mode.png" "request time over time, path 1 failing by $mode"
done

# headline ARM MODE FIELD: one figure of the stats file (fields: 3 requests ... 9 stall).
stat_of() {
	grep "^$2 $1 " "$TMP/stats" | cut -d' ' -f"$3"
}
# Headline rows compare mpsteerd's policy (the first arm) with each alternative.
ours=${RQ_ARMS[0]}
alts=("${RQ_ARMS[@]:1}")
case $ours in handover | interactive) ;; *) alts=() ;; esac
# bad ARM MODE: requests that failed or took over 1 s.
bad() {
	echo $(($(stat_of "$1" "$2" 4) + $(stat_of "$1" "$2" 5)))
}
for alt in "${alts[@]}"; do
	for mode in blackhole carrier; do
		eval_headline "$mode: longest stall" \
			"$(rq_label "$ours")" "$(stat_of "$ours" "$mode" 9)" \
			"$(rq_label "$alt")" "$(stat_of "$alt" "$mode" 9)" ms
		eval_headline "$mode: requests failed or over 1 s" "$(rq_label "$ours")" \
			"$(bad "$ours" "$mode")" "$(rq_label "$alt")" "$(bad "$alt" "$mode")"
	done
done
eval_done
