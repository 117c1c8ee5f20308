/* SPDX-License-Identifier: MIT */
/*
 * The proxy's settings: one table of keys, read from a config file (inih,
 * "key = value", sections [socks] / [client] apply to that role only) and
 * from the command line ("mpsteer proxy socks KEY VALUE ..."), which wins.
 * Pure: nothing here opens a socket. See mpsteer-proxy(8) for every key.
 */
#ifndef MPS_PROXY_CONF_H
#define MPS_PROXY_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "acl.h"
#include "mpsteer/mpsteer.h"

enum proxy_role { PROXY_SOCKS, PROXY_CLIENT };
enum proxy_tmode { TMODE_REDIRECT, TMODE_TPROXY };

struct proxy_conf {
	enum proxy_role role;
	struct mps_addr listen;      /* SOCKS endpoint (socks: [::]:1080; client: none) */
	struct mps_addr transparent; /* client: transparent listener (optional) */
	enum proxy_tmode tmode;
	struct mps_addr server;      /* client: the SOCKS server */
	char user[256], password[256]; /* client: RFC 1929 credentials for the server */
	char credentials[PATH_MAX];  /* socks: file of "user:password" lines; empty = no auth */
	struct acl clients;          /* who may connect (default: loopback only) */
	struct acl refused;          /* destinations refused (default: acl_default_refused) */
	bool clients_set, refused_set; /* the first key given replaces the default list */
	bool pipeline;               /* client: greeting, auth and request in one write */
	bool upstream_mptcp;         /* socks: MPTCP towards destinations (falls back to TCP) */
	unsigned int connect_timeout; /* seconds: handshake + connect */
	unsigned int idle_timeout;    /* seconds without a byte either way; 0 = never */
	unsigned int max_conns;
	char state_file[PATH_MAX];   /* empty: MPS_RUNDIR/proxy-<netns inode>-<pid>.json */
	int log_level;               /* 0 error, 1 warning, 2 info, 3 debug */
};

/* Defaults for a role. */
void proxy_conf_init(struct proxy_conf *c, enum proxy_role role);
/* One key. 0, or -EINVAL / -ENOENT (unknown key) with a message quoting the input. */
int proxy_conf_set(struct proxy_conf *c, const char *key, const char *value, char *err,
		   size_t errlen);
/* A config file; errors name file:line. */
int proxy_conf_load(struct proxy_conf *c, const char *path, char *err, size_t errlen);
/* The same from a string (tests); name stands for the file in messages. */
int proxy_conf_load_string(struct proxy_conf *c, const char *name, const char *text, char *err,
			   size_t errlen);
/* What a role cannot run without (client: a server and a listener). */
int proxy_conf_check(const struct proxy_conf *c, char *err, size_t errlen);
/* Key names for --help, NULL-terminated. */
extern const char *const proxy_conf_keys[];

/* One line of a credentials file, "user:password" (the password may contain ':').
 * 1 = a pair, 0 = blank or comment, -EINVAL = malformed. */
int proxy_cred_line(const char *line, char *user, char *pass);

#define PROXY_LOG_ERR 0
#define PROXY_LOG_WARN 1
#define PROXY_LOG_INFO 2
#define PROXY_LOG_DEBUG 3

#endif
