/* SPDX-License-Identifier: MIT */
/*
 * The CLI's table of contents. Each command is `int cmd_X(int argc, char **argv)`
 * where argv[0] is the command word; it returns a sysexits code.
 * Errors are printed with cli_err() as one line "mpsteer: ..." naming the bad input.
 */
#ifndef MPS_CLI_H
#define MPS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>

struct cli_opts {
	bool json;    /* -j */
	bool pretty;  /* -p: indented JSON */
	int verbose;  /* -v */
	bool direct;  /* --direct: never talk to the daemon */
};
extern struct cli_opts cli;

__attribute__((format(printf, 1, 2))) void cli_err(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void cli_warn(const char *fmt, ...);
/* Maps a -errno from the library to a sysexits code. */
int cli_exit_code(int err);
/* One line for getopt's ':' (missing value) or '?' (unknown option) of command cmd;
 * returns EX_USAGE. Call with opterr = 0 and ':' leading the option string. */
int cli_opt_error(const char *cmd, int c, int argc, char **argv);
/* true when argv[i] is one of "help", "-h", "--help". */
bool cli_is_help(const char *s);

int cmd_conns(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_primary(int argc, char **argv);
int cmd_subflow(int argc, char **argv);
int cmd_announce(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_systemd(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
/* mpsteer monitor decisions: the daemon's steering decisions (decisions.c). */
int monitor_decisions(bool by_token, uint32_t token);



#include <jansson.h>
#include <stdint.h>
/*
 * The daemon of this namespace, when one runs (src/mpsteer/daemon.c).
 * daemon_call returns the reply object (owned by the caller) or NULL with
 * *err = -errno (-ENOENT / -ECONNREFUSED: no daemon). It consumes req.
 */
json_t *daemon_call(json_t *req, int *err);
/* The daemon's view of one connection from a "conns" reply, or NULL. Borrowed. */
json_t *daemon_conn(json_t *conns_reply, uint32_t token);

struct mps_addr;
/* The state files of this namespace's running proxies (src/mpsteer/proxy.c): an array. */
json_t *proxy_states_load(void);
/* The proxy's entry for the MPTCP connection local -> remote, or NULL. Borrowed. */
json_t *proxy_conn_find(json_t *states, const struct mps_addr *local,
			const struct mps_addr *remote);
/* One steering decision (a monitor event or a connection's "last") as text, no newline. */
void decision_text(json_t *decision);
#endif
