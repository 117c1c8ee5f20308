/* SPDX-License-Identifier: MIT */
/*
 * mpsteer systemd { enable | disable | show } [--mode seccomp|preload] [--root DIR] UNIT
 *
 * Puts a service on MPTCP with a drop-in, /etc/systemd/system/UNIT.d/mpsteer.conf; the vendor
 * unit is never edited and `disable` just removes the drop-in.
 *  - seccomp mode: the unit's ExecStart= lines (unit file and drop-ins, as systemd would merge
 *    them) are reset and re-issued wrapped: ExecStart=PREFIX/usr/sbin/mpsteer run -- ORIGINAL.
 *    Type=forking gets `run --detach`; Type=notify gets NotifyAccess=all because the main PID
 *    becomes the supervisor, not the process that sends READY=1.
 *  - preload mode: Environment= adds LD_PRELOAD and GODEBUG=multipathtcp=1 to the environment
 *    the unit already has (values the unit sets itself are extended).
 * systemd is asked to reload only when it runs and --root is "/"; otherwise we say so.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "sdunit.h"

#define FILE_LEN (PATH_MAX + 32) /* a drop-in dir (PATH_MAX) plus its file name */

struct sd_opts {
	bool preload;
	const char *root;
	const char *exec; /* the mpsteer binary the drop-in runs */
	char unit[256];
};

static int load_unit(const struct sd_opts *o, struct sd_unit *u)
{
	char path[PATH_MAX];
	int ret;

	ret = sd_unit_load(u, o->root, o->unit, path, sizeof(path));
	if (ret == -ENOENT)
		cli_err("systemd: unit \"%s\" not found under %s", o->unit,
			*o->root ? o->root : "/");
	else if (ret < 0)
		cli_err("systemd: cannot read %s: %s", path, strerror(-ret));
	return ret < 0 ? EX_NOINPUT : 0;
}

static void dropin_path(const struct sd_opts *o, char *dir, char *file)
{
	snprintf(dir, PATH_MAX, "%s/etc/systemd/system/%s.d", o->root, o->unit);
	snprintf(file, FILE_LEN, "%s/" SD_DROPIN_NAME, dir);
}

static int write_exec(FILE *f, const struct sd_opts *o, const struct sd_unit *u)
{
	const char *why = "";
	int ret;

	ret = sd_dropin_exec(f, u, o->exec, &why);
	if (ret < 0) {
		cli_err("systemd: %s: %s%s", o->unit, why,
			ret == -EINVAL ? "; use --mode preload" : "");
		return EX_DATAERR;
	}
	if (u->type && !strcmp(u->type, "forking") && !u->has_pidfile)
		cli_warn("systemd: %s is Type=forking without PIDFile=: systemd may take mpsteer's "
			 "background supervisor for the main process", o->unit);
	return 0;
}

static int find_preload(char *out, size_t len)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/../preload/libmpsteer-preload.so", exe);
			if (access(cand, R_OK) == 0 && realpath(cand, out))
				return 0;
		}
	}
	snprintf(out, len, "%s", MPS_PRELOAD_PATH);
	return 0;
}

