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
#include <dirent.h>
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

#define DROPIN_NAME "mpsteer.conf"
#define MAX_EXEC 32
#define MAX_DROPINS 64
#define FILE_LEN (PATH_MAX + 32) /* a drop-in dir (PATH_MAX) plus its file name */

/* Where systemd looks for system units, highest priority first. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system",	   "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
};
#define N_UNIT_DIRS (sizeof(unit_dirs) / sizeof(unit_dirs[0]))

/* What the [Service] section of the merged unit says, as far as we need it. */
struct unit_info {
	char *exec[MAX_EXEC]; /* ExecStart= values, raw, after resets */
	int n_exec;
	char *type;           /* Type= */
	char *ld_preload;     /* LD_PRELOAD from Environment= */
	char *godebug;        /* GODEBUG from Environment= */
	bool has_pidfile;
	bool has_envfile;
};

struct sd_opts {
	bool preload;
	const char *root;
	const char *exec; /* the mpsteer binary the drop-in runs */
	char unit[256];
};

static void unit_info_free(struct unit_info *u)
{
	int i;

	for (i = 0; i < u->n_exec; i++)
		free(u->exec[i]);
	free(u->type);
	free(u->ld_preload);
	free(u->godebug);
}

static void replace(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

/* ---- Environment= ------------------------------------------------------------------------ */

/* Splits one Environment= value into words the way systemd does (quotes, backslashes) and
 * remembers LD_PRELOAD and GODEBUG. */
static void parse_environment(struct unit_info *u, const char *v)
{
	char word[4096];
	size_t n;
	char q;

	while (*v) {
		while (*v == ' ' || *v == '\t')
			v++;
		n = 0;
		q = 0;
		for (; *v && (q || (*v != ' ' && *v != '\t')); v++) {
			if (!q && (*v == '"' || *v == '\'')) {
				q = *v;
				continue;
			}
			if (q && *v == q) {
				q = 0;
				continue;
			}
			if (*v == '\\' && v[1] && q != '\'')
				v++;
			if (n < sizeof(word) - 1)
				word[n++] = *v;
		}
		word[n] = '\0';
		if (!strncmp(word, "LD_PRELOAD=", 11))
			replace(&u->ld_preload, word + 11);
		else if (!strncmp(word, "GODEBUG=", 8))
			replace(&u->godebug, word + 8);
	}
}

/* ---- unit files -------------------------------------------------------------------------- */

static void service_key(struct unit_info *u, const char *key, const char *v)
{
	if (!strcmp(key, "ExecStart")) {
		if (!*v) { /* an empty assignment resets the list */
			while (u->n_exec)
				free(u->exec[--u->n_exec]);
		} else if (u->n_exec < MAX_EXEC) {
			u->exec[u->n_exec++] = strdup(v);
		}
	} else if (!strcmp(key, "Type")) {
		replace(&u->type, v);
	} else if (!strcmp(key, "PIDFile")) {
		u->has_pidfile = *v != '\0';
	} else if (!strcmp(key, "EnvironmentFile")) {
		u->has_envfile = *v != '\0';
	} else if (!strcmp(key, "Environment")) {
		if (!*v) {
			free(u->ld_preload);
			free(u->godebug);
			u->ld_preload = u->godebug = NULL;
		} else {
			parse_environment(u, v);
		}
	}
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Reads one logical line: a trailing backslash continues it on the next line. */
static char *read_logical(FILE *f)
{
	char *line = NULL, *all = NULL, *t;
	size_t cap = 0, len = 0, l;

	while (getline(&line, &cap, f) > 0) {
		t = trim(line);
		l = strlen(t);
		all = realloc(all, len + l + 2);
		if (!all)
			break;
		memcpy(all + len, t, l);
		len += l;
		all[len] = '\0';
		if (len && all[len - 1] == '\\') {
			all[len - 1] = ' ';
			continue;
		}
		break;
	}
	free(line);
	return all;
}

static int parse_unit_file(struct unit_info *u, const char *path)
{
	bool service = false;
	char *l, *eq, *key;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((l = read_logical(f))) {
		if (*l == '[') {
			service = !strcmp(l, "[Service]");
		} else if (service && *l != '#' && *l != ';' && (eq = strchr(l, '='))) {
			*eq = '\0';
			key = trim(l);
			service_key(u, key, trim(eq + 1));
		}
		free(l);
	}
	fclose(f);
	return 0;
}

/* "foo@bar.service" -> "foo@.service": instances fall back to their template. */
static bool template_of(const char *unit, char *out, size_t len)
{
	const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');

	if (!at || !dot || dot < at || at[1] == '.')
		return false;
	snprintf(out, len, "%.*s%s", (int)(at - unit + 1), unit, dot);
	return true;
}

static int find_unit(const struct sd_opts *o, const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; i < N_UNIT_DIRS; i++) {
		snprintf(out, len, "%s%s/%s", o->root, unit_dirs[i], name);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects "*.conf" names of NAME.d in every unit dir (ours excluded), sorted, unique. */
static int dropin_names(const struct sd_opts *o, const char *name, char **names, int n)
{
	char dir[PATH_MAX];
	struct dirent *de;
	size_t i, l;
	int j;
	DIR *d;

	for (i = 0; i < N_UNIT_DIRS; i++) {
		snprintf(dir, sizeof(dir), "%s%s/%s.d", o->root, unit_dirs[i], name);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) && n < MAX_DROPINS) {
			l = strlen(de->d_name);
			if (l < 6 || strcmp(de->d_name + l - 5, ".conf") ||
			    !strcmp(de->d_name, DROPIN_NAME))
				continue;
			for (j = 0; j < n && strcmp(names[j], de->d_name); j++)
				;
			if (j == n)
				names[n++] = strdup(de->d_name);
		}
		closedir(d);
	}
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	return n;
}

/* A drop-in of the same name in a higher-priority directory masks the lower ones. */
static void parse_dropin(struct unit_info *u, const struct sd_opts *o, const char *name,
			 const char *conf)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < N_UNIT_DIRS; i++) {
		snprintf(path, sizeof(path), "%s%s/%s.d/%s", o->root, unit_dirs[i], name, conf);
		if (parse_unit_file(u, path) == 0)
			return;
	}
}

