# shellcheck shell=bash
# Shared helpers of the mpsteerd benchmarks (bench/daemon_burst.sh, subflow_setup.sh,
# failover_stall.sh, churn_memory.sh). Source it, then call bench_init once.
#
# Namespaces, background jobs and the temporary directory come from tests/netns/lib.sh
# (ns_new, link_pair, bg, wait_for, wait_eq, mps ...) and are removed by its EXIT trap.
# Added here:
#   bench_topo N           client (c1..cN) -- router -- server (s0), see the diagram below
#   bench_tools            compiles the small C programs below into $BT
#   daemon_up NS CONF      starts mpsteerd in NS (pid in $DPID), waits until it answers
#   cpu_us PID / hwm_kb PID / rss_kb PID         /proc facts of a process
#   mib NS NAME            one MPTcpExt counter of NS (/proc/net/netstat, per namespace)
#   median / pct P / ratio A B                   numbers from stdin or arguments
#   carrier NS IF / reach NS SRC DST             a link's carrier, a path that answers
#
# Topology of bench_topo N (N client paths, 1 <= N <= 3):
#
#   client ns                      router ns                  server ns
#   +-------------------+          +-------------------+      +----------------+
#   | c1 10.1.1.2       |----------| r1 10.1.1.1       |      |                |
#   | c2 10.1.2.2       |----------| r2 10.1.2.1    r0 |------| s0 10.9.0.2    |
#   | c3 10.1.3.2       |----------| r3 10.1.3.1  10.9.0.1    |                |
#   +-------------------+          +-------------------+      +----------------+
#
# The client's default route is c1 (metric 100); a source routing rule per interface (set
# here, not by a daemon, so every tool compared gets the same routing) sends a subflow from
# 10.1.i.2 out of ci. The server has one address.

_bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_top=$(cd "$_bench_dir/.." && pwd)
MPSTEER=${MPSTEER:-$_top/build/src/mpsteer/mpsteer}
MPSTEERD=${MPSTEERD:-$(dirname "$MPSTEER")/../mpsteerd/mpsteerd}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
# shellcheck source=../tests/netns/lib.sh
. "$_top/tests/netns/lib.sh"

SRV4=10.9.0.2

bench_init() {
	netns_init
	[ -x "$MPSTEERD" ] || fail "mpsteerd binary not found at $MPSTEERD (set MPSTEERD)"
	command -v jq >/dev/null || skip "jq is not installed"
	command -v cc >/dev/null || skip "no C compiler (cc) for the load generators"
	export MPSTEER_RUNDIR=$TMP/run
	mkdir -p "$MPSTEER_RUNDIR"
}

bench_topo() {
	local n=$1 i
	CLI=$(ns_new bcli)
	RTR=$(ns_new brtr)
	SRV=$(ns_new bsrv)
	ip netns exec "$RTR" sysctl -qw net.ipv4.ip_forward=1
	link_pair "$RTR" r0 10.9.0.1/24 "$SRV" s0 $SRV4/24
	ip -n "$SRV" route add default via 10.9.0.1
	for ((i = 1; i <= n; i++)); do
		link_pair "$CLI" c$i 10.1.$i.2/24 "$RTR" r$i 10.1.$i.1/24
		ip -n "$CLI" route add default via 10.1.$i.1 dev c$i metric $((i * 100))
		ip -n "$CLI" route add default via 10.1.$i.1 dev c$i table $((100 + i))
		ip -n "$CLI" rule add from 10.1.$i.2 table $((100 + i)) priority $((100 + i))
	done
	# Many short connections: ports must not run out, and no cached metrics between runs.
	for ns in "$CLI" "$SRV"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
			net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_no_metrics_save=1 \
			net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192
	done
}

# daemon_up NS CONF [ARGS...]: mpsteerd in NS, answering on its control socket.
daemon_up() {
	local ns=$1 conf=$2
	shift 2
	bg "$ns" "$MPSTEERD" -c "$conf" "$@"
	# shellcheck disable=SC2034 # used by the scripts
	DPID=$BG_PID
	wait_for 10 "mpsteerd in $ns answers" mps "$ns" status
}

