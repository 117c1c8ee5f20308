/* SPDX-License-Identifier: MIT */
/*
 * seccomp mode of `mpsteer run`. The child installs a filter that sends only
 *   socket(AF_INET|AF_INET6, SOCK_STREAM [| flags], 0|IPPROTO_TCP)
 * to the supervisor (SECCOMP_RET_USER_NOTIF); every other syscall, and every other socket(),
 * is allowed inside the kernel without waking anybody. The filter is inherited by threads,
 * children and exec, so static binaries, Go programs and grandchildren are all covered.
 *
 * For each notification the supervisor creates socket(domain, type, IPPROTO_MPTCP) itself, in
 * the caller's network namespace, and installs it in the caller with SECCOMP_IOCTL_NOTIF_ADDFD +
 * SECCOMP_ADDFD_FLAG_SEND: the new descriptor atomically becomes socket()'s return value. If
 * anything fails it answers SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the kernel performs the
 * original call: the program gets the TCP socket, or the very error, it would have got alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cli.h"
#include "run.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
/* Kernel 5.14; carried for older uapi headers. */
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

struct seccomp_state {
	int listener;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size;
	uint32_t arch;   /* native audit arch: other ABIs are never converted */
	int nr_socket;
	struct stat netns; /* the supervisor's own network namespace */
	int netns_fd;
	bool warned_addfd;
};

/* ---- child: filter ---------------------------------------------------------------------- */

static int filter_rules(scmp_filter_ctx ctx)
{
	static const int domains[] = { AF_INET, AF_INET6 };
	static const int protos[] = { 0, IPPROTO_TCP };
	size_t d, p;
	int ret;

	for (d = 0; d < 2; d++) {
		for (p = 0; p < 2; p++) {
			/* 32-bit compares: the kernel reads these arguments as int. */
			ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(socket), 3,
					       SCMP_A0_32(SCMP_CMP_EQ, domains[d], 0),
					       SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM),
					       SCMP_A2_32(SCMP_CMP_EQ, protos[p], 0));
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/*
 * Returns the listener fd or -errno. no_new_privs is set only when the kernel demands it (no
 * CAP_SYS_ADMIN): as root, setuid programs started by CMD keep working.
 */
static int filter_install(void)
{
	scmp_filter_ctx ctx;
	int ret;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* 32-bit (i386) or x32 calls are not converted, but must not be killed either. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	/* The kernel's errno (EBUSY: another listener), not libseccomp's ECANCELED. */
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!ret)
		ret = filter_rules(ctx);
	if (!ret)
		ret = seccomp_load(ctx);
	if (ret == -EACCES) {
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
		if (!ret)
			ret = seccomp_load(ctx);
	}
	if (!ret)
		ret = seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	return ret;
}

/* One message: an int (0 or errno) and, on success, the listener as SCM_RIGHTS. */
static int send_listener(int sock, int fd, int err)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void seccomp_child(const struct run_opts *o, void *arg)
{
	int sock = *(int *)arg;
	int fd;

	fd = filter_install();
	/* In flight, the listener stays alive even if we exec before the parent reads it. */
	if (send_listener(sock, fd, fd < 0 ? -fd : 0) < 0 || fd < 0)
		_exit(EX_UNAVAILABLE);
	close(fd);
	close(sock);
	run_exec(o->argv);
}

/* ---- supervisor: notifications ---------------------------------------------------------- */

static int recv_listener(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int err = 0, fd = -1;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != sizeof(err))
		return -EPIPE; /* the child died before it could say anything */
	if (err)
		return -err;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void respond_continue(struct seccomp_state *st)
{
	memset(st->resp, 0, sizeof(*st->resp));
	st->resp->id = st->req->id;
	st->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	/* ENOENT: the caller is gone (killed, or interrupted by a signal); nothing to answer. */
	ioctl(st->listener, SECCOMP_IOCTL_NOTIF_SEND, st->resp);
}

