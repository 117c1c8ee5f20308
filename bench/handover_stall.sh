#!/usr/bin/env bash
# Stall of a request stream when the preferred path fails silently (a blackhole: the carrier
# stays up, every packet is dropped): mpsteerd's handover policy against the in-kernel path
# manager (c2 as a backup endpoint, and as an ordinary second subflow), same topology and
# load, in one run. (mptcpd 0.12, the other userspace path manager, does not apply: its sspi
# plugin adds no subflow to connections the host makes, so there is nothing to move to;
# ARMS may name "mptcpd" to see that.) Topology, load and measures
# are those of eval scenario c (eval/lib/requests.sh):
#
#   client ns                           router ns          server ns
#   +-------------------------------+   +------------+     +--------------------------+
#   | c1 10.1.1.2 preferred  --tbf--|---| r1  (nft   |     | s0 10.9.0.2 nginx :80    |
#   | c2 10.1.2.2            --tbf--|---| r2  drops) |-----| (mpsteer run, in-kernel) |
#   | reqgen (mpsteer run)          |   +------------+     +--------------------------+
#
# One run: reqgen sends a small HTTP request every 50 ms on one keep-alive connection (one
# at a time); PRE s in, the router drops everything to and from r1 (nftables) for DUR s. The
# stall is the longest time without a completed response; also counted: failed requests
# (no response in 5 s). Runs alternate between the arms.
#
# Usage: bench/handover_stall.sh [N=5] [ARMS="handover kernel-backup kernel"] [MODE]
# MODE: blackhole (default) or carrier. Env: MPSTEER, MPSTEERD; PRE (2), DUR (5), POST (2) s.
# Needs root.
set -eu
N=${1:-5}
ARMS=${2:-handover kernel-backup kernel}
MODE=${3:-blackhole}
PRE=${PRE:-2}
DUR=${DUR:-5}
POST=${POST:-2}
. "$(dirname "$0")/../eval/lib.sh"
. "$(dirname "$0")/../eval/lib/requests.sh"
rq_bench_init
rq_topo

# shellcheck disable=SC2086 # a list of words
rq_pick $ARMS
arms=("${RQ_ARMS[@]}")
for ((i = 0; i < N; i++)); do
	for a in "${arms[@]}"; do
		rq_failure_run "$a" "$MODE" "$PRE" "$DUR" "$POST" "$TMP/run.csv"
		read -r n f _ _ _ p99 gap < <(rq_stats "$TMP/run.csv")
		echo "$gap" >>"$TMP/stall.$a"
		echo "$f" >>"$TMP/failed.$a"
		log "$a run $((i + 1)): stall $gap ms, p99 $p99 ms, $f of $n requests failed"
	done
done

echo
echo "Longest time without a response when path 1 fails ($MODE) for $DUR s, a request every" \
	"${RQ_INTERVAL_MS} ms, $N runs per arm; $(uname -r), $(nproc) cores"
printf "  %-26s %10s %8s   %s\n" arm "median ms" failed "runs (ms)"
for a in "${arms[@]}"; do
	printf "  %-26s %10s %8s   %s\n" "$(rq_label "$a")" "$(median <"$TMP/stall.$a")" \
		"$(awk '{ s += $1 } END { print s }' "$TMP/failed.$a")" \
		"$(tr '\n' ' ' <"$TMP/stall.$a")"
done
ours=${arms[0]}
for a in "${arms[@]:1}"; do
	echo "  ratio $(rq_label "$ours") / $(rq_label "$a"):" \
		"x$(ratio "$(median <"$TMP/stall.$ours")" "$(median <"$TMP/stall.$a")")"
done
