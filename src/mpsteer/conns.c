/* SPDX-License-Identifier: MIT */
#include "cli.h"
int cmd_conns(int argc, char **argv) { cli_err("conns: not yet"); return EX_UNAVAILABLE; }
