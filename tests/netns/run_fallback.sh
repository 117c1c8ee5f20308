#!/usr/bin/env bash
# Where MPTCP is disabled, programs under `mpsteer run` (both modes) still work, over TCP.
#
#   CLI: net.mptcp.enabled=0                   SRV: MPTCP echo server
#   mpsteer run [--mode preload] -- CLIENT     (accepts plain TCP as well)
#   +-------------------------+                +-------------------------+
#   | c0 10.77.1.1/24         |---- veth ------| s0 10.77.1.2/24         |
#   |    fd00:77::1/64        |                |    fd00:77::2/64        |
#   +-------------------------+                +-------------------------+
#
# Every client completes its exchange (sha256 of the echoed data), reports SO_PROTOCOL 6, the
# summary counts the fallbacks, and the server saw no MP_CAPABLE SYN at all.
set -eu
TEST_NAME=run-fallback
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"
run_init
run_progs
run_topology
ip netns exec "$CLI" sysctl -qw net.mptcp.enabled=0

bg "$SRV" "$TP" serve 5000 mptcp
wait_for 5 "echo server listening" listening "$SRV" 5000
head -c 1000000 /dev/urandom >"$TMP/in"
want=$(sha "$TMP/in")
syn0=$(mptcp_counter "$SRV" MPCapableSYNRX)

# exchange NAME MODE EXPECTED_FALLBACKS CMD...: CMD must finish over TCP with intact data.
exchange() {
	local name=$1 mode=$2 nfb=$3 tag out
	shift 3
	ip netns exec "$CLI" "$MPSTEER" run --mode "$mode" --summary -- "$@" \
		>"$TMP/$name.txt" 2>"$TMP/$name.err" || fail "$name failed: $(cat "$TMP/$name.err")"
	for tag in $(awk '{ print $1 }' "$TMP/$name.txt"); do
		check "$name $tag: plain TCP" 6 "$(proto_of "$TMP/$name.txt" "$tag")"
		out=$TMP/out-$name.$tag # multi writes one file per tag, the others just OUT
		[ -e "$out" ] || out=$TMP/out-$name
		check "$name $tag: data echoed intact" "$want" "$(sha "$out")"
	done
	check "$name: summary" "0 converted to MPTCP, $nfb fell back to TCP, 0 left alone" \
		"$(sed -n 's/.*sockets: //p' "$TMP/$name.err")"
}

exchange c-dyn seccomp 3 "$TP" multi "$SRV4" 5000 "$TMP/in" "$TMP/out-c-dyn"
exchange c-static seccomp 3 "$TPS" multi "$SRV4" 5000 "$TMP/in" "$TMP/out-c-static"
if [ -n "$GOC" ]; then
	exchange go seccomp 1 "$GOC" "$SRV4" 5000 "$TMP/in" "$TMP/out-go"
fi
exchange py seccomp 1 python3 "$PYC" "$SRV6" 5000 "$TMP/in" "$TMP/out-py"
exchange c-dyn-preload preload 3 "$TP" multi "$SRV4" 5000 "$TMP/in" "$TMP/out-c-dyn-preload"
exchange py-preload preload 1 python3 "$PYC" "$SRV6" 5000 "$TMP/in" "$TMP/out-py-preload"

# The summary as JSON (mpsteer -j), for scripts.
ip netns exec "$CLI" "$MPSTEER" -j run --summary -- python3 "$PYC" "$SRV4" 5000 "$TMP/in" \
	"$TMP/out-json" >/dev/null 2>"$TMP/json.err"
check "-j summary" '{"converted":0,"fallback":1,"untouched":0,"reports_lost":0}' "$(jq -c . "$TMP/json.err")"

# A socket() that succeeds leaves errno as the program had it: the failed MPTCP attempt does
# not show through (some programs clear errno and look at it after a call).
for mode in seccomp preload; do
	check "$mode: errno after a successful socket()" "True 0" \
		"$(ip netns exec "$CLI" "$MPSTEER" run --mode "$mode" -- python3 -c '
import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
ctypes.set_errno(0)
fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
print(fd >= 0, ctypes.get_errno())')"
done

check "server saw no MP_CAPABLE SYN" 0 $(($(mptcp_counter "$SRV" MPCapableSYNRX) - syn0))

# A server under `mpsteer run` in a namespace without MPTCP still listens and serves.
ip netns exec "$SRV" sysctl -qw net.mptcp.enabled=0
bg "$SRV" "$MPSTEER" run -- "$TPS" serve 5001
wait_for 5 "server under mpsteer run listening" listening "$SRV" 5001
ip netns exec "$CLI" "$TPS" client "$SRV4" 5001 "$TMP/in" "$TMP/out-srv" >"$TMP/srv.txt"
check "server without MPTCP: data echoed intact" "$want" "$(sha "$TMP/out-srv")"

log "PASS ($CHECKS checks)"
