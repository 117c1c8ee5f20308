#!/usr/bin/env bash
# Request latency when the preferred path is bufferbloated: mpsteerd's interactive policy
# against the in-kernel path manager (c2 as a second active subflow) and plain TCP, same
# topology, cross traffic and load, in one run. Topology, load and measures are those of
# eval scenario d (eval/lib/requests.sh):
#
#   client ns                            router ns               server ns
#   +--------------------------------+   +-----------------+     +------------------------+
#   | c1 10.1.1.2 (default) <--------|---| r1 tbf, QUEUE_MS |     | s0 10.9.0.2            |
#   | c2 10.1.2.2           <--------|---| r2 tbf, 20 ms  r0|-----| nginx :80 (mpsteer run)|
#   | reqgen; iperf3 -s on c1        |   +-----------------+     | iperf3 -c (cubic, x4)  |
#   +--------------------------------+                           +------------------------+
#
# One run per arm and round: plain-TCP cross traffic (iperf3, 4 cubic flows) fills r1's
# deep queue (the Wi-Fi downlink); once half of it is full, reqgen sends a small HTTP request
# every 50 ms (one at a time) on one keep-alive connection for SECS s. Request time: from
# sending to the last byte of the response. Rounds alternate between the arms; the
# percentiles are over every request of an arm.
#
# Usage: bench/bufferbloat.sh [ROUNDS=3] [ARMS="interactive kernel tcp"]
# Env: MPSTEER, MPSTEERD; SECS (15) per stream, QUEUE_MS (500). Needs root.
set -eu
ROUNDS=${1:-3}
ARMS=${2:-interactive kernel tcp}
SECS=${SECS:-15}
QUEUE_MS=${QUEUE_MS:-500}
. "$(dirname "$0")/../eval/lib.sh"
. "$(dirname "$0")/../eval/lib/requests.sh"
rq_bench_init
QUEUE=$((RQ_RATE * 1000000 * QUEUE_MS / 8000))
rq_topo "$QUEUE"

# shellcheck disable=SC2086 # a list of words
rq_pick $ARMS
arms=("${RQ_ARMS[@]}")
for ((i = 0; i < ROUNDS; i++)); do
	for a in "${arms[@]}"; do
		rq_bloat_run "$a" "$SECS" "$QUEUE" "$TMP/run.csv"
		[ -f "$TMP/all.$a" ] || head -n1 "$TMP/run.csv" >"$TMP/all.$a"
		tail -n +2 "$TMP/run.csv" >>"$TMP/all.$a"
		read -r n f _ p50 p95 p99 _ < <(rq_stats "$TMP/run.csv")
		log "$a round $((i + 1)): p50/p95/p99 $p50/$p95/$p99 ms, $f of $n requests failed"
	done
done

echo
echo "Request time with path 1's downlink bufferbloated (${QUEUE_MS} ms queue, cross traffic)," \
	"$ROUNDS rounds of ${SECS} s per arm; $(uname -r), $(nproc) cores"
printf "  %-26s %9s %9s %9s %9s %7s\n" arm requests "p50 ms" "p95 ms" "p99 ms" failed
for a in "${arms[@]}"; do
	read -r n f _ p50 p95 p99 _ < <(rq_stats "$TMP/all.$a")
	echo "$a $p50 $p95 $p99" >>"$TMP/pcts"
	printf "  %-26s %9s %9s %9s %9s %7s\n" "$(rq_label "$a")" "$n" "$p50" "$p95" "$p99" "$f"
done
ours=${arms[0]}
read -r _ o50 o95 o99 < <(grep "^$ours " "$TMP/pcts")
for a in "${arms[@]:1}"; do
	read -r _ a50 a95 a99 < <(grep "^$a " "$TMP/pcts")
	echo "  ratio $(rq_label "$ours") / $(rq_label "$a"): p50 x$(ratio "$o50" "$a50")" \
		"p95 x$(ratio "$o95" "$a95") p99 x$(ratio "$o99" "$a99")"
done
