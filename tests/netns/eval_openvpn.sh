#!/usr/bin/env bash
# The evaluation's scenario a (eval/scenarios/a-openvpn.sh: an unmodified OpenVPN tunnel on
# MPTCP, its primary switched mid-download) at small size, through eval/run.sh: it must be
# measured (the download intact, checked by the scenario), make its plot and report, and the
# bytes its CSV plots must add up to what crossed the interfaces (the kernel's counters read
# over rtnetlink before and after each arm, ARM.counters.csv) within 5%, per interface and
# direction.
set -eu
. "$(dirname "$0")/lib.sh"
netns_init
top=$(cd "$(dirname "$0")/../.." && pwd)
for p in openvpn openssl gnuplot curl ncat nginx jq cc; do
	command -v $p >/dev/null || skip "$p is not installed"
done
export MPSTEERD=${MPSTEERD:-$(dirname "$MPSTEER")/../mpsteerd/mpsteerd}

"$top/eval/run.sh" --small -o "$TMP/out" a >"$TMP/run.log" 2>&1 ||
	{ cat "$TMP/run.log"; fail "eval/run.sh --small a failed"; }
d=$TMP/out/a-openvpn
check_true "report.md written" test -s "$TMP/out/report.md"
check_true "the plot is embedded in the report" grep -q '(a-openvpn/openvpn_paths.png)' \
	"$TMP/out/report.md"
check "the plot is a PNG" "PNG" "$(head -c4 "$d/openvpn_paths.png" | tail -c3)"
check_true "the headline table has the bystander row" grep -q '^| a-openvpn | another' \
	"$TMP/out/report.md"

# within5 A B: A within 5% of B (B > 0).
within5() {
	[ "$2" -gt 0 ] && [ $(( (${1} - ${2}) * 100 / ${2} )) -le 5 ] &&
		[ $(( (${2} - ${1}) * 100 / ${2} )) -le 5 ]
}
for arm in mpsteer in-kernel; do
	for ifn in c1 c2; do
		for dir in rx tx; do
			col=$([ $dir = rx ] && echo 2 || echo 3)
			want=$(awk -F, -v i="$ifn" -v c="$col" '$1 == i { print $c }' \
				"$d/$arm.counters.csv")
			got=$(awk -F, -v col="${ifn}_${dir}_Mbps" 'NR == 1 {
					for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
				{ b += $c * 1e6 / 8 * ($1 - p) } { p = $1 }
				END { printf "%.0f", b }' \
				"$d/$arm.csv")
			check_true "$arm $ifn $dir: plotted $got bytes, counters $want (5%)" \
				within5 "$got" "$want"
		done
	done
done
log "PASS ($CHECKS checks)"
