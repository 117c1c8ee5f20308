/* SPDX-License-Identifier: MIT */
/*
 * `mpsteer run`: internal contract between the option parser and supervisor (run.c), the
 * seccomp user-notification mode (run_seccomp.c) and the LD_PRELOAD mode (run_preload.c).
 *
 * Both modes fork CMD under a supervisor that is a child subreaper: it waits for CMD and every
 * descendant, forwards signals sent to it, and returns CMD's exit status the way a shell does.
 */
#ifndef MPS_RUN_H
#define MPS_RUN_H

#include <stdbool.h>
#include <sys/types.h>

enum run_mode {
	RUN_MODE_SECCOMP, /* default: reaches static and Go binaries too */
	RUN_MODE_PRELOAD, /* LD_PRELOAD: dynamically linked programs only */
};

struct run_opts {
	enum run_mode mode;
	bool verbose; /* log every intercepted socket */
	bool summary; /* print the counters when everything has exited */
	bool detach;  /* exit as soon as CMD does; a background process serves the rest */
	char **argv;  /* CMD and its arguments, NULL-terminated */
};

/* What happened to the stream sockets the supervisor saw. */
struct run_stats {
	unsigned long converted; /* handed an MPTCP socket */
	unsigned long fallback;  /* MPTCP failed: the program got its plain TCP socket */
	unsigned long untouched; /* reached the supervisor but left as the program asked */
	unsigned long lost;      /* preload reports the program dropped (we were not reading) */
};

struct run_sup;
/* Called when the supervisor's extra fd is readable; returns <0 to stop watching it. */
typedef int (*run_fd_fn)(struct run_sup *s, short revents);

struct run_sup {
	const struct run_opts *opts;
	pid_t cmd;           /* CMD's pid */
	int cmd_status;      /* shell-style exit status, valid once cmd_done */
	bool cmd_done;
	int extra_fd;        /* seccomp listener or preload report socket; -1 if none */
	run_fd_fn on_extra;
	void *ctx;           /* the mode's state, for on_extra */
	struct run_stats stats;
};

/* Child side of run_spawn(): prepare (install filters, set env) then exec; never returns. */
typedef void (*run_child_fn)(const struct run_opts *o, void *arg);

/* Becomes a subreaper, blocks the forwarded signals and forks CMD through child(). */
int run_spawn(struct run_sup *s, run_child_fn child, void *arg);
/* Serves extra_fd and reaps children until CMD and all descendants are gone; returns the
 * exit status for mpsteer (CMD's, 128+signal when it was killed). */
int run_supervise(struct run_sup *s);
/* execvp() CMD; on failure prints why and exits 127 (not found) or 126, like a shell. */
__attribute__((noreturn)) void run_exec(char **argv);

__attribute__((format(printf, 1, 2))) void run_log(const char *fmt, ...);
const char *run_family_name(int domain);

int run_seccomp(const struct run_opts *o);
int run_preload(const struct run_opts *o);

#endif