/* socket() in the caller's network namespace, which may differ from ours (unshare, setns). */
static int mptcp_socket(struct seccomp_state *st, int domain, int type)
{
	char path[64];
	struct stat sb;
	int fd, nsfd, err;

	type = (type & ~SOCK_CLOEXEC) | SOCK_CLOEXEC; /* never leak it into our own children */
	snprintf(path, sizeof(path), "/proc/%u/ns/net", st->req->pid);
	/* Without /proc (netns_fd < 0) every process is taken to share our namespace. */
	if (st->netns_fd >= 0 && stat(path, &sb) < 0)
		return -errno;
	if (st->netns_fd < 0 ||
	    (sb.st_ino == st->netns.st_ino && sb.st_dev == st->netns.st_dev)) {
		fd = socket(domain, type, IPPROTO_MPTCP);
		return fd < 0 ? -errno : fd;
	}
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -errno;
	err = setns(nsfd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(nsfd);
	if (err)
		return err;
	fd = socket(domain, type, IPPROTO_MPTCP);
	err = fd < 0 ? -errno : 0;
	/* Every later socket would land in the wrong namespace: give up rather than do that. */
	if (setns(st->netns_fd, CLONE_NEWNET) < 0) {
		cli_err("run: cannot return to the supervisor's network namespace: %s",
			strerror(errno));
		_exit(EX_OSERR);
	}
	return fd < 0 ? err : fd;
}

static bool wanted(const struct seccomp_state *st, const struct seccomp_data *d)
{
	int domain = (int)d->args[0], type = (int)d->args[1], proto = (int)d->args[2];

	/* The filter already checked; this guards against a filter and a supervisor that drift. */
	return d->arch == st->arch && d->nr == st->nr_socket &&
	       (domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM &&
	       (proto == 0 || proto == IPPROTO_TCP);
}

/*
 * Returns the caller's new fd; -ESRCH when the caller no longer waits (nothing to answer); any
 * other -errno when the caller must get its own socket instead.
 */
static int convert(struct seccomp_state *st, int domain, int type)
{
	struct seccomp_notif_addfd addfd = { 0 };
	int sfd, fd;

	sfd = mptcp_socket(st, domain, type);
	if (sfd < 0)
		return sfd;
	/* The pid we looked the namespace up by must still be the caller. */
	if (ioctl(st->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &st->req->id) < 0) {
		close(sfd);
		return -ESRCH;
	}
	addfd.id = st->req->id;
	addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
	addfd.srcfd = (uint32_t)sfd;
	addfd.newfd_flags = (type & SOCK_CLOEXEC) ? O_CLOEXEC : 0;
	fd = ioctl(st->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
	if (fd < 0)
		fd = errno == ENOENT ? -ESRCH : -errno;
	/* Here, not in the caller: socket() itself answers EINVAL to a program's bad flags. */
	if (fd == -EINVAL && !st->warned_addfd) {
		cli_warn("run: this kernel cannot hand over sockets (SECCOMP_ADDFD_FLAG_SEND needs "
			 "Linux 5.14): programs keep plain TCP; try --mode preload");
		st->warned_addfd = true;
	}
	close(sfd);
	return fd;
}

/* fd >= 0: converted; otherwise err says why the kernel's own socket() was let run. */
static void log_socket(const struct seccomp_notif *req, int fd, int err)
{
	int type = (int)req->data.args[1];
	char what[96];

	if (fd >= 0)
		snprintf(what, sizeof(what), "MPTCP fd %d", fd);
	else
		snprintf(what, sizeof(what), "left to the kernel (MPTCP not used: %s)",
			 strerror(err));
	run_log("pid %u: socket(%s, SOCK_STREAM%s%s, %d) -> %s", req->pid,
		run_family_name((int)req->data.args[0]),
		type & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "",
		type & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "", (int)req->data.args[2], what);
}

static void handle_one(struct run_sup *s, struct seccomp_state *st)
{
	const struct seccomp_data *d = &st->req->data;
	int fd;

	if (!wanted(st, d)) {
		s->stats.untouched++;
		respond_continue(st);
		return;
	}
	fd = convert(st, (int)d->args[0], (int)d->args[1]);
	if (fd >= 0) {
		s->stats.converted++;
		if (s->opts->verbose)
			log_socket(st->req, fd, 0);
		return;
	}
	if (fd == -ESRCH)
		return; /* the caller went away while we worked */
	s->stats.fallback++;
	if (s->opts->verbose)
		log_socket(st->req, -1, -fd);
	respond_continue(st);
}

static int on_notify(struct run_sup *s, short revents)
{
	struct seccomp_state *st = s->ctx;

	if (!(revents & POLLIN))
		return -1; /* POLLHUP: no filtered process is left */
	memset(st->req, 0, st->req_size); /* the kernel insists on a zeroed buffer */
	if (ioctl(st->listener, SECCOMP_IOCTL_NOTIF_RECV, st->req) < 0)
		return 0; /* ENOENT: the caller vanished between poll and here */
	handle_one(s, st);
	return 0;
}

/* ---- setup ------------------------------------------------------------------------------ */

static int state_init(struct seccomp_state *st)
{
	struct seccomp_notif_sizes sizes;

	if (seccomp_notify_alloc(&st->req, &st->resp) < 0)
		return -ENOMEM;
	if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	st->req_size = sizes.seccomp_notif;
	st->arch = seccomp_arch_native();
	st->nr_socket = seccomp_syscall_resolve_name("socket");
	/* No /proc (some containers): sockets are made in our namespace, checks skipped. */
	if (stat("/proc/self/ns/net", &st->netns) == 0)
		st->netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return 0;
}

/*
 * Each socket is held only until ADDFD, but a busy program must not run us out of fds. Only
 * once CMD is forked: it keeps the soft limit it was given (a higher one breaks programs that
 * select() or close every fd up to the limit).
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void state_free(struct seccomp_state *st)
{
	seccomp_notify_free(st->req, st->resp);
	if (st->netns_fd >= 0)
		close(st->netns_fd);
	if (st->listener >= 0)
		close(st->listener);
}

static int start(struct run_sup *s, struct seccomp_state *st)
{
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ret = run_spawn(s, seccomp_child, &sv[1]);
	close(sv[1]);
	if (ret == 0) {
		ret = recv_listener(sv[0]);
		if (ret >= 0) {
			st->listener = ret;
			ret = 0;
		}
	}
	close(sv[0]);
	return ret;
}

int run_seccomp(const struct run_opts *o)
{
	struct seccomp_state st = { .listener = -1, .netns_fd = -1 };
	struct run_sup s = { .opts = o, .extra_fd = -1, .ctx = &st, .on_extra = on_notify };
	int ret;

	ret = state_init(&st);
	if (ret < 0) {
		cli_err("run: cannot prepare the supervisor: %s", strerror(-ret));
		state_free(&st);
		return EX_OSERR;
	}
	ret = start(&s, &st);
	if (ret < 0) {
		/* Measured on 6.18: a second listener in the chain fails with EFAULT, not EBUSY. */
		cli_err("run: cannot install the seccomp filter: %s%s", strerror(-ret),
			ret == -EBUSY || ret == -EFAULT
				? " (already under a seccomp listener, e.g. another mpsteer run?); "
				  "try --mode preload"
				: "; try --mode preload");
		if (s.cmd > 0)
			waitpid(s.cmd, NULL, 0);
		state_free(&st);
		return EX_UNAVAILABLE;
	}
	raise_nofile();
	s.extra_fd = st.listener;
	ret = run_supervise(&s);
	state_free(&st);
	return ret;
}
