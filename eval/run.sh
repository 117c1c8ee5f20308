#!/usr/bin/env bash
# The evaluation: runs each scenario of eval/scenarios/ in its own network namespaces and
# writes CSV time series, PNG plots and one report.md (plots embedded, headline figures with
# their ratios against the alternatives) into the results folder.
#
# Usage: eval/run.sh [-o DIR] [--small] [SCENARIO...]
#   SCENARIO   a letter (a), a name (openvpn) or both (a-openvpn); default: every scenario
#   -o DIR     results folder (default eval/results); each scenario's subfolder is replaced
#   --small    short runs (seconds, the size the test suite uses), not for the figures
# Env: MPSTEER, MPSTEERD (default: build/ of this tree). Needs root.
# Exit status: 0 when every scenario was measured whole, 1 when one was not (the report
# says which and why, and shows none of its plots), 64 on bad usage, 69 without a build, 77
# without root.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/eval/results
size=full
want=()

usage() {
	sed -n '6,13s/^# \{0,1\}//p' "$0"
	exit "${1:-64}"
}

while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--small) size=small; shift ;;
	-h | --help) usage 0 ;;
	-*) echo "eval/run.sh: unknown option '$1'" >&2; usage ;;
	*) want+=("$1"); shift ;;
	esac
done

all=()
for f in "$top"/eval/scenarios/*.sh; do all+=("$(basename "$f" .sh)"); done

# pick ARG: the scenario ARG names (letter, name or both).
pick() {
	local s
	for s in "${all[@]}"; do
		if [ "$1" = "$s" ] || [ "$1" = "${s%%-*}" ] || [ "$1" = "${s#*-}" ]; then
			echo "$s"
			return 0
		fi
	done
	echo "eval/run.sh: no scenario '$1' (have: ${all[*]})" >&2
	exit 64
}

run=()
if [ ${#want[@]} -eq 0 ]; then
	run=("${all[@]}")
else
	for w in "${want[@]}"; do run+=("$(pick "$w")") || exit 64; done
fi

export MPSTEER=${MPSTEER:-$top/build/src/mpsteer/mpsteer}
export MPSTEERD=${MPSTEERD:-$top/build/src/mpsteerd/mpsteerd}
for b in "$MPSTEER" "$MPSTEERD"; do
	[ -x "$b" ] || { echo "eval/run.sh: no $b: build first (ninja -C build)" >&2; exit 69; }
done
[ "$(id -u)" = 0 ] || { echo "eval/run.sh: needs root (network namespaces)" >&2; exit 77; }
mkdir -p "$out" || exit 73
out=$(cd "$out" && pwd)

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A status took
failed=()
for s in "${run[@]}"; do
	rm -rf "${out:?}/$s"
	mkdir -p "$out/$s"
	echo "== scenario $s"
	t0=$EPOCHREALTIME
	EVAL_OUT=$out/$s EVAL_SIZE=$size TEST_NAME=$s bash "$top/eval/scenarios/$s.sh" 2>&1 |
		tee "$out/$s/log.txt"
	rc=${PIPESTATUS[0]}
	took[$s]=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.0f", a - b }')
	why=$(grep -E '^(FAIL|SKIP) \[' "$out/$s/log.txt" | tail -n1 |
		sed 's/^[A-Z]* \[[^]]*\]: //')
	case $rc in
	0) status[$s]="measured" ;;
	3) status[$s]="incomplete: $(paste -sd';' "$out/$s/missing.txt")"; failed+=("$s") ;;
	*) status[$s]="NOT MEASURED: ${why:-exit status $rc, see $s/log.txt}"; failed+=("$s") ;;
	esac
	echo "== scenario $s: ${status[$s]} (${took[$s]} s)"
done

# The report: machine and command, the headline table, then each scenario's section.
{
	echo "# mpsteer evaluation"
	echo
	echo "Measured $started on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB",
		$2 / 1048576 }' /proc/meminfo), Linux $(uname -r), load average $load at the start;"
	echo "mpsteer $(git -C "$top" describe --always --dirty 2>/dev/null || echo '(no git)')."
	cmd="eval/run.sh$([ $size = small ] && echo ' --small')"
	[ ${#want[@]} -eq 0 ] || cmd+=" ${want[*]}"
	echo "Command: \`$cmd\`"
	echo
	echo "## Headline figures"
	echo
	echo "| scenario | figure | mpsteer | alternative | ratio |"
	echo "|---|---|---|---|---|"
	for s in "${run[@]}"; do
		case ${status[$s]} in NOT\ MEASURED*) continue ;; esac
		awk -F'\t' -v s="$s" '{ u = $7 == "" ? "" : " " $7
			printf "| %s | %s | %s: %s%s | %s: %s%s | ×%s |\n",
				s, $1, $2, $3, u, $4, $5, u, $6 }' \
			"$out/$s/headline.tsv"
	done
	echo
	echo "| scenario | result | took |"
	echo "|---|---|---|"
	for s in "${run[@]}"; do echo "| $s | ${status[$s]} | ${took[$s]} s |"; done
	for s in "${run[@]}"; do
		echo
		echo "## $s"
		echo
		case ${status[$s]} in
		NOT\ MEASURED*) echo "**${status[$s]}** (log: [$s/log.txt]($s/log.txt))" ;;
		*)
			[ "${status[$s]}" = measured ] || printf '**%s**\n\n' "${status[$s]}"
			cat "$out/$s/section.md"
			;;
		esac
	done
} >"$out/report.md"
echo "== report: $out/report.md"
if [ ${#failed[@]} -gt 0 ]; then
	echo "eval/run.sh: not measured whole: ${failed[*]} (see $out/report.md)" >&2
	exit 1
fi
