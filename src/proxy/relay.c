/* SPDX-License-Identifier: MIT */
/*
 * The data path: each direction moves bytes src -> pipe -> dst with splice(2),
 * so payload never enters user space. A direction reads from its source only
 * when its pipe is empty: a slow receiver stops the sender (TCP flow control
 * carries the back-pressure to the far end) and at most one pipe's worth of data
 * is ever held per direction. EOF on one side becomes shutdown(SHUT_WR) on the
 * other, after the pipe has drained; the connection ends when both directions have.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy.h"

#define CHUNK (1 << 16)  /* one pipe: the default 16 pages */
#define ROUNDS 8         /* turns per event before yielding to other connections */

static int pipe_open(struct pdir *d)
{
	if (d->pipe[0] >= 0)
		return 0;
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		d->pipe[0] = d->pipe[1] = -1;
		return -errno;
	}
	return 0;
}

/* 0 or -errno (the connection failed). */
static int pump(struct pconn *c, struct pdir *d, int src, int dst)
{
	ssize_t n;
	int r;

	for (int round = 0; round < ROUNDS; round++) {
		if (d->inpipe) {
			n = splice(d->pipe[0], NULL, dst, NULL, d->inpipe,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n < 0 && errno == EAGAIN) {
				d->want_in = false;
				d->want_out = true;
				return 0;
			}
			if (n < 0)
				return -errno;
			d->inpipe -= (size_t)n;
			d->bytes += (uint64_t)n;
			c->last_active = c->p->now;
			continue;
		}
		d->want_out = false;
		if (d->eof) {
			if (!d->shut && shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
				return -errno;
			d->shut = true;
			d->want_in = false;
			return 0;
		}
		r = pipe_open(d);
		if (r)
			return r;
		n = splice(src, NULL, d->pipe[1], NULL, CHUNK, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n == 0) {
			d->eof = true;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			d->want_in = true;
			return 0;
		}
		if (n < 0)
			return -errno;
		d->inpipe += (size_t)n;
	}
	d->want_in = !d->inpipe;
	d->want_out = d->inpipe > 0;
	return 0;
}

static bool dir_done(const struct pdir *d)
{
	return d->shut && !d->inpipe;
}

void relay_start(struct pconn *c)
{
	c->st = PC_RELAY;
	c->last_active = c->p->now;
	c->ab.want_in = c->ba.want_in = true;
	pconn_watch(c);
}

void relay_event(struct pconn *c, struct pside *s, uint32_t ev)
{
	struct proxy *p = c->p;
	uint64_t ab0 = c->ab.bytes, ba0 = c->ba.bytes;
	int r = 0;

	/* Readable (or an error/hangup to discover) on s: its outgoing direction;
	 * writable: the direction into s. Errors show up in the next splice. */
	if (s == &c->a) {
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			r = pump(c, &c->ab, c->a.fd, c->b.fd);
		if (!r && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			r = pump(c, &c->ba, c->b.fd, c->a.fd);
	} else {
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			r = pump(c, &c->ba, c->b.fd, c->a.fd);
		if (!r && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			r = pump(c, &c->ab, c->a.fd, c->b.fd);
	}
	p->ctr.bytes_ab += c->ab.bytes - ab0;
	p->ctr.bytes_ba += c->ba.bytes - ba0;
	if (r) {
		p->ctr.relay_errors++;
		proxy_log(p, r == -ECONNRESET || r == -EPIPE ? PROXY_LOG_DEBUG : PROXY_LOG_INFO,
			  "conn %llu: relay ended: %s", (unsigned long long)c->id, strerror(-r));
		pconn_abort(c, NULL);
		return;
	}
	if (dir_done(&c->ab) && dir_done(&c->ba)) {
		p->ctr.completed++;
		pconn_close(c, NULL);
		return;
	}
	pconn_watch(c);
}

void relay_free(struct pconn *c)
{
	struct pdir *dirs[] = { &c->ab, &c->ba };

	for (int i = 0; i < 2; i++) {
		if (dirs[i]->pipe[0] >= 0) {
			close(dirs[i]->pipe[0]);
			close(dirs[i]->pipe[1]);
		}
		dirs[i]->pipe[0] = dirs[i]->pipe[1] = -1;
	}
}
