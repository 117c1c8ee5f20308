/* SPDX-License-Identifier: MIT */
/*
 * mpsteer: see and steer the MPTCP connections of this network namespace.
 *
 * Global options may come before or after the command word (up to "--");
 * commands with options of their own (run, systemd) take the global ones only
 * before their first non-option word, since what follows belongs to them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"

struct cli_opts cli;

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;   /* after "mpsteer " */
	const char *summary; /* one line */
	bool own_options;    /* options after the command word are its own (run, systemd) */
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "conns", cmd_conns, "conns [token T | pid P | peer ADDR[:PORT]]",
	  "list MPTCP connections with their subflows, owners and counters", false },
	{ "monitor", cmd_monitor, "monitor [token T] [event NAME]... | monitor decisions [token T]",
	  "print every path-manager event (or mpsteerd's steering decision) as it happens",
	  false },
	{ "primary", cmd_primary,
	  "primary { token T | pid P | peer ADDR[:PORT] } { via { IFNAME | ADDR } [dry-run] | auto }",
	  "make one path the primary (non-backup) one of live connections", false },
	{ "subflow", cmd_subflow,
	  "subflow { add | del } token T local ADDR[:PORT] [id N] [dev IFNAME] remote ADDR:PORT",
	  "create or close one subflow (userspace path manager)", false },
	{ "backup", cmd_backup, "backup { on | off } token T local ADDR:PORT remote ADDR:PORT",
	  "set or clear the backup flag of one subflow (MP_PRIO)", false },
	{ "announce", cmd_announce, "announce token T addr ADDR[:PORT] id N [dev IFNAME]",
	  "announce an address to the peer (ADD_ADDR)", false },
	{ "remove", cmd_remove, "remove token T id N",
	  "withdraw an announced address (REMOVE_ADDR)", false },
	{ "diagnose", cmd_diagnose,
	  "diagnose [token T | pid P | peer ADDR[:PORT]] [ADDR[:PORT]] [sample S] [timeout S]",
	  "find out why MPTCP (or an extra subflow) does not work, and the fix", false },
	{ "top", cmd_top, "top [token T | pid P | peer ADDR[:PORT]] [interval S] [count N]",
	  "a live view of connections and interfaces by throughput", false },
	{ "status", cmd_status, "status", "the counters of this namespace's mpsteerd", false },
	{ "metrics", cmd_metrics, "metrics",
	  "mpsteerd's counters and gauges in Prometheus text format", false },
	{ "run", cmd_run,
	  "run [--mode seccomp|preload] [--verbose] [--summary] [--detach] [--] CMD [ARGS...]",
	  "run an unmodified program on MPTCP", true },
	{ "systemd", cmd_systemd, "systemd { enable | disable | show } [--mode M] UNIT",
	  "put a systemd service on MPTCP with a drop-in", true },
	{ "proxy", cmd_proxy,
	  "proxy { socks | client } [-c FILE] [--check] [KEY VALUE]... | proxy status",
	  "MPTCP <-> TCP converters: a SOCKS5 server and a transparent gateway", true },
	{ "help", cmd_help, "help [COMMAND]", "this list, or the usage of one command", false },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

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

int cli_opt_error(const char *cmd, int c, int argc, char **argv)
{
	const char *w = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	if (!strncmp(w, "--", 2))
		optopt = 0; /* a long option: name the word as typed */
	if (c == ':' && optopt)
		cli_err("%s: \"-%c\" needs a value; see \"mpsteer help %s\"", cmd, optopt, cmd);
	else if (c == ':')
		cli_err("%s: \"%s\" needs a value; see \"mpsteer help %s\"", cmd, w, cmd);
	else if (optopt)
		cli_err("%s: unknown option \"-%c\"; see \"mpsteer help %s\"", cmd, optopt, cmd);
	else
		cli_err("%s: unknown option \"%s\"; see \"mpsteer help %s\"", cmd, w, cmd);
	return EX_USAGE;
}

