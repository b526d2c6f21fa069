/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * events_log.h - the audit log: one JSON object per line, appended by quelld
 * for every policy and manual action, rotated by size (path, path.1, ...
 * path.KEEP, oldest last). Format in docs/policy.md ("Audit log").
 *
 * The reader is pure file reading (src/history/events_log.c): the daemon's
 * `events` command and the history graphs (src/history/fetch.c) both use
 * events_log_scan(), newest first, stopping when they have enough.
 */
#ifndef QUELL_EVENTS_LOG_H
#define QUELL_EVENTS_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
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
 * A line of the log (not NUL-terminated, no newline). Return 0 to go on, 1
 * to stop the scan, -errno to stop with an error.
 */
typedef int (*events_line_fn)(const char *line, size_t len, void *arg);
/*
 * events_log_scan - every line of path and its rotated files, newest first:
 * backwards through path, then path.1, path.2, ... up to the first missing
 * one. Reads 64 KiB at a time, so the memory used does not depend on the
 * log's size; lines over 1 MiB are skipped. Returns 0 (all read or fn
 * stopped), -EINVAL, or fn's / a read's -errno.
 */
int events_log_scan(const char *path, events_line_fn fn, void *arg);
/*
 * events_line_time - the "time" field of a line without parsing the JSON
 * (the log is written compact: "time":<number>). Returns 0, -ENOENT, -EINVAL.
 */
int events_line_time(const char *line, size_t len, double *t);
/*
 * events_line_may_match - false only when the line cannot be tenant's event
 * (its "tenant":"<name>" is absent); a prefilter before parsing.
 */
#define QUELL_EVENTS_NEEDLE	160
bool events_line_may_match(const char *line, size_t len, const char *tenant);
/*
 * events_log_read - the newest limit (<= 0 = all) events of path and its
 * rotated files, filtered by tenant (NULL or "" = all) and since (epoch s,
 * 0 = all), returned oldest first. Stops reading as soon as it has limit
 * events or the lines are older than since. Lines that are not JSON objects
 * are skipped. A missing log is an empty array. Returns 0 with *out_array
 * (caller json_decref()s) or -errno.
 */
int events_log_read(const char *path, const char *tenant, time_t since, int limit,
		    json_t **out_array);

#endif /* QUELL_EVENTS_LOG_H */
