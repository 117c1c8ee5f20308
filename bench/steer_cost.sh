#!/usr/bin/env bash
# What health sampling and steering cost: mpsteerd's CPU with N live, mostly idle MPTCP
# connections (two subflows each) steered by the handover policy, against the same daemon
# and connections without steering ([steering] policy = none), side by side in one run.
#
#   client ns (mpsteerd, hold)           router ns            server ns (serve)
#   +---------------------+              +---------+          +---------------------+
#   | c1 10.1.1.2         |--------------| r1   r0 |----------| s0 10.9.0.2 :8080   |
#   | c2 10.1.2.2         |--------------| r2      |          | in-kernel PM        |
#   +---------------------+              +---------+          +---------------------+
#
# For each N (default 1000, then 10000: the connections are added, not made again) and each
# arm in turn (handover, none; switched by SIGHUP with a rewritten config), the daemon's CPU
# time (scheduler account, all threads) over SECONDS of wall time, BUSY of the connections
# sending KBPS kB/s each, the others idle. Printed per N: CPU % of one core for each arm,
# the difference (what steering costs), the subflow samples taken, the CPU per sample, and
# the ratio handover/none. Goal: <= 2% of one core at 10,000 mostly idle connections.
#
# Usage: bench/steer_cost.sh [NS="1000 10000"] [SECONDS=20] [BUSY=10] [KBPS=50]
# Env: MPSTEER, MPSTEERD (default: build/ of this tree). Needs root.
set -eu
NS=${1:-"1000 10000"}
SECS=${2:-20}
BUSY=${3:-10}
KBPS=${4:-50}
. "$(dirname "$0")/lib.sh"
bench_init
bench_topo 2
ip netns exec "$SRV" ip mptcp limits set subflows 2 add_addr_accepted 0

# hold: the load. serve PORT: accepts and reads everything, forever. hold ADDR PORT: reads
# counts on stdin; for each, opens that many more MPTCP connections (one byte sent on each:
# the path managers see them established), prints "ready TOTAL"; the first BUSY send KBPS
# kB/s in 10 ms chunks all along.
cat >"$TMP/hold.c" <<'EOF'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define IPPROTO_MPTCP_ 262

static void raise_nofile(void)
{
	struct rlimit r = { 1 << 20, 1 << 20 };

	setrlimit(RLIMIT_NOFILE, &r);
}

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP_), one = 1, ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	char buf[65536];

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (void *)&a, sizeof(a)) || listen(s, 4096))
		return perror("serve"), 1;
	ev.data.fd = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == s) {
				int c = accept4(s, NULL, NULL, SOCK_NONBLOCK);

				if (c >= 0) {
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			if (read(fd, buf, sizeof(buf)) == 0)
				close(fd);
		}
	}
}

static int hold(const char *addr, int port, int busy, long kbps)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	static int fds[1 << 17];
	static char chunk[65536];
	long total = 0, want;
	size_t per = (size_t)kbps * 10; /* bytes per 10 ms */
	char line[64];

	inet_pton(AF_INET, addr, &a.sin_addr);
	if (per > sizeof(chunk))
		per = sizeof(chunk);
	fcntl(0, F_SETFL, O_NONBLOCK);
	for (;;) {
		if (fgets(line, sizeof(line), stdin) && (want = atol(line)) > 0) {
			for (long i = 0; i < want && total < (1 << 17); i++) {
				int s = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP_);

				if (s < 0 || connect(s, (void *)&a, sizeof(a)) || write(s, "x", 1) != 1)
					return perror("hold"), 1;
				fcntl(s, F_SETFL, O_NONBLOCK);
				fds[total++] = s;
			}
			printf("ready %ld\n", total);
			fflush(stdout);
		}
		clearerr(stdin);
		for (int i = 0; i < busy && i < total; i++)
			if (write(fds[i], chunk, per) < 0) /* EAGAIN: the path is full */
				;
		usleep(10000);
	}
}

int main(int argc, char **argv)
{
	raise_nofile();
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 6 && !strcmp(argv[1], "hold"))
		return hold(argv[2], atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: hold serve PORT | hold hold ADDR PORT BUSY KBPS\n");
	return 64;
}
EOF
cc -O2 -o "$TMP/hold" "$TMP/hold.c"
bg_ready "$SRV" "$TMP/serve.out" "$TMP/hold" serve 8080

conf() { # conf POLICY: the client daemon's config
	cat >"$TMP/mpsteerd.conf" <<EOF2
[client]
policy = per-interface
[interfaces]
allow = c*
[steering]
policy = $1
[handover]
prefer = c1 c2
EOF2
}
conf handover
client_pm_up mpsteerd
mkfifo "$TMP/hold.in"
exec {hin}<>"$TMP/hold.in"
ip netns exec "$CLI" "$TMP/hold" hold $SRV4 8080 "$BUSY" "$KBPS" <"$TMP/hold.in" \
	>"$TMP/hold.out" &
_PIDS+=("$!")

subflows() { # established subflows of the client's connections (the kernel's count)
	ip netns exec "$CLI" ss -Htn state established '( dport = :8080 )' | wc -l
}
# arm POLICY: switches the daemon to POLICY (SIGHUP), waits until it took it, measures.
# Sets CPU (percent of one core), SAMPLES (subflow samples in the window).
arm() {
	local c0 c1 s0 s1 t0 t1
	conf "$1"
	kill -HUP "$PM_PID"
	wait_eq 10 "policy $1 in force" "$1" dstat "$CLI" steering.default
	if [ "$1" != none ]; then
		wait_ge 30 "every connection steered" "$n" dstat "$CLI" steering.steered
	fi
	sleep 3 # the decisions of a policy switch are not its steady cost
	s0=$(dstat "$CLI" steering.sampling.subflows)
	c0=$(cpu_us "$PM_PID")
	t0=$(date +%s%N)
	sleep "$SECS"
	c1=$(cpu_us "$PM_PID")
	t1=$(date +%s%N)
	s1=$(dstat "$CLI" steering.sampling.subflows)
	CPU=$(awk -v c=$((c1 - c0)) -v t=$(((t1 - t0) / 1000)) 'BEGIN { printf "%.3f", 100 * c / t }')
	SAMPLES=$((s1 - s0))
	CPUUS=$((c1 - c0))
}

printf '%-7s %-9s %-12s %-12s %-12s %-12s %-14s %s\n' conns subflows "handover %" "none %" \
	"steering %" samples "us/sample" ratio
total=0
for n in $NS; do
	echo $((n - total)) >&"$hin"
	wait_for 600 "$n connections open" grep -q "^ready $n\$" "$TMP/hold.out"
	total=$n
	wait_ge 600 "their second subflows" $((2 * n)) subflows
	wait_eq 120 "the daemon tracks them" "$n" dstat "$CLI" connections
	arm handover
	ho=$CPU ho_samples=$SAMPLES ho_us=$CPUUS
	arm none
	none=$CPU none_us=$CPUUS
	printf '%-7s %-9s %-12s %-12s %-12s %-12s %-14s %s\n' "$n" "$(subflows)" "$ho" "$none" \
		"$(awk -v a="$ho" -v b="$none" 'BEGIN { printf "%.3f", a - b }')" "$ho_samples" \
		"$(awk -v c=$((ho_us - none_us)) -v s="$ho_samples" \
			'BEGIN { if (s) printf "%.2f", c / s; else print "n/a" }')" \
		"$(ratio "$ho" "$none")"
done
echo "(CPU over ${SECS}s per arm, $BUSY busy connections at $KBPS kB/s, the rest idle;" \
	"sampling: busy every 50 ms, all every 2 s)"
