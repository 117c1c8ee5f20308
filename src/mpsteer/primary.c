/* SPDX-License-Identifier: MIT */
#include "cli.h"
int cmd_primary(int argc, char **argv) { cli_err("primary: not yet"); return EX_UNAVAILABLE; }
