#!/usr/bin/env python3
"""A strict parser of the Prometheus text exposition format (0.0.4) for the tests.

Reads the text on stdin; prints {"name{k=v,...}": value, ...} as JSON, or exits 1
naming the first line that is not valid: a sample must belong to a family declared
by # TYPE (counter or gauge) before it, counters must end in _total, label names and
metric names must be valid, label values properly quoted and escaped, no series twice.
"""
import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"^(" + NAME + r")(\{(" + LABEL + r"(," + LABEL + r")*)?\})? (\S+)$")


def fail(n, line, why):
    sys.stderr.write("line %d: %s: %r\n" % (n, why, line))
    sys.exit(1)


def main():
    types, helps, out = {}, set(), {}
    text = sys.stdin.read()
    if not text.endswith("\n"):
        fail(0, text[-40:], "no final newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not re.fullmatch(NAME, parts[2]) or parts[2] in helps:
                fail(n, line, "bad or repeated HELP")
            helps.add(parts[2])
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge") or parts[2] in types:
                fail(n, line, "bad or repeated TYPE")
            if parts[3] == "counter" and not parts[2].endswith("_total"):
                fail(n, line, "a counter's name must end in _total")
            types[parts[2]] = parts[3]
            continue
        if line.startswith("#") or not line:
            fail(n, line, "unexpected comment or empty line")
        m = SAMPLE.match(line)
        if not m:
            fail(n, line, "not a sample")
        name, value = m.group(1), m.group(m.lastindex)
        if name not in types:
            fail(n, line, "sample before its # TYPE")
        labels = re.findall(LABEL, m.group(3) or "")
        if len({k for k, _ in labels}) != len(labels):
            fail(n, line, "a label twice")
        try:
            v = float(value)
        except ValueError:
            fail(n, line, "value is not a number")
        if types[name] == "counter" and v < 0:
            fail(n, line, "negative counter")
        key = name + ("{" + ",".join("%s=%s" % kv for kv in sorted(labels)) + "}" if labels else "")
        if key in out:
            fail(n, line, "series twice")
        out[key] = v
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


main()
