/* SPDX-License-Identifier: MIT */
/* SOCKS5 / RFC 1929 messages byte by byte, prefix lists and the proxy's settings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "acl.h"
#include "proxy_conf.h"
#include "socks5.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Every strict prefix of a valid message asks for more bytes. */
static void all_prefixes_need_more(const uint8_t *msg, size_t len)
{
	struct socks5_dest d;
	int rep;

	for (size_t i = 0; i < len; i++)
		assert_int_equal(socks5_parse_request(msg, i, &d, &rep), 0);
}

static void test_greeting(void **state)
{
	static const uint8_t noauth[] = { 5, 1, 0 };
	static const uint8_t both[] = { 5, 2, 0, 2, 0xaa };
	static const uint8_t gssapi[] = { 5, 1, 1 };
	static const uint8_t v4[] = { 4, 1, 0, 80 };
	static const uint8_t zero[] = { 5, 0 };
	uint8_t m;

	assert_int_equal(socks5_parse_greeting(noauth, 0, SOCKS5_M_NOAUTH, &m), 0);
	assert_int_equal(socks5_parse_greeting(noauth, 2, SOCKS5_M_NOAUTH, &m), 0);
	assert_int_equal(socks5_parse_greeting(noauth, 3, SOCKS5_M_NOAUTH, &m), 3);
	assert_int_equal(m, SOCKS5_M_NOAUTH);
	assert_int_equal(socks5_parse_greeting(noauth, 3, SOCKS5_M_USERPASS, &m), 3);
	assert_int_equal(m, SOCKS5_M_NONE);
	/* Trailing bytes (a pipelined request) are not consumed. */
	assert_int_equal(socks5_parse_greeting(both, sizeof(both), SOCKS5_M_USERPASS, &m), 4);
	assert_int_equal(m, SOCKS5_M_USERPASS);
	assert_int_equal(socks5_parse_greeting(gssapi, 3, SOCKS5_M_NOAUTH, &m), 3);
	assert_int_equal(m, SOCKS5_M_NONE);
	assert_int_equal(socks5_parse_greeting(v4, 1, SOCKS5_M_NOAUTH, &m), -EPROTO);
	assert_int_equal(socks5_parse_greeting(zero, 2, SOCKS5_M_NOAUTH, &m), -EPROTO);
}

static void test_auth(void **state)
{
	static const uint8_t ok[] = { 1, 3, 'b', 'o', 'b', 2, 'p', 'w' };
	static const uint8_t v5[] = { 5, 3, 'b', 'o', 'b' };
	static const uint8_t empty_user[] = { 1, 0, 1, 'x' };
	static const uint8_t nul_pass[] = { 1, 1, 'u', 2, 'a', 0 };
	char u[256], p[256];

	for (size_t i = 0; i < sizeof(ok); i++)
		assert_int_equal(socks5_parse_auth(ok, i, u, p), 0);
	assert_int_equal(socks5_parse_auth(ok, sizeof(ok), u, p), 8);
	assert_string_equal(u, "bob");
	assert_string_equal(p, "pw");
	assert_int_equal(socks5_parse_auth(v5, sizeof(v5), u, p), -EPROTO);
	assert_int_equal(socks5_parse_auth(empty_user, sizeof(empty_user), u, p), -EPROTO);
	assert_int_equal(socks5_parse_auth(nul_pass, sizeof(nul_pass), u, p), -EPROTO);
}

static void test_request_v4_v6_domain(void **state)
{
	static const uint8_t v4[] = { 5, 1, 0, 1, 10, 9, 0, 2, 0x1f, 0x90 };
	static const uint8_t v6[] = { 5, 1, 0, 4, 0xfd, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0, 0, 0, 2, 0, 80 };
	static const uint8_t dom[] = { 5, 1, 0, 3, 3, 'w', 'e', 'b', 0x01, 0xbb, 0xee };
	struct socks5_dest d;
	char buf[300];
	int rep;

	all_prefixes_need_more(v4, sizeof(v4));
	assert_int_equal(socks5_parse_request(v4, sizeof(v4), &d, &rep), 10);
	assert_string_equal(socks5_dest_format(&d, buf, sizeof(buf)), "10.9.0.2:8080");
	all_prefixes_need_more(v6, sizeof(v6));
	assert_int_equal(socks5_parse_request(v6, sizeof(v6), &d, &rep), 22);
	assert_string_equal(socks5_dest_format(&d, buf, sizeof(buf)), "[fd09::2]:80");
	all_prefixes_need_more(dom, sizeof(dom) - 1);
	assert_int_equal(socks5_parse_request(dom, sizeof(dom), &d, &rep), 10);
	assert_int_equal(d.atyp, SOCKS5_ATYP_DOMAIN);
	assert_string_equal(socks5_dest_format(&d, buf, sizeof(buf)), "web:443");
}

