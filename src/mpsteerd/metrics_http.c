/* SPDX-License-Identifier: MIT */
/* The HTTP request head of a metrics scraper, judged without I/O (unit-tested). */
#include <string.h>

#include "mpsteerd.h"

int metrics_http_status(const char *buf, size_t len, size_t max, bool *head)
{
	const char *sp, *path, *end;
	size_t i, mlen;

	*head = false;
	/* The method: capitals then a space, early, or this is not HTTP at all. */
	for (i = 0; i < len && i < 16 && buf[i] >= 'A' && buf[i] <= 'Z'; i++)
		;
	if ((i < len && buf[i] != ' ') || i == 16 || (i == 0 && len))
		return 400;
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (!end)
		end = memmem(buf, len, "\n\n", 2);
	if (!end)
		return len >= max ? 431 : 0;
	mlen = i;
	path = buf + mlen + 1;
	sp = memchr(path, ' ', (size_t)(end - path));
	if (!sp || strncmp(sp + 1, "HTTP/1.", 7))
		return 400;
	*head = mlen == 4 && !memcmp(buf, "HEAD", 4);
	if (!*head && !(mlen == 3 && !memcmp(buf, "GET", 3)))
		return 405;
	if ((size_t)(sp - path) >= 8 && !memcmp(path, "/metrics", 8) &&
	    (sp - path == 8 || path[8] == '?'))
		return 200;
	return 404;
}
