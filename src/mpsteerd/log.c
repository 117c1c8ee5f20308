/* SPDX-License-Identifier: MIT */
/* Leveled logging to stderr (with level prefix) or syslog. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "mpsteerd.h"

static int cur_level = MPSD_LOG_INFO;
static bool to_syslog;
static bool journal; /* stderr is read by journald: "<N>" prefixes carry the level */

static const struct {
	const char *name;
	int level;
} levels[] = {
	{ "error", MPSD_LOG_ERR },
	{ "warning", MPSD_LOG_WARN },
	{ "info", MPSD_LOG_INFO },
	{ "debug", MPSD_LOG_DEBUG },
};

void log_init(int level, bool use_syslog)
{
	cur_level = level;
	to_syslog = use_syslog;
	journal = getenv("JOURNAL_STREAM") != NULL;
	if (use_syslog)
		openlog("mpsteerd", LOG_PID, LOG_DAEMON);
}

void log_set_level(int level)
{
	cur_level = level;
}

bool log_enabled(int level)
{
	return level <= cur_level;
}

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcasecmp(s, levels[i].name))
			return levels[i].level;
	if (!strcasecmp(s, "warn"))
		return MPSD_LOG_WARN;
	return -EINVAL;
}

const char *log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "?";
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	if (to_syslog) {
		vsyslog(level, fmt, ap);
	} else {
		if (journal)
			fprintf(stderr, "<%d>", level);
		fprintf(stderr, "mpsteerd: %s: ", log_level_name(level));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
