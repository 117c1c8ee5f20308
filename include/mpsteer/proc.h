/* SPDX-License-Identifier: MIT */
/*
 * Socket inode -> owning process, through /proc/PID/fd ("socket:[INODE]").
 */
#ifndef MPSTEER_PROC_H
#define MPSTEER_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mps_proc_map;

/* Scans /proc once. Processes that vanish during the scan are skipped. */
int mps_proc_map_new(struct mps_proc_map **out);
void mps_proc_map_free(struct mps_proc_map *m);
/* First (lowest pid) owner of the socket inode; -ENOENT when none. comm may be NULL. */
int mps_proc_map_lookup(const struct mps_proc_map *m, uint32_t inode, pid_t *pid, char comm[16]);
/* true when pid holds a descriptor of the socket inode. */
int mps_proc_map_owns(const struct mps_proc_map *m, pid_t pid, uint32_t inode);
/* -ESRCH when the process does not exist. */
int mps_proc_exists(pid_t pid);
int mps_proc_comm(pid_t pid, char comm[16]);
/* The first line of a small file (a sysctl under /proc/sys), without its newline. */
int mps_read_line(const char *path, char *buf, size_t len);

#endif
