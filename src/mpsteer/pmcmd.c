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

#include "args.h"
#include "cli.h"
#include "mpsteer/pm.h"
#include "out.h"

/*
 * A scoped link-local address ("fe80::1%eth0") names the interface the subflow must use: it
 * becomes the address's interface index unless "dev" or another scope says otherwise.
 */
static int scope_interface(struct args *a)
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

/* Keywords common to the primitives, then a check of the families and scopes. */
static int parse_kv(const char *cmd, int argc, char **argv, unsigned allowed, unsigned required,
		    struct args *a)
{
	const struct args_spec spec = { .cmd = cmd, .allowed = allowed, .required = required };

	if (args_parse(&spec, argc, argv, a))
		return -EINVAL;
	if ((a->has & KW_LOCAL) && (a->has & KW_REMOTE) && a->local.family != a->remote.family) {
		cli_err("%s: local and remote addresses are of different families", cmd);
		return -EINVAL;
	}
	return scope_interface(a);
}

/* argv[1] must be one of two verbs ("add" / "del"). */
static int verb(int argc, char **argv, const char *cmd, const char *v1, const char *v2)
{
	if (argc >= 2 && (!strcmp(argv[1], v1) || !strcmp(argv[1], v2)))
		return 0;
	if (argc < 2)
		cli_err("%s needs \"%s\" or \"%s\"; see \"mpsteer help %s\"", cmd, v1, v2, cmd);
	else
		cli_err("%s: expected \"%s\" or \"%s\", not \"%s\"", cmd, v1, v2, argv[1]);
	return -EINVAL;
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
	struct args a;
	struct mps_pm *pm;
	bool add;

	if (verb(argc, argv, "subflow", "add", "del"))
		return EX_USAGE;
	add = !strcmp(argv[1], "add");
	if (parse_kv(add ? "subflow add" : "subflow del", argc - 2, argv + 2,
		     add ? KW_TOKEN | KW_LOCAL | KW_REMOTE | KW_ID | KW_DEV
			 : KW_TOKEN | KW_LOCAL | KW_REMOTE,
		     KW_TOKEN | KW_LOCAL | KW_REMOTE, &a))
		return EX_USAGE;
	if (!a.remote.port || (!add && !a.local.port)) {
		cli_err("subflow: %s needs a port", !a.remote.port ? "remote" : "local");
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
	struct args a;
	struct mps_pm *pm;

	if (verb(argc, argv, "backup", "on", "off") ||
	    parse_kv("backup", argc - 2, argv + 2, KW_TOKEN | KW_LOCAL | KW_REMOTE,
		     KW_TOKEN | KW_LOCAL | KW_REMOTE, &a))
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
	struct args a;
	struct mps_pm *pm;

	if (parse_kv("announce", argc - 1, argv + 1, KW_TOKEN | KW_ADDR | KW_ID | KW_DEV,
		     KW_TOKEN | KW_ADDR | KW_ID, &a))
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
	struct args a;
	struct mps_pm *pm;

	if (parse_kv("remove", argc - 1, argv + 1, KW_TOKEN | KW_ID, KW_TOKEN | KW_ID, &a))
		return EX_USAGE;
	pm = open_pm();
	if (!pm)
		return EX_NOPERM;
	return finish(pm, mps_pm_remove(pm, a.token, a.id), "remove");
}