static int write_env(FILE *f, const struct sd_opts *o, const struct sd_unit *u)
{
	char lib[PATH_MAX];
	const char *env = getenv("MPSTEER_PRELOAD");

	if (env && *env)
		snprintf(lib, sizeof(lib), "%s", env);
	else
		find_preload(lib, sizeof(lib));
	sd_dropin_env(f, u, lib);
	if (u->has_envfile)
		cli_warn("systemd: %s reads an EnvironmentFile=, whose LD_PRELOAD or GODEBUG "
			 "would override the drop-in's", o->unit);
	return 0;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* Written to a temporary file and renamed: systemd never sees half a drop-in. */
static int write_dropin(const struct sd_opts *o, const struct sd_unit *u, const char *dir,
			const char *file)
{
	char tmp[FILE_LEN + 8];
	FILE *f;
	int ret;

	if (mkdir_p(dir) < 0) {
		cli_err("systemd: cannot create %s: %s", dir, strerror(errno));
		return EX_CANTCREAT;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "we");
	if (!f) {
		cli_err("systemd: cannot write %s: %s", tmp, strerror(errno));
		return EX_CANTCREAT;
	}
	fprintf(f, "# Written by \"mpsteer systemd enable%s %s\": puts the service on MPTCP.\n"
		   "# The vendor unit is untouched; \"mpsteer systemd disable %s\" removes this.\n"
		   "[Service]\n",
		o->preload ? " --mode preload" : "", o->unit, o->unit);
	ret = o->preload ? write_env(f, o, u) : write_exec(f, o, u);
	if (fclose(f) != 0 && !ret)
		ret = EX_IOERR;
	if (!ret && rename(tmp, file) < 0)
		ret = EX_CANTCREAT;
	if (ret)
		unlink(tmp);
	return ret;
}

/* ---- verbs ------------------------------------------------------------------------------- */

static bool systemd_running(const struct sd_opts *o)
{
	return !*o->root && access("/run/systemd/system", F_OK) == 0;
}

static void reload(const struct sd_opts *o)
{
	int status = -1;
	pid_t pid;

	if (!systemd_running(o)) {
		printf("systemd does not run here: run \"systemctl daemon-reload\" and restart %s "
		       "to apply\n", o->unit);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("systemctl", "systemctl", "daemon-reload", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("run \"systemctl daemon-reload\" and restart %s to apply\n", o->unit);
		return;
	}
	printf("systemd reloaded: restart %s to apply\n", o->unit);
}

static int do_enable(const struct sd_opts *o)
{
	struct sd_unit u = { 0 };
	char dir[PATH_MAX], file[FILE_LEN];
	int ret;

	ret = load_unit(o, &u);
	if (!ret) {
		dropin_path(o, dir, file);
		ret = write_dropin(o, &u, dir, file);
	}
	sd_unit_free(&u);
	if (ret)
		return ret;
	printf("wrote %s\n", file);
	reload(o);
	return EX_OK;
}

static int do_disable(const struct sd_opts *o)
{
	char dir[PATH_MAX], file[FILE_LEN];

	dropin_path(o, dir, file);
	if (unlink(file) < 0) {
		if (errno != ENOENT) {
			cli_err("systemd: cannot remove %s: %s", file, strerror(errno));
			return EX_CANTCREAT;
		}
		printf("%s: not enabled (no %s)\n", o->unit, file);
		return EX_OK;
	}
	rmdir(dir); /* only if we left it empty */
	printf("removed %s\n", file);
	reload(o);
	return EX_OK;
}

static int do_show(const struct sd_opts *o)
{
	char dir[PATH_MAX], file[FILE_LEN], buf[4096];
	size_t n;
	FILE *f;

	dropin_path(o, dir, file);
	f = fopen(file, "re");
	if (!f) {
		printf("%s: not enabled (no %s)\n", o->unit, file);
		return EX_NOINPUT;
	}
	printf("# %s\n", file);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return EX_OK;
}

/* ---- options ----------------------------------------------------------------------------- */

static const char usage_text[] =
	"Usage: mpsteer systemd enable [--mode seccomp|preload] [--root DIR] [--exec PATH] UNIT\n"
	"       mpsteer systemd disable [--root DIR] UNIT\n"
	"       mpsteer systemd show [--root DIR] UNIT\n\n"
	"Puts a service on MPTCP with the drop-in /etc/systemd/system/UNIT.d/" SD_DROPIN_NAME
	";\nthe vendor unit is never edited.\n\n"
	"  -m, --mode seccomp  wrap ExecStart= in \"mpsteer run --\" (default)\n"
	"  -m, --mode preload  add LD_PRELOAD and GODEBUG=multipathtcp=1 with Environment=\n"
	"  -r, --root DIR      operate on the file system under DIR (images, tests)\n"
	"  -e, --exec PATH     the mpsteer binary ExecStart= runs (default: this one)\n\n"
	"UNIT without a suffix means UNIT.service. See mpsteer-run(8).\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int parse_opts(int argc, char **argv, struct sd_opts *o, char *exe, size_t exelen)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' }, { "root", required_argument, NULL, 'r' },
		{ "exec", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ssize_t n;
	int c;

	optind = 0;
	opterr = 0; /* one line of our own instead of getopt's and the usage */
	while ((c = getopt_long(argc, argv, "+:m:r:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "seccomp") && strcmp(optarg, "preload")) {
				cli_err("systemd: unknown mode \"%s\" (seccomp or preload)",
					optarg);
				return EX_USAGE;
			}
			o->preload = !strcmp(optarg, "preload");
			break;
		case 'r': o->root = strcmp(optarg, "/") ? optarg : ""; break;
		case 'e': o->exec = optarg; break;
		case 'h': usage(stdout); return -1;
		default: return cli_opt_error("systemd", c, argc, argv);
		}
	}
	if (optind != argc - 1) {
		cli_err("systemd: expected one UNIT");
		return EX_USAGE;
	}
	if (sd_unit_name(argv[optind], o->unit, sizeof(o->unit)) < 0) {
		cli_err("systemd: invalid unit name \"%s\"", argv[optind]);
		return EX_USAGE;
	}
	if (!o->exec) {
		n = readlink("/proc/self/exe", exe, exelen - 1);
		exe[n > 0 ? n : 0] = '\0';
		o->exec = n > 0 ? exe : "mpsteer";
	}
	return 0;
}

int cmd_systemd(int argc, char **argv)
{
	struct sd_opts o = { .root = "" };
	char exe[PATH_MAX];
	const char *verb;
	int ret;

	if (argc < 2) {
		cli_err("systemd needs \"enable\", \"disable\" or \"show\" and a UNIT; see "
			"\"mpsteer help systemd\"");
		return EX_USAGE;
	}
	if (cli_is_help(argv[1])) {
		usage(stdout);
		return EX_OK;
	}
	verb = argv[1];
	ret = parse_opts(argc - 1, argv + 1, &o, exe, sizeof(exe));
	if (ret)
		return ret < 0 ? EX_OK : ret;
	if (!strcmp(verb, "enable"))
		return do_enable(&o);
	if (!strcmp(verb, "disable"))
		return do_disable(&o);
	if (!strcmp(verb, "show"))
		return do_show(&o);
	cli_err("systemd: unknown verb \"%s\" (enable, disable or show)", verb);
	return EX_USAGE;
}
