/* SPDX-License-Identifier: MIT */
/*
 * The metrics listener's request head, as any TCP client can send it: every
 * prefix is judged the way bytes trickle in, and the answer never changes
 * once given (the listener stops reading at the first non-zero status).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteerd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = size > 64 ? 64 + data[0] : 4096, n;
	bool head;
	int st, first = 0;

	for (n = 0; n <= size && n <= max; n++) {
		st = metrics_http_status((const char *)data, n, max, &head);
		if (st != 0 && st != 200 && st != 400 && st != 404 && st != 405 && st != 431)
			abort();
		if (head && (n < 5 || memcmp(data, "HEAD ", 5)))
			abort(); /* only a HEAD request is answered without a body */
		if (!first && st)
			first = st;
		if (first && n == max && !st)
			abort(); /* a full buffer must be answered */
	}
	return 0;
}