static void parse_dropins(struct unit_info *u, const struct sd_opts *o, const char *name)
{
	char *names[MAX_DROPINS];
	int n, i;

	n = dropin_names(o, name, names, 0);
	for (i = 0; i < n; i++) {
		parse_dropin(u, o, name, names[i]);
		free(names[i]);
	}
}

static int load_unit(const struct sd_opts *o, struct unit_info *u)
{
	char path[PATH_MAX], tmpl[256];
	bool is_tmpl = template_of(o->unit, tmpl, sizeof(tmpl));

	if (find_unit(o, o->unit, path, sizeof(path)) < 0 &&
	    (!is_tmpl || find_unit(o, tmpl, path, sizeof(path)) < 0)) {
		cli_err("systemd: unit \"%s\" not found under %s", o->unit,
			*o->root ? o->root : "/");
		return EX_NOINPUT;
	}
	if (parse_unit_file(u, path) < 0) {
		cli_err("systemd: cannot read %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	if (is_tmpl)
		parse_dropins(u, o, tmpl);
	parse_dropins(u, o, o->unit);
	return 0;
}

/* ---- the drop-in ------------------------------------------------------------------------- */

static void dropin_path(const struct sd_opts *o, char *dir, char *file)
{
	snprintf(dir, PATH_MAX, "%s/etc/systemd/system/%s.d", o->root, o->unit);
	snprintf(file, FILE_LEN, "%s/" DROPIN_NAME, dir);
}

/* Prefix characters systemd allows before the executable: "-@:+!" ("!!" included). */
static size_t exec_prefix_len(const char *v)
{
	return strspn(v, "-@:+!");
}

static int write_exec(FILE *f, const struct sd_opts *o, const struct unit_info *u)
{
	bool forking = u->type && !strcmp(u->type, "forking");
	const char *cmd;
	size_t p;
	int i;

	if (!u->n_exec) {
		cli_err("systemd: %s has no ExecStart= to wrap", o->unit);
		return EX_DATAERR;
	}
	fprintf(f, "ExecStart=\n");
	for (i = 0; i < u->n_exec; i++) {
		p = exec_prefix_len(u->exec[i]);
		cmd = u->exec[i] + p;
		if (memchr(u->exec[i], '@', p)) {
			/* "@" makes the 2nd word argv[0]; `mpsteer run` cannot pass that on. */
			cli_err("systemd: %s: ExecStart=%s uses the \"@\" prefix, which mpsteer run "
				"cannot honour; use --mode preload", o->unit, u->exec[i]);
			return EX_DATAERR;
		}
		if (strstr(cmd, "mpsteer run ")) {
			cli_err("systemd: %s: ExecStart= already runs mpsteer run", o->unit);
			return EX_DATAERR;
		}
		fprintf(f, "ExecStart=%.*s%s run %s-- %s\n", (int)p, u->exec[i], o->exec,
			forking ? "--detach " : "", cmd);
	}
	if (u->type && (!strcmp(u->type, "notify") || !strcmp(u->type, "notify-reload")))
		fprintf(f, "# The main PID is mpsteer's supervisor: let the service itself notify.\n"
			   "NotifyAccess=all\n");
	if (forking && !u->has_pidfile)
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

static int write_env(FILE *f, const struct sd_opts *o, const struct unit_info *u)
{
	char lib[PATH_MAX];
	const char *env = getenv("MPSTEER_PRELOAD");

	if (env && *env)
		snprintf(lib, sizeof(lib), "%s", env);
	else
		find_preload(lib, sizeof(lib));
	/* Environment= adds to what the unit has; a variable set twice takes the later value,
	 * so the unit's own LD_PRELOAD / GODEBUG are carried over into ours. */
	if (u->ld_preload && *u->ld_preload)
		fprintf(f, "Environment=\"LD_PRELOAD=%s:%s\"\n", lib, u->ld_preload);
	else
		fprintf(f, "Environment=\"LD_PRELOAD=%s\"\n", lib);
	if (u->godebug && strstr(u->godebug, "multipathtcp="))
		fprintf(f, "Environment=\"GODEBUG=%s\"\n", u->godebug);
	else if (u->godebug && *u->godebug)
		fprintf(f, "Environment=\"GODEBUG=%s,multipathtcp=1\"\n", u->godebug);
	else
		fprintf(f, "Environment=GODEBUG=multipathtcp=1\n");
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
static int write_dropin(const struct sd_opts *o, const struct unit_info *u, const char *dir,
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
	struct unit_info u = { 0 };
	char dir[PATH_MAX], file[FILE_LEN];
	int ret;

	ret = load_unit(o, &u);
	if (!ret) {
		dropin_path(o, dir, file);
		ret = write_dropin(o, &u, dir, file);
	}
	unit_info_free(&u);
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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mpsteer systemd enable [--mode seccomp|preload] [--root DIR] [--exec PATH] UNIT\n"
		"       mpsteer systemd disable [--root DIR] UNIT\n"
		"       mpsteer systemd show [--root DIR] UNIT\n\n"
		"Puts a service on MPTCP with the drop-in /etc/systemd/system/UNIT.d/" DROPIN_NAME
		";\nthe vendor unit is never edited.\n\n"
		"  -m, --mode seccomp  wrap ExecStart= in \"mpsteer run --\" (default)\n"
		"  -m, --mode preload  add LD_PRELOAD and GODEBUG=multipathtcp=1 with Environment=\n"
		"  -r, --root DIR      operate on the file system under DIR (images, tests)\n"
		"  -e, --exec PATH     the mpsteer binary ExecStart= runs (default: this one)\n\n"
		"UNIT without a suffix means UNIT.service. See mpsteer-run(8).\n");
}

static int unit_name(const char *arg, char *out, size_t len)
{
	size_t l = strlen(arg);

	if (!l || l > len - 10 || arg[0] == '.' || strchr(arg, '/') ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") != l)
		return -EINVAL;
	snprintf(out, len, "%s%s", arg, strchr(arg, '.') ? "" : ".service");
	return 0;
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
	while ((c = getopt_long(argc, argv, "+m:r:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "seccomp") && strcmp(optarg, "preload")) {
				cli_err("systemd: unknown mode \"%s\" (seccomp or preload)", optarg);
				return EX_USAGE;
			}
			o->preload = !strcmp(optarg, "preload");
			break;
		case 'r': o->root = strcmp(optarg, "/") ? optarg : ""; break;
		case 'e': o->exec = optarg; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_err("systemd: expected one UNIT");
		return EX_USAGE;
	}
	if (unit_name(argv[optind], o->unit, sizeof(o->unit)) < 0) {
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

	if (argc < 2 || cli_is_help(argv[1])) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
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