# client_conf: $TMP/mpsteerd.conf, the client's mpsteerd in every benchmark
# (per-interface policy on the c* uplinks).
client_conf() {
	cat >"$TMP/mpsteerd.conf" <<'EOF'
[client]
policy = per-interface
[interfaces]
allow = c*
EOF
}

# client_pm_up TOOL: the client's userspace path manager, mptcpd (its sspi
# plugin) or mpsteerd (client_conf), logging to $TMP/TOOL.log; PM_PID is its pid.
client_pm_up() {
	case $1 in
	mptcpd)
		ip netns exec "$CLI" sysctl -qw net.mptcp.path_manager=userspace
		bg "$CLI" "$MPTCPD" --path-manager=sspi --log=stderr \
			--notify-flags=existing,skip_loopback 2>"$TMP/mptcpd.log"
		# shellcheck disable=SC2034 # used by the scripts
		PM_PID=$BG_PID
		wait_for 10 "mptcpd subscribed" grep -q 'path manager initialized' "$TMP/mptcpd.log"
		;;
	mpsteerd)
		[ -f "$TMP/mpsteerd.conf" ] || client_conf
		daemon_up "$CLI" "$TMP/mpsteerd.conf" 2>"$TMP/mpsteerd.log"
		# shellcheck disable=SC2034 # used by the scripts
		PM_PID=$DPID
		;;
	*) fail "unknown path manager $1" ;;
	esac
}

# daemon_down PID: SIGTERM and wait (its source routing and sockets go with it).
daemon_down() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

dstat() {
	mps "$1" -j status | jq -r ".$2"
}

# CPU time of a process (all its threads) in microseconds: the scheduler's own account
# (/proc/PID/task/*/schedstat, ns), finer than utime+stime's 10 ms ticks.
cpu_us() {
	cat /proc/"$1"/task/*/schedstat | awk '{ ns += $1 } END { printf "%d\n", ns / 1000 }'
}

hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# mib NS NAME: an MPTcpExt counter of the namespace.
mib() {
	ip netns exec "$1" awk -v k="$2" '$1 == "MPTcpExt:" {
		if (!n) { for (i = 2; i <= NF; i++) name[i] = $i; n = 1; next }
		for (i = 2; i <= NF; i++) if (name[i] == k) print $i }' /proc/net/netstat
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'
}

# pct P: the P-th percentile (nearest rank) of the numbers on stdin.
pct() {
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END {
		if (!NR) { print "nan"; exit }
		r = int(NR * p / 100 + 0.999999); if (r < 1) r = 1; print v[r] }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "nan" || b == "nan") print "n/a";
		else printf "%.2f", a / b }'
}

# bench_tools: builds $BT, one binary with the commands below (see usage in main()).
bench_tools() {
	BT=$TMP/bt
	cat >"$TMP/bt.c" <<'EOF'
/*
 * Load generators and probes of the mpsteerd benchmarks.
 *   bt accept PORT                 MPTCP server: accept and close at once, forever
 *   bt burst ADDR PORT N CONC [T]  N MPTCP connections, CONC in flight: connect, wait for
 *                                  the server's close, close; stops after T s (default 120).
 *                                  Prints "ok failed seconds"
 *   bt evcount                     subscribes to mptcp_pm_events with a huge receive buffer,
 *                                  prints "ready", reads nothing until SIGUSR1 (so it takes
 *                                  no CPU from the tools measured), then drains and prints
 *                                  "created N established N closed N sub_established N
 *                                  sub_closed N announced N other N total N lost N"
 *   bt sink PORT                   MPTCP server: one connection after another; per
 *                                  connection prints "bytes maxgap_ms gap_start_s" (longest
 *                                  time without data, after the first byte)
 *   bt pace ADDR PORT KBPS SECS    MPTCP client sending KBPS kB/s in 1 ms chunks for SECS;
 *                                  prints the bytes sent
 *   bt join ADDR PORT M SUBFLOWS TIMEOUT_MS
 *                                  M MPTCP connections one after another: connect, send a
 *                                  few bytes, wait until SUBFLOWS subflows are established
 *                                  (MPTCP_TCPINFO, busy polling) or TIMEOUT_MS, close.
 *                                  Prints "complete timed_out"; on stderr, per connection
 *                                  complete, the us from connect()'s return to that moment
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int listener(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);

	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8192) < 0)
		die("bind/listen");
	return s;
}

static int cmd_accept(int port)
{
	int s = listener(port);

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c >= 0)
			close(c);
	}
	return 0;
}

static int cmd_burst(const char *addr, int port, long n, int conc, double limit)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int ep = epoll_create1(0), inflight = 0;
	long started = 0, ok = 0, failed = 0;
	struct epoll_event evs[256];
	double t0 = now_s();
	char buf[64];

	inet_pton(AF_INET, addr, &a.sin_addr);
	while ((started < n || inflight) && now_s() - t0 < limit) {
		while (started < n && inflight < conc) {
			int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_MPTCP);
			struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

			if (s < 0)
				die("socket");
			started++;
			if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
				failed++;
				close(s);
				continue;
			}
			ev.data.fd = s;
			epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
			inflight++;
		}
		int k = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < k; i++) {
			int s = evs[i].data.fd, err = 0;
			socklen_t l = sizeof(err);
			ssize_t r;

			getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l);
			r = err ? -1 : read(s, buf, sizeof(buf));
			if (r < 0 && !err && errno == EAGAIN)
				continue;
			if (r == 0)
				ok++;
			else
				failed++;
			close(s); /* also leaves the epoll set */
			inflight--;
		}
	}
	printf("%ld %ld %.3f\n", ok, failed + (n - ok - failed), now_s() - t0);
	return 0;
}

