/* SPDX-License-Identifier: MIT */
/*
 * mpsteer run [options] [--] CMD [ARGS...]: run CMD so that its TCP stream sockets are MPTCP.
 * This file holds the option parser and the supervisor shared by both modes: a child subreaper
 * that forks CMD, forwards signals to it, reaps it and every orphaned descendant, and exits with
 * CMD's status once nothing is left.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "run.h"

/* Signals a service manager or a user sends to "the program": forwarded to CMD. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

void run_log(const char *fmt, ...)
{
	va_list ap;

	fputs("mpsteer: run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *run_family_name(int domain)
{
	return domain == AF_INET ? "AF_INET" : domain == AF_INET6 ? "AF_INET6" : "AF_?";
}

void run_exec(char **argv)
{
	int err;

	execvp(argv[0], argv);
	err = errno;
	cli_err("run: cannot execute \"%s\": %s", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

static void sigset_forwarded(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
}

int run_spawn(struct run_sup *s, run_child_fn child, void *arg)
{
	sigset_t set, old;
	pid_t pid;

	/* Orphaned descendants come to us, so "all gone" is observable with wait(). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -errno;
	/* Blocked before fork: nothing sent between fork and the signalfd is lost. */
	sigset_forwarded(&set);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		prctl(PR_SET_CHILD_SUBREAPER, 0);
		child(s->opts, arg);
		_exit(EX_SOFTWARE);
	}
	s->cmd = pid;
	/* A closed stderr (mpsteer run -v ... 2>&1 | head) must not kill the supervisor: its
	 * listener would close and CMD's socket() calls would fail. Only after fork: an ignored
	 * SIGPIPE would be inherited by CMD across exec. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int shell_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return EX_SOFTWARE;
}

/* Returns 1 when no child is left. */
static int reap(struct run_sup *s)
{
	int wstatus;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &wstatus, WNOHANG);
		if (pid < 0)
			return errno == ECHILD ? 1 : -errno;
		if (pid == 0)
			return 0;
		if (pid == s->cmd) {
			s->cmd_status = shell_status(wstatus);
			s->cmd_done = true;
		}
	}
}

/*
 * Once CMD is gone we wait for the descendants it left (reparented to us, the subreaper): a
 * signal meant to end the run goes to them. They are our children and we have not reaped them,
 * so their pids cannot have been reused.
 */
static void signal_orphans(int sig)
{
	char path[64];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		kill(pid, sig);
	fclose(f);
}

/*
 * A signal typed at the terminal already reached CMD (same process group): forwarding it would
 * deliver it twice. Only signals sent to us by a process (kill, a service manager) are passed on.
 */
static void on_signal(struct run_sup *s, const struct signalfd_siginfo *si)
{
	if (si->ssi_signo == SIGCHLD || si->ssi_code == SI_KERNEL)
		return;
	if (s->cmd_done)
		signal_orphans((int)si->ssi_signo);
	else
		kill(s->cmd, (int)si->ssi_signo);
}

