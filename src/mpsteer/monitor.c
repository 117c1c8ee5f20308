/* SPDX-License-Identifier: MIT */
/*
 * mpsteer monitor: every path-manager event of the namespace as it happens.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "mpsteer/pm.h"
#include "out.h"


struct mon {
	bool decisions; /* the daemon's steering decisions instead of kernel events */
	bool by_token;
	uint32_t token;
	size_t n_types;
	int types[ARGS_MAX_EVENTS];
	unsigned long events, lost;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void timestamp(char *buf, size_t len, long long *us)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	*us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

static bool wanted(const struct mon *m, const struct mps_event *ev)
{
	size_t i;

	if (m->by_token && (!(ev->has & MPS_EVH_TOKEN) || ev->token != m->token))
		return false;
	if (!m->n_types)
		return true;
	for (i = 0; i < m->n_types; i++)
		if (m->types[i] == (int)ev->type)
			return true;
	return false;
}

static json_t *flags_json(uint16_t flags)
{
	json_t *a = json_array();

	if (flags & MPS_EV_FLAG_DENY_JOIN_ID0)
		json_array_append_new(a, json_string("deny-join-id0"));
	if (flags & MPS_EV_FLAG_SERVER_SIDE)
		json_array_append_new(a, json_string("server-side"));
	if (flags & ~(MPS_EV_FLAG_DENY_JOIN_ID0 | MPS_EV_FLAG_SERVER_SIDE))
		json_array_append_new(a, json_integer(flags & ~3));
	return a;
}

static json_t *event_json(const struct mps_event *ev, const char *ts, long long us)
{
	const char *name = mps_event_name(ev->type);
	char ifname[IF_NAMESIZE];
	json_t *j = json_object();

	json_object_set_new(j, "ts", json_string(ts));
	json_object_set_new(j, "ts_us", json_integer(us));
	json_object_set_new(j, "event", name ? json_string(name) : json_integer(ev->type));
	if (ev->has & MPS_EVH_TOKEN)
		json_object_set_new(j, "token", json_integer(ev->token));
	if (ev->has & MPS_EVH_FAMILY)
		json_object_set_new(j, "family", json_string(ev->family == AF_INET6 ? "inet6" : "inet"));
	if (ev->has & MPS_EVH_SADDR)
		json_object_set_new(j, "saddr", out_addr_ip(&ev->saddr));
	if (ev->has & MPS_EVH_SPORT)
		json_object_set_new(j, "sport", json_integer(ev->saddr.port));
	if (ev->has & MPS_EVH_DADDR)
		json_object_set_new(j, "daddr", out_addr_ip(&ev->daddr));
	if (ev->has & MPS_EVH_DPORT)
		json_object_set_new(j, "dport", json_integer(ev->daddr.port));
	if (ev->has & MPS_EVH_LOC_ID)
		json_object_set_new(j, "loc_id", json_integer(ev->loc_id));
	if (ev->has & MPS_EVH_REM_ID)
		json_object_set_new(j, "rem_id", json_integer(ev->rem_id));
	if (ev->has & MPS_EVH_BACKUP)
		json_object_set_new(j, "backup", json_integer(ev->backup));
	if (ev->has & MPS_EVH_ERROR) {
		json_object_set_new(j, "error", json_integer(ev->error));
		json_object_set_new(j, "error_name", json_string(strerror(ev->error)));
	}
	if (ev->has & (MPS_EVH_FLAGS | MPS_EVH_SERVER_SIDE)) {
		json_object_set_new(j, "flags", flags_json(ev->flags));
		json_object_set_new(j, "server_side", json_boolean(ev->flags & MPS_EV_FLAG_SERVER_SIDE));
	}
	if (ev->has & MPS_EVH_TIMEOUT)
		json_object_set_new(j, "timeout", json_integer(ev->timeout));
	if (ev->has & MPS_EVH_IF_IDX) {
		json_object_set_new(j, "ifindex", json_integer(ev->ifindex));
		if (if_indextoname(ev->ifindex, ifname))
			json_object_set_new(j, "ifname", json_string(ifname));
	}
	if (ev->has & MPS_EVH_RESET_REASON) {
		const char *r = mps_reset_reason_name(ev->reset_reason);

		json_object_set_new(j, "reset_reason", json_integer(ev->reset_reason));
		if (r)
			json_object_set_new(j, "reset_reason_name", json_string(r));
	}
	if (ev->has & MPS_EVH_RESET_FLAGS)
		json_object_set_new(j, "reset_flags", json_integer(ev->reset_flags));
	return j;
}

