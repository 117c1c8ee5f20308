/* SPDX-License-Identifier: MIT */
/*
 * mpsteer proxy { socks | client | status }: the MPTCP <-> TCP converters
 * (src/proxy/) and what they publish in their state files.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"
#include "out.h"
#include "proxy.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: mpsteer proxy socks  [-c FILE] [--check] [KEY VALUE]...\n"
		   "       mpsteer proxy client [-c FILE] [--check] [KEY VALUE]...\n"
		   "       mpsteer [-j] proxy status\n\n"
		   "socks:  a SOCKS5 server on MPTCP (TCP clients too) relaying to TCP/MPTCP.\n"
		   "client: a gateway carrying the LAN's TCP (transparent, or a local SOCKS5\n"
		   "        endpoint) over MPTCP to a SOCKS5 server.\n"
		   "-c, --config FILE reads a config file (KEY VALUE pairs override it);\n"
		   "--check checks the settings and exits. Keys:\n ");
	for (size_t i = 0; proxy_conf_keys[i]; i++)
		fprintf(f, " %s", proxy_conf_keys[i]);
	fprintf(f, "\nSee mpsteer-proxy(8).\n");
}

static bool is_config_opt(const char *s)
{
	return !strcmp(s, "-c") || !strcmp(s, "--config");
}

static int run_role(enum proxy_role role, int argc, char **argv)
{
	struct proxy *p = calloc(1, sizeof(*p));
	bool check = false;
	char err[512];
	int i = 1, r;

	if (!p)
		return EX_OSERR;
	proxy_conf_init(&p->conf, role);
	if (cli.verbose)
		p->conf.log_level = PROXY_LOG_DEBUG;
	/* The file first, wherever -c stands: pairs on the command line win. */
	for (int k = 1; k < argc - 1; k++)
		if (is_config_opt(argv[k]) && proxy_conf_load(&p->conf, argv[k + 1], err,
								sizeof(err))) {
			cli_err("proxy: %s", err);
			free(p);
			return EX_CONFIG;
		}
	while (i < argc) {
		if (is_config_opt(argv[i])) {
			i += 2;
			continue;
		}
		if (!strcmp(argv[i], "--check")) {
			check = true;
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			cli_err("proxy: \"%s\" needs a value (or is not a key); "
				"try \"mpsteer proxy help\"", argv[i]);
			free(p);
			return EX_USAGE;
		}
		if (proxy_conf_set(&p->conf, argv[i], argv[i + 1], err, sizeof(err))) {
			cli_err("proxy: %s", err);
			free(p);
			return EX_USAGE;
		}
		i += 2;
	}
	if (proxy_conf_check(&p->conf, err, sizeof(err))) {
		cli_err("proxy: %s", err);
		free(p);
		return EX_CONFIG;
	}
	if (check) {
		free(p);
		return EX_OK;
	}
	r = proxy_run(p, err, sizeof(err));
	if (r)
		cli_err("proxy: %s", err);
	free(p->creds);
	free(p);
	return r ? cli_exit_code(r) : EX_OK;
}

