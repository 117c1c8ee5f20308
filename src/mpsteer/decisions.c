/* SPDX-License-Identifier: MIT */
/*
 * mpsteer monitor decisions [token T]: every steering decision of this
 * namespace's mpsteerd as it is made (the daemon's "monitor" stream).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "out.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static double real(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

void decision_text(json_t *ev)
{
	json_t *from = json_object_get(ev, "from"), *to = json_object_get(ev, "to");
	const char *health = json_string_value(json_object_get(ev, "health"));

	if (json_is_string(json_object_get(ev, "from_access"))) { /* balance */
		printf("%s -> %s (%s: %s at %.2f -> %s at %.2f, its rate %.1f Mbit/s)",
		       json_is_object(from) ? str(from, "dev") : "-",
		       json_is_object(to) ? str(to, "dev") : "-", str(ev, "reason"),
		       str(ev, "from_access"), real(ev, "from_util"), str(ev, "to_access"),
		       real(ev, "to_util"), num(ev, "rate_bps") / 1e6);
		return;
	}
	printf("%s -> %s (%s%s%s, rtt %lld -> %lld us", json_is_object(from) ? str(from, "dev") : "-",
	       json_is_object(to) ? str(to, "dev") : "-", str(ev, "reason"), health ? ": " : "",
	       health ? health : "", (long long)num(ev, "from_rtt_us"),
	       (long long)num(ev, "to_rtt_us"));
	if (num(ev, "from_backoff"))
		printf(", backoff %lld", (long long)num(ev, "from_backoff"));
	if (num(ev, "from_stall_ms"))
		printf(", nothing acked for %lld ms", (long long)num(ev, "from_stall_ms"));
	printf(")");
}

static void print_text(json_t *ev)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("[%s] token %lld %s: ", ts, (long long)num(ev, "token"), str(ev, "policy"));
	decision_text(ev);
	printf("\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int subscribe(int *fd)
{
	json_t *rep = NULL;
	int err = mps_ctl_connect(fd);

	if (err) {
		cli_err("monitor decisions: no mpsteerd runs in this network namespace (%s)",
			strerror(-err));
		return EX_UNAVAILABLE;
	}
	err = mps_ctl_send(*fd, json_pack("{s:i,s:s}", "v", 1, "cmd", "monitor"));
	if (!err)
		err = mps_ctl_recv(*fd, MPS_CTL_MAX_REPLY, &rep);
	if (err || !json_is_true(json_object_get(rep, "ok"))) {
		cli_err("monitor decisions: %s", err ? strerror(-err) : str(rep, "error"));
		json_decref(rep);
		close(*fd);
		return EX_UNAVAILABLE;
	}
	json_decref(rep);
	return EX_OK;
}

int monitor_decisions(bool by_token, uint32_t token)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: read returns */
	json_t *ev;
	int fd, ret = subscribe(&fd);

	if (ret)
		return ret;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stop && !ferror(stdout)) {
		int err = mps_ctl_recv(fd, MPS_CTL_MAX_REPLY, &ev);

		if (err) {
			if (!stop && err != -EINTR)
				cli_err("monitor decisions: %s", err == -ECONNRESET
					? "the daemon closed the stream" : strerror(-err));
			ret = stop || err == -EINTR ? EX_OK : EX_UNAVAILABLE;
			break;
		}
		if (by_token && num(ev, "token") != token) {
			json_decref(ev);
			continue;
		}
		if (cli.json)
			out_json(ev); /* consumes it */
		else {
			print_text(ev);
			json_decref(ev);
		}
	}
	close(fd);
	return ret;
}
