/* SPDX-License-Identifier: MIT */
/*
 * mpsteer metrics: mpsteerd's Prometheus text, as its HTTP listener serves it;
 * with -j one object per sample {"name", "labels", "value"}.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "ctl.h"
#include "out.h"

/* name{a="x",b="y"} value — the daemon's own output: labels never hold a ',' or '}'. */
static json_t *sample_json(const char *line)
{
	const char *brace = strchr(line, '{'), *sp = strrchr(line, ' ');
	json_t *labels = json_object();
	char key[64], val[256];
	const char *p;
	int n;

	if (!sp)
		return json_decref(labels), NULL;
	if (brace && brace < sp) {
		for (p = brace + 1; sscanf(p, "%63[^=]=\"%255[^\"]\"%n", key, val, &n) == 2;) {
			json_object_set_new(labels, key, json_string(val));
			p += n;
			if (*p != ',')
				break;
			p++;
		}
	}
	return json_pack("{s:s%,s:o,s:f}", "name", line,
			 (size_t)((brace && brace < sp ? brace : sp) - line), "labels", labels,
			 "value", strtod(sp + 1, NULL));
}

static void print_json(const char *text)
{
	json_t *arr = json_array(), *s;
	char *copy = strdup(text), *line, *save = NULL;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		s = sample_json(line);
		if (s)
			json_array_append_new(arr, s);
	}
	free(copy);
	out_json(arr);
}

int cmd_metrics(int argc, char **argv)
{
	static const struct args_spec spec = { .cmd = "metrics" };
	char path[128] = "";
	const char *text;
	json_t *reply;
	struct args a;
	int err;

	if (args_parse(&spec, argc - 1, argv + 1, &a))
		return EX_USAGE;
	reply = daemon_call(mps_ctl_request_new("metrics"), &err);
	if (!reply) {
		mps_ctl_path(path, sizeof(path));
		cli_err("metrics: %s (%s)", err == -ENOENT || err == -ECONNREFUSED
			? "no mpsteerd runs in this network namespace" : strerror(-err), path);
		return EX_UNAVAILABLE;
	}
	text = json_string_value(json_object_get(reply, "text"));
	if (!json_is_true(json_object_get(reply, "ok")) || !text) {
		text = json_string_value(json_object_get(reply, "error"));
		cli_err("metrics: %s", text ? text : "the daemon sent no metrics (too old?)");
		json_decref(reply);
		return EX_SOFTWARE;
	}
	if (cli.json)
		print_json(text);
	else
		fputs(text, stdout);
	json_decref(reply);
	return EX_OK;
}