static int read_signals(struct run_sup *s, int sfd)
{
	struct signalfd_siginfo si;
	ssize_t n;

	while ((n = read(sfd, &si, sizeof(si))) == sizeof(si))
		on_signal(s, &si);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

/*
 * --detach: the caller (a service manager waiting for a forking daemon) gets CMD's status now;
 * a background copy keeps answering the seccomp listener until no filtered process is left,
 * because a listener that disappears makes the filtered socket() calls fail with ENOSYS.
 */
static bool detach_now(struct run_sup *s)
{
	pid_t pid;

	if (s->extra_fd < 0)
		return false;
	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid > 0;
	s->cmd = -1;
	for (;;) {
		struct pollfd p = { .fd = s->extra_fd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			_exit(EX_OSERR);
		if (p.revents && s->on_extra(s, p.revents) < 0)
			_exit(EX_OK);
	}
}

/* On stderr even with -j: stdout belongs to CMD. */
static void print_summary(const struct run_sup *s)
{
	if (cli.json) {
		fprintf(stderr, "{\"converted\":%lu,\"fallback\":%lu,\"untouched\":%lu,"
			"\"reports_lost\":%lu}\n", s->stats.converted, s->stats.fallback,
			s->stats.untouched, s->stats.lost);
		return;
	}
	if (!s->stats.lost) {
		run_log("sockets: %lu converted to MPTCP, %lu fell back to TCP, %lu left alone",
			s->stats.converted, s->stats.fallback, s->stats.untouched);
		return;
	}
	/* The program never waits for us: what did not fit in our queue is only counted. */
	run_log("sockets: %lu converted to MPTCP, %lu fell back to TCP, %lu left alone, "
		"%lu more not reported (mpsteer was not reading)", s->stats.converted,
		s->stats.fallback, s->stats.untouched, s->stats.lost);
}

/* What is still queued once everybody has exited (preload reports) counts too. */
static void drain(struct run_sup *s)
{
	struct pollfd p;

	while (s->extra_fd >= 0) {
		p = (struct pollfd){ .fd = s->extra_fd, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN) || s->on_extra(s, p.revents) < 0)
			break;
	}
}

static int supervise_loop(struct run_sup *s, int sfd)
{
	struct pollfd p[2];
	int ret;

	for (;;) {
		p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->extra_fd, .events = POLLIN };
		if (poll(p, s->extra_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (s->extra_fd >= 0 && p[1].revents && s->on_extra(s, p[1].revents) < 0)
			s->extra_fd = -1; /* owner closes it */
		if (p[0].revents) {
			ret = read_signals(s, sfd);
			if (ret < 0)
				return ret;
			ret = reap(s);
			if (ret < 0)
				return ret;
			if (ret == 1)
				return 0;
			if (s->cmd_done && s->opts->detach && detach_now(s))
				return 0;
		}
	}
}

int run_supervise(struct run_sup *s)
{
	sigset_t set;
	int sfd, ret;

	sigset_forwarded(&set);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		cli_err("run: signalfd: %s", strerror(errno));
		kill(s->cmd, SIGKILL);
		return EX_OSERR;
	}
	/* A child that exited before the signalfd existed left SIGCHLD pending: reaped here. */
	ret = reap(s);
	if (ret == 0)
		ret = supervise_loop(s, sfd);
	close(sfd);
	if (ret < 0) {
		cli_err("run: supervisor: %s", strerror(-ret));
		return EX_OSERR;
	}
	drain(s);
	if (s->opts->verbose || s->opts->summary)
		print_summary(s);
	return s->cmd_done ? s->cmd_status : EX_SOFTWARE;
}

static const char usage_text[] =
	"Usage: mpsteer run [--mode seccomp|preload] [--verbose] [--summary] [--detach]\n"
	"                   [--] CMD [ARGS...]\n\n"
	"Run CMD and every process it starts with their TCP stream sockets (AF_INET/AF_INET6,\n"
	"SOCK_STREAM, protocol 0 or IPPROTO_TCP) turned into MPTCP sockets. Where MPTCP is\n"
	"unavailable the program gets the plain TCP socket it asked for.\n\n"
	"Options:\n"
	"  -m, --mode seccomp  intercept socket() with seccomp user notification (default);\n"
	"                      reaches static, Go and multi-threaded programs and children\n"
	"  -m, --mode preload  LD_PRELOAD a socket() wrapper (dynamically linked programs only)\n"
	"                      and set GODEBUG=multipathtcp=1 (Go 1.21 and later)\n"
	"  -v, --verbose       log each intercepted socket, print the summary at the end\n"
	"  -s, --summary       print how many sockets were converted / fell back / left alone\n"
	"                      (on stderr; one JSON object with mpsteer -j)\n"
	"  -d, --detach        exit with CMD's status as soon as CMD exits (forking daemons,\n"
	"                      systemd Type=forking); its descendants stay served\n"
	"  -h, --help          this text\n\n"
	"Exit status: CMD's own, 128+N when CMD was killed by signal N, 126/127 when CMD\n"
	"cannot be executed / found, 64-78 (sysexits) for errors of mpsteer itself.\n"
	"See mpsteer-run(8) for the limits of each mode.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int parse_mode(const char *s, enum run_mode *mode)
{
	if (!strcmp(s, "seccomp"))
		*mode = RUN_MODE_SECCOMP;
	else if (!strcmp(s, "preload"))
		*mode = RUN_MODE_PRELOAD;
	else
		return -EINVAL;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' }, { "verbose", no_argument, NULL, 'v' },
		{ "summary", no_argument, NULL, 's' },    { "detach", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .mode = RUN_MODE_SECCOMP, .verbose = cli.verbose > 0 };
	int c;

	optind = 0; /* main() already ran getopt; glibc re-initialises on 0 */
	opterr = 0; /* one line of our own instead of getopt's and the usage */
	while ((c = getopt_long(argc, argv, "+:m:vsdh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_mode(optarg, &o.mode) < 0) {
				cli_err("run: unknown mode \"%s\" (seccomp or preload)", optarg);
				return EX_USAGE;
			}
			break;
		case 'v': o.verbose = true; break;
		case 's': o.summary = true; break;
		case 'd': o.detach = true; break;
		case 'h': usage(stdout); return EX_OK;
		default: return cli_opt_error("run", c, argc, argv);
		}
	}
	if (optind >= argc) {
		cli_err("run: no command given (mpsteer run [OPTIONS] [--] CMD [ARGS...])");
		return EX_USAGE;
	}
	o.argv = argv + optind;
	return o.mode == RUN_MODE_SECCOMP ? run_seccomp(&o) : run_preload(&o);
}
