# shellcheck shell=bash
# The framework of the evaluation scenarios (eval/scenarios/*.sh), run by eval/run.sh.
#
# A scenario is one bash script, eval/scenarios/L-NAME.sh (L: its letter, a, b, c ...), run as
# its own process by eval/run.sh with
#   EVAL_OUT    its results folder (made by run.sh; plots and CSV go there)
#   EVAL_SIZE   "full" (the report) or "small" (the test suite: seconds, not minutes)
# It sources this file, calls eval_init once, builds its namespaces with the helpers of
# tests/netns/lib.sh and bench/lib.sh (ns_new, link_pair, bg, wait_for, bench_topo ...; all
# removed at exit), measures each arm of its comparison side by side, and writes:
#   NAME.csv        time series or samples, first line the column names (eval_series_*)
#   NAME.png        plots (eval_gnuplot), each checked before it is shown (eval_md_plot)
#   section.md      its part of report.md (eval_md, eval_md_plot, eval_md_table)
#   headline.tsv    its rows of the report's headline table (eval_headline)
# and ends with eval_done. A scenario that cannot measure something calls fail "why" (exit 1:
# run.sh reports it as not measured and shows none of its plots), or eval_missing "why" for
# one arm that is absent (its other arms are reported, marked incomplete; run.sh exits
# non-zero).
#
# Time: every series and mark is in seconds since the arm's series started (eval_series_start),
# from the wall clock of $EPOCHREALTIME, the clock the C tools below print too.
#
#   eval_init "WHAT IS COMPARED"     checks tools, builds $IFSAMPLE and $REQGEN
#   eval_size SMALL FULL             prints SMALL or FULL by $EVAL_SIZE
#   eval_series_start ARM NS IF...   samples IF's byte counters in NS every $EVAL_TICK_MS
#   eval_mark ARM LABEL              marks an instant (the switch, a failure) in ARM's series
#   eval_series_stop ARM             -> $EVAL_OUT/ARM.csv: t_s, IF_rx_Mbps, IF_tx_Mbps ...
#                                       and ARM.counters.csv (the netlink counters' deltas)
#   eval_series_bytes ARM IF DIR     bytes of IF in DIR (rx/tx) that ARM.csv accounts for
#   eval_require CSV ROWS DESC       fails unless CSV has ROWS data rows
#   eval_gnuplot PNG [W H]           runs the gnuplot script on stdin into PNG, with a
#                                    common preamble (pngcairo, grid, key)
#   eval_gp_marks ARM                gnuplot commands drawing ARM's marks (dashed, labelled)
#   eval_md TEXT... / eval_md_plot PNG CAPTION / eval_md_table < TSV
#   eval_headline FIGURE OURS_LABEL OURS ALT_LABEL ALT [UNIT]
#   eval_missing WHY                 an arm could not be measured (the rest is reported)
#   eval_done                        prints what was compared and how long it took

_eval_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../bench/lib.sh
. "$_eval_lib/../bench/lib.sh"

EVAL_TICK_MS=${EVAL_TICK_MS:-100}
EVAL_SIZE=${EVAL_SIZE:-full}
declare -A _EVAL_SAMPLER _EVAL_T0 _EVAL_NS

eval_init() {
	EVAL_WHAT=$1
	EVAL_START=$EPOCHREALTIME
	[ -n "${EVAL_OUT:-}" ] || fail "EVAL_OUT is not set: run scenarios through eval/run.sh"
	mkdir -p "$EVAL_OUT"
	: >"$EVAL_OUT/section.md"
	: >"$EVAL_OUT/headline.tsv"
	rm -f "$EVAL_OUT/missing.txt"
	bench_init
	command -v gnuplot >/dev/null || fail "gnuplot is not installed (Debian: gnuplot-nox)"
	IFSAMPLE=$TMP/ifsample
	REQGEN=$TMP/reqgen
	cc -O2 -Wall -o "$IFSAMPLE" "$_eval_lib/lib/ifsample.c" || fail "cannot build ifsample"
	cc -O2 -Wall -o "$REQGEN" "$_eval_lib/lib/reqgen.c" || fail "cannot build reqgen"
	log "comparing: $EVAL_WHAT"
}

# eval_need CMD WHY: a program the scenario cannot do without.
eval_need() {
	command -v "$1" >/dev/null ||
		fail "$1 is not installed ($2); scripts/bootstrap.sh installs it"
}

