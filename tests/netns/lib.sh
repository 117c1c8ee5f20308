# shellcheck shell=bash
# Shared helpers of the netns tests and the demo. Source it, then call
# netns_init once; everything made through these helpers is removed by the
# EXIT trap, whatever happens.
#
#   ns_new NAME            -> prints the unique namespace name (NAME-<pid>)
#   link_pair NS1 IF1 A1 NS2 IF2 A2 [A1v6 A2v6]   veth pair with addresses
#   bg NS CMD...           start CMD in NS in the background; $BG_PID is its pid
#   wait_for SECONDS DESC CMD...   poll CMD until it succeeds (fails the test on timeout)
#   check DESC EXPECTED ACTUAL
#   count PATTERN CMD...   lines of CMD's output matching PATTERN; the test fails if CMD does
#   procs PATTERN          pids whose command line matches; the test fails if pgrep cannot tell
#   ifbytes NS IF rx|tx    interface byte counter
#   fail MSG / skip MSG

set -o pipefail

MPSTEER=${MPSTEER:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/src/mpsteer/mpsteer}
PRELOAD=${PRELOAD:-$(dirname "$MPSTEER")/../preload/libmpsteer-preload.so}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
_PIDS=()
_TMPDIR=
CHECKS=0

_cleanup() {
	local rc=$? p ns
	set +e # a killed job's status must not end the cleanup early
	for p in "${_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# ns_new runs in $(...) subshells, so the names are found again by
	# their suffix: every namespace this test made ends in -$$.
	for ns in $(ip netns list | awk '{print $1}' | grep -E -- "-$$\$"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$_TMPDIR" ] && rm -rf "$_TMPDIR"
	# The script's own status, not that of the last kill or wait above.
	exit "$rc"
}

fail() {
	echo "FAIL [$TEST_NAME]: $*" >&2
	exit 1
}

skip() {
	echo "SKIP [$TEST_NAME]: $*" >&2
	exit 77
}

log() {
	echo "[$TEST_NAME] $*"
}

netns_init() {
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
	ip netns add "probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "probe-$$"
	[ -e /proc/sys/net/mptcp/enabled ] || skip "this kernel has no MPTCP"
	[ -x "$MPSTEER" ] || fail "mpsteer binary not found at $MPSTEER"
	trap _cleanup EXIT
	trap 'echo "[$TEST_NAME] interrupted by SIGINT" >&2; exit 1' INT
	trap 'echo "[$TEST_NAME] interrupted by SIGTERM" >&2; exit 1' TERM
	_TMPDIR=$(mktemp -d "/tmp/mpsteer-$TEST_NAME.XXXXXX")
	TMP=$_TMPDIR
}

ns_new() {
	local ns="$1-$$"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	# Duplicate address detection would delay IPv6 addresses: tests want them at once.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	echo "$ns"
}

# link_pair NS1 IF1 ADDR1/PLEN NS2 IF2 ADDR2/PLEN [ADDR1v6/PLEN ADDR2v6/PLEN]
link_pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	if [ $# -ge 8 ]; then
		ip -n "$1" addr add "$7" dev "$2" nodad
		ip -n "$4" addr add "$8" dev "$5" nodad
	fi
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

bg() {
	local ns=$1
	shift
	# Explicit <&0: a background job would otherwise get /dev/null as stdin.
	ip netns exec "$ns" "$@" <&0 &
	BG_PID=$!
	_PIDS+=("$BG_PID")
}

# wait_for SECONDS DESCRIPTION CMD... : polls every 50 ms.
wait_for() {
	local limit=$1 desc=$2 i
	shift 2
	for ((i = 0; i < limit * 20; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "timed out after ${limit}s waiting for: $desc"
}

check() {
	CHECKS=$((CHECKS + 1))
	if [ "$2" != "$3" ]; then
		fail "$1: expected '$2', got '$3'"
	fi
	log "ok: $1"
}

# count PATTERN CMD...: how many lines of CMD's output match the extended regex PATTERN.
# CMD must succeed (else the test fails), so "0" always means "looked, and there is none" —
# never "the command that should have listed them failed" (what `grep -c ... || true` hides).
count() {
	local pat=$1 out
	shift
	out=$("$@") || fail "count: '$*' failed"
	grep -cE -- "$pat" <<<"$out" || [ $? = 1 ]
}

# procs PATTERN: pids of the processes whose command line matches (pgrep -f), none is fine;
# an error of pgrep itself fails the test.
procs() {
	pgrep -f -- "$1" || [ $? = 1 ] || fail "procs: pgrep failed"
}

# check_cmd DESC CMD... : the command must succeed.
check_true() {
	local desc=$1
	shift
	CHECKS=$((CHECKS + 1))
	"$@" || fail "$desc"
	log "ok: $desc"
}

ifbytes() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3_bytes"
}

mps() {
	local ns=$1
	shift
	ip netns exec "$ns" "$MPSTEER" "$@"
}

# Runs an unmodified program on MPTCP under `mpsteer run` (seccomp mode);
# MPTCP_MODE=preload selects the LD_PRELOAD mode. $BG_PID is the supervisor,
# the program is its child (app_pid).
mptcp_bg() {
	local ns=$1
	shift
	bg "$ns" env MPSTEER_PRELOAD="$PRELOAD" "$MPSTEER" run --mode "${MPTCP_MODE:-seccomp}" -- "$@"
}

# app_pid SUPERVISOR_PID: the program `mpsteer run` started.
app_pid() {
	pgrep -P "$1" | head -n1
}

# The number of established subflows of connections matching a jq filter.
n_subflows() {
	mps "$1" -j conns | jq "[.[] | $2 | .subflows[] | select(.state == \"ESTAB\")] | length"
}

# listening NS PORT: a TCP (or MPTCP) listener on PORT exists in NS.
listening() {
	ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q .
}

# wait_eq SECONDS DESC EXPECTED CMD... : polls until CMD prints EXPECTED.
wait_eq() {
	local limit=$1 desc=$2 want=$3 i got=
	shift 3
	for ((i = 0; i < limit * 20; i++)); do
		got=$("$@" 2>/dev/null) && [ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	fail "timed out after ${limit}s waiting for: $desc (last: '$got', want '$want')"
}

# wait_ge SECONDS DESC MIN CMD... : polls until CMD prints a number >= MIN.
wait_ge() {
	local limit=$1 desc=$2 min=$3 i got=
	shift 3
	for ((i = 0; i < limit * 20; i++)); do
		got=$("$@" 2>/dev/null) && [ -n "$got" ] && [ "$got" -ge "$min" ] && return 0
		sleep 0.05
	done
	fail "timed out after ${limit}s waiting for: $desc (last: '$got', want >= $min)"
}

# ss_has NS FILTER...: an established TCP socket matching the ss filter exists.
ss_has() {
	local ns=$1 out
	shift
	out=$(ip netns exec "$ns" ss -Htn state established "$@") && [ -n "$out" ]
}

# two_paths CLI SRV FAMILY: the topology of the steering tests and the demo.
#   CLI c1 10.0.1.1 fd00:1::1 --- path 1 --- s1 10.0.1.2 fd00:1::2 SRV
#   CLI c2 10.0.2.1 fd00:2::1 --- path 2 --- s2 10.0.2.2 fd00:2::2 SRV
# The server is on the userspace PM; the client's in-kernel PM adds a
# subflow from c2 to every connection. Sets c1 c2 s1 s2 for FAMILY (4 or 6).
two_paths() {
	local cli=$1 srv=$2 family=${3:-4}
	link_pair "$cli" c1 10.0.1.1/24 "$srv" s1 10.0.1.2/24 fd00:1::1/64 fd00:1::2/64
	link_pair "$cli" c2 10.0.2.1/24 "$srv" s2 10.0.2.2/24 fd00:2::1/64 fd00:2::2/64
	if [ "$family" = 6 ]; then
		c1=fd00:1::1 c2=fd00:2::1 s1=fd00:1::2 s2=fd00:2::2
		# A subflow bound to c2 needs a route to the server's initial address
		# there (IPv4 assumes on-link for a bound device, IPv6 does not).
		ip -n "$cli" -6 route add fd00:1::/64 via fd00:2::2 dev c2 metric 2048
	else
		c1=10.0.1.1 c2=10.0.2.1 s1=10.0.1.2 s2=10.0.2.2
	fi
	set_pm "$srv" userspace
	ip -n "$cli" mptcp limits set subflows 2 add_addr_accepted 0
	ip -n "$cli" mptcp endpoint add "$c2" dev c2 subflow
}

# set_pm NS userspace|kernel: the path manager of the namespace's new
# connections (net.mptcp.path_manager on 6.15+, pm_type before).
set_pm() {
	if ip netns exec "$1" test -e /proc/sys/net/mptcp/path_manager; then
		ip netns exec "$1" sysctl -qw net.mptcp.path_manager="$2"
	else
		ip netns exec "$1" sysctl -qw net.mptcp.pm_type="$([ "$2" = userspace ] && echo 1 || echo 0)"
	fi
}
