/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "mpsteer/pm.h"

struct keyword {
	const char *word;
	unsigned bit;
	const char *metavar; /* NULL: a flag without value */
	int (*parse)(struct args *a, const char *word, const char *v);
};

/* Seconds as "2", "0.5": to milliseconds within [min, max]. */
static int parse_ms(const char *v, unsigned min, unsigned max, unsigned *ms)
{
	char *end;
	double d;

	if (!*v || *v < '0' || *v > '9')
		return -EINVAL;
	d = strtod(v, &end);
	if (*end || d * 1000.0 < min || d * 1000.0 > max)
		return -EINVAL;
	*ms = (unsigned)(d * 1000.0 + 0.5);
	return 0;
}

static int bad(const char *word, const char *v, const char *what)
{
	cli_err("invalid %s \"%s\"%s%s", word, v, what ? " " : "", what ? what : "");
	return -EINVAL;
}

static int p_selector(struct args *a, const char *word, const char *v)
{
	char err[256];

	if (mps_selector_parse(word, v, &a->sel, err, sizeof(err))) {
		cli_err("%s", err);
		return -EINVAL;
	}
	a->token = a->sel.token;
	return 0;
}

static int p_addr(struct args *a, const char *word, const char *v)
{
	struct mps_addr *dst = !strcmp(word, "local") ? &a->local
			       : !strcmp(word, "remote") ? &a->remote : &a->addr;
	const char *what = dst == &a->addr ? "" : word;
	int err = mps_addr_parse(v, true, dst);

	if (err == -ENODEV)
		cli_err("invalid %s%saddress \"%s\": no such interface in this namespace", what,
			*what ? " " : "", v);
	else if (err)
		cli_err("invalid %s%saddress \"%s\" (ADDR, ADDR:PORT or [ADDR6]:PORT)", what,
			*what ? " " : "", v);
	return err ? -EINVAL : 0;
}

static int p_id(struct args *a, const char *word, const char *v)
{
	uint32_t n;

	if (mps_parse_u32(v, 255, &n) || !n)
		return bad(word, v, "(1..255)");
	a->id = (uint8_t)n;
	return 0;
}

static int p_dev(struct args *a, const char *word, const char *v)
{
	a->ifindex = (int)if_nametoindex(v);
	if (a->ifindex)
		return 0;
	cli_err("no interface \"%s\" in this namespace", v);
	return -ENODEV;
}

static int p_event(struct args *a, const char *word, const char *v)
{
	int t = mps_event_type_from_name(v);

	if (t < 0)
		return bad(word, v, "(e.g. CREATED, SUB_ESTABLISHED)");
	if (a->n_events == ARGS_MAX_EVENTS) {
		cli_err("at most %d event filters", ARGS_MAX_EVENTS);
		return -EINVAL;
	}
	a->events[a->n_events++] = t;
	return 0;
}

static int p_via(struct args *a, const char *word, const char *v)
{
	a->via = v;
	return 0;
}

static int p_seconds(struct args *a, const char *word, const char *v)
{
	if (!strcmp(word, "interval"))
		return parse_ms(v, 100, 3600000, &a->interval_ms) ? bad(word, v, "(0.1 to 3600 s)") : 0;
	if (!strcmp(word, "timeout"))
		return parse_ms(v, 100, 60000, &a->timeout_ms) ? bad(word, v, "(0.1 to 60 s)") : 0;
	return parse_ms(v, 0, 60000, &a->sample_ms) ? bad(word, v, "(0 to 60 s)") : 0;
}

static int p_count(struct args *a, const char *word, const char *v)
{
	uint32_t n;

	if (mps_parse_u32(v, 1000000, &n) || !n)
		return bad(word, v, "(1..1000000)");
	a->count = (unsigned)n;
	return 0;
}

