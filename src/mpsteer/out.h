/* SPDX-License-Identifier: MIT */
/* Output helpers shared by the commands: JSON emission and text formatting. */
#ifndef MPS_OUT_H
#define MPS_OUT_H

#include <jansson.h>
#include <stdint.h>

#include "mpsteer/mpsteer.h"

/* Prints j (compact, or indented with -p) and a newline; takes the reference. */
void out_json(json_t *j);
/* "12.3M" style, for people. */
const char *out_bytes(uint64_t v, char *buf, size_t len);
/* JSON string of an address without port, or null when unset. */
json_t *out_addr_ip(const struct mps_addr *a);
/* JSON string "addr:port" / "[addr6]:port". */
json_t *out_addr(const struct mps_addr *a);
/* true when this process has CAP_NET_ADMIN (effective). */
int out_has_net_admin(void);

#endif
