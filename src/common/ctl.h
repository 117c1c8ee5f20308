/* SPDX-License-Identifier: MIT */
/*
 * Control-socket protocol between mpsteerd and its clients (mpsteer).
 *
 * One daemon per network namespace; its socket is named after the inode of
 * the namespace, so the CLI finds the daemon of its own namespace without
 * flags and daemons of different namespaces never collide.
 *
 * Framing (version 1): one JSON object per line, UTF-8, terminated by '\n'.
 * A client sends a request {"v":1,"cmd":"..." ...} and reads exactly one
 * reply line {"ok":true ...} or {"ok":false,"error":"..."}; it may then send
 * the next request on the same connection. Requests longer than
 * MPS_CTL_MAX_REQUEST bytes are refused and the connection is closed.
 * The full list of requests is documented in mpsteerd(8).
 */
#ifndef MPS_CTL_H
#define MPS_CTL_H

#include <jansson.h>
#include <stddef.h>

#define MPS_CTL_VERSION 1
#define MPS_CTL_MAX_REQUEST 65536u     /* bytes of one request line, '\n' included */
#define MPS_CTL_MAX_REPLY (64u << 20)  /* a client's bound on one reply line */

/* Path of the control socket of the caller's network namespace (unique per netns:
 * MPS_RUNDIR "/mpsteerd-<netns inode>.sock"; env MPSTEER_RUNDIR overrides MPS_RUNDIR). */
int mps_ctl_path(char *buf, size_t len);
/* The inode of the caller's network namespace: names per-netns files under the rundir. */
int mps_netns_id(unsigned long long *ino);
/* Directory holding the sockets (MPSTEER_RUNDIR or MPS_RUNDIR). */
const char *mps_ctl_rundir(void);
/* Connects to this netns' daemon; -ENOENT or -ECONNREFUSED when none runs. */
int mps_ctl_connect(int *fd);
/* One request, one reply. req: JSON object with "v":1 and "cmd"; reply: object with "ok" (bool),
 * and "error" (string) when not ok. Returns 0 / -errno (transport errors only). */
int mps_ctl_call(int fd, json_t *req, json_t **reply);

/* A new request object {"v":1,"cmd":cmd}; NULL on ENOMEM. */
json_t *mps_ctl_request_new(const char *cmd);
/* Writes msg as one line (blocking). */
int mps_ctl_send(int fd, const json_t *msg);
/* Reads one line of at most max bytes and parses it; -EMSGSIZE when longer,
 * -EBADMSG when it is not a JSON object, -ECONNRESET on EOF. */
int mps_ctl_recv(int fd, size_t max, json_t **out);

/*
 * Validates one request line (without its '\n') as the daemon receives it:
 * a JSON object, "v" == 1 (absent means 1), "cmd" a string. On success *req
 * owns the object and *cmd points into it. On failure returns -EINVAL /
 * -EPROTO and puts a message for the error reply into err.
 */
int mps_ctl_parse_request(const char *line, size_t len, json_t **req, const char **cmd,
			  char *err, size_t errlen);
/* {"ok":false,"error":msg}; NULL on ENOMEM. */
json_t *mps_ctl_error_new(const char *msg);
/* {"ok":true}; NULL on ENOMEM. */
json_t *mps_ctl_ok_new(void);

#endif
