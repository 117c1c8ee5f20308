/* SPDX-License-Identifier: MIT */
/* The proxy's settings: see proxy_conf.h. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_conf.h"

void proxy_conf_init(struct proxy_conf *c, enum proxy_role role)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	if (role == PROXY_SOCKS)
		mps_addr_parse("[::]:1080", true, &c->listen);
	acl_default_clients(&c->clients);
	acl_default_refused(&c->refused);
	c->upstream_mptcp = true;
	c->connect_timeout = 10;
	c->idle_timeout = 300;
	c->max_conns = 3000;
	c->log_level = PROXY_LOG_INFO;
}

static int set_uint(const char *v, unsigned int max, unsigned int *out)
{
	unsigned long n;
	char *end;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*out = (unsigned int)n;
	return 0;
}

static int set_addr(const char *v, struct mps_addr *out)
{
	return mps_addr_parse(v, true, out) || !out->port ? -EINVAL : 0;
}

static int set_str(const char *v, char *out, size_t len)
{
	if (!*v || strlen(v) >= len)
		return -EINVAL;
	strcpy(out, v);
	return 0;
}

static int set_list(const char *v, struct acl *acl, bool *replaced)
{
	if (!*replaced) {
		acl->n = 0;
		*replaced = true;
	}
	if (!strcmp(v, "none"))
		return acl->n = 0, 0;
	return acl_add(acl, v);
}

static int set_level(const char *v, int *out)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (!strcasecmp(v, names[i]))
			return *out = i, 0;
	return -EINVAL;
}

const char *const proxy_conf_keys[] = {
	"listen", "transparent", "transparent-mode", "server", "user", "password",
	"credentials", "pipeline", "allow-client", "refuse-dest", "upstream", "connect-timeout",
	"idle-timeout", "max-conns", "state-file", "log-level", NULL,
};

static int set_key(struct proxy_conf *c, const char *k, const char *v, const char **want)
{
	if (!strcmp(k, "listen"))
		return *want = "ADDR:PORT", set_addr(v, &c->listen);
	if (!strcmp(k, "transparent"))
		return *want = "ADDR:PORT", set_addr(v, &c->transparent);
	if (!strcmp(k, "transparent-mode")) {
		*want = "redirect or tproxy";
		if (strcmp(v, "redirect") && strcmp(v, "tproxy"))
			return -EINVAL;
		return c->tmode = strcmp(v, "redirect") ? TMODE_TPROXY : TMODE_REDIRECT, 0;
	}
	if (!strcmp(k, "server"))
		return *want = "ADDR:PORT", set_addr(v, &c->server);
	if (!strcmp(k, "user"))
		return *want = "1 to 255 bytes", set_str(v, c->user, sizeof(c->user));
	if (!strcmp(k, "password"))
		return *want = "1 to 255 bytes", set_str(v, c->password, sizeof(c->password));
	if (!strcmp(k, "credentials"))
		return *want = "a file name", set_str(v, c->credentials, sizeof(c->credentials));
	if (!strcmp(k, "allow-client"))
		return *want = "a prefix (ADDR[/LEN], host bits zero) or none, at most 64",
		       set_list(v, &c->clients, &c->clients_set);
	if (!strcmp(k, "refuse-dest"))
		return *want = "a prefix (ADDR[/LEN], host bits zero) or none, at most 64",
		       set_list(v, &c->refused, &c->refused_set);
	if (!strcmp(k, "pipeline")) {
		*want = "yes or no";
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return -EINVAL;
		return c->pipeline = !strcmp(v, "yes"), 0;
	}
	if (!strcmp(k, "upstream")) {
		*want = "mptcp or tcp";
		if (strcmp(v, "mptcp") && strcmp(v, "tcp"))
			return -EINVAL;
		return c->upstream_mptcp = !strcmp(v, "mptcp"), 0;
	}
	if (!strcmp(k, "connect-timeout"))
		return *want = "seconds, 1 to 3600", set_uint(v, 3600, &c->connect_timeout) ||
							     !c->connect_timeout ? -EINVAL : 0;
	if (!strcmp(k, "idle-timeout"))
		return *want = "seconds, 0 (never) to 604800",
		       set_uint(v, 604800, &c->idle_timeout);
	if (!strcmp(k, "max-conns"))
		return *want = "1 to 1000000", set_uint(v, 1000000, &c->max_conns) || !c->max_conns
						      ? -EINVAL : 0;
	if (!strcmp(k, "state-file"))
		return *want = "a file name", set_str(v, c->state_file, sizeof(c->state_file));
	if (!strcmp(k, "log-level"))
		return *want = "error, warning, info or debug", set_level(v, &c->log_level);
	return -ENOENT;
}

int proxy_conf_set(struct proxy_conf *c, const char *key, const char *value, char *err,
		   size_t errlen)
{
	const char *want = "";
	int r = set_key(c, key, value, &want);

	if (r == -ENOENT)
		snprintf(err, errlen, "unknown key \"%s\"", key);
	else if (r)
		snprintf(err, errlen, "bad %s \"%s\": want %s", key, value, want);
	return r;
}

struct load_ctx {
	struct proxy_conf *c;
	char msg[400];
};

/* inih: 0 stops the parse, which then returns the line number. */
static int ini_cb(void *user, const char *section, const char *key, const char *value)
{
	struct load_ctx *l = user;

	if (*section && strcmp(section, "socks") && strcmp(section, "client")) {
		snprintf(l->msg, sizeof(l->msg), "unknown section [%s] (want [socks] or [client])",
			 section);
		return 0;
	}
	if (*section && strcmp(section, l->c->role == PROXY_SOCKS ? "socks" : "client"))
		return 1; /* the other role's settings */
	return proxy_conf_set(l->c, key, value, l->msg, sizeof(l->msg)) == 0;
}

