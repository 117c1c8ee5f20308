/* SPDX-License-Identifier: MIT */
#include "cli.h"
int cmd_subflow(int argc, char **argv) { return EX_UNAVAILABLE; }
int cmd_announce(int argc, char **argv) { return EX_UNAVAILABLE; }
int cmd_remove(int argc, char **argv) { return EX_UNAVAILABLE; }
int cmd_backup(int argc, char **argv) { return EX_UNAVAILABLE; }
