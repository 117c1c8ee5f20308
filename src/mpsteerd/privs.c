/* SPDX-License-Identifier: MIT */
/*
 * Least privilege. Once started — netlink sockets open, the path_manager sysctl set, the
 * control socket and the metrics listener bound — mpsteerd keeps only what its work from
 * then on needs, however it was started (a unit, `ip netns exec`, a shell):
 *   CAP_NET_ADMIN         path-manager commands, rtnetlink rules and routes, the event
 *                         socket's receive buffer (SO_RCVBUFFORCE) on reload;
 *   CAP_NET_BIND_SERVICE  only while the config announces addresses or serves metrics: the
 *                         listener for an announced port (or a metrics address given on
 *                         reload) may be below net.ipv4.ip_unprivileged_port_start;
 *   CAP_NET_RAW           only with the interactive steering policy and its echo probes;
 *   CAP_SYS_PTRACE        only with [rule NAME] process or cgroup: the owners of sockets are
 *                         found in /proc/PID/fd, of processes with more capabilities too.
 * Everything else leaves the effective, permitted, inheritable, ambient and (with
 * CAP_SETPCAP) bounding sets; no_new_privs is set. Started as root with --user, it first
 * becomes that user, keeping only those capabilities across the switch.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mpsteerd.h"

#define BIT(cap) (1ull << (cap))

uint64_t privs_needed(const struct mpsd_config *c)
{
	uint64_t keep = BIT(CAP_NET_ADMIN);

	if (c->n_announce || c->metrics_listen.family)
		keep |= BIT(CAP_NET_BIND_SERVICE);
	/* The interactive policy's echo probes are raw ICMP sockets. */
	if (c->steer.interactive.probe_ms && mpsd_steer_uses(&c->steer, MPSD_STEER_INTERACTIVE))
		keep |= BIT(CAP_NET_RAW);
	/* Rules by process or cgroup read /proc/PID/fd of processes with more capabilities. */
	if (mpsd_rules_need_process(&c->steer))
		keep |= BIT(CAP_SYS_PTRACE);
	return keep;
}

const char *privs_format(uint64_t caps, char *buf, size_t len)
{
	static const struct {
		int cap;
		const char *name;
	} names[] = { { CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		      { CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE" },
		      { CAP_NET_RAW, "CAP_NET_RAW" },
		      { CAP_SYS_PTRACE, "CAP_SYS_PTRACE" } };
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps & BIT(names[i].cap))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? " " : "",
					      names[i].name);
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

static int caps_get(uint64_t *permitted)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c) < 0)
		return -errno;
	*permitted = c[0].permitted | (uint64_t)c[1].permitted << 32;
	return 0;
}

static int caps_set(uint64_t caps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2] = {
		{ .effective = (uint32_t)caps, .permitted = (uint32_t)caps },
		{ .effective = (uint32_t)(caps >> 32), .permitted = (uint32_t)(caps >> 32) },
	};

	return syscall(SYS_capset, &h, c) < 0 ? -errno : 0;
}

/* Without CAP_SETPCAP (a unit's own bounding set already narrow) nothing can be dropped. */
static void drop_bounding(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0)
			break; /* beyond the kernel's last capability */
		if (in == 1 && !(keep & BIT(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return;
	}
}

static int become(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (!pw)
		return snprintf(err, errlen, "--user %s: no such user", user), -ENOENT;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		int e = -errno;

		snprintf(err, errlen, "--user %s: %s (it needs root: CAP_SETUID, CAP_SETGID)", user,
			 strerror(-e));
		return e;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

int privs_drop(const char *user, uint64_t keep, uint64_t *kept, char *err, size_t errlen)
{
	uint64_t have = 0;
	int ret;

	if ((ret = caps_get(&have)))
		return snprintf(err, errlen, "capget: %s", strerror(-ret)), ret;
	keep &= have;
	drop_bounding(keep);
	if (user && (ret = become(user, err, errlen)))
		return ret;
	if ((ret = caps_set(keep)))
		return snprintf(err, errlen, "capset: %s", strerror(-ret)), ret;
	/* EINVAL: a kernel without ambient capabilities (before 4.3) has none to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		ret = -errno;
		return snprintf(err, errlen, "ambient capabilities: %s", strerror(-ret)), ret;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = -errno;
		return snprintf(err, errlen, "no_new_privs: %s", strerror(-ret)), ret;
	}
	*kept = keep;
	return 0;
}
