/*
 * ifsample: byte counters of network interfaces at a fixed interval.
 *
 *   ifsample INTERVAL_MS IFNAME...
 *
 * Prints a header "t,IF_rx,IF_tx,..." then one line per tick: the wall-clock time
 * (CLOCK_REALTIME, seconds, the clock of bash's $EPOCHREALTIME) and the cumulative
 * rx/tx byte counters of each interface (/sys/class/net/IF/statistics). Ticks are
 * absolute (clock_nanosleep TIMER_ABSTIME), so the interval does not drift with load.
 * Runs in the network namespace it is started in, until SIGTERM or SIGINT; the last
 * line is written at the signal, so the series covers the whole run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long read_counter(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoll(buf);
}

static int open_counter(const char *ifname, const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s_bytes", ifname, dir);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void print_row(int nif, const int *fds)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	printf("%lld.%06ld", (long long)now.tv_sec, now.tv_nsec / 1000);
	for (int i = 0; i < 2 * nif; i++)
		printf(",%lld", read_counter(fds[i]));
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec next;
	long interval_ms;
	int nif, *fds;

	if (argc < 3 || (interval_ms = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: ifsample INTERVAL_MS IFNAME...\n");
		return 64;
	}
	nif = argc - 2;
	fds = calloc(2 * nif, sizeof(*fds));
	if (!fds)
		return 71;
	printf("t");
	for (int i = 0; i < nif; i++) {
		fds[2 * i] = open_counter(argv[i + 2], "rx");
		fds[2 * i + 1] = open_counter(argv[i + 2], "tx");
		if (fds[2 * i] < 0 || fds[2 * i + 1] < 0) {
			fprintf(stderr, "ifsample: no interface %s here: %s\n", argv[i + 2],
				strerror(errno));
			return 66;
		}
		printf(",%s_rx,%s_tx", argv[i + 2], argv[i + 2]);
	}
	printf("\n");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		print_row(nif, fds);
		next.tv_nsec += interval_ms * 1000000L;
		next.tv_sec += next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		while (!stop &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	print_row(nif, fds);
	return 0;
}
