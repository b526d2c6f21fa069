// SPDX-License-Identifier: GPL-2.0-only
/* quellctl - command-line client of quelld; everything but main() is in ctl_*.c. */
#include "ctl.h"

int main(int argc, char **argv)
{
	struct ctl_ctx c;
	int ret;

	ctl_ctx_init(&c);
	ret = ctl_main(&c, argc, argv);
	ctl_ctx_close(&c);
	if (fflush(stdout) && ret == CTL_EXIT_OK)
		ret = CTL_EXIT_DAEMON;	/* e.g. stdout on a full disk: do not claim success */
	return ret;
}