eval_size() {
	if [ "$EVAL_SIZE" = small ]; then echo "$1"; else echo "$2"; fi
}

_has_rows() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# now_rel ARM: seconds since ARM's series started.
now_rel() {
	awk -v a="$EPOCHREALTIME" -v b="${_EVAL_T0[$1]}" 'BEGIN { printf "%.3f", a - b }'
}

# _netlink_bytes NS IF: "rx tx" from rtnetlink (ip -s), not the sysfs files ifsample reads.
_netlink_bytes() {
	ip -n "$1" -j -s link show dev "$2" | jq -r '.[0].stats64 | "\(.rx.bytes) \(.tx.bytes)"'
}

eval_series_start() {
	local arm=$1 ns=$2 ifn
	shift 2
	_EVAL_NS[$arm]=$ns
	: >"$TMP/$arm.nl0"
	for ifn in "$@"; do echo "$ifn $(_netlink_bytes "$ns" "$ifn")" >>"$TMP/$arm.nl0"; done
	: >"$EVAL_OUT/$arm.events.csv"
	bg "$ns" "$IFSAMPLE" "$EVAL_TICK_MS" "$@" >"$TMP/$arm.raw"
	_EVAL_SAMPLER[$arm]=$BG_PID
	wait_for 5 "the first sample of $arm" _has_rows "$TMP/$arm.raw" 2
	_EVAL_T0[$arm]=$(sed -n 2p "$TMP/$arm.raw" | cut -d, -f1)
}

eval_mark() {
	local t
	t=$(now_rel "$1")
	echo "$t,$2" >>"$EVAL_OUT/$1.events.csv"
	log "$1: $2 at ${t}s"
}

eval_series_stop() {
	local arm=$1 ifn rx tx rx0 tx0
	kill -TERM "${_EVAL_SAMPLER[$arm]}"
	wait "${_EVAL_SAMPLER[$arm]}" 2>/dev/null || true
	echo "if,rx_bytes,tx_bytes" >"$EVAL_OUT/$arm.counters.csv"
	while read -r ifn rx0 tx0; do
		read -r rx tx < <(_netlink_bytes "${_EVAL_NS[$arm]}" "$ifn")
		echo "$ifn,$((rx - rx0)),$((tx - tx0))" >>"$EVAL_OUT/$arm.counters.csv"
	done <"$TMP/$arm.nl0"
	# Cumulative counters -> the rate of each interval, stamped at its end.
	awk -F, -v t0="${_EVAL_T0[$arm]}" 'NR == 1 {
			printf "t_s"; for (i = 2; i <= NF; i++) printf ",%s_Mbps", $i
			print ""; next }
		NR == 2 { for (i = 1; i <= NF; i++) p[i] = $i; next }
		{ dt = $1 - p[1]; if (dt <= 0) next
		  printf "%.3f", $1 - t0
		  for (i = 2; i <= NF; i++) printf ",%.6f", ($i - p[i]) * 8 / dt / 1e6
		  print ""; for (i = 1; i <= NF; i++) p[i] = $i }' \
		"$TMP/$arm.raw" >"$EVAL_OUT/$arm.csv"
}

# eval_series_bytes ARM IF DIR: the bytes ARM.csv accounts for (rate x interval, summed).
eval_series_bytes() {
	awk -F, -v col="$2_$3_Mbps" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i
			if (!c) exit 1; next }
		{ b += $c * 1e6 / 8 * ($1 - p); } { p = $1 } END { printf "%.0f\n", b }' \
		"$EVAL_OUT/$1.csv"
}

eval_require() {
	local rows
	rows=$(($(wc -l <"$1") - 1))
	[ "$rows" -ge "$2" ] || fail "not measured: $3 ($1 has $rows data rows, need $2)"
}

# eval_gnuplot PNG [WIDTH HEIGHT]: the script on stdin, after the common preamble.
eval_gnuplot() {
	local png=$1 w=${2:-1000} h=${3:-500}
	{
		echo "set terminal pngcairo size $w,$h font 'DejaVu Sans,10' noenhanced"
		echo "set output '$png'"
		echo "set datafile separator ','"
		echo "set grid"
		echo "set key outside right top box opaque"
		cat
	} >"$png.gp"
	gnuplot "$png.gp" 2>"$png.gp.err" || fail "gnuplot failed on $png: $(head -3 "$png.gp.err")"
	[ -s "$png" ] || fail "gnuplot made no $png"
}