static void test_request_errors(void **state)
{
	static const uint8_t bind[] = { 5, 2, 0, 1, 1, 2, 3, 4, 0, 80 };
	static const uint8_t udp[] = { 5, 3, 0, 1 };
	static const uint8_t atyp[] = { 5, 1, 0, 2, 1, 2 };
	static const uint8_t rsv[] = { 5, 1, 1, 1 };
	static const uint8_t ver[] = { 4, 1, 0, 80, 1, 2, 3, 4, 0 };
	static const uint8_t dom0[] = { 5, 1, 0, 3, 0, 0, 80 };
	static const uint8_t domnul[] = { 5, 1, 0, 3, 3, 'a', 0 };
	struct socks5_dest d;
	int rep;

	assert_int_equal(socks5_parse_request(bind, sizeof(bind), &d, &rep), -EPROTO);
	assert_int_equal(rep, SOCKS5_REP_CMD_UNSUPPORTED);
	assert_int_equal(socks5_parse_request(udp, sizeof(udp), &d, &rep), -EPROTO);
	assert_int_equal(rep, SOCKS5_REP_CMD_UNSUPPORTED);
	assert_int_equal(socks5_parse_request(atyp, sizeof(atyp), &d, &rep), -EPROTO);
	assert_int_equal(rep, SOCKS5_REP_ATYP_UNSUPPORTED);
	assert_int_equal(socks5_parse_request(rsv, sizeof(rsv), &d, &rep), -EPROTO);
	assert_int_equal(rep, SOCKS5_REP_FAILURE);
	assert_int_equal(socks5_parse_request(ver, 1, &d, &rep), -EPROTO);
	assert_int_equal(rep, SOCKS5_REP_NONE);
	assert_int_equal(socks5_parse_request(dom0, sizeof(dom0), &d, &rep), -EPROTO);
	/* A NUL inside the name is refused as soon as it arrives. */
	assert_int_equal(socks5_parse_request(domnul, sizeof(domnul), &d, &rep), -EPROTO);
	assert_int_equal(rep, SOCKS5_REP_FAILURE);
}

