/* SPDX-License-Identifier: MIT */
/* mpsteer systemd: reading services the way systemd merges them, writing the drop-in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/mpsteer/sdunit.h"

static void parse_text(struct sd_unit *u, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	assert_int_equal(sd_unit_parse_stream(u, f), 0);
	fclose(f);
}

/* The drop-in lines for u, as one string (caller frees). */
static char *exec_dropin(const struct sd_unit *u, int *ret, const char **why)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*ret = sd_dropin_exec(f, u, "/usr/sbin/mpsteer", why);
	fclose(f);
	return buf;
}

static char *env_dropin(const struct sd_unit *u)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(sd_dropin_env(f, u, "/lib/mpsteer/libmpsteer-preload.so"), 0);
	fclose(f);
	return buf;
}

static void test_unit_name(void **state)
{
	char out[256];

	assert_int_equal(sd_unit_name("nginx", out, sizeof(out)), 0);
	assert_string_equal(out, "nginx.service");
	assert_int_equal(sd_unit_name("getty@tty1.service", out, sizeof(out)), 0);
	assert_string_equal(out, "getty@tty1.service");
	assert_int_equal(sd_unit_name("../etc/passwd", out, sizeof(out)), -EINVAL);
	assert_int_equal(sd_unit_name("a/b", out, sizeof(out)), -EINVAL);
	assert_int_equal(sd_unit_name("", out, sizeof(out)), -EINVAL);
	assert_int_equal(sd_unit_name(".hidden", out, sizeof(out)), -EINVAL);
	assert_int_equal(sd_unit_name("sp ace", out, sizeof(out)), -EINVAL);
}

static void test_template(void **state)
{
	char out[256];

	assert_true(sd_template_of("getty@tty1.service", out, sizeof(out)));
	assert_string_equal(out, "getty@.service");
	assert_false(sd_template_of("getty@.service", out, sizeof(out)));
	assert_false(sd_template_of("nginx.service", out, sizeof(out)));
}

/* Only [Service] counts; comments, resets, continuations and the last Type= win. */
static void test_parse(void **state)
{
	struct sd_unit u = { 0 };

	parse_text(&u, "[Unit]\n"
		       "ExecStart=/not/a/service/key\n"
		       "[Service]\n"
		       "# ExecStart=/commented\n"
		       "; ExecStart=/commented/too\n"
		       "Type=simple\n"
		       "ExecStart=/usr/bin/a\n"
		       "ExecStart=\n"
		       "  ExecStart = -/usr/bin/b --x \\\n"
		       "     --y\n"
		       "ExecStart=+/usr/bin/c\n"
		       "Type=forking\n"
		       "PIDFile=/run/b.pid\n"
		       "[Install]\n"
		       "ExecStart=/not/either\n");
	assert_int_equal(u.n_exec, 2);
	assert_string_equal(u.exec[0], "-/usr/bin/b --x  --y");
	assert_string_equal(u.exec[1], "+/usr/bin/c");
	assert_string_equal(u.type, "forking");
	assert_true(u.has_pidfile);
	assert_false(u.has_envfile);
	sd_unit_free(&u);
}

static void test_environment(void **state)
{
	struct sd_unit u = { 0 };

	parse_text(&u, "[Service]\n"
		       "Environment=A=1 \"GODEBUG=x=1 y\" 'LD_PRELOAD=/a b.so'\n"
		       "Environment=B=\"q\\\"uote\"\n");
	assert_string_equal(u.godebug, "x=1 y");
	assert_string_equal(u.ld_preload, "/a b.so");
	parse_text(&u, "[Service]\nEnvironment=\nEnvironmentFile=-/etc/default/x\n");
	assert_null(u.godebug);
	assert_null(u.ld_preload);
	assert_true(u.has_envfile);
	sd_unit_free(&u);
}

static void test_dropin_exec(void **state)
{
	struct sd_unit u = { 0 };
	const char *why = NULL;
	char *out;
	int ret;

	parse_text(&u, "[Service]\nType=notify\nExecStart=-/usr/bin/d --flag 'two words' $X\n"
		       "ExecStart=!!/usr/bin/e\n");
	out = exec_dropin(&u, &ret, &why);
	assert_int_equal(ret, 0);
	assert_string_equal(out,
			    "ExecStart=\n"
			    "ExecStart=-/usr/sbin/mpsteer run -- /usr/bin/d --flag 'two words' $X\n"
			    "ExecStart=!!/usr/sbin/mpsteer run -- /usr/bin/e\n"
			    "# The main PID is mpsteer's supervisor: "
			    "let the service itself notify.\n"
			    "NotifyAccess=all\n");
	free(out);
	sd_unit_free(&u);

	parse_text(&u, "[Service]\nType=forking\nExecStart=/usr/sbin/nginx\n");
	out = exec_dropin(&u, &ret, &why);
	assert_string_equal(out, "ExecStart=\nExecStart=/usr/sbin/mpsteer run --detach -- "
				 "/usr/sbin/nginx\n");
	free(out);
	sd_unit_free(&u);
}

