/* SPDX-License-Identifier: MIT */
/*
 * mpsteer status [-j]: the counters of this namespace's mpsteerd.
 */
#include <errno.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "ctl.h"
#include "out.h"

static json_int_t num(json_t *r, const char *key)
{
	return json_integer_value(json_object_get(r, key));
}

static const char *str(json_t *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r, key));

	return s ? s : "?";
}

/* "balance:      ap-a 0.98 ap-b 0.41 (spread 0.57: rebalanced), 12 rounds, 3 moves" */
static void balance_text(json_t *b)
{
	json_t *nets = json_object_get(b, "access"), *n;
	size_t i;

	if (!json_is_object(b))
		return;
	printf("balance:     ");
	json_array_foreach(nets, i, n)
		printf(" %s %.2f", str(n, "name"),
		       json_number_value(json_object_get(n, "utilisation")));
	printf(" (spread %.2f: %s), %lld rounds, %lld moves\n",
	       json_number_value(json_object_get(b, "spread")), str(b, "verdict"),
	       (long long)num(b, "rounds"), (long long)num(b, "moves"));
}

/* "handover: 3 decisions on 2 connections (unhealthy 2, return 1)" per policy in use. */
static void policies_text(json_t *s)
{
	json_t *pols = json_object_get(s, "policies"), *p, *samp = json_object_get(s, "sampling");
	const char *name;

	if (!json_is_object(s))
		return;
	printf("policies:     default %s, %lld connections steered now\n", str(s, "default"),
	       (long long)num(s, "steered"));
	json_object_foreach(pols, name, p) {
		json_t *reasons = json_object_get(p, "reasons"), *v;
		const char *why, *sep = " (";

		if (!num(p, "connections") && !num(p, "decisions"))
			continue;
		printf("  %-12s%lld decisions on %lld connections", name,
		       (long long)num(p, "decisions"), (long long)num(p, "connections"));
		json_object_foreach(reasons, why, v) {
			printf("%s%s %lld", sep, why, (long long)json_integer_value(v));
			sep = ", ";
		}
		printf("%s\n", strcmp(sep, ", ") ? "" : ")");
	}
	balance_text(json_object_get(s, "balance"));
	if (json_is_object(samp) && num(samp, "ticks"))
		printf("sampling:     %lld ticks (%lld idle), %lld subflow samples, "
		       "%.3f s CPU\n", (long long)num(samp, "ticks"),
		       (long long)num(samp, "idle_ticks"), (long long)num(samp, "subflows"),
		       num(samp, "cpu_us") / 1e6);
}

static void print_text(json_t *r)
{
	printf("mpsteerd %s (pid %lld), up %llds, config %s, log level %s\n", str(r, "version"),
	       (long long)num(r, "pid"), (long long)num(r, "uptime_s"), str(r, "config"),
	       str(r, "log_level"));
	printf("policies:     client %s, server %s\n", str(r, "client_policy"),
	       str(r, "server_policy"));
	printf("connections:  %lld tracked, %lld adopted, %lld reaped (CLOSED missed), "
	       "%lld closed before their update\n", (long long)num(r, "connections"),
	       (long long)num(r, "adopted"), (long long)num(r, "reaped"),
	       (long long)num(r, "vanished"));
	printf("events:       %lld handled (%lld ESTABLISHED, %lld CLOSED), %lld resyncs, "
	       "%lld reconciliations\n", (long long)num(r, "events"),
	       (long long)num(r, "conns_established"), (long long)num(r, "conns_closed"),
	       (long long)num(r, "resyncs"), (long long)num(r, "reconciles"));
	printf("subflows:     %lld created, %lld failed, %lld retried, %lld closed on link loss, "
	       "%lld demoted\n", (long long)num(r, "subflows_created"),
	       (long long)num(r, "subflows_failed"), (long long)num(r, "subflows_retried"),
	       (long long)num(r, "subflows_closed_link"), (long long)num(r, "demoted"));
	printf("steering:     %lld announces, %lld overrides\n", (long long)num(r, "announced"),
	       (long long)num(r, "overrides"));
	policies_text(json_object_get(r, "steering"));
}

int cmd_status(int argc, char **argv)
{
	char path[128] = "";
	json_t *reply;
	int err;

	static const struct args_spec spec = { .cmd = "status" };
	struct args a;

	if (args_parse(&spec, argc - 1, argv + 1, &a))
		return EX_USAGE;
	reply = daemon_call(mps_ctl_request_new("status"), &err);
	if (!reply) {
		mps_ctl_path(path, sizeof(path));
		if (err == -ENOENT || err == -ECONNREFUSED)
			cli_err("status: no mpsteerd runs in this network namespace "
				"(no answer on %s)", path);
		else
			cli_err("status: daemon at %s: %s", path, strerror(-err));
		return EX_UNAVAILABLE;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		cli_err("status: %s", str(reply, "error"));
		json_decref(reply);
		return EX_SOFTWARE;
	}
	if (cli.json) {
		json_object_del(reply, "ok");
		out_json(reply); /* consumes it */
		return EX_OK;
	}
	print_text(reply);
	json_decref(reply);
	return EX_OK;
}