/* ---- evcount: generic netlink, family "mptcp_pm", group "mptcp_pm_events" ---- */
static int genl_resolve(int s, int *grp)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[64];
	} req = { 0 };
	static char rbuf[8192];
	struct nlattr *na = (struct nlattr *)req.buf;
	int fam = -1;
	ssize_t len;

	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	na->nla_type = CTRL_ATTR_FAMILY_NAME;
	na->nla_len = NLA_HDRLEN + sizeof("mptcp_pm");
	memcpy((char *)na + NLA_HDRLEN, "mptcp_pm", sizeof("mptcp_pm"));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(na->nla_len));
	if (send(s, &req, req.n.nlmsg_len, 0) < 0)
		return -1;
	len = recv(s, rbuf, sizeof(rbuf), 0);
	if (len <= 0)
		return -1;
	struct nlmsghdr *nh = (struct nlmsghdr *)rbuf;

	if (nh->nlmsg_type == NLMSG_ERROR)
		return -1;
	char *p = (char *)NLMSG_DATA(nh) + GENL_HDRLEN, *end = (char *)nh + nh->nlmsg_len;

	for (; p + NLA_HDRLEN <= end; p += NLA_ALIGN(((struct nlattr *)p)->nla_len)) {
		struct nlattr *a = (struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			fam = *(uint16_t *)((char *)a + NLA_HDRLEN);
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		char *g = p + NLA_HDRLEN, *gend = p + a->nla_len;

		for (; g + NLA_HDRLEN <= gend; g += NLA_ALIGN(((struct nlattr *)g)->nla_len)) {
			char *q = g + NLA_HDRLEN, *qend = g + ((struct nlattr *)g)->nla_len;
			int id = -1, match = 0;

			if (((struct nlattr *)g)->nla_len < NLA_HDRLEN)
				break;
			for (; q + NLA_HDRLEN <= qend; q += NLA_ALIGN(((struct nlattr *)q)->nla_len)) {
				struct nlattr *b = (struct nlattr *)q;

				if (b->nla_len < NLA_HDRLEN)
					break;
				if (b->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)(q + NLA_HDRLEN);
				if (b->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
				    !strcmp(q + NLA_HDRLEN, "mptcp_pm_events"))
					match = 1;
			}
			if (match)
				*grp = id;
		}
	}
	return fam;
}

