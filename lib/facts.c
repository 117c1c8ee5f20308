/* SPDX-License-Identifier: MIT */
/*
 * Facts for the health checks that come from files and sockets rather than
 * netlink dumps: event listeners of the whole machine, MPTcpExt counters,
 * an MP_CAPABLE probe, nftables rules that strip the MPTCP option.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpsteer/check.h"
#include "mpsteer/proc.h"
#include "uapi_diag.h"

#define NETLINK_GENERIC_PROTO 16
#define SOL_MPTCP_LEVEL 284
#define MPTCP_INFO_OPT 1

int mps_netlink_line_parse(const char *line, int *proto, uint32_t *groups, uint32_t *inode)
{
	unsigned long long sk, ino;
	unsigned p, g;
	int pid, n;

	/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
	n = sscanf(line, "%llx %u %d %x %*u %*u %*u %*u %*u %llu", &sk, &p, &pid, &g, &ino);
	if (n != 5)
		return -EINVAL;
	*proto = (int)p;
	*groups = g;
	*inode = (uint32_t)ino;
	return 0;
}

/* Sockets of PID's namespace in the group; remembers the first one's inode. */
static int count_in(pid_t pid, unsigned group, uint32_t *first)
{
	char path[64], line[256];
	uint32_t groups, inode;
	int proto, n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/net/netlink", (int)pid);
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		if (mps_netlink_line_parse(line, &proto, &groups, &inode) ||
		    proto != NETLINK_GENERIC_PROTO || !(groups & (1u << (group - 1))))
			continue;
		if (!n++)
			*first = inode;
	}
	fclose(fp);
	return n;
}

static uint64_t netns_of(const char *pid)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

/* Namespaces already counted; a machine has few, a linear list is enough. */
struct seen {
	size_t n, cap;
	uint64_t *v;
};

static bool seen_add(struct seen *s, uint64_t ns)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == ns)
			return false;
	if (s->n == s->cap) {
		uint64_t *v = realloc(s->v, (s->cap ? s->cap * 2 : 64) * sizeof(*v));

		if (!v)
			return false;
		s->v = v;
		s->cap = s->cap ? s->cap * 2 : 64;
	}
	s->v[s->n++] = ns;
	return true;
}

static void name_listener(struct mps_facts *f, uint32_t inode)
{
	struct mps_proc_map *m = NULL;

	if (mps_proc_map_new(&m))
		return;
	if (mps_proc_map_lookup(m, inode, &f->listener_pid, f->listener_comm))
		f->listener_pid = 0;
	mps_proc_map_free(m);
}

int mps_facts_listeners(struct mps_facts *f, unsigned group)
{
	uint64_t self = netns_of("self"), ns;
	uint32_t first_here = 0, first_other = 0, ino = 0;
	struct seen seen = { 0 };
	struct dirent *de;
	DIR *d;
	int n;

	f->listeners_here = f->listeners_all = -1;
	if (!group || group > 32)
		return -EOPNOTSUPP; /* /proc/net/netlink shows only the first 32 groups */
	d = opendir("/proc");
	if (!d)
		return -errno;
	f->listeners_here = f->listeners_all = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		ns = netns_of(de->d_name);
		if (!ns || !seen_add(&seen, ns))
			continue;
		n = count_in((pid_t)atoi(de->d_name), group, &ino);
		if (n <= 0)
			continue;
		f->listeners_all += n;
		if (ns == self) {
			f->listeners_here += n;
			first_here = ino;
		} else if (!first_other) {
			first_other = ino;
		}
	}
	closedir(d);
	free(seen.v);
	if (first_here || first_other)
		name_listener(f, first_here ? first_here : first_other);
	return 0;
}

int mps_mib_parse(const char *text, struct mps_facts *f)
{
	const char *names = strstr(text, "MPTcpExt:"), *values;
	const char *np, *vp;
	size_t n = 0;

	if (!names)
		return -ENOENT;
	values = strstr(names + 9, "MPTcpExt:");
	if (!values)
		return -EINVAL;
	np = names + 9;
	vp = values + 9;
	while (n < MPS_MIB_MAX) {
		unsigned long long v;
		int nl = 0, vl = 0;
		char name[40];

		if (sscanf(np, " %39[A-Za-z0-9]%n", name, &nl) != 1 || *np == '\n')
			break;
		if (sscanf(vp, " %llu%n", &v, &vl) != 1)
			break;
		snprintf(f->mib[n].name, sizeof(f->mib[n].name), "%s", name);
		f->mib[n].total = v;
		f->mib[n].delta = 0;
		n++;
		np += nl;
		vp += vl;
		if (*np == '\n' || !*np)
			break;
	}
	f->n_mib = n;
	return n ? 0 : -EINVAL;
}

