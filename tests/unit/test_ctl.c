/* SPDX-License-Identifier: MIT */
/* The control-socket protocol: framing, request validation, socket path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static void test_parse_ok(void **state)
{
	static const char *const ok[] = {
		"{\"v\":1,\"cmd\":\"status\"}",
		"{\"cmd\":\"conns\"}", /* no version: 1 */
		"  {\"cmd\":\"override-set\",\"token\":5,\"via\":\"eth0\"}  ",
	};
	char err[128];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *req = NULL;
		const char *cmd = NULL;

		assert_int_equal(mps_ctl_parse_request(ok[i], strlen(ok[i]), &req, &cmd, err,
						       sizeof(err)), 0);
		assert_non_null(cmd);
		json_decref(req);
	}
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *line;
		int ret;
		const char *msg;
	} bad[] = {
		{ "garbage", -EINVAL, "malformed JSON" },
		{ "", -EINVAL, "malformed JSON" },
		{ "[1,2]", -EINVAL, "not a JSON object" },
		/* jansson wants a top-level container */
		{ "\"status\"", -EINVAL, "malformed JSON" },
		{ "{\"v\":2,\"cmd\":\"status\"}", -EPROTO, "unsupported protocol version" },
		{ "{\"v\":\"1\",\"cmd\":\"status\"}", -EPROTO, "unsupported protocol version" },
		{ "{\"v\":1}", -EINVAL, "missing \"cmd\"" },
		{ "{\"v\":1,\"cmd\":7}", -EINVAL, "missing \"cmd\"" },
		{ "{\"cmd\":\"a\",\"cmd\":\"b\"}", -EINVAL, "malformed JSON" }, /* duplicate keys */
		{ "{\"cmd\":\"status\"", -EINVAL, "malformed JSON" },
		{ "\xff\xfe{}", -EINVAL, "malformed JSON" },
	};
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *req = NULL;
		const char *cmd = NULL;

		err[0] = '\0';
		assert_int_equal(mps_ctl_parse_request(bad[i].line, strlen(bad[i].line), &req, &cmd,
						       err, sizeof(err)), bad[i].ret);
		assert_null(req);
		if (!strstr(err, bad[i].msg))
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, bad[i].msg);
	}
}

/* A NUL inside the line must not end parsing early and smuggle a valid prefix. */
static void test_parse_embedded_nul(void **state)
{
	const char line[] = "{\"cmd\":\"status\"}\0junk";
	json_t *req = NULL;
	const char *cmd;
	char err[128];

	assert_int_equal(mps_ctl_parse_request(line, sizeof(line) - 1, &req, &cmd, err,
					       sizeof(err)), -EINVAL);
}

static void test_call_roundtrip(void **state)
{
	const char reply[] = "{\"ok\":true,\"conns\":[]}\n";
	json_t *req = mps_ctl_request_new("conns"), *rep = NULL, *got;
	char buf[256];
	ssize_t n;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* The reply waits in the buffer: the call writes its request, then reads it. */
	assert_int_equal(write(sv[1], reply, strlen(reply)), (ssize_t)strlen(reply));
	assert_int_equal(mps_ctl_call(sv[0], req, &rep), 0);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	assert_true(json_is_array(json_object_get(rep, "conns")));
	n = read(sv[1], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(buf[n - 1], '\n'); /* one line */
	assert_null(memchr(buf, '\n', (size_t)n - 1));
	got = json_loads(buf, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(got, "cmd")), "conns");
	assert_int_equal(json_integer_value(json_object_get(got, "v")), MPS_CTL_VERSION);
	json_decref(got);
	json_decref(rep);
	json_decref(req);
	close(sv[0]);
	close(sv[1]);
}

static int recv_from(const char *data, size_t max, json_t **out)
{
	int sv[2], ret;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], data, strlen(data)), (ssize_t)strlen(data));
	close(sv[1]);
	ret = mps_ctl_recv(sv[0], max, out);
	close(sv[0]);
	return ret;
}

