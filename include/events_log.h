/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * events_log.h - the audit log: one JSON object per line, appended by quelld
 * for every policy and manual action, rotated by size (path, path.1, ...
 * path.KEEP, oldest last). Format in docs/policy.md ("Audit log").
 *
 * events_log_read() is pure file reading: quellctl, quelltop and the history
 * graphs use it without a daemon.
 */
#ifndef QUELL_EVENTS_LOG_H
#define QUELL_EVENTS_LOG_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

struct events_log;

/*
 * events_log_open - open (create) path for appending; its directory is
 * created if missing. max_bytes 0 = never rotate; keep = rotated files kept.
 * Returns 0 or -errno.
 */
int events_log_open(const char *path, uint64_t max_bytes, int keep, struct events_log **out);
void events_log_close(struct events_log *l);
/*
 * events_log_append - write ev (borrowed) as one line, rotating first when
 * the line would take the file past max_bytes. "time" (epoch s) is added when
 * absent. One write(2) per line, so concurrent readers never see half a line.
 * Returns 0 or -errno.
 */
int events_log_append(struct events_log *l, json_t *ev);
/*
 * events_log_read - the events of path and its rotated files, oldest first,
 * filtered by tenant (NULL or "" = all) and since (epoch s, 0 = all), keeping
 * the newest limit (<= 0 = all). Lines that are not JSON objects are skipped.
 * A missing log is an empty array. Returns 0 with *out_array (caller
 * json_decref()s) or -errno.
 */
int events_log_read(const char *path, const char *tenant, time_t since, int limit,
		    json_t **out_array);

#endif /* QUELL_EVENTS_LOG_H */
