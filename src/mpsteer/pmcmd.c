/* SPDX-License-Identifier: MIT */
/*
 * The userspace path manager's primitives, scriptable:
 *   subflow add|del, backup on|off, announce, remove.
 * Arguments are keyword/value pairs checked before the kernel is asked.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpsteer/pm.h"
#include "out.h"

enum { K_TOKEN = 1 << 0, K_LOCAL = 1 << 1, K_REMOTE = 1 << 2, K_ID = 1 << 3, K_DEV = 1 << 4,
       K_ADDR = 1 << 5 };

struct pm_args {
	unsigned has;
	uint32_t token;
	struct mps_addr local, remote, addr;
	uint8_t id;
	int ifindex;
};

static const struct {
	const char *word;
	unsigned bit;
} keywords[] = {
	{ "token", K_TOKEN }, { "local", K_LOCAL }, { "remote", K_REMOTE },
	{ "id", K_ID },       { "dev", K_DEV },     { "addr", K_ADDR },
};

static int parse_address(const char *what, const char *v, struct mps_addr *out)
{
	int err = mps_addr_parse(v, true, out);

	if (err == -ENODEV)
		cli_err("invalid %saddress \"%s\": no such interface in this namespace", what, v);
	else if (err)
		cli_err("invalid %saddress \"%s\"", what, v);
	return err ? -EINVAL : 0;
}

static int parse_value(struct pm_args *a, unsigned bit, const char *word, const char *v)
{
	uint32_t n;

	switch (bit) {
	case K_TOKEN:
		if (mps_parse_u32(v, UINT32_MAX, &n))
			break;
		a->token = n;
		return 0;
	case K_ID:
		if (mps_parse_u32(v, 255, &n) || n == 0)
			break;
		a->id = (uint8_t)n;
		return 0;
	case K_DEV:
		a->ifindex = (int)if_nametoindex(v);
		if (a->ifindex)
			return 0;
		cli_err("no interface \"%s\" in this namespace", v);
		return -ENODEV;
	case K_LOCAL:
		return parse_address("local ", v, &a->local);
	case K_REMOTE:
		return parse_address("remote ", v, &a->remote);
	case K_ADDR:
		return parse_address("", v, &a->addr);
	}
	cli_err("invalid %s \"%s\"%s", word, v, bit == K_ID ? " (1..255)" : "");
	return -EINVAL;
}

/*
 * A scoped link-local address ("fe80::1%eth0") names the interface the subflow must use: it
 * becomes the address's interface index unless "dev" or another scope says otherwise.
 */
static int scope_interface(struct pm_args *a)
{
	const uint32_t scopes[] = { a->local.scope_id, a->remote.scope_id, a->addr.scope_id };
	char name[IF_NAMESIZE] = "?", other[IF_NAMESIZE] = "?";

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (!scopes[i])
			continue;
		if (a->ifindex && (uint32_t)a->ifindex != scopes[i]) {
			if_indextoname((unsigned)a->ifindex, name);
			if_indextoname(scopes[i], other);
			cli_err("the addresses and \"dev\" name different interfaces (%s, %s)", name,
				other);
			return -EINVAL;
		}
		a->ifindex = (int)scopes[i];
	}
	return 0;
}

/* allowed: keywords accepted; required: keywords that must be there. */
static int parse_kv(int argc, char **argv, unsigned allowed, unsigned required, struct pm_args *a)
{
	size_t k;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i += 2) {
		for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (!strcmp(argv[i], keywords[k].word))
				break;
		if (k == sizeof(keywords) / sizeof(keywords[0]) || !(allowed & keywords[k].bit)) {
			cli_err("unexpected argument \"%s\"", argv[i]);
			return -EINVAL;
		}
		if (i + 1 >= argc) {
			cli_err("\"%s\" needs a value", argv[i]);
			return -EINVAL;
		}
		if (a->has & keywords[k].bit) {
			cli_err("\"%s\" given twice", argv[i]);
			return -EINVAL;
		}
		if (parse_value(a, keywords[k].bit, argv[i], argv[i + 1]))
			return -EINVAL;
		a->has |= keywords[k].bit;
	}
	for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
		if ((required & keywords[k].bit) && !(a->has & keywords[k].bit)) {
			cli_err("missing \"%s\"", keywords[k].word);
			return -EINVAL;
		}
	}
	if ((a->has & K_LOCAL) && (a->has & K_REMOTE) && a->local.family != a->remote.family) {
		cli_err("local and remote addresses are of different families");
		return -EINVAL;
	}
	return scope_interface(a);
}

static struct mps_pm *open_pm(void)
{
	struct mps_pm *pm = NULL;
	int ret;

	if (!out_has_net_admin()) {
		cli_err("this command needs CAP_NET_ADMIN (run as root)");
		return NULL;
	}
	ret = mps_pm_new(&pm);
	if (ret)
		cli_err("cannot open the MPTCP path manager: %s",
			ret == -EPROTONOSUPPORT ? "this kernel has no MPTCP" : strerror(-ret));
	return pm;
}