/* A daemon that turns us away writes why and closes before our request is sent. */
static void test_call_turned_away(void **state)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
	json_t *reply = NULL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], busy, sizeof(busy) - 1), (ssize_t)sizeof(busy) - 1);
	close(sv[1]);
	assert_int_equal(mps_ctl_call(sv[0], mps_ctl_request_new("status"), &reply), 0);
	assert_string_equal(json_string_value(json_object_get(reply, "error")), "too many clients");
	json_decref(reply);
	close(sv[0]);

	/* Closed with nothing said: the transport error stays. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(mps_ctl_call(sv[0], mps_ctl_request_new("status"), &reply), -EPIPE);
	close(sv[0]);
}

static void test_recv_errors(void **state)
{
	char *big = malloc(20000);
	json_t *j = NULL;

	assert_int_equal(recv_from("", 1024, &j), -ECONNRESET);
	assert_int_equal(recv_from("{\"ok\":true}", 1024, &j), -ECONNRESET); /* no line end */
	assert_int_equal(recv_from("[1]\n", 1024, &j), -EBADMSG);
	assert_int_equal(recv_from("nope\n", 1024, &j), -EBADMSG);
	memset(big, ' ', 19999);
	big[0] = '{';
	big[19998] = '}';
	big[19999] = '\0';
	assert_int_equal(recv_from(big, 8192, &j), -EMSGSIZE);
	assert_int_equal(recv_from("{\"ok\":false,\"error\":\"x\"}\n", 1024, &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "error")), "x");
	json_decref(j);
	free(big);
}

static void test_path_and_connect(void **state)
{
	char dir[] = "/tmp/mpsteer-test-ctl.XXXXXX", path[256], want[256];
	struct stat st;
	int fd = -1;

	assert_non_null(mkdtemp(dir));
	setenv("MPSTEER_RUNDIR", dir, 1);
	assert_string_equal(mps_ctl_rundir(), dir);
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	snprintf(want, sizeof(want), "%s/mpsteerd-%llu.sock", dir, (unsigned long long)st.st_ino);
	assert_int_equal(mps_ctl_path(path, sizeof(path)), 0);
	assert_string_equal(path, want);
	assert_int_equal(mps_ctl_path(path, 10), -ENAMETOOLONG);
	/* No daemon: the CLI falls back to netlink on exactly this error. */
	assert_int_equal(mps_ctl_connect(&fd), -ENOENT);
	unsetenv("MPSTEER_RUNDIR");
	rmdir(dir);
}

/*
 * A daemon that hangs with its listen backlog full: connect() must give up (SO_SNDTIMEO),
 * not block the CLI for ever. alarm() turns a hang into a failure.
 */
static void test_connect_hung_daemon(void **state)
{
	char dir[] = "/tmp/mpsteer-test-ctl.XXXXXX";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int l, fill[8], n = 0, fd = -1;

	assert_non_null(mkdtemp(dir));
	setenv("MPSTEER_RUNDIR", dir, 1);
	assert_int_equal(mps_ctl_path(sun.sun_path, sizeof(sun.sun_path)), 0);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 0), 0);
	/* Fill the backlog: nobody accepts. */
	for (n = 0; n < 8; n++) {
		fill[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fill[n], (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			assert_int_equal(errno, EAGAIN);
			break;
		}
	}
	assert_true(n < 8);
	alarm(25); /* under meson's 30 s; the client gives up after 10 */
	assert_int_equal(mps_ctl_connect(&fd), -EAGAIN);
	alarm(0);
	for (int i = 0; i <= n; i++)
		close(fill[i]);
	close(l);
	unlink(sun.sun_path);
	unsetenv("MPSTEER_RUNDIR");
	rmdir(dir);
}

static void test_replies(void **state)
{
	json_t *e = mps_ctl_error_new("bad"), *ok = mps_ctl_ok_new();

	assert_false(json_is_true(json_object_get(e, "ok")));
	assert_string_equal(json_string_value(json_object_get(e, "error")), "bad");
	assert_true(json_is_true(json_object_get(ok, "ok")));
	json_decref(e);
	json_decref(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_embedded_nul),
		cmocka_unit_test(test_call_roundtrip),
		cmocka_unit_test(test_call_turned_away),
		cmocka_unit_test(test_recv_errors),
		cmocka_unit_test(test_path_and_connect),
		cmocka_unit_test(test_connect_hung_daemon),
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
