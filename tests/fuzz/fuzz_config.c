/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: mpsteerd's config parser (mpsd_config_load_string), the code that reads
 * a file an operator wrote by hand. The input is the file's text. A config that loads must
 * hold only values in range; one that does not must say why in one NUL-terminated line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteerd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const struct mpsd_config *c)
{
	char buf[32];

	if (c->event_buffer < 4096 || c->event_buffer > (1u << 30) || c->max_subflows < 1 ||
	    c->max_subflows > 64 || c->reconcile_s < 1 || c->reconcile_s > 3600 ||
	    c->retry_max_ms < c->retry_base_ms || c->n_announce > MPSD_MAX_ANNOUNCE ||
	    c->allow.n > MPSD_MAX_PATTERNS || c->deny.n > MPSD_MAX_PATTERNS ||
	    c->backup.n > MPSD_MAX_PATTERNS || c->n_access > MPSD_MAX_ACCESS ||
	    c->ctl_idle_s < 1 || c->ctl_unpriv_queue < 4096)
		abort();
	mpsd_policy_format(&c->client, buf, sizeof(buf));
	mpsd_policy_format(&c->server, buf, sizeof(buf));
	for (size_t i = 0; i < c->allow.n; i++)
		(void)mpsd_matchlist_hit(&c->allow, "eth0", NULL);
	(void)mpsd_config_iface_allowed(c, "wlan0", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpsd_config c;
	char err[256], *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	mpsd_config_defaults(&c);
	memset(err, 'x', sizeof(err));
	if (mpsd_config_load_string("fuzz.conf", text, &c, err, sizeof(err)) == 0)
		check_loaded(&c);
	else if (!memchr(err, '\0', sizeof(err)) || strncmp(err, "fuzz.conf", 9))
		abort();
	free(text);
	return 0;
}