bool cli_is_help(const char *s)
{
	return s && (!strcmp(s, "help") || !strcmp(s, "-h") || !strcmp(s, "--help"));
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: mpsteer [OPTIONS] COMMAND [ARGS] [OPTIONS]\n\n"
		   "See and steer the MPTCP connections of a network namespace.\n\n"
		   "Commands (a unique prefix is enough):\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions (before or after the command):\n"
		   "  -j, --json          JSON output (monitor: one object per line)\n"
		   "  -p, --pretty        indent JSON\n"
		   "  -n, --netns NAME    act in network namespace NAME (/run/netns/NAME) or PATH\n"
		   "  -v, --verbose       say more\n"
		   "      --direct        talk to the kernel even when mpsteerd runs\n"
		   "  -V, --version       print the version\n"
		   "  -h, --help          this text; after a command: that command's usage\n\n"
		   "\"mpsteer help COMMAND\" shows the usage of one command; see mpsteer(8) and\n"
		   "mpsteer-COMMAND(8).\n");
}

static void command_usage(const struct command *c, FILE *f)
{
	char *argv[] = { (char *)c->name, "--help", NULL };

	if (c->own_options) { /* their --help is longer than one line */
		c->fn(2, argv);
		return;
	}
	fprintf(f, "Usage: mpsteer [OPTIONS] %s\n\n%c%s.\nSee mpsteer-%s(8).\n", c->usage,
		toupper((unsigned char)c->summary[0]), c->summary + 1, c->name);
}

/* Exact name, else a unique prefix; NULL after printing why not. */
static const struct command *find_command(const char *word)
{
	const struct command *found = NULL;
	char names[256] = "";
	size_t i, len = strlen(word), n = 0, off = 0;

	if (!len) {
		cli_err("empty command name; try \"mpsteer help\"");
		return NULL;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(commands[i].name, word))
			return &commands[i];
		if (strncmp(commands[i].name, word, len))
			continue;
		found = &commands[i];
		n++;
		if (off < sizeof(names))
			off += snprintf(names + off, sizeof(names) - off, "%s%s", off ? ", " : "",
					commands[i].name);
	}
	if (n == 1)
		return found;
	if (n)
		cli_err("ambiguous command \"%s\": %s", word, names);
	else
		cli_err("unknown command \"%s\"; try \"mpsteer help\"", word);
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return EX_OK;
	}
	if (argc > 2) {
		cli_err("help takes one command, not \"%s\"", argv[2]);
		return EX_USAGE;
	}
	c = find_command(argv[1]);
	if (!c)
		return EX_USAGE;
	command_usage(c, stdout);
	return EX_OK;
}

struct parsed {
	const struct command *cmd;
	const char *netns;
	bool help, version;
	int argc;    /* of argv: the command word and its arguments */
	char **argv;
};

enum { OPT_NOT_GLOBAL = 0, OPT_ERROR = -1 };

/* One long option ("--json", "--netns=X", "--netns X"): words consumed, 0 or OPT_ERROR. */
static int long_option(struct parsed *p, const char *w, const char *next, bool own)
{
	const char *eq = strchr(w, '=');
	size_t len = eq ? (size_t)(eq - w) : strlen(w);

#define IS(name) (len == strlen(name) && !strncmp(w, name, len))
	if (IS("--netns")) {
		p->netns = eq ? eq + 1 : next;
		if (p->netns && *p->netns)
			return eq ? 1 : 2;
		cli_err("\"--netns\" needs a namespace name");
		return OPT_ERROR;
	}
	if (eq)
		return own ? OPT_NOT_GLOBAL : (cli_err("option \"%s\" takes no value", w), OPT_ERROR);
	if (IS("--json"))
		cli.json = true;
	else if (IS("--pretty"))
		cli.pretty = true;
	else if (IS("--direct"))
		cli.direct = true;
	else if (!own && IS("--verbose"))
		cli.verbose++;
	else if (!own && IS("--help"))
		p->help = true;
	else if (!own && IS("--version"))
		p->version = true;
	else
		return own ? OPT_NOT_GLOBAL : (cli_err("unknown option \"%s\"; try \"mpsteer help\"", w),
					       OPT_ERROR);
	return 1;
#undef IS
}