static const struct keyword keywords[] = {
	{ "token", KW_TOKEN, "T", p_selector },
	{ "pid", KW_PID, "P", p_selector },
	{ "peer", KW_PEER, "ADDR[:PORT]", p_selector },
	{ "local", KW_LOCAL, "ADDR[:PORT]", p_addr },
	{ "remote", KW_REMOTE, "ADDR[:PORT]", p_addr },
	{ "addr", KW_ADDR, "ADDR[:PORT]", p_addr },
	{ "id", KW_ID, "N", p_id },
	{ "dev", KW_DEV, "IFNAME", p_dev },
	{ "event", KW_EVENT, "NAME", p_event },
	{ "via", KW_VIA, "PATH", p_via },
	{ "auto", KW_AUTO, NULL, NULL },
	{ "dry-run", KW_DRY_RUN, NULL, NULL },
	{ "interval", KW_INTERVAL, "SECONDS", p_seconds },
	{ "count", KW_COUNT, "N", p_count },
	{ "sample", KW_SAMPLE, "SECONDS", p_seconds },
	{ "timeout", KW_TIMEOUT, "SECONDS", p_seconds },
	{ "decisions", KW_DECISIONS, NULL, NULL },
};
#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

static const struct keyword *lookup(const char *word)
{
	size_t i;

	for (i = 0; i < N_KEYWORDS; i++)
		if (!strcmp(keywords[i].word, word))
			return &keywords[i];
	return NULL;
}

/* "token T, pid P, peer ADDR[:PORT]" for the words in mask. */
static void takes(unsigned mask, const char *positional, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < N_KEYWORDS && off < len; i++)
		if (mask & keywords[i].bit)
			off += snprintf(buf + off, len - off, "%s%s%s%s", off ? ", " : "",
					keywords[i].word, keywords[i].metavar ? " " : "",
					keywords[i].metavar ? keywords[i].metavar : "");
	if (positional && off < len)
		snprintf(buf + off, len - off, "%s%s", off ? ", " : "", positional);
}

static int not_taken(const struct args_spec *s, const char *word, const char *why)
{
	char list[512];

	takes(s->allowed, s->positional, list, sizeof(list));
	if (*list)
		cli_err("%s: %s \"%s\" (it takes %s)", s->cmd, why, word, list);
	else
		cli_err("%s: %s \"%s\" (it takes no arguments)", s->cmd, why, word);
	return -EINVAL;
}

static int one_word(const struct args_spec *s, struct args *a, int argc, char **argv, int *i)
{
	const struct keyword *k = lookup(argv[*i]);

	if (!k || !(s->allowed & k->bit)) {
		if (s->positional && !a->positional && argv[*i][0] != '-') {
			a->positional = argv[*i];
			return 0;
		}
		return not_taken(s, argv[*i], k ? "does not take" : "unknown word");
	}
	if ((a->has & k->bit) && k->bit != KW_EVENT) {
		cli_err("%s: \"%s\" given twice", s->cmd, k->word);
		return -EINVAL;
	}
	if ((s->one_of & k->bit) && (a->has & s->one_of)) {
		cli_err("%s: \"%s\" and an earlier word exclude each other (one of them at most)",
			s->cmd, k->word);
		return -EINVAL;
	}
	if (k->metavar) {
		if (*i + 1 >= argc) {
			cli_err("%s: \"%s\" needs a value (%s %s)", s->cmd, k->word, k->word, k->metavar);
			return -EINVAL;
		}
		(*i)++;
		if (k->parse(a, k->word, argv[*i]))
			return -EINVAL;
	}
	a->has |= k->bit;
	return 0;
}

int args_parse(const struct args_spec *s, int argc, char **argv, struct args *a)
{
	char list[512];
	size_t i;
	int w;

	memset(a, 0, sizeof(*a));
	for (w = 0; w < argc; w++)
		if (one_word(s, a, argc, argv, &w))
			return -EINVAL;
	if (s->need_one_of && !(a->has & s->one_of)) {
		takes(s->one_of, NULL, list, sizeof(list));
		cli_err("%s needs one of: %s", s->cmd, list);
		return -EINVAL;
	}
	for (i = 0; i < N_KEYWORDS; i++) {
		if ((s->required & keywords[i].bit) && !(a->has & keywords[i].bit)) {
			cli_err("%s: missing \"%s%s%s\"", s->cmd, keywords[i].word,
				keywords[i].metavar ? " " : "",
				keywords[i].metavar ? keywords[i].metavar : "");
			return -EINVAL;
		}
	}
	return 0;
}
