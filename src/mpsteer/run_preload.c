/* SPDX-License-Identifier: MIT */
/*
 * preload mode of `mpsteer run`: LD_PRELOAD libmpsteer-preload.so (src/preload), whose socket()
 * asks for IPPROTO_MPTCP and retries with the original protocol when MPTCP is unavailable, and
 * GODEBUG=multipathtcp=1 for Go 1.21+ (Go's net package makes raw syscalls, not libc calls).
 *
 * Without --verbose / --summary, mpsteer simply execs CMD: nothing stays in between. With them,
 * a supervisor forks CMD and collects one datagram per intercepted socket on an abstract unix
 * socket whose name is passed in MPSTEER_PRELOAD_REPORT (see src/preload/preload.c).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "run.h"

#define REPORT_ENV "MPSTEER_PRELOAD_REPORT"

static bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

/*
 * The library: $MPSTEER_PRELOAD, else next to the running binary as laid out in the build tree
 * (src/mpsteer/mpsteer -> src/preload/), else the installed MPS_PRELOAD_PATH.
 * ld.so needs an absolute path (a relative one would be resolved in each child's cwd).
 */
static int find_library(char *out, size_t len)
{
	static const char *const rel[] = { "../preload/libmpsteer-preload.so",
					   "libmpsteer-preload.so" };
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	const char *env = getenv("MPSTEER_PRELOAD");
	ssize_t n;
	size_t i;

	if (env && *env)
		return realpath(env, out) && len >= PATH_MAX ? 0 : -ENOENT;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(cand, sizeof(cand), "%s/%s", dirname(exe), rel[i]);
			if (readable(cand) && realpath(cand, out))
				return 0;
			exe[n] = '\0'; /* dirname() may have cut it */
		}
	}
	if (!readable(MPS_PRELOAD_PATH))
		return -ENOENT;
	snprintf(out, len, "%s", MPS_PRELOAD_PATH);
	return 0;
}

/* Prepends VALUE to a list variable, keeping whatever the caller already had. */
static int env_prepend(const char *name, const char *value, const char *sep)
{
	const char *old = getenv(name);
	char *v;
	int ret;

	if (!old || !*old)
		return setenv(name, value, 1) < 0 ? -errno : 0;
	if (asprintf(&v, "%s%s%s", value, sep, old) < 0)
		return -ENOMEM;
	ret = setenv(name, v, 1) < 0 ? -errno : 0;
	free(v);
	return ret;
}

/* GODEBUG: the last setting of a key wins, so ours goes last and a user's explicit
 * multipathtcp=0 earlier in the list is overridden only if they did not ask for it. */
static int env_godebug(void)
{
	const char *old = getenv("GODEBUG");
	char *v;
	int ret;

	if (!old || !*old)
		return setenv("GODEBUG", "multipathtcp=1", 1) < 0 ? -errno : 0;
	if (strstr(old, "multipathtcp="))
		return 0; /* the user decided */
	if (asprintf(&v, "%s,multipathtcp=1", old) < 0)
		return -ENOMEM;
	ret = setenv("GODEBUG", v, 1) < 0 ? -errno : 0;
	free(v);
	return ret;
}

/* PATH lookup like execvp(), to look at the binary before it runs. */
static bool resolve(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL;
	bool found = false;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return readable(out);
	}
	dirs = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, cmd);
		found = access(out, X_OK) == 0;
	}
	free(dirs);
	return found;
}

/* An ELF executable without PT_INTERP is static: the dynamic loader, hence LD_PRELOAD, never
 * runs. Scripts and anything unreadable count as dynamic (their interpreter may well be). */
static bool is_static_elf(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool interp = false;
	int fd, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph)) {
		close(fd);
		return false;
	}
	for (i = 0; i < eh.e_phnum && !interp; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof(ph))) !=
		    sizeof(ph))
			break;
		interp = ph.p_type == PT_INTERP;
	}
	close(fd);
	return i == eh.e_phnum && !interp;
}

