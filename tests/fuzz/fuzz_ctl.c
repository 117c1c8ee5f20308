/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the daemon's control-socket request validation, the
 * first code that touches bytes from any local client. Every input is one
 * request line; a request that validates must have a string "cmd".
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cmd = NULL;
	json_t *req = NULL;
	char err[256];

	if (mps_ctl_parse_request((const char *)data, size, &req, &cmd, err, sizeof(err)) == 0) {
		if (!cmd || !json_is_object(req))
			abort();
		(void)strlen(cmd);
		json_decref(req);
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
	return 0;
}
