#!/usr/bin/env bash
# bench/fuzz.sh [SECONDS=600]: runs every libFuzzer harness for SECONDS each (ASan + UBSan,
# from its checked-in seed corpus in tests/fuzz/corpus/) and prints per harness the
# executions, executions per second, coverage (edges: libFuzzer's "cov", features: "ft") and
# the corpus it grew to. A crash stops nothing: its input is kept under the output directory
# and named in the table, and the script exits 1.
#
#   bench/fuzz.sh 600          # the figures in README's reliability section
#   FUZZ_BUILD=build-x bench/fuzz.sh 60
#
# The fuzz build (clang, -Dfuzz=true) is made in build-fuzz/ if it is not there. Harnesses
# run one after another: the machine is shared. Nothing is written to the source tree: what
# the runs find goes to $FUZZ_OUT (default: a fresh directory under /tmp), to be minimised and
# added to the corpus by hand when it is a regression input.
set -eu
secs=${1:-600}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
out=${FUZZ_OUT:-$(mktemp -d /tmp/mpsteer-fuzz.XXXXXX)}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 64 ;; esac
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed" >&2; exit 69; }
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzz=true -Dtests=false >/dev/null
fi
ninja -C "$build" >/dev/null

rc=0
printf '%-18s %7s %12s %9s %7s %9s %10s  %s\n' harness seconds executions exec/s edges \
	features corpus result
for src in "$top"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	exe=$build/tests/fuzz/$name
	[ -x "$exe" ] || { echo "fuzz.sh: $exe not built" >&2; exit 70; }
	mkdir -p "$out/$name/corpus" "$out/$name/crashes"
	log=$out/$name/log
	res=clean
	# The checked-in corpus is read, never written: new inputs go to the first directory.
	"$exe" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 \
		-artifact_prefix="$out/$name/crashes/" "$out/$name/corpus" \
		"$top/tests/fuzz/corpus/$name" >"$log" 2>&1 || res=CRASH
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -1)
	edges=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
	ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
	corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
	if [ "$res" = CRASH ]; then
		rc=1
		res="CRASH: $(ls "$out/$name/crashes" | head -1) (log: $log)"
	fi
	printf '%-18s %7s %12s %9s %7s %9s %10s  %s\n' "$name" "$secs" "${execs:-?}" \
		"${speed:-?}" "${edges:-?}" "${ft:-?}" "${corp:-?}" "$res"
done
echo "output: $out"
exit $rc
