# shellcheck shell=bash
# Helpers of the run_*.sh tests (`mpsteer run`), on top of lib.sh. Source after lib.sh.
#
#   run_init               netns_init, with a cleanup that also removes run_ns namespaces
#   run_progs              sets TP (dynamic C), TPS (static C), GOC (Go, or empty), PYC
#   run_topology           two namespaces CLI and SRV joined by one veth pair (see diagram
#                          in each test); SRV4/SRV6 are the server's addresses
#   mptcp_counter NS NAME  a MPTcpExt counter of /proc/net/netstat in NS
#   proto_of FILE TAG      the proto=N a test program printed for TAG (main/thread/child/...)
#   sha FILE               sha256 of FILE

RUN_NS=()

run_init() {
	netns_init
	trap run_cleanup EXIT
}

# Our namespaces first, then lib.sh's cleanup, which ends the script with its status.
run_cleanup() {
	local rc=$? ns
	set +e # a helper that is already gone must not stop the cleanup half way
	disown -a # no "Killed" job notices after the verdict
	for ns in "${RUN_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	(exit "$rc") # lib.sh's _cleanup reads the script's status from $?
	_cleanup
	exit "$rc"
}

# run_ns NAME: creates NAME-<pid>, recorded for the cleanup (not from a $(...) subshell).
run_ns() {
	local ns="$1-$$"
	ip netns add "$ns"
	RUN_NS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

PROGS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../progs" && pwd)

# Programs built by meson (tests/progs) when there, otherwise compiled here.
run_progs() {
	if [ -n "${BUILDDIR:-}" ] && [ -x "$BUILDDIR/tests/progs/mps-testprog-static" ]; then
		TP=$BUILDDIR/tests/progs/mps-testprog
		TPS=$BUILDDIR/tests/progs/mps-testprog-static
	else
		command -v cc >/dev/null || skip "no C compiler to build the test programs"
		TP=$TMP/mps-testprog
		TPS=$TMP/mps-testprog-static
		cc -O2 -pthread -o "$TP" "$PROGS_SRC/mps_testprog.c" || fail "cannot build $TP"
		cc -O2 -static -pthread -o "$TPS" "$PROGS_SRC/mps_testprog.c" ||
			fail "cannot build a static program (libc6-dev has libc.a)"
	fi
	GOC=
	if command -v go >/dev/null; then
		GOC=$TMP/goclient
		# CGO_ENABLED=0: a pure-Go static binary, the kind LD_PRELOAD never reaches.
		(cd "$TMP" && CGO_ENABLED=0 GOCACHE=$TMP/gocache GOPATH=$TMP/gopath \
			GOFLAGS=-mod=mod go build -o "$GOC" "$PROGS_SRC/goclient.go") ||
			fail "cannot build the Go client"
	else
		log "NOTE: golang-go is not installed: the Go client is not covered"
	fi
	PYC=$PROGS_SRC/pyclient.py
	command -v python3 >/dev/null || fail "python3 missing"
}

#   CLI                                SRV
#   c0 10.77.1.1/24  <--- veth --->    s0 10.77.1.2/24
#      fd00:77::1/64                      fd00:77::2/64
run_topology() {
	run_ns mps-runc
	run_ns mps-runs
	CLI=mps-runc-$$
	SRV=mps-runs-$$
	link_pair "$CLI" c0 10.77.1.1/24 "$SRV" s0 10.77.1.2/24 fd00:77::1/64 fd00:77::2/64
	SRV4=10.77.1.2
	SRV6=fd00:77::2
}

mptcp_counter() {
	ip netns exec "$1" awk -v name="$2" '
		$1 == "MPTcpExt:" && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == "MPTcpExt:" && hdr { print (name in col) ? $col[name] : 0 }' /proc/net/netstat
}

proto_of() {
	awk -v tag="$2" '$1 == tag { sub("proto=", "", $2); print $2; exit }' "$1"
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# listening NS PORT: a listener on PORT exists in NS.
listening() {
	ip netns exec "$1" ss -Hltn "sport = :$2" | grep . >/dev/null
}