static void test_reply_builders(void **state)
{
	static const uint8_t refused[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ok4[] = { 5, 0, 0, 1, 10, 9, 0, 1, 0xd4, 0x31 };
	static const uint8_t ok6[] = { 5, 0, 0, 4, 0xfd, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0, 0, 0, 1, 0, 1 };
	struct mps_addr a;
	uint8_t out[SOCKS5_REPLY_MAX];
	int rep;

	assert_int_equal(socks5_build_reply(SOCKS5_REP_REFUSED, NULL, out, sizeof(out)), 10);
	assert_memory_equal(out, refused, 10);
	mps_addr_parse("10.9.0.1:54321", true, &a);
	assert_int_equal(socks5_build_reply(SOCKS5_REP_OK, &a, out, sizeof(out)), 10);
	assert_memory_equal(out, ok4, 10);
	/* v4-mapped bound addresses are answered as IPv4. */
	mps_addr_parse("[::ffff:10.9.0.1]:54321", true, &a);
	assert_int_equal(socks5_build_reply(SOCKS5_REP_OK, &a, out, sizeof(out)), 10);
	assert_memory_equal(out, ok4, 10);
	mps_addr_parse("[fd09::1]:1", true, &a);
	assert_int_equal(socks5_build_reply(SOCKS5_REP_OK, &a, out, sizeof(out)), 22);
	assert_memory_equal(out, ok6, 22);
	assert_int_equal(socks5_build_reply(SOCKS5_REP_OK, &a, out, 21), -ENOSPC);
	assert_int_equal(socks5_build_method(SOCKS5_M_NONE, out, 2), 2);
	assert_int_equal(out[0], 5);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(socks5_build_auth_status(0, out, 2), 2);
	assert_int_equal(out[1], 1);
	/* The gateway parses what the server builds. */
	assert_int_equal(socks5_parse_reply(ok6, 21, &rep), 0);
	assert_int_equal(socks5_parse_reply(ok6, 22, &rep), 22);
	assert_int_equal(rep, 0);
	assert_int_equal(socks5_parse_reply(refused, 10, &rep), 10);
	assert_int_equal(rep, SOCKS5_REP_REFUSED);
}

static void test_client_builders(void **state)
{
	static const uint8_t greet[] = { 5, 1, 2 };
	static const uint8_t auth[] = { 1, 1, 'u', 3, 'p', 'a', 's' };
	static const uint8_t req[] = { 5, 1, 0, 3, 3, 'w', 'e', 'b', 0, 80 };
	struct socks5_dest d = { .atyp = SOCKS5_ATYP_DOMAIN, .addr.port = 80 };
	uint8_t out[600];
	uint8_t m;
	int ok;

	assert_int_equal(socks5_build_greeting(SOCKS5_M_USERPASS, out, sizeof(out)), 3);
	assert_memory_equal(out, greet, 3);
	assert_int_equal(socks5_build_auth("u", "pas", out, sizeof(out)), 7);
	assert_memory_equal(out, auth, 7);
	assert_int_equal(socks5_build_auth("", "pas", out, sizeof(out)), -EINVAL);
	strcpy(d.domain, "web");
	assert_int_equal(socks5_build_request(&d, out, sizeof(out)), 10);
	assert_memory_equal(out, req, 10);
	d.domain[0] = '\0';
	assert_int_equal(socks5_build_request(&d, out, sizeof(out)), -EINVAL);
	assert_int_equal(socks5_parse_method(greet, 1, &m), 0);
	assert_int_equal(socks5_parse_method((const uint8_t[]){ 5, 2 }, 2, &m), 2);
	assert_int_equal(m, 2);
	assert_int_equal(socks5_parse_method((const uint8_t[]){ 4, 2 }, 2, &m), -EPROTO);
	assert_int_equal(socks5_parse_auth_status((const uint8_t[]){ 1, 0 }, 2, &ok), 2);
	assert_true(ok);
	assert_int_equal(socks5_parse_auth_status((const uint8_t[]){ 1, 1 }, 2, &ok), 2);
	assert_false(ok);
}

static void test_rep_mapping(void **state)
{
	assert_int_equal(socks5_rep_from_errno(-ECONNREFUSED), SOCKS5_REP_REFUSED);
	assert_int_equal(socks5_rep_from_errno(ENETUNREACH), SOCKS5_REP_NET_UNREACH);
	assert_int_equal(socks5_rep_from_errno(EHOSTUNREACH), SOCKS5_REP_HOST_UNREACH);
	assert_int_equal(socks5_rep_from_errno(ETIMEDOUT), SOCKS5_REP_TTL_EXPIRED);
	assert_int_equal(socks5_rep_from_errno(EIO), SOCKS5_REP_FAILURE);
	assert_int_equal(socks5_rep_from_gai(EAI_NONAME), SOCKS5_REP_HOST_UNREACH);
	assert_string_equal(socks5_rep_name(SOCKS5_REP_NOT_ALLOWED), "not allowed by ruleset");
}

static void test_acl(void **state)
{
	struct acl acl = { 0 };
	struct acl_prefix p;
	struct mps_addr a;
	char buf[64];

	assert_int_equal(acl_add(&acl, "10.1.0.0/16"), 0);
	assert_int_equal(acl_add(&acl, "fd00::/8"), 0);
	assert_int_equal(acl_add(&acl, "192.0.2.7"), 0);
	mps_addr_parse("10.1.200.3", false, &a);
	assert_true(acl_match(&acl, &a));
	mps_addr_parse("10.2.0.1", false, &a);
	assert_false(acl_match(&acl, &a));
	mps_addr_parse("::ffff:10.1.0.9", false, &a);
	assert_true(acl_match(&acl, &a));
	mps_addr_parse("fd12::1", false, &a);
	assert_true(acl_match(&acl, &a));
	mps_addr_parse("fe80::1", false, &a);
	assert_false(acl_match(&acl, &a));
	mps_addr_parse("192.0.2.7", false, &a);
	assert_true(acl_match(&acl, &a));
	mps_addr_parse("192.0.2.8", false, &a);
	assert_false(acl_match(&acl, &a));
	assert_int_equal(acl_prefix_parse("10.1.0.1/16", &p), -EINVAL); /* host bits */
	assert_int_equal(acl_prefix_parse("10.0.0.0/33", &p), -EINVAL);
	assert_int_equal(acl_prefix_parse("10.0.0.0/", &p), -EINVAL);
	assert_int_equal(acl_prefix_parse("10.0.0.0/-1", &p), -EINVAL);
	assert_int_equal(acl_prefix_parse("0.0.0.0/0", &p), 0);
	assert_string_equal(acl_prefix_format(&p, buf, sizeof(buf)), "0.0.0.0/0");
	acl_default_refused(&acl);
	mps_addr_parse("127.0.0.1", false, &a);
	assert_true(acl_match(&acl, &a));
	mps_addr_parse("10.9.0.2", false, &a);
	assert_false(acl_match(&acl, &a));
}

static void test_conf(void **state)
{
	struct proxy_conf c;
	struct mps_addr a;
	char err[512];

	proxy_conf_init(&c, PROXY_SOCKS);
	/* Never an open relay: loopback clients only until allow-client says otherwise. */
	mps_addr_parse("10.1.1.2", false, &a);
	assert_false(acl_match(&c.clients, &a));
	assert_int_equal(proxy_conf_set(&c, "allow-client", "10.1.0.0/16", err, sizeof(err)), 0);
	assert_true(acl_match(&c.clients, &a));
	mps_addr_parse("127.0.0.1", false, &a);
	assert_false(acl_match(&c.clients, &a)); /* the first key replaced the default */
	assert_int_equal(proxy_conf_set(&c, "idle-timeout", "x", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad idle-timeout \"x\": want seconds, 0 (never) to 604800");
	assert_int_equal(proxy_conf_set(&c, "colour", "x", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "unknown key \"colour\"");
	assert_int_equal(proxy_conf_set(&c, "listen", "10.0.0.1", err, sizeof(err)), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "refuse-dest", "none", err, sizeof(err)), 0);
	assert_int_equal(c.refused.n, 0);

	proxy_conf_init(&c, PROXY_CLIENT);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_int_equal(proxy_conf_load_string(&c, "t.conf",
		"connect-timeout = 5\n[socks]\nlisten = [::]:9\n[client]\nserver = 10.9.0.2:1080\n"
		"transparent = 0.0.0.0:1081\nuser = gw\npassword = s3cret\n", err, sizeof(err)), 0);
	assert_int_equal(c.connect_timeout, 5);
	assert_false(mps_addr_is_set(&c.listen)); /* [socks] is the other role's */
	assert_int_equal(c.server.port, 1080);
	assert_string_equal(c.password, "s3cret");
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), 0);
	assert_int_equal(proxy_conf_load_string(&c, "t.conf", "\n\nmax-conns = 0\n", err,
						sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:3: bad max-conns \"0\": want 1 to 1000000");
	assert_int_equal(proxy_conf_load_string(&c, "t.conf", "[web]\nx = 1\n", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:2: unknown section [web] (want [socks] or [client])");
}

static void test_cred_line(void **state)
{
	char u[256], p[256];

	assert_int_equal(proxy_cred_line("alice:pa:ss\n", u, p), 1);
	assert_string_equal(u, "alice");
	assert_string_equal(p, "pa:ss");
	assert_int_equal(proxy_cred_line("  # comment\n", u, p), 0);
	assert_int_equal(proxy_cred_line("\n", u, p), 0);
	assert_int_equal(proxy_cred_line("nocolon\n", u, p), -EINVAL);
	assert_int_equal(proxy_cred_line(":pw\n", u, p), -EINVAL);
	assert_int_equal(proxy_cred_line("user:\n", u, p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_request_v4_v6_domain),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_reply_builders),
		cmocka_unit_test(test_client_builders),
		cmocka_unit_test(test_rep_mapping),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_cred_line),
	};

	(void)LEN(tests);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