static void warn_static(const char *cmd)
{
	char path[PATH_MAX];

	if (resolve(cmd, path, sizeof(path)) && is_static_elf(path))
		cli_warn("run: \"%s\" is statically linked: preload mode cannot convert its "
			 "sockets (use --mode seccomp)", cmd);
}

/* ---- report socket (only with --verbose / --summary) ------------------------------------ */

static int report_open(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned int rnd = 0;
	socklen_t len;
	int fd, n;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
		rnd = (unsigned int)getpid();
	/* Abstract: nothing to clean up, and a random name nobody else can guess to spoof. */
	n = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "mpsteer-run-%d-%08x", getpid(),
		     rnd);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	/* Room for bursts of socket() calls: senders drop (and count) what does not fit. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 1 << 20 }, sizeof(int));
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || setenv(REPORT_ENV, sun.sun_path + 1, 1)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* "C|F pid domain type fd errno lost": converted, or fell back to the original protocol;
 * "L ...": only the count of reports the program dropped because we did not read in time. */
static void report_line(struct run_sup *s, const char *line)
{
	int pid, domain, type, fd, err;
	unsigned long lost = 0;
	char kind;

	if (sscanf(line, "%c %d %d %d %d %d %lu", &kind, &pid, &domain, &type, &fd, &err,
		   &lost) < 6)
		return;
	s->stats.lost += lost;
	if (kind == 'L')
		return;
	if (kind == 'C')
		s->stats.converted++;
	else
		s->stats.fallback++;
	if (s->opts->verbose)
		run_log("pid %d: socket(%s, SOCK_STREAM%s%s) -> %s fd %d%s%s", pid,
			run_family_name(domain), type & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "",
			type & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "", kind == 'C' ? "MPTCP" : "TCP",
			fd, kind == 'C' ? "" : ": MPTCP unavailable: ",
			kind == 'C' ? "" : strerror(err));
}

static int on_report(struct run_sup *s, short revents)
{
	char buf[128];
	ssize_t n;

	while ((n = recv(s->extra_fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		report_line(s, buf);
	}
	return 0;
}

static void preload_child(const struct run_opts *o, void *arg)
{
	run_exec(o->argv);
}

static int setup_env(void)
{
	char lib[PATH_MAX];
	int ret;

	ret = find_library(lib, sizeof(lib));
	if (ret < 0) {
		cli_err("run: preload library not found (set MPSTEER_PRELOAD or install %s)",
			MPS_PRELOAD_PATH);
		return EX_UNAVAILABLE;
	}
	/* ld.so takes ':' or ' ' as separators; ours first so our socket() wins. */
	ret = env_prepend("LD_PRELOAD", lib, ":");
	if (!ret)
		ret = env_godebug();
	if (ret < 0) {
		cli_err("run: cannot set the environment: %s", strerror(-ret));
		return EX_OSERR;
	}
	return 0;
}

int run_preload(const struct run_opts *o)
{
	struct run_sup s = { .opts = o, .extra_fd = -1, .on_extra = on_report };
	int ret, fd;

	ret = setup_env();
	if (ret)
		return ret;
	warn_static(o->argv[0]);
	if (o->detach || !(o->verbose || o->summary))
		run_exec(o->argv); /* nothing to supervise: CMD replaces us */
	s.extra_fd = report_open();
	if (s.extra_fd < 0) {
		cli_err("run: cannot open the report socket: %s", strerror(-s.extra_fd));
		return EX_OSERR;
	}
	ret = run_spawn(&s, preload_child, NULL);
	if (ret < 0) {
		cli_err("run: cannot start \"%s\": %s", o->argv[0], strerror(-ret));
		close(s.extra_fd);
		return EX_OSERR;
	}
	fd = s.extra_fd;
	ret = run_supervise(&s);
	close(fd);
	return ret;
}
