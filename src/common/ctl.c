/* SPDX-License-Identifier: MIT */
/*
 * Control-socket protocol: socket path, framing (one JSON object per line)
 * and request validation. Shared by mpsteerd (server) and mpsteer (client).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"

/* A client waits this long for a reply before giving up on a hung daemon. */
#define CTL_CLIENT_TIMEOUT_S 10

const char *mps_ctl_rundir(void)
{
	const char *d = getenv("MPSTEER_RUNDIR");

	return d && *d ? d : MPS_RUNDIR;
}

int mps_netns_id(unsigned long long *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*ino = (unsigned long long)st.st_ino;
	return 0;
}

int mps_ctl_path(char *buf, size_t len)
{
	unsigned long long ino;
	int n, err = mps_netns_id(&ino);

	if (err)
		return err;
	n = snprintf(buf, len, "%s/mpsteerd-%llu.sock", mps_ctl_rundir(), ino);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int mps_ctl_connect(int *fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTL_CLIENT_TIMEOUT_S };
	int err, s;

	err = mps_ctl_path(sun.sun_path, sizeof(sun.sun_path));
	if (err)
		return err;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* Before connect(), which waits under SO_SNDTIMEO while a hung daemon's backlog is full. */
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mps_ctl_send(int fd, const json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t len;
	int err;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	s[len] = '\0';
	err = write_all(fd, s, len);
	if (!err)
		err = write_all(fd, "\n", 1);
	free(s);
	return err;
}

/* Reads up to and including '\n'. Byte-wise framing is not needed: the
 * protocol is strictly one reply per request, so nothing follows the line. */
static int read_line(int fd, size_t max, char **out, size_t *outlen)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *nl = NULL;

	if (!buf)
		return -ENOMEM;
	while (!nl) {
		ssize_t n;

		if (len == cap) {
			char *nb = cap * 2 > max + 1 ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return cap * 2 > max + 1 ? -EMSGSIZE : -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -ECONNRESET;

			free(buf);
			return err;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	*out = buf;
	*outlen = (size_t)(nl - buf);
	return 0;
}

int mps_ctl_recv(int fd, size_t max, json_t **out)
{
	json_error_t jerr;
	size_t len = 0;
	char *line = NULL;
	json_t *j;
	int err;

	err = read_line(fd, max, &line, &len);
	if (err)
		return err;
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	free(line);
	if (!j)
		return -EBADMSG;
	if (!json_is_object(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	*out = j;
	return 0;
}

int mps_ctl_call(int fd, json_t *req, json_t **reply)
{
	int err;

	if (!json_object_get(req, "v"))
		json_object_set_new(req, "v", json_integer(MPS_CTL_VERSION));
	err = mps_ctl_send(fd, req);
	/*
	 * A daemon that turns a client away ("too many clients") writes its reason and closes at
	 * accept(), so our request may meet a closed socket: the reason is still queued for us,
	 * and it is what the user must see, not "Broken pipe".
	 */
	if (err == -EPIPE || err == -ECONNRESET)
		return mps_ctl_recv(fd, MPS_CTL_MAX_REPLY, reply) ? err : 0;
	if (err)
		return err;
	return mps_ctl_recv(fd, MPS_CTL_MAX_REPLY, reply);
}

json_t *mps_ctl_request_new(const char *cmd)
{
	return json_pack("{s:i, s:s}", "v", MPS_CTL_VERSION, "cmd", cmd);
}

json_t *mps_ctl_error_new(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

json_t *mps_ctl_ok_new(void)
{
	return json_pack("{s:b}", "ok", 1);
}

int mps_ctl_parse_request(const char *line, size_t len, json_t **req, const char **cmd,
			  char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *j, *v, *c;

	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(err, errlen, "malformed JSON: %s", jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "request is not a JSON object");
		goto bad;
	}
	v = json_object_get(j, "v");
	if (v && (!json_is_integer(v) || json_integer_value(v) != MPS_CTL_VERSION)) {
		snprintf(err, errlen, "unsupported protocol version (this daemon speaks %d)",
			 MPS_CTL_VERSION);
		json_decref(j);
		return -EPROTO;
	}
	c = json_object_get(j, "cmd");
	if (!json_is_string(c)) {
		snprintf(err, errlen, "missing \"cmd\" string");
		goto bad;
	}
	*req = j;
	*cmd = json_string_value(c);
	return 0;
bad:
	json_decref(j);
	return -EINVAL;
}
