/* SPDX-License-Identifier: MIT */
/*
 * Socket inode -> owning processes, from the "socket:[N]" links of
 * /proc/PID/fd. One scan fills an open-addressing hash of (inode, pid) pairs;
 * a socket shared by several processes (fork, SCM_RIGHTS) has one pair per
 * process, and lookups report the lowest pid.
 *
 * Every process can vanish or exec while we read it: any failure inside one
 * process's directory skips that process, never the scan.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpsteer/proc.h"

struct owner {
	uint32_t inode; /* 0 = empty slot (no socket has inode 0) */
	pid_t pid;
	char comm[16];
};

struct mps_proc_map {
	struct owner *slots;
	size_t cap; /* power of two */
	size_t n;
};

static size_t slot_of(uint32_t inode, size_t cap)
{
	/* Fibonacci hashing: inodes are sequential, so spread them. */
	return (size_t)((inode * 2654435769u) & (cap - 1));
}

static int map_grow(struct mps_proc_map *m);

static int map_add(struct mps_proc_map *m, uint32_t inode, pid_t pid, const char *comm)
{
	size_t i;
	int err;

	if ((m->n + 1) * 2 > m->cap) {
		err = map_grow(m);
		if (err)
			return err;
	}
	for (i = slot_of(inode, m->cap);; i = (i + 1) & (m->cap - 1)) {
		struct owner *o = &m->slots[i];

		if (o->inode == inode && o->pid == pid)
			return 0; /* dup()ed descriptor */
		if (!o->inode) {
			o->inode = inode;
			o->pid = pid;
			snprintf(o->comm, sizeof(o->comm), "%s", comm);
			m->n++;
			return 0;
		}
	}
}

static int map_grow(struct mps_proc_map *m)
{
	struct mps_proc_map bigger = { .cap = m->cap ? m->cap * 2 : 256 };
	size_t i;

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].inode)
			map_add(&bigger, m->slots[i].inode, m->slots[i].pid, m->slots[i].comm);
	free(m->slots);
	*m = bigger;
	return 0;
}

/* Parses a decimal pid; 0 when s is not one. */
static pid_t parse_pid(const char *s)
{
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > 0x3fffffff)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return (pid_t)v;
}

/* Inode of a "socket:[N]" link target, 0 otherwise. */
static uint32_t socket_inode(const char *target)
{
	unsigned long v;
	char *end;

	if (strncmp(target, "socket:[", 8) != 0)
		return 0;
	errno = 0;
	v = strtoul(target + 8, &end, 10);
	if (errno || end[0] != ']' || end[1] || v > UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

static int scan_pid(struct mps_proc_map *m, pid_t pid)
{
	char path[64], target[64], comm[16] = "";
	bool have_comm = false;
	struct dirent *de;
	uint32_t inode;
	ssize_t n;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return 0; /* gone, or not ours to read */
	while (!err && (de = readdir(d))) {
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		inode = socket_inode(target);
		if (!inode)
			continue;
		if (!have_comm) {
			mps_proc_comm(pid, comm);
			have_comm = true;
		}
		err = map_add(m, inode, pid, comm);
	}
	closedir(d);
	return err;
}

int mps_proc_map_new(struct mps_proc_map **out)
{
	struct mps_proc_map *m = calloc(1, sizeof(*m));
	struct dirent *de;
	pid_t pid;
	DIR *d;
	int err = 0;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	d = opendir("/proc");
	if (!d) {
		err = -errno;
		free(m);
		return err;
	}
	err = map_grow(m);
	while (!err && (de = readdir(d))) {
		pid = parse_pid(de->d_name);
		if (pid)
			err = scan_pid(m, pid);
	}
	closedir(d);
	if (err) {
		mps_proc_map_free(m);
		return err;
	}
	*out = m;
	return 0;
}

void mps_proc_map_free(struct mps_proc_map *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

int mps_proc_map_lookup(const struct mps_proc_map *m, uint32_t inode, pid_t *pid, char comm[16])
{
	const struct owner *best = NULL;
	size_t i;

	if (!m || !m->cap || !inode)
		return -ENOENT;
	for (i = slot_of(inode, m->cap); m->slots[i].inode; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].inode == inode && (!best || m->slots[i].pid < best->pid))
			best = &m->slots[i];
	if (!best)
		return -ENOENT;
	if (pid)
		*pid = best->pid;
	if (comm)
		memcpy(comm, best->comm, 16);
	return 0;
}

int mps_proc_map_owns(const struct mps_proc_map *m, pid_t pid, uint32_t inode)
{
	size_t i;

	if (!m || !m->cap || !inode)
		return false;
	for (i = slot_of(inode, m->cap); m->slots[i].inode; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].inode == inode && m->slots[i].pid == pid)
			return true;
	return false;
}

int mps_proc_exists(pid_t pid)
{
	if (pid <= 0)
		return -ESRCH;
	/* EPERM: it exists but belongs to someone else. */
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	return 0;
}

int mps_proc_comm(pid_t pid, char comm[16])
{
	char path[64];
	ssize_t n;
	int fd, err;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, comm, 15);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (n < 0)
		return err;
	comm[n] = '\0';
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	return 0;
}

int mps_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}