int mps_facts_mib(struct mps_facts *f)
{
	char buf[16384];
	size_t len;
	FILE *fp = fopen("/proc/net/netstat", "re");

	if (!fp)
		return -errno;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	return mps_mib_parse(buf, f);
}

void mps_mib_delta(struct mps_facts *f, const struct mps_facts *now)
{
	size_t i, j;

	for (i = 0; i < f->n_mib; i++)
		for (j = 0; j < now->n_mib; j++)
			if (!strcmp(f->mib[i].name, now->mib[j].name)) {
				f->mib[i].delta = now->mib[j].total - f->mib[i].total;
				f->mib[i].total = now->mib[j].total;
				break;
			}
}

static int wait_connected(int fd, unsigned timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int ret, soerr = 0;

	do
		ret = poll(&p, 1, (int)timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	return -soerr;
}

int mps_probe_mptcp(const struct mps_addr *dst, unsigned timeout_ms, enum mps_probe_result *res,
		    int *err)
{
	struct sockaddr_storage ss;
	struct mps_uapi_mptcp_info mi = { 0 };
	socklen_t len = mps_addr_to_sockaddr(dst, &ss);
	socklen_t milen = sizeof(mi);
	int fd, ret;

	*err = 0;
	fd = socket(dst->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MPTCP);
	if (fd < 0) {
		*err = -errno;
		*res = MPS_PROBE_ERROR;
		return *err;
	}
	ret = connect(fd, (struct sockaddr *)&ss, len) ? -errno : 0;
	if (ret == -EINPROGRESS)
		ret = wait_connected(fd, timeout_ms);
	if (ret) {
		*res = ret == -ECONNREFUSED ? MPS_PROBE_REFUSED
		       : ret == -ETIMEDOUT  ? MPS_PROBE_TIMEOUT : MPS_PROBE_ERROR;
		*err = ret;
		close(fd);
		return 0;
	}
	/* After a fallback the kernel refuses MPTCP_INFO (EOPNOTSUPP) or flags it. */
	ret = getsockopt(fd, SOL_MPTCP_LEVEL, MPTCP_INFO_OPT, &mi, &milen) ? -errno : 0;
	if (ret == -EOPNOTSUPP || (!ret && (mi.mptcpi_flags & MPS_MPTCP_INFO_FLAG_FALLBACK)))
		*res = MPS_PROBE_FALLBACK;
	else if (!ret)
		*res = MPS_PROBE_MPTCP;
	else {
		*res = MPS_PROBE_ERROR;
		*err = ret;
	}
	close(fd);
	return 0;
}

/* "table inet filter { # handle 3" -> family, name. */
static void nft_context(const char *l, char *family, char *table, char *chain)
{
	char a[16], b[64];

	if (sscanf(l, " table %15s %63s", a, b) == 2) {
		memcpy(family, a, sizeof(a));
		snprintf(table, 64, "%s", b);
		chain[0] = '\0';
	} else if (sscanf(l, " chain %63s", b) == 1) {
		memcpy(chain, b, sizeof(b));
	}
}

void mps_nft_parse(const char *ruleset, struct mps_facts *f)
{
	char family[16] = "", table[64] = "", chain[64] = "", line[512];
	const char *p = ruleset, *nl;

	f->n_nft = 0;
	while (p && *p && f->n_nft < sizeof(f->nft) / sizeof(f->nft[0])) {
		size_t len;
		char *h;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1),
			 p);
		p = nl ? nl + 1 : NULL;
		nft_context(line, family, table, chain);
		if (!strstr(line, "tcp option mptcp") ||
		    (!strstr(line, "reset tcp option mptcp") && !strstr(line, " drop")))
			continue;
		h = strstr(line, " # handle ");
		if (!h)
			continue;
		struct mps_nft_rule *r = &f->nft[f->n_nft++];

		r->handle = (unsigned)strtoul(h + 10, NULL, 10);
		*h = '\0';
		snprintf(r->family, sizeof(r->family), "%s", family);
		snprintf(r->table, sizeof(r->table), "%s", table);
		snprintf(r->chain, sizeof(r->chain), "%s", chain);
		snprintf(r->text, sizeof(r->text), "%s", line + strspn(line, " \t"));
	}
}
