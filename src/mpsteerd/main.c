/* SPDX-License-Identifier: MIT */
/* stub: to be written */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "mpsteerd: not yet\n");
	return 69;
}
