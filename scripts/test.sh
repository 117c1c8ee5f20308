#!/usr/bin/env bash
# Runs every test (unit first, then netns integration) and ends with one
# summary line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

meson test -C "$build" --print-errorlogs --suite unit
rc_unit=$?
meson test -C "$build" --print-errorlogs --suite netns --num-processes 1 \
	--logbase netnslog
rc_netns=$?

python3 - "$build" <<'PY'
import json, sys, glob
counts = {"passed": 0, "failed": 0, "skipped": 0}
for f in ("testlog.json", "netnslog.json"):
    try:
        lines = open(f"{sys.argv[1]}/meson-logs/{f}").read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)["result"]
        key = {"OK": "passed", "SKIP": "skipped", "EXPECTEDFAIL": "passed"}.get(r, "failed")
        counts[key] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
[ $rc_unit -eq 0 ] && [ $rc_netns -eq 0 ]
