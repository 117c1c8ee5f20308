/* SPDX-License-Identifier: MIT */
/* Reading systemd services and writing mpsteer's drop-in: see sdunit.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdunit.h"

#define MAX_DROPINS 64

/* Where systemd looks for system units, highest priority first. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system",	   "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
};
#define N_UNIT_DIRS (sizeof(unit_dirs) / sizeof(unit_dirs[0]))

void sd_unit_free(struct sd_unit *u)
{
	while (u->n_exec)
		free(u->exec[--u->n_exec]);
	free(u->type);
	free(u->ld_preload);
	free(u->godebug);
	u->type = u->ld_preload = u->godebug = NULL;
}

static void replace(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

int sd_unit_name(const char *arg, char *out, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 ":-_.\\@";
	size_t l = strlen(arg);

	if (!l || l + sizeof(".service") > len || arg[0] == '.' || strspn(arg, ok) != l)
		return -EINVAL;
	snprintf(out, len, "%s%s", arg, strchr(arg, '.') ? "" : ".service");
	return 0;
}

bool sd_template_of(const char *unit, char *out, size_t len)
{
	const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');

	if (!at || !dot || dot < at || at[1] == '.')
		return false;
	snprintf(out, len, "%.*s%s", (int)(at - unit + 1), unit, dot);
	return true;
}

/* ---- Environment= ------------------------------------------------------------------------ */

/* One word: quotes group, a backslash escapes (not inside single quotes). */
static const char *env_word(const char *v, char *word, size_t size)
{
	size_t n = 0;
	char q = 0;

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
		if (n < size - 1)
			word[n++] = *v;
	}
	word[n] = '\0';
	return v;
}

void sd_env_parse(struct sd_unit *u, const char *v)
{
	char word[4096];

	for (;;) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v)
			return;
		v = env_word(v, word, sizeof(word));
		if (!strncmp(word, "LD_PRELOAD=", 11))
			replace(&u->ld_preload, word + 11);
		else if (!strncmp(word, "GODEBUG=", 8))
			replace(&u->godebug, word + 8);
	}
}

/* ---- unit files -------------------------------------------------------------------------- */