/* Turns a kernel refusal into one line; the kernel's own words are kept. */
static int finish(struct mps_pm *pm, int ret, const char *what)
{
	char k[256];

	snprintf(k, sizeof(k), "%s", mps_pm_errmsg(pm));

	if (ret) {
		cli_err("%s: %s%s%s", what, *k ? k : strerror(-ret),
			strstr(k, "userspace PM not selected")
				? " (the connection is on the in-kernel path manager; set "
				  "net.mptcp.path_manager=userspace in this namespace)"
				: "",
			ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	} else if (cli.json) {
		out_json(json_pack("{s:b,s:s}", "ok", 1, "done", what));
	}
	mps_pm_free(pm);
	if (!ret)
		return EX_OK;
	/* The kernel says EINVAL for both "no such subflow/token" and bad data. */
	if (strstr(k, "not found") || strstr(k, "invalid token"))
		return EX_NOINPUT;
	return ret == -EINVAL ? EX_DATAERR : cli_exit_code(ret);
}

int cmd_subflow(int argc, char **argv)
{
	struct mps_pm_addr local = { 0 };
	struct pm_args a;
	struct mps_pm *pm;
	bool add;

	if (argc < 2 || cli_is_help(argv[1]) || (strcmp(argv[1], "add") && strcmp(argv[1], "del"))) {
		fprintf(argc >= 2 && cli_is_help(argv[1]) ? stdout : stderr,
			"Usage: mpsteer subflow add token T local ADDR[:PORT] [id N] [dev IFNAME] remote ADDR:PORT\n"
			"       mpsteer subflow del token T local ADDR:PORT remote ADDR:PORT\n");
		return argc >= 2 && cli_is_help(argv[1]) ? EX_OK : EX_USAGE;
	}
	add = !strcmp(argv[1], "add");
	if (parse_kv(argc - 2, argv + 2, add ? K_TOKEN | K_LOCAL | K_REMOTE | K_ID | K_DEV
					     : K_TOKEN | K_LOCAL | K_REMOTE,
		     K_TOKEN | K_LOCAL | K_REMOTE, &a))
		return EX_USAGE;
	if (!a.remote.port || (!add && !a.local.port)) {
		cli_err("%s needs a port", !a.remote.port ? "remote" : "local");
		return EX_USAGE;
	}
	pm = open_pm();
	if (!pm)
		return EX_NOPERM;
	if (!add)
		return finish(pm, mps_pm_subflow_destroy(pm, a.token, &a.local, &a.remote),
			      "subflow del");
	local.addr = a.local;
	local.id = a.id;
	local.ifindex = a.ifindex;
	return finish(pm, mps_pm_subflow_create(pm, a.token, &local, &a.remote), "subflow add");
}

int cmd_backup(int argc, char **argv)
{
	struct pm_args a;
	struct mps_pm *pm;

	if (argc < 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
		bool help = argc >= 2 && cli_is_help(argv[1]);

		fprintf(help ? stdout : stderr,
			"Usage: mpsteer backup { on | off } token T local ADDR:PORT remote ADDR:PORT\n");
		return help ? EX_OK : EX_USAGE;
	}
	if (parse_kv(argc - 2, argv + 2, K_TOKEN | K_LOCAL | K_REMOTE, K_TOKEN | K_LOCAL | K_REMOTE,
		     &a))
		return EX_USAGE;
	if (!a.local.port || !a.remote.port) {
		cli_err("backup needs both ports to name one subflow");
		return EX_USAGE;
	}
	pm = open_pm();
	if (!pm)
		return EX_NOPERM;
	return finish(pm, mps_pm_set_backup(pm, a.token, &a.local, &a.remote, !strcmp(argv[1], "on")),
		      "backup");
}

int cmd_announce(int argc, char **argv)
{
	struct mps_pm_addr addr = { 0 };
	struct pm_args a;
	struct mps_pm *pm;

	if (argc == 2 && cli_is_help(argv[1])) {
		printf("Usage: mpsteer announce token T addr ADDR[:PORT] id N [dev IFNAME]\n");
		return EX_OK;
	}
	if (parse_kv(argc - 1, argv + 1, K_TOKEN | K_ADDR | K_ID | K_DEV, K_TOKEN | K_ADDR | K_ID, &a))
		return EX_USAGE;
	pm = open_pm();
	if (!pm)
		return EX_NOPERM;
	addr.addr = a.addr;
	addr.id = a.id;
	addr.ifindex = a.ifindex;
	addr.flags = MPS_PM_FLAG_SIGNAL;
	return finish(pm, mps_pm_announce(pm, a.token, &addr), "announce");
}

int cmd_remove(int argc, char **argv)
{
	struct pm_args a;
	struct mps_pm *pm;

	if (argc == 2 && cli_is_help(argv[1])) {
		printf("Usage: mpsteer remove token T id N\n");
		return EX_OK;
	}
	if (parse_kv(argc - 1, argv + 1, K_TOKEN | K_ID, K_TOKEN | K_ID, &a))
		return EX_USAGE;
	pm = open_pm();
	if (!pm)
		return EX_NOPERM;
	return finish(pm, mps_pm_remove(pm, a.token, a.id), "remove");
}