static int cmd_evcount(void)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int grp = -1, fam, sz = 1 << 29, sig;
	unsigned long cnt[32] = { 0 }, total = 0, lost = 0;
	static char buf[1 << 16];
	sigset_t set;

	if (s < 0)
		die("netlink");
	fam = genl_resolve(s, &grp);
	if (fam < 0 || grp < 0) {
		fprintf(stderr, "evcount: no mptcp_pm family\n");
		return 1;
	}
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		die("SO_RCVBUFFORCE");
	if (setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		die("NETLINK_ADD_MEMBERSHIP");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	for (;;) {
		ssize_t len = recv(s, buf, sizeof(buf), MSG_DONTWAIT);

		if (len < 0 && errno == ENOBUFS) {
			lost++;
			continue;
		}
		if (len <= 0)
			break;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type != fam)
				continue;
			struct genlmsghdr *g = NLMSG_DATA(nh);

			cnt[g->cmd < 32 ? g->cmd : 0]++;
			total++;
		}
	}
	printf("created %lu established %lu closed %lu sub_established %lu sub_closed %lu "
	       "announced %lu other %lu total %lu lost %lu\n", cnt[1], cnt[2], cnt[3], cnt[10],
	       cnt[11], cnt[6], total - cnt[1] - cnt[2] - cnt[3] - cnt[10] - cnt[11] - cnt[6],
	       total, lost);
	return 0;
}

static int cmd_sink(int port)
{
	int s = listener(port);
	static char buf[1 << 16];

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		double last = 0, t0 = 0, gap = 0, gap_at = 0;
		long long bytes = 0;
		ssize_t r;

		if (c < 0)
			continue;
		while ((r = read(c, buf, sizeof(buf))) > 0) {
			double t = now_s();

			if (!bytes)
				t0 = last = t;
			if (t - last > gap) {
				gap = t - last;
				gap_at = last - t0;
			}
			last = t;
			bytes += r;
		}
		close(c);
		printf("%lld %.1f %.3f\n", bytes, gap * 1000, gap_at);
		fflush(stdout);
	}
	return 0;
}

