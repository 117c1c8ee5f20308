/* SPDX-License-Identifier: MIT */
/* stub: to be written */
#include "cli.h"
int cmd_systemd(int argc, char **argv)
{
	cli_err("systemd: not implemented yet");
	return EX_UNAVAILABLE;
}
