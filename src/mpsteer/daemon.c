/* SPDX-License-Identifier: MIT */
/* Client side of the control socket: see src/common/ctl.h. */
#include <errno.h>

#include "cli.h"

json_t *daemon_call(json_t *req, int *err)
{
	json_decref(req);
	*err = -ENOENT;
	return NULL;
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
