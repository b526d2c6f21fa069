// SPDX-License-Identifier: GPL-2.0-only
/* source_rrd.c - quelltop replay source over the RRD files (placeholder, being written). */
#include <errno.h>

#include "source.h"

int top_source_rrd_open(const char *rrd_dir, time_t at, struct top_source *out)
{
	return -ENOSYS;
}