/* A cluster of short options ("-jp", "-n NS", "-nNS"). */
static int short_options(struct parsed *p, const char *w, const char *next, bool own)
{
	const char *c;

	/* A command with options of its own keeps any cluster that is not all global. */
	if (own && strspn(w + 1, "jpn") != strlen(w + 1))
		return OPT_NOT_GLOBAL;
	for (c = w + 1; *c; c++) {
		switch (*c) {
		case 'j': cli.json = true; break;
		case 'p': cli.pretty = true; break;
		case 'v': cli.verbose++; break;
		case 'h': p->help = true; break;
		case 'V': p->version = true; break;
		case 'n':
			p->netns = c[1] ? c + 1 : next;
			if (p->netns && *p->netns)
				return c[1] ? 1 : 2;
			cli_err("\"-n\" needs a namespace name");
			return OPT_ERROR;
		default:
			cli_err("unknown option \"-%c\"%s%s%s; try \"mpsteer help\"", *c,
				strlen(w) > 2 ? " in \"" : "", strlen(w) > 2 ? w : "",
				strlen(w) > 2 ? "\"" : "");
			return OPT_ERROR;
		}
	}
	return 1;
}

/* Splits argv into global options and the command's words (kept in order, in place). */
static int parse_argv(int argc, char **argv, struct parsed *p)
{
	bool own_word = false; /* a non-option word after an own-options command */
	int i, n, out = 0;

	memset(p, 0, sizeof(*p));
	for (i = 1; i < argc; i += n) {
		const char *w = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
		bool own = p->cmd && p->cmd->own_options;

		n = 1;
		if (!strcmp(w, "--")) {
			/* The end of global options; run keeps its "--" (CMD may start with '-'). */
			if (p->cmd && own)
				argv[out++] = argv[i];
			for (i++; i < argc; i++) {
				if (!p->cmd && !(p->cmd = find_command(argv[i])))
					return EX_USAGE;
				argv[out++] = argv[i];
			}
			break;
		}
		if (w[0] == '-' && w[1] && !own_word) {
			n = w[1] == '-' ? long_option(p, w, next, own) : short_options(p, w, next, own);
			if (n == OPT_ERROR)
				return EX_USAGE;
			if (n == OPT_NOT_GLOBAL) {
				argv[out++] = argv[i];
				n = 1;
			}
			continue;
		}
		if (!p->cmd) {
			p->cmd = find_command(w);
			if (!p->cmd)
				return EX_USAGE;
		} else if (own) {
			own_word = true;
		}
		argv[out++] = argv[i];
	}
	p->argc = out;
	p->argv = argv;
	argv[out] = NULL;
	return EX_OK;
}

/* -n NAME: NAME under /run/netns (as ip netns add makes them), or a path to a netns file. */
static int enter_netns(const char *name)
{
	char path[4096];
	int fd, err;

	snprintf(path, sizeof(path), "%s%s", strchr(name, '/') ? "" : "/run/netns/", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		cli_err("cannot open network namespace \"%s\" (%s): %s", name, path, strerror(err));
		return err == ENOENT ? EX_NOINPUT : err == EACCES ? EX_NOPERM : EX_OSERR;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		err = errno;
		close(fd);
		cli_err("cannot enter network namespace \"%s\": %s%s", name, strerror(err),
			err == EPERM ? " (needs CAP_SYS_ADMIN)" : err == EINVAL ? " (not a netns)" : "");
		return err == EPERM ? EX_NOPERM : EX_USAGE;
	}
	close(fd);
	return EX_OK;
}

int main(int argc, char **argv)
{
	struct parsed p;
	int ret;

	ret = parse_argv(argc, argv, &p);
	if (ret)
		return ret;
	if (p.version) {
		printf("mpsteer %s\n", MPS_VERSION_STR);
		return EX_OK;
	}
	if (p.help || (p.cmd && p.argc > 1 && cli_is_help(p.argv[1]) && !p.cmd->own_options &&
		       p.cmd->fn != cmd_help)) {
		if (p.cmd)
			command_usage(p.cmd, stdout);
		else
			usage(stdout);
		return EX_OK;
	}
	if (!p.cmd) {
		cli_err("no command given; try \"mpsteer help\"");
		return EX_USAGE;
	}
	if (p.netns) {
		ret = enter_netns(p.netns);
		if (ret)
			return ret;
	}
	return p.cmd->fn(p.argc, p.argv);
}
