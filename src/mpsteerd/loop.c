/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll set, one timerfd armed for the earliest timer of
 * a binary min-heap. Timers are embedded in their owners (no allocation per
 * timer; the heap holds pointers and each timer knows its slot, so arming,
 * re-arming and cancelling are O(log n) with thousands of connections).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "mpsteerd.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rearm(struct mpsd_loop *l)
{
	struct itimerspec its = { 0 };

	if (l->n_heap) {
		uint64_t now = now_ms(), due = l->heap[0]->due_ms;
		uint64_t ms = due > now ? due - now : 1;

		its.it_value.tv_sec = (time_t)(ms / 1000);
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	timerfd_settime(l->tfd, 0, &its, NULL);
}

static void heap_set(struct mpsd_loop *l, size_t i, struct mpsd_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct mpsd_loop *l, size_t i)
{
	struct mpsd_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->due_ms <= t->due_ms)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void sift_down(struct mpsd_loop *l, size_t i)
{
	struct mpsd_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (t->due_ms <= l->heap[c]->due_ms)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct mpsd_loop *l, struct mpsd_timer *t)
{
	size_t i = t->slot - 1;
	struct mpsd_timer *last = l->heap[--l->n_heap];

	t->slot = 0;
	t->due_ms = 0;
	if (last == t)
		return;
	heap_set(l, i, last);
	sift_down(l, i);
	sift_up(l, last->slot - 1);
}

void timer_cancel(struct mpsd *d, struct mpsd_timer *t)
{
	bool first;

	if (!t->slot)
		return;
	first = d->loop.heap[0] == t;
	heap_remove(&d->loop, t);
	if (first)
		rearm(&d->loop);
}

void timer_arm(struct mpsd *d, struct mpsd_timer *t, uint64_t ms, mpsd_timer_cb cb, void *data)
{
	struct mpsd_loop *l = &d->loop;
	struct mpsd_timer *first = l->n_heap ? l->heap[0] : NULL;

	if (t->slot)
		heap_remove(l, t);
	if (l->n_heap == l->cap_heap) {
		size_t n = l->cap_heap ? l->cap_heap * 2 : 64;
		struct mpsd_timer **h = realloc(l->heap, n * sizeof(*h));

		if (!h) {
			log_err("out of memory for a timer: it will not fire");
			return;
		}
		l->heap = h;
		l->cap_heap = n;
	}
	t->due_ms = now_ms() + ms;
	t->cb = cb;
	t->data = data;
	heap_set(l, l->n_heap++, t);
	sift_up(l, l->n_heap - 1);
	if (l->heap[0] != first || first == t)
		rearm(l);
}

static void run_timers(struct mpsd *d, int fd, uint32_t events, void *data)
{
	struct mpsd_loop *l = &d->loop;
	uint64_t exp, now = now_ms();

	if (read(l->tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
	while (l->n_heap && l->heap[0]->due_ms <= now) {
		struct mpsd_timer *t = l->heap[0];

		heap_remove(l, t);
		t->cb(d, t->data); /* may re-arm t or free its owner */
	}
	rearm(l);
}

int loop_add(struct mpsd *d, int fd, uint32_t events, mpsd_io_cb cb, void *data)
{
	struct mpsd_loop *l = &d->loop;
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if ((size_t)fd >= l->n_io) {
		size_t n = (size_t)fd * 2 + 16;
		struct mpsd_io *io = realloc(l->io, n * sizeof(*io));

		if (!io)
			return -ENOMEM;
		memset(io + l->n_io, 0, (n - l->n_io) * sizeof(*io));
		l->io = io;
		l->n_io = n;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->io[fd] = (struct mpsd_io){ .cb = cb, .data = data };
	return 0;
}

int loop_mod(struct mpsd *d, int fd, uint32_t events, void *data)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(d->loop.epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(struct mpsd *d, int fd)
{
	epoll_ctl(d->loop.epfd, EPOLL_CTL_DEL, fd, NULL);
	if ((size_t)fd < d->loop.n_io)
		d->loop.io[fd].cb = NULL;
}

int loop_init(struct mpsd *d)
{
	struct mpsd_loop *l = &d->loop;

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0)
		return -errno;
	return loop_add(d, l->tfd, EPOLLIN, run_timers, NULL);
}

void loop_fini(struct mpsd *d)
{
	struct mpsd_loop *l = &d->loop;

	if (l->tfd >= 0)
		close(l->tfd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->tfd = l->epfd = -1;
	free(l->io);
	l->io = NULL;
	l->n_io = 0;
	/* Every owner cancelled its timers before this (stop() in main.c). */
	free(l->heap);
	l->heap = NULL;
	l->n_heap = l->cap_heap = 0;
}

void loop_stop(struct mpsd *d)
{
	d->loop.stopping = true;
}

int loop_run(struct mpsd *d)
{
	struct mpsd_loop *l = &d->loop;
	struct epoll_event evs[32];

	l->stopping = false;
	while (!l->stopping) {
		int n = epoll_wait(l->epfd, evs, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stopping; i++) {
			int fd = evs[i].data.fd;

			/* A handler may have closed a later fd of this batch. */
			if ((size_t)fd < l->n_io && l->io[fd].cb)
				l->io[fd].cb(d, fd, evs[i].events, l->io[fd].data);
		}
	}
	return 0;
}
