/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "out.h"

void out_json(json_t *j)
{
	size_t flags = JSON_PRESERVE_ORDER | (cli.pretty ? JSON_INDENT(2) : JSON_COMPACT);

	json_dumpf(j, stdout, flags);
	fputc('\n', stdout);
	json_decref(j);
}

const char *out_bytes(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	double d = (double)v;
	int u = -1;

	while (d >= 1024.0 && u < 4) {
		d /= 1024.0;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)v);
	else
		snprintf(buf, len, "%.1f%ciB", d, units[u]);
	return buf;
}

json_t *out_addr_ip(const struct mps_addr *a)
{
	struct mps_addr ip = *a;
	char buf[MPS_ADDRSTRLEN];

	if (!mps_addr_is_set(a))
		return json_null();
	ip.port = 0;
	return json_string(mps_addr_format(&ip, buf, sizeof(buf)));
}

json_t *out_addr(const struct mps_addr *a)
{
	char buf[MPS_ADDRSTRLEN];

	if (!mps_addr_is_set(a))
		return json_null();
	return json_string(mps_addr_format(a, buf, sizeof(buf)));
}

int out_has_net_admin(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 1; /* cannot tell: let the kernel decide */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return !!(eff & (1ULL << 12)); /* CAP_NET_ADMIN */
}