static void service_key(struct sd_unit *u, const char *key, const char *v)
{
	if (!strcmp(key, "ExecStart")) {
		if (!*v) { /* an empty assignment resets the list */
			while (u->n_exec)
				free(u->exec[--u->n_exec]);
		} else if (u->n_exec < SD_MAX_EXEC) {
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
			sd_env_parse(u, v);
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

/* One logical line: a trailing backslash continues it on the next line (joined by a space). */
static char *read_logical(FILE *f)
{
	char *line = NULL, *all = NULL, *t, *n;
	size_t cap = 0, len = 0, l;

	while (getline(&line, &cap, f) > 0) {
		t = trim(line);
		l = strlen(t);
		n = realloc(all, len + l + 2);
		if (!n)
			break;
		all = n;
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

int sd_unit_parse_stream(struct sd_unit *u, FILE *f)
{
	bool service = false;
	char *l, *eq;

	while ((l = read_logical(f))) {
		if (*l == '[')
			service = !strcmp(l, "[Service]");
		else if (service && *l != '#' && *l != ';' && (eq = strchr(l, '='))) {
			*eq = '\0';
			service_key(u, trim(l), trim(eq + 1));
		}
		free(l);
	}
	return 0;
}

int sd_unit_parse_file(struct sd_unit *u, const char *path)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f)
		return -errno;
	ret = sd_unit_parse_stream(u, f);
	fclose(f);
	return ret;
}

static int find_unit(const char *root, const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; i < N_UNIT_DIRS; i++) {
		snprintf(out, len, "%s%s/%s", root, unit_dirs[i], name);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_conf(const char *name)
{
	size_t l = strlen(name);

	return l > 5 && !strcmp(name + l - 5, ".conf") && strcmp(name, SD_DROPIN_NAME);
}

/* "*.conf" names of NAME.d in every unit dir (ours excluded), sorted, each once. */
static int dropin_names(const char *root, const char *name, char **names)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int n = 0, j;
	size_t i;
	DIR *d;

	for (i = 0; i < N_UNIT_DIRS; i++) {
		snprintf(dir, sizeof(dir), "%s%s/%s.d", root, unit_dirs[i], name);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) && n < MAX_DROPINS) {
			if (!is_conf(de->d_name))
				continue;
			for (j = 0; j < n && strcmp(names[j], de->d_name); j++)
				;
			if (j == n && (names[n] = strdup(de->d_name)))
				n++;
		}
		closedir(d);
	}
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	return n;
}

/* A drop-in in a higher-priority directory masks one of the same name below it. */
static void parse_dropin(struct sd_unit *u, const char *root, const char *name, const char *conf)
{
	char path[PATH_MAX + NAME_MAX + 2];
	size_t i;

	for (i = 0; i < N_UNIT_DIRS; i++) {
		snprintf(path, sizeof(path), "%s%s/%s.d/%s", root, unit_dirs[i], name, conf);
		if (sd_unit_parse_file(u, path) == 0)
			return;
	}
}

static void parse_dropins(struct sd_unit *u, const char *root, const char *name)
{
	char *names[MAX_DROPINS];
	int n, i;

	n = dropin_names(root, name, names);
	for (i = 0; i < n; i++) {
		parse_dropin(u, root, name, names[i]);
		free(names[i]);
	}
}

int sd_unit_load(struct sd_unit *u, const char *root, const char *unit, char *path, size_t len)
{
	char tmpl[256];
	bool is_tmpl = sd_template_of(unit, tmpl, sizeof(tmpl));
	int ret;

	if (find_unit(root, unit, path, len) < 0 &&
	    (!is_tmpl || find_unit(root, tmpl, path, len) < 0))
		return -ENOENT;
	ret = sd_unit_parse_file(u, path);
	if (ret < 0)
		return ret;
	if (is_tmpl)
		parse_dropins(u, root, tmpl);
	parse_dropins(u, root, unit);
	return 0;
}

/* ---- the drop-in ------------------------------------------------------------------------- */

/* Prefix characters systemd allows before the executable: "-@:+!" ("!!" included). */
static size_t exec_prefix_len(const char *v)
{
	return strspn(v, "-@:+!");
}

static int check_exec(const char *v, const char **why)
{
	size_t p = exec_prefix_len(v);

	if (memchr(v, '@', p)) {
		/* "@" makes the 2nd word argv[0]; `mpsteer run` cannot pass that on. */
		*why = "the \"@\" prefix (own argv[0]) cannot be passed through mpsteer run";
		return -EINVAL;
	}
	if (strstr(v + p, "mpsteer run ")) {
		*why = "ExecStart= already runs mpsteer run";
		return -EEXIST;
	}
	return 0;
}

int sd_dropin_exec(FILE *f, const struct sd_unit *u, const char *mpsteer, const char **why)
{
	bool forking = u->type && !strcmp(u->type, "forking");
	size_t p;
	int i, ret;

	if (!u->n_exec) {
		*why = "the unit has no ExecStart= to wrap";
		return -ENOEXEC;
	}
	for (i = 0; i < u->n_exec; i++) {
		ret = check_exec(u->exec[i], why);
		if (ret)
			return ret;
	}
	fprintf(f, "ExecStart=\n");
	for (i = 0; i < u->n_exec; i++) {
		p = exec_prefix_len(u->exec[i]);
		fprintf(f, "ExecStart=%.*s%s run %s-- %s\n", (int)p, u->exec[i], mpsteer,
			forking ? "--detach " : "", u->exec[i] + p);
	}
	if (u->type && (!strcmp(u->type, "notify") || !strcmp(u->type, "notify-reload")))
		fputs("# The main PID is mpsteer's supervisor: let the service itself notify.\n"
		      "NotifyAccess=all\n", f);
	return 0;
}

/* Environment="NAME=A[SEP B]", re-escaping what sd_env_parse() unescaped. */
static void put_env(FILE *f, const char *name, const char *a, const char *sep, const char *b)
{
	const char *parts[3] = { a, sep, b };
	const char *c;
	int i;

	fprintf(f, "Environment=\"%s=", name);
	for (i = 0; i < 3 && parts[i]; i++)
		for (c = parts[i]; *c; c++)
			fprintf(f, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
	fprintf(f, "\"\n");
}

int sd_dropin_env(FILE *f, const struct sd_unit *u, const char *lib)
{
	/* A variable set twice takes the later value: the unit's own values are carried over. */
	if (u->ld_preload && *u->ld_preload)
		put_env(f, "LD_PRELOAD", lib, ":", u->ld_preload);
	else
		put_env(f, "LD_PRELOAD", lib, NULL, NULL);
	if (u->godebug && strstr(u->godebug, "multipathtcp="))
		put_env(f, "GODEBUG", u->godebug, NULL, NULL); /* the unit decided */
	else if (u->godebug && *u->godebug)
		put_env(f, "GODEBUG", u->godebug, ",", "multipathtcp=1");
	else
		put_env(f, "GODEBUG", "multipathtcp=1", NULL, NULL);
	return 0;
}