json_t *proxy_states_load(void)
{
	unsigned long long ino;
	char prefix[64], path[4096];
	json_t *arr = json_array();
	struct dirent *de;
	DIR *d;

	if (mps_netns_id(&ino) || !(d = opendir(mps_ctl_rundir())))
		return arr;
	snprintf(prefix, sizeof(prefix), "proxy-%llu-", ino);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		json_t *j;

		if (strncmp(de->d_name, prefix, strlen(prefix)) || n < 5 ||
		    strcmp(de->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", mps_ctl_rundir(), de->d_name);
		j = json_load_file(path, 0, NULL);
		/* A proxy killed hard leaves its file: only live ones count. */
		if (j && kill((pid_t)json_integer_value(json_object_get(j, "pid")), 0) == 0)
			json_array_append_new(arr, j);
		else
			json_decref(j);
	}
	closedir(d);
	return arr;
}

json_t *proxy_conn_find(json_t *states, const struct mps_addr *local, const struct mps_addr *remote)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	struct mps_addr ul = *local, ur = *remote;
	size_t i, k;
	json_t *s, *c;

	mps_addr_unmap(&ul);
	mps_addr_unmap(&ur);
	mps_addr_format(&ul, l, sizeof(l));
	mps_addr_format(&ur, r, sizeof(r));
	json_array_foreach(states, i, s) {
		json_array_foreach(json_object_get(s, "conns"), k, c) {
			const char *cl = json_string_value(json_object_get(c, "mptcp_local"));
			const char *cr = json_string_value(json_object_get(c, "mptcp_remote"));

			if (cl && cr && !strcmp(cl, l) && !strcmp(cr, r)) {
				json_object_set(c, "role", json_object_get(s, "role"));
				return c;
			}
		}
	}
	return NULL;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static uint64_t jnum(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

static void status_text(json_t *s)
{
	json_t *k = json_object_get(s, "counters"), *l, *c;
	char b1[16], b2[16];
	size_t i;

	printf("%s pid %llu", jstr(s, "role"), (unsigned long long)jnum(s, "pid"));
	json_array_foreach(json_object_get(s, "listen"), i, l)
		printf(" listen %s (%s)", jstr(l, "addr"), jstr(l, "kind"));
	if (json_object_get(s, "server"))
		printf(" server %s", jstr(s, "server"));
	printf("\n    connections: %llu active, %llu accepted, %llu completed, %llu timeouts, "
	       "%llu relay errors\n", (unsigned long long)jnum(k, "active"),
	       (unsigned long long)jnum(k, "accepted"), (unsigned long long)jnum(k, "completed"),
	       (unsigned long long)jnum(k, "timeouts"),
	       (unsigned long long)jnum(k, "relay_errors"));
	printf("    refused: %llu client, %llu destination, %llu authentication, %llu bad request,"
	       " %llu name lookup, %llu connect\n", (unsigned long long)jnum(k, "refused_client"),
	       (unsigned long long)jnum(k, "refused_dest"),
	       (unsigned long long)jnum(k, "auth_failed"),
	       (unsigned long long)jnum(k, "bad_request"),
	       (unsigned long long)jnum(k, "resolve_failed"),
	       (unsigned long long)jnum(k, "connect_failed"));
	printf("    bytes: up %s down %s\n", out_bytes(jnum(k, "bytes_up"), b1, sizeof(b1)),
	       out_bytes(jnum(k, "bytes_down"), b2, sizeof(b2)));
	json_array_foreach(json_object_get(s, "conns"), i, c)
		printf("    conn %llu %s mptcp %s -> %s tcp %s -> %s dest %s up %s down %s\n",
		       (unsigned long long)jnum(c, "id"), jstr(c, "state"), jstr(c, "mptcp_local"),
		       jstr(c, "mptcp_remote"), jstr(c, "tcp_local"), jstr(c, "tcp_remote"),
		       jstr(c, "dest"), out_bytes(jnum(c, "bytes_up"), b1, sizeof(b1)),
		       out_bytes(jnum(c, "bytes_down"), b2, sizeof(b2)));
}

static int status(int argc, char **argv)
{
	json_t *states, *s;
	size_t i;

	if (argc > 1) {
		cli_err("proxy status: unexpected argument \"%s\"", argv[1]);
		return EX_USAGE;
	}
	states = proxy_states_load();
	if (cli.json) {
		out_json(states);
		return EX_OK;
	}
	if (!json_array_size(states))
		printf("no mpsteer proxy runs in this network namespace\n");
	json_array_foreach(states, i, s)
		status_text(s);
	json_decref(states);
	return EX_OK;
}

int cmd_proxy(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	if (argc == 3 && cli_is_help(argv[2])) {
		usage(stdout);
		return EX_OK;
	}
	if (!strcmp(argv[1], "socks"))
		return run_role(PROXY_SOCKS, argc - 1, argv + 1);
	if (!strcmp(argv[1], "client"))
		return run_role(PROXY_CLIENT, argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return status(argc - 1, argv + 1);
	cli_err("proxy: unknown command \"%s\" (want socks, client or status)", argv[1]);
	return EX_USAGE;
}
