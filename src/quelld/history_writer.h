/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * history_writer.h - quelld's RRD writer (history_writer.c): the files it
 * keeps (hist_file_ensure), the worker thread it feeds each step, and the
 * per-second recent window it answers "history --recent" from. Beside its
 * source and not in include/: only the daemon writes (issue 13); the
 * readers, schema and file names every program shares are include/history.h.
 */
#ifndef QUELL_HISTORY_WRITER_H
#define QUELL_HISTORY_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "history.h"

struct daemon;

/*
 * hist_file_ensure - make path a usable RRD of schema s: create it if
 * missing (last update t - 1, mode 0640), set a corrupt / incompatible one
 * (not an RRD, other step or DS set) aside as <path>.corrupt-<t> and
 * recreate it, migrate one of an older archive layout (same step and DS)
 * into the current one, keeping the data the new archives can hold.
 * *last: its last update time. Returns 0 (was fine), 1 (created),
 * 2 (set aside and recreated), 3 (migrated), -errno with a message in err.
 */
int hist_file_ensure(const char *path, const struct hist_schema *s, int64_t t, int64_t *last,
		     char *err, size_t errlen);

struct history_stats {
	uint64_t batches;		/* steps handed to the writer */
	uint64_t updates;		/* RRD updates done */
	uint64_t errors;		/* updates that failed */
	uint64_t dropped;		/* batches dropped: writer too far behind */
	uint64_t recreated;		/* corrupt / incompatible files set aside */
	uint64_t created;		/* new files (lazily: first non-zero usage) */
	uint64_t migrated;		/* files of an older layout converted */
	uint64_t deferred;		/* records left for a later step: budget spent */
	uint64_t idle;			/* records of tenants with no file and no usage yet */
	uint64_t last_batch_ns;		/* writer time of the last batch */
	uint64_t max_batch_ns;
	uint64_t last_enqueue_ns;	/* tick-path cost of the last history_tick */
	uint64_t max_enqueue_ns;
	bool rrdcached;			/* updates go through rrdcached */
};

/*
 * history_open - mkdir cfg.rrd_dir (and tenants/), connect to rrdcached if
 * cfg.rrdcached is set (falls back to direct writes with a warning), start
 * the writer thread. d->hist stays NULL when [history] enabled = no.
 */
int history_open(struct daemon *d);
/*
 * history_tick - once per step (now crossing a multiple of cfg.rrd_step_s)
 * copy every tenant's sample and the host view into a batch for the
 * writer thread; otherwise nothing. Never blocks on disk: if the writer is
 * more than a few batches behind, the batch is dropped and counted.
 */
int history_tick(struct daemon *d, time_t now);
/* Write what is queued, stop the writer, disconnect. NULL-safe. */
void history_close(struct daemon *d);
/* Counters for the metrics endpoint / status. Returns 0, -ENODEV when disabled. */
int history_get_stats(struct daemon *d, struct history_stats *out);
/* Wait until everything queued so far is written (tests, benches). */
int history_flush(struct daemon *d);
#define HIST_RECENT_S	300	/* seconds of per-tick peaks kept in memory per tenant */
/*
 * history_recent_json - the dense recent window of tenant: one row per
 * second over (since, until] (at most the last HIST_RECENT_S s), the MAX of
 * the ticks within it for cpu_pct, inflicted_ms_s, io_rbps, io_wbps,
 * mem_bytes (other columns null), in the shape of hist_series_json with
 * cf "MAX" and step 1. Returns 0, -ENODEV (history off), -ENOENT (no window:
 * the tenant never used anything), -ENOMEM.
 */
int history_recent_json(struct daemon *d, const char *tenant, int64_t since, int64_t until,
			json_t **out);
/* The RRD directory the writer uses. Returns 0, -ENODEV when history is off. */
int history_get_dir(struct daemon *d, char *out, size_t len);

#endif /* QUELL_HISTORY_WRITER_H */
