// SPDX-License-Identifier: GPL-2.0-only
/* cmd_history.c - quellctl history / report / graph (placeholder, being written). */
#include "ctl.h"

int ctl_cmd_history(struct ctl_ctx *c, int argc, char **argv)
{
	fprintf(c->err, "quellctl history: not implemented yet\n");
	return 1;
}

int ctl_cmd_report(struct ctl_ctx *c, int argc, char **argv)
{
	fprintf(c->err, "quellctl report: not implemented yet\n");
	return 1;
}

int ctl_cmd_graph(struct ctl_ctx *c, int argc, char **argv)
{
	fprintf(c->err, "quellctl graph: not implemented yet\n");
	return 1;
}
