/* SPDX-License-Identifier: MIT */
/* stub: to be written */
#include "cli.h"
int cmd_run(int argc, char **argv)
{
	cli_err("run: not implemented yet");
	return EX_UNAVAILABLE;
}