static int cmd_pace(const char *addr, int port, long kbps, double secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	size_t chunk = kbps; /* kB/s in 1 ms steps: kbps bytes per ms */
	char *buf = calloc(1, chunk);
	long long sent = 0;
	double t0, next;

	inet_pton(AF_INET, addr, &a.sin_addr);
	if (s < 0 || !buf || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	t0 = next = now_s();
	while (now_s() - t0 < secs) {
		ssize_t w = write(s, buf, chunk);

		if (w < 0)
			die("write");
		sent += w;
		next += 0.001;
		double d = next - now_s();

		if (d > 0) {
			struct timespec ts = { 0, (long)(d * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	close(s);
	printf("%lld\n", sent);
	return 0;
}

#define SOL_MPTCP 284
#define MPTCP_TCPINFO 2
struct mptcp_subflow_data {
	uint32_t size_subflow_data, num_subflows, size_kernel, size_user;
};

/* Subflows of the MPTCP socket s in TCP_ESTABLISHED. */
static int established_subflows(int s)
{
	struct {
		struct mptcp_subflow_data d;
		struct tcp_info ti[8];
	} r = { .d = { .size_subflow_data = sizeof(struct mptcp_subflow_data),
		       .size_user = sizeof(struct tcp_info) } };
	socklen_t len = sizeof(r);
	int n = 0;

	if (getsockopt(s, SOL_MPTCP, MPTCP_TCPINFO, &r, &len) < 0)
		return -1;
	for (uint32_t i = 0; i < r.d.num_subflows && i < 8; i++)
		n += r.ti[i].tcpi_state == TCP_ESTABLISHED;
	return n;
}

static int cmd_join(const char *addr, int port, long m, int want, long timeout_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	long complete = 0, timed_out = 0;

	inet_pton(AF_INET, addr, &a.sin_addr);
	for (long i = 0; i < m; i++) {
		int s = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP), n = 0;
		double t0;

		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect");
		t0 = now_s();
		if (write(s, "hello", 5) != 5)
			die("write");
		/* Busy: a sleep's wake-up delay would be larger than what is measured. */
		while ((n = established_subflows(s)) < want && now_s() - t0 < timeout_ms / 1000.0)
			;
		if (n >= want) {
			complete++;
			fprintf(stderr, "%.0f\n", (now_s() - t0) * 1e6);
		} else {
			timed_out++;
		}
		close(s);
	}
	printf("%ld %ld\n", complete, timed_out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(c, "accept") && argc == 3)
		return cmd_accept(atoi(argv[2]));
	if (!strcmp(c, "burst") && argc >= 6)
		return cmd_burst(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]),
				 argc > 6 ? atof(argv[6]) : 120);
	if (!strcmp(c, "evcount"))
		return cmd_evcount();
	if (!strcmp(c, "sink") && argc == 3)
		return cmd_sink(atoi(argv[2]));
	if (!strcmp(c, "join") && argc == 7)
		return cmd_join(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]), atol(argv[6]));
	if (!strcmp(c, "pace") && argc == 6)
		return cmd_pace(argv[2], atoi(argv[3]), atol(argv[4]), atof(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of bt.c\n");
	return 64;
}
EOF
	cc -O2 -Wall -o "$BT" "$TMP/bt.c" || fail "cannot build the load generators"
}

# bg_ready NS OUTFILE CMD...: starts CMD in NS with stdout to OUTFILE, waits for its "ready".
bg_ready() {
	local ns=$1 out=$2
	shift 2
	bg "$ns" "$@" >"$out"
	wait_for 10 "$* ready" grep -q '^ready' "$out"
}

# nl_drops NS PID: messages the kernel dropped on PID's generic netlink sockets because
# their receive buffer was full (the Drops column of /proc/net/netlink): events the
# process never saw, whatever it says about them.
nl_drops() {
	local inodes
	inodes=$(find "/proc/$2/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/[^0-9]//g' | tr '\n' ' ')
	ip netns exec "$1" awk -v ino=" $inodes" '$2 == 16 && index(ino, " " $10 " ") { d += $9 }
		END { print d + 0 }' /proc/net/netlink
}

# nl_rmem NS PID: bytes queued, unread, on PID's generic netlink sockets.
nl_rmem() {
	local inodes
	inodes=$(find "/proc/$2/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/[^0-9]//g' | tr '\n' ' ')
	ip netns exec "$1" awk -v ino=" $inodes" '$2 == 16 && index(ino, " " $10 " ") { m += $5 }
		END { print m + 0 }' /proc/net/netlink
}

# kconns NS: MPTCP connections of NS as the kernel lists them (sock_diag), listeners excluded.
kconns() {
	mps "$1" --direct -j conns | jq '[.[] | select(.state != "LISTEN")] | length'
}

# carrier NS IF: 1 when IF has a carrier.
carrier() {
	ip netns exec "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null || echo 0
}

# reach NS SRC DST: a TCP SYN from SRC to a closed port of DST is answered (refused).
reach() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(1)
s.bind((sys.argv[1], 0))
try:
    s.connect((sys.argv[2], 9))
except ConnectionRefusedError:
    sys.exit(0)
except OSError:
    sys.exit(1)
' "$2" "$3"
}

MPTCPD=${MPTCPD:-/usr/libexec/mptcpd}

# settle NS PID: waits until PID has read all that is queued on its generic netlink sockets,
# or until the queue has not moved for 3 s (a daemon that stopped reading). Prints "drained"
# or "stuck (N bytes unread)".
settle() {
	local last=-1 same=0 m i
	for ((i = 0; i < 1200; i++)); do
		m=$(nl_rmem "$1" "$2")
		[ "$m" = 0 ] && { echo drained; return 0; }
		if [ "$m" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 30 ] && { echo "stuck ($m bytes unread)"; return 0; }
		else
			same=0
		fi
		last=$m
		sleep 0.1
	done
	echo "stuck ($m bytes unread)"
}
