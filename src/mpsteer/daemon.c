/* SPDX-License-Identifier: MIT */
/* Client side of the daemon's control socket (protocol: src/common/ctl.h). */
#include <errno.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"

json_t *daemon_call(json_t *req, int *err)
{
	json_t *reply = NULL;
	int fd = -1;

	*err = req ? mps_ctl_connect(&fd) : -ENOMEM;
	if (!*err)
		*err = mps_ctl_call(fd, req, &reply);
	if (fd >= 0)
		close(fd);
	json_decref(req);
	return *err ? NULL : reply;
}

json_t *daemon_conn(json_t *conns_reply, uint32_t token)
{
	json_t *list = json_object_get(conns_reply, "conns"), *c;
	size_t i;

	json_array_foreach(list, i, c)
		if (json_integer_value(json_object_get(c, "token")) == (json_int_t)token)
			return c;
	return NULL;
}
