/* SPDX-License-Identifier: MIT */
/*
 * mpsteer: see and steer the MPTCP connections of this network namespace.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

struct cli_opts cli;

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{ "conns", cmd_conns, "conns [token T | pid P | peer ADDR[:PORT]]" },
	{ "monitor", cmd_monitor, "monitor [token T] [event NAME]..." },
	{ "primary", cmd_primary, "primary { token T | pid P | peer ADDR[:PORT] } { via { IFNAME | ADDR } [dry-run] | auto }" },
	{ "subflow", cmd_subflow, "subflow { add | del } token T local ADDR[:PORT] [id N] [dev IFNAME] remote ADDR:PORT" },
	{ "backup", cmd_backup, "backup { on | off } token T local ADDR:PORT remote ADDR:PORT" },
	{ "announce", cmd_announce, "announce token T addr ADDR[:PORT] id N [dev IFNAME]" },
	{ "remove", cmd_remove, "remove token T id N" },
	{ "status", cmd_status, "status" },
	{ "run", cmd_run, "run [--mode seccomp|preload] [--verbose] [--summary] [--detach] [--] CMD [ARGS...]" },
	{ "systemd", cmd_systemd, "systemd { enable | disable | show } UNIT" },
};

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("mpsteer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("mpsteer: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_code(int err)
{
	switch (-err) {
	case 0:
		return EX_OK;
	case EPERM:
	case EACCES:
		return EX_NOPERM;
	case EINVAL:
	case ERANGE:
		return EX_USAGE;
	case ENOENT:
	case ESRCH:
		return EX_NOINPUT;
	case EPROTONOSUPPORT:
	case EOPNOTSUPP:
	case ENOPROTOOPT:
		return EX_UNAVAILABLE;
	case ENOMEM:
		return EX_OSERR;
	default:
		return EX_SOFTWARE;
	}
}

bool cli_is_help(const char *s)
{
	return s && (!strcmp(s, "help") || !strcmp(s, "-h") || !strcmp(s, "--help"));
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: mpsteer [-j [-p]] [-v] [--direct] COMMAND [ARGS]\n\n"
		   "See and steer the MPTCP connections of this network namespace.\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nOptions:\n"
		   "  -j, --json     JSON output (monitor: one object per line)\n"
		   "  -p, --pretty   indent JSON\n"

		   "  -v, --verbose  say more\n"
		   "      --direct   talk to the kernel even when mpsteerd runs\n"
		   "  -V, --version  print the version\n"
		   "  -h, --help     this text\n\n"
		   "See mpsteer(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },    { "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "direct", no_argument, NULL, 'D' },  { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },    { NULL, 0, NULL, 0 },
	};
	size_t i, len;
	int c;

	/* '+': stop at the first non-option, so "run -- cmd -x" keeps its options. */
	while ((c = getopt_long(argc, argv, "+jpvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': cli.json = true; break;
		case 'p': cli.pretty = true; break;
		case 'v': cli.verbose++; break;
		case 'D': cli.direct = true; break;
		case 'V': printf("mpsteer %s\n", MPS_VERSION_STR); return EX_OK;
		case 'h': usage(stdout); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (cli_is_help(argv[optind])) {
		usage(stdout);
		return EX_OK;
	}
	/* Unique prefixes work like in ip(8): "mpsteer mon", "mpsteer c". */
	len = strlen(argv[optind]);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strncmp(commands[i].name, argv[optind], len))
			return commands[i].fn(argc - optind, argv + optind);
	cli_err("unknown command \"%s\"; try \"mpsteer help\"", argv[optind]);
	return EX_USAGE;
}
