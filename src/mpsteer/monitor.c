/* SPDX-License-Identifier: MIT */
#include "cli.h"
int cmd_monitor(int argc, char **argv) { cli_err("monitor: not yet"); return EX_UNAVAILABLE; }
