/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll set, one timerfd armed for the earliest timer
 * of a sorted list. Timers are embedded in their owners (no allocation) and
 * cancelled by the owner before it is freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "mpsteerd.h"

struct io_handler {
	int fd;
	mpsd_io_cb cb;
	void *data;
};

static int epfd = -1, tfd = -1;
static bool stopping;
static struct mpsd_timer *timers, *timers_tail; /* sorted by due_ms */
/* Handlers are indexed by fd: fds are small and dense in this process. */
static struct io_handler *handlers;
static size_t n_handlers;

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rearm(void)
{
	struct itimerspec its = { 0 };

	if (timers) {
		uint64_t now = now_ms(), due = timers->due_ms;
		uint64_t d = due > now ? due - now : 1;

		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
	}
	timerfd_settime(tfd, 0, &its, NULL);
}

static void unlink_timer(struct mpsd_timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else if (timers == t)
		timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else if (timers_tail == t)
		timers_tail = t->prev;
	t->prev = t->next = NULL;
	t->due_ms = 0;
}

void timer_cancel(struct mpsd_timer *t)
{
	bool first = timers == t;

	if (!t->due_ms)
		return;
	unlink_timer(t);
	if (first)
		rearm();
}

/* Inserted from the tail: a new timer is usually the latest (same backoff
 * for many connections), which keeps a burst of them O(1) each. */
void timer_arm(struct mpsd_timer *t, uint64_t ms, mpsd_timer_cb cb, void *data)
{
	struct mpsd_timer *after;

	if (t->due_ms)
		unlink_timer(t);
	t->due_ms = now_ms() + ms;
	t->cb = cb;
	t->data = data;
	for (after = timers_tail; after && after->due_ms > t->due_ms; after = after->prev)
		;
	t->prev = after;
	t->next = after ? after->next : timers;
	if (t->next)
		t->next->prev = t;
	else
		timers_tail = t;
	if (after)
		after->next = t;
	else
		timers = t;
	if (timers == t)
		rearm();
}

static void run_timers(int fd, uint32_t events, void *data)
{
	uint64_t exp, now = now_ms();

	if (read(tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
	while (timers && timers->due_ms <= now) {
		struct mpsd_timer *t = timers;

		unlink_timer(t);
		t->cb(t->data); /* may re-arm t or free its owner */
	}
	rearm();
}

int loop_add(int fd, uint32_t events, mpsd_io_cb cb, void *data)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if ((size_t)fd >= n_handlers) {
		size_t n = (size_t)fd * 2 + 16;
		struct io_handler *h = realloc(handlers, n * sizeof(*h));

		if (!h)
			return -ENOMEM;
		memset(h + n_handlers, 0, (n - n_handlers) * sizeof(*h));
		handlers = h;
		n_handlers = n;
	}
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	handlers[fd] = (struct io_handler){ .fd = fd, .cb = cb, .data = data };
	return 0;
}

int loop_mod(int fd, uint32_t events, void *data)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	if ((size_t)fd < n_handlers)
		handlers[fd].cb = NULL;
}

int loop_init(void)
{
	int err;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0)
		return -errno;
	err = loop_add(tfd, EPOLLIN, run_timers, NULL);
	return err;
}

void loop_fini(void)
{
	if (tfd >= 0)
		close(tfd);
	if (epfd >= 0)
		close(epfd);
	tfd = epfd = -1;
	free(handlers);
	handlers = NULL;
	n_handlers = 0;
	timers = timers_tail = NULL;
}

void loop_stop(void)
{
	stopping = true;
}

int loop_run(void)
{
	struct epoll_event evs[32];

	stopping = false;
	while (!stopping) {
		int n = epoll_wait(epfd, evs, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !stopping; i++) {
			int fd = evs[i].data.fd;

			/* A handler may have closed a later fd of this batch. */
			if ((size_t)fd < n_handlers && handlers[fd].cb)
				handlers[fd].cb(fd, evs[i].events, handlers[fd].data);
		}
	}
	return 0;
}
