#!/usr/bin/env bash
# Runs every test (unit, netns integration, fuzz smoke runs) and ends with one
# summary line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}

meson test -C "$build" --print-errorlogs --suite unit
rc_unit=$?
meson test -C "$build" --print-errorlogs --suite netns --num-processes 1 \
	--logbase netnslog
rc_netns=$?

# Fuzz harnesses, a bounded smoke run each (clang's libFuzzer, its own build).
fuzzbuild=$build-fuzz
rc_fuzz=0
if [ ! -f "$fuzzbuild/build.ninja" ]; then
	CC=clang meson setup "$fuzzbuild" -Dfuzz=true -Dtests=false >/dev/null
fi
ninja -C "$fuzzbuild" >/dev/null && meson test -C "$fuzzbuild" --print-errorlogs --suite fuzz
rc_fuzz=$?

python3 - "$build" "$fuzzbuild" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for d, f in ((1, "testlog.json"), (1, "netnslog.json"), (2, "testlog.json")):
    try:
        lines = open(f"{sys.argv[d]}/meson-logs/{f}").read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)["result"]
        key = {"OK": "passed", "SKIP": "skipped", "EXPECTEDFAIL": "passed"}.get(r, "failed")
        counts[key] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
[ $rc_unit -eq 0 ] && [ $rc_netns -eq 0 ] && [ $rc_fuzz -eq 0 ]