# eval_gp_marks ARM: a dashed vertical line and a label at each mark of ARM.
eval_gp_marks() {
	local t label n=0
	while IFS=, read -r t label; do
		n=$((n + 1))
		echo "set arrow $n from $t, graph 0 to $t, graph 1 nohead dt 2 lw 2 lc rgb 'black'"
		echo "set label $n '$label' at $t, graph 0.97 right rotate by 90 offset -0.5,0" \
			"front textcolor rgb 'black'"
	done <"$EVAL_OUT/$1.events.csv"
}

eval_md() {
	printf '%s\n' "$@" >>"$EVAL_OUT/section.md"
}

# eval_md_plot PNG CAPTION: embeds a plot made in this run (path relative to report.md).
eval_md_plot() {
	[ -s "$EVAL_OUT/$1" ] || fail "plot $1 was not made"
	eval_md "" "![$2]($(basename "$EVAL_OUT")/$1)" ""
}

# eval_md_table: a TSV on stdin (first line the header) as a markdown table.
eval_md_table() {
	awk -F'\t' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; print ""
		if (NR == 1) { printf "|"; for (i = 1; i <= NF; i++) printf "---|"; print "" } }' \
		>>"$EVAL_OUT/section.md"
	eval_md ""
}

# eval_headline FIGURE OURS_LABEL OURS ALT_LABEL ALT [UNIT]: one row of the headline table,
# the ratio ours / alternative computed here.
eval_headline() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$(ratio "$3" "$5")" \
		"${6:-}" >>"$EVAL_OUT/headline.tsv"
}

eval_missing() {
	echo "$*" >>"$EVAL_OUT/missing.txt"
	log "NOT MEASURED: $*"
}

eval_done() {
	local took
	took=$(awk -v a="$EPOCHREALTIME" -v b="$EVAL_START" 'BEGIN { printf "%.0f", a - b }')
	echo "$took" >"$EVAL_OUT/took"
	log "compared: $EVAL_WHAT; took ${took}s"
	if [ -s "$EVAL_OUT/missing.txt" ]; then
		log "incomplete: $(tr '\n' ';' <"$EVAL_OUT/missing.txt")"
		exit 3
	fi
}

# eval_shape NS IF MBIT [QUEUE_BYTES]: tbf on IF's egress, RATE Mbit/s, a queue of
# QUEUE_BYTES (default: 20 ms at that rate, what a well-kept access link holds).
eval_shape() {
	local q=${4:-$(($3 * 1000000 / 8 / 50))}
	ip netns exec "$1" tc qdisc replace dev "$2" root tbf rate "$3"mbit burst 16kb limit "$q" ||
		fail "tbf on $2 in $1 refused"
}

# eval_nginx NS PORT ROOT: nginx (unmodified, on MPTCP through `mpsteer run`) serving ROOT
# on PORT in NS, keep-alive connections kept for long request streams; $NGINX_PID.
eval_nginx() {
	local ns=$1 port=$2 root=$3 conf=$TMP/nginx-$2
	eval_need nginx "the web server of the scenario"
	mkdir -p "$conf"
	chmod a+rx "$TMP" "$root" # workers run as nobody
	cat >"$conf/nginx.conf" <<-CONF
	daemon off;
	master_process on;
	worker_processes 1;
	pid $conf/nginx.pid;
	error_log $conf/error.log;
	events { worker_connections 256; }
	http {
	    access_log off;
	    sendfile on;
	    keepalive_requests 1000000;
	    keepalive_timeout 300s;
	    client_body_temp_path $conf/body;
	    proxy_temp_path $conf/proxy;
	    fastcgi_temp_path $conf/fcgi;
	    uwsgi_temp_path $conf/uwsgi;
	    scgi_temp_path $conf/scgi;
	    server { listen $port; root $root; }
	}
	CONF
	bg "$ns" "$MPSTEER" run -- nginx -c "$conf/nginx.conf" -e "$conf/error.log"
	# shellcheck disable=SC2034 # for the scenarios
	NGINX_PID=$BG_PID
	wait_for 10 "nginx listening on $port in $ns" listening "$ns" "$port"
}
