/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hist_rrd.h - what fetch.c and graph.c share inside src/history: the
 * rrdcached address (hist_read_set_rrdcached(), include/history.h) and
 * librrd's error text.
 */
#ifndef QUELL_HIST_RRD_H
#define QUELL_HIST_RRD_H

#include <stddef.h>

/* The rrdcached address to flush through, "" for none. */
const char *hist_rrdcached(void);
/* "what path: librrd's message" into err (if any); clears librrd's error. */
void hist_rrd_err(char *err, size_t errlen, const char *what, const char *path);

#endif /* QUELL_HIST_RRD_H */