static int finish(const char *name, int line, struct load_ctx *l, char *err, size_t errlen)
{
	if (line < 0)
		return snprintf(err, errlen, "%s: cannot allocate memory", name), -ENOMEM;
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", name, line,
			 l->msg[0] ? l->msg : "not \"key = value\"");
		return -EINVAL;
	}
	return 0;
}

int proxy_conf_load(struct proxy_conf *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx l = { .c = c };
	FILE *f = fopen(path, "re");
	int line;

	if (!f) {
		int r = -errno;

		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	line = ini_parse_file(f, ini_cb, &l);
	fclose(f);
	return finish(path, line, &l, err, errlen);
}

int proxy_conf_load_string(struct proxy_conf *c, const char *name, const char *text, char *err,
			   size_t errlen)
{
	struct load_ctx l = { .c = c };

	return finish(name, ini_parse_string(text, ini_cb, &l), &l, err, errlen);
}

int proxy_conf_check(const struct proxy_conf *c, char *err, size_t errlen)
{
	if (c->role == PROXY_CLIENT && !mps_addr_is_set(&c->server)) {
		snprintf(err, errlen, "the client needs \"server ADDR:PORT\" (the SOCKS server)");
		return -EINVAL;
	}
	if (c->role == PROXY_CLIENT && !mps_addr_is_set(&c->listen) &&
	    !mps_addr_is_set(&c->transparent)) {
		snprintf(err, errlen, "the client needs \"transparent ADDR:PORT\" or "
				      "\"listen ADDR:PORT\" (or both)");
		return -EINVAL;
	}
	if (!c->user[0] != !c->password[0]) {
		snprintf(err, errlen, "\"user\" and \"password\" go together");
		return -EINVAL;
	}
	return 0;
}

int proxy_cred_line(const char *line, char *user, char *pass)
{
	const char *colon;
	size_t ul, pl;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#' || *line == '\n')
		return 0;
	colon = strchr(line, ':');
	if (!colon)
		return -EINVAL;
	ul = (size_t)(colon - line);
	pl = strcspn(colon + 1, "\r\n");
	if (!ul || ul > 255 || !pl || pl > 255)
		return -EINVAL;
	memcpy(user, line, ul);
	user[ul] = '\0';
	memcpy(pass, colon + 1, pl);
	pass[pl] = '\0';
	return 1;
}