/* Text is rendered from the JSON object so both outputs always carry the same facts. */
static void event_text(json_t *j)
{
	const char *key;
	json_t *v;

	printf("[%s] %s", json_string_value(json_object_get(j, "ts")),
	       json_is_string(json_object_get(j, "event"))
		       ? json_string_value(json_object_get(j, "event"))
		       : "UNKNOWN");
	json_object_foreach(j, key, v) {
		if (!strcmp(key, "ts") || !strcmp(key, "ts_us") || !strcmp(key, "event"))
			continue;
		if (json_is_string(v)) {
			printf(" %s %s", key, json_string_value(v));
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;

			printf(" %s ", key);
			if (!json_array_size(v))
				printf("-");
			json_array_foreach(v, i, e) {
				if (json_is_string(e))
					printf("%s%s", i ? "," : "", json_string_value(e));
				else
					printf("%s0x%llx", i ? "," : "", (long long)json_integer_value(e));
			}
		} else if (json_is_boolean(v)) {
			continue; /* already in flags */
		} else {
			printf(" %s %lld", key, (long long)json_integer_value(v));
		}
	}
	printf("\n");
}

static int on_event(const struct mps_event *ev, void *data)
{
	struct mon *m = data;
	char ts[64];
	long long us;
	json_t *j;

	if (!wanted(m, ev))
		return 0;
	timestamp(ts, sizeof(ts), &us);
	j = event_json(ev, ts, us);
	m->events++;
	if (cli.json) {
		out_json(j);
		return 0;
	}
	event_text(j);
	json_decref(j);
	return 0;
}

static void report_lost(struct mon *m)
{
	char ts[64];
	long long us;

	m->lost++;
	timestamp(ts, sizeof(ts), &us);
	if (cli.json)
		out_json(json_pack("{s:s,s:I,s:s}", "ts", ts, "ts_us", (json_int_t)us, "event", "LOST"));
	else
		printf("[%s] LOST events were dropped by the kernel (receiver too slow)\n", ts);
}

static int parse_args(int argc, char **argv, struct mon *m)
{
	static const struct args_spec spec = { .cmd = "monitor",
					       .allowed = KW_TOKEN | KW_EVENT | KW_DECISIONS };
	struct args a;

	if (args_parse(&spec, argc - 1, argv + 1, &a))
		return -EINVAL;
	if ((a.has & KW_DECISIONS) && (a.has & KW_EVENT)) {
		cli_err("monitor: \"decisions\" are the daemon's, \"event\" the kernel's: not both");
		return -EINVAL;
	}
	m->decisions = a.has & KW_DECISIONS;
	m->by_token = a.has & KW_TOKEN;
	m->token = a.token;
	m->n_types = a.n_events;
	memcpy(m->types, a.events, sizeof(a.events));
	return 0;
}

static int loop(struct mps_pm *pm, struct mon *m)
{
	struct pollfd pfd = { .fd = mps_pm_fd(pm), .events = POLLIN };
	int ret;

	while (!stop) {
		ret = poll(&pfd, 1, -1);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		ret = mps_pm_recv_events(pm, on_event, m);
		if (ret == -ENOBUFS)
			report_lost(m);
		else if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
		if (ferror(stdout))
			return -EPIPE;
	}
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct mon m = { 0 };
	struct mps_pm *pm;
	int ret;

	if (parse_args(argc, argv, &m))
		return EX_USAGE;
	if (m.decisions)
		return monitor_decisions(m.by_token, m.token);
	ret = mps_pm_new(&pm);
	if (ret) {
		cli_err("cannot open the MPTCP path manager: %s", ret == -EPROTONOSUPPORT
			? "this kernel has no MPTCP (genl family mptcp_pm missing)" : strerror(-ret));
		return cli_exit_code(ret);
	}
	ret = mps_pm_subscribe(pm);
	if (ret) {
		cli_err("cannot listen to MPTCP events: %s%s", strerror(-ret),
			ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		mps_pm_free(pm);
		return cli_exit_code(ret);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (cli.verbose)
		fprintf(stderr, "mpsteer: listening for MPTCP events\n");
	ret = loop(pm, &m);
	if (cli.verbose)
		fprintf(stderr, "mpsteer: %lu events, %lu overflows\n", m.events, m.lost);
	mps_pm_free(pm);
	if (ret && ret != -EPIPE) {
		cli_err("monitor: %s", strerror(-ret));
		return cli_exit_code(ret);
	}
	return EX_OK;
}