/* Refusals write nothing: a half drop-in would reset ExecStart= and start nothing. */
static void test_dropin_exec_refused(void **state)
{
	static const struct {
		const char *unit;
		int ret;
	} cases[] = {
		{ "[Service]\nExecStart=/bin/ok\nExecStart=@/usr/bin/real argv0\n", -EINVAL },
		{ "[Service]\nExecStart=/usr/sbin/mpsteer run -- /bin/x\n", -EEXIST },
		{ "[Service]\nType=oneshot\n", -ENOEXEC },
	};
	struct sd_unit u = { 0 };
	const char *why;
	size_t i;
	char *out;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		parse_text(&u, cases[i].unit);
		out = exec_dropin(&u, &ret, &why);
		assert_int_equal(ret, cases[i].ret);
		assert_non_null(why);
		assert_string_equal(out, "");
		free(out);
		sd_unit_free(&u);
	}
}

static void test_dropin_env(void **state)
{
	struct sd_unit u = { 0 };
	char *out;

	out = env_dropin(&u);
	assert_string_equal(out, "Environment=\"LD_PRELOAD=/lib/mpsteer/libmpsteer-preload.so\"\n"
				 "Environment=\"GODEBUG=multipathtcp=1\"\n");
	free(out);
	parse_text(&u, "[Service]\nEnvironment=\"LD_PRELOAD=/x/q\\\"o.so\" GODEBUG=a=1\n");
	out = env_dropin(&u);
	assert_string_equal(out, "Environment=\"LD_PRELOAD=/lib/mpsteer/libmpsteer-preload.so:"
				 "/x/q\\\"o.so\"\n"
				 "Environment=\"GODEBUG=a=1,multipathtcp=1\"\n");
	free(out);
	parse_text(&u, "[Service]\nEnvironment=GODEBUG=multipathtcp=0\n");
	out = env_dropin(&u);
	assert_non_null(strstr(out, "Environment=\"GODEBUG=multipathtcp=0\"\n"));
	free(out);
	sd_unit_free(&u);
}

/* ROOT + REL, creating the directories on the way. */
static void write_file(const char *root, const char *rel, const char *text)
{
	char path[512], *p;
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s%s", root, rel) < (int)sizeof(path));
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * Like systemd: /etc beats /lib for the unit file; drop-ins from all directories in name order,
 * a name in /etc masking the same name in /lib; template drop-ins before the instance's; ours
 * ignored.
 */
static void test_load(void **state)
{
	char root[] = "/tmp/mps-sdunit.XXXXXX", path[PATH_MAX], cmd[64];
	struct sd_unit u = { 0 };

	assert_non_null(mkdtemp(root));
	write_file(root, "/lib/systemd/system/w@.service",
		   "[Service]\nExecStart=/lib/template\n");
	write_file(root, "/lib/systemd/system/w@.service.d/20-t.conf",
		   "[Service]\nExecStart=\nExecStart=/from/template-dropin\n");
	write_file(root, "/lib/systemd/system/w@1.service.d/30-x.conf",
		   "[Service]\nExecStart=/masked\n");
	write_file(root, "/etc/systemd/system/w@1.service.d/30-x.conf",
		   "[Service]\nExecStart=/from/etc-30\n");
	write_file(root, "/etc/systemd/system/w@1.service.d/10-first.conf",
		   "[Service]\nType=notify\n");
	write_file(root, "/etc/systemd/system/w@1.service.d/mpsteer.conf",
		   "[Service]\nExecStart=\nExecStart=/ours/ignored\n");
	assert_int_equal(sd_unit_load(&u, root, "w@1.service", path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/lib/systemd/system/w@.service"));
	assert_int_equal(u.n_exec, 2);
	assert_string_equal(u.exec[0], "/from/template-dropin");
	assert_string_equal(u.exec[1], "/from/etc-30");
	assert_string_equal(u.type, "notify");
	sd_unit_free(&u);
	assert_int_equal(sd_unit_load(&u, root, "absent.service", path, sizeof(path)), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_name),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_dropin_exec),
		cmocka_unit_test(test_dropin_exec_refused),
		cmocka_unit_test(test_dropin_env),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
