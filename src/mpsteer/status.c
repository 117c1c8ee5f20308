/* SPDX-License-Identifier: MIT */
/* stub: to be written */
#include "cli.h"
int cmd_status(int argc, char **argv)
{
	cli_err("status: no daemon support yet");
	return EX_UNAVAILABLE;
}
