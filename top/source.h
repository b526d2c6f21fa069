/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * source.h - where quelltop gets its data: one narrow vtable (htop's rule:
 * the screen reads data only through one interface).
 *
 * Two implementations:
 *   top/source_socket.c  live: quelld's socket API (include/proto.h)
 *   top/source_rrd.c     replay: the per-tenant RRD files (issue 6, `--at`)
 *
 * The UI never knows which one it talks to. Every op returns 0 or -errno;
 * an op a source cannot do returns -ENOTSUP (the UI says so and goes on).
 * Ops never print and never exit; the UI decides what to show.
 *
 * Ownership: arrays handed out (*tv, *pv) are malloc()ed by the source and
 * free()d by the caller; *limits_events is a new jansson reference the
 * caller json_decref()s. On error nothing is handed out (*tv = NULL, *n = 0).
 */
#ifndef QUELL_TOP_SOURCE_H
#define QUELL_TOP_SOURCE_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "proto.h"

struct top_source;

struct top_source_ops {
	/*
	 * fetch - one frame: host view *h and every tenant (*tv, *n; any order,
	 * the UI sorts). when: label of the instant shown in the header, e.g.
	 * "live" or "2026-11-20 03:10:00" for a replay.
	 * Returns 0; -ECONNREFUSED / -ENOENT / -EPIPE / ... when the daemon is
	 * unreachable (the UI shows "daemon unreachable, retrying" and calls
	 * fetch again next refresh: the source reconnects by itself);
	 * -EBADMSG for a reply it cannot decode; -ENODATA when a replay has
	 * no data at that instant.
	 */
	int (*fetch)(struct top_source *s, struct hview *h, struct tview **tv, int *n,
		     char *when, size_t len);
	/*
	 * detail - drill-down into one tenant: its processes (*pv, *np) and a
	 * JSON object {"limits": {...}, "events": [...]} in *limits_events
	 * (either key may be missing; NULL if the source has none).
	 * Returns 0, -EREMOTEIO when the daemon refused (unknown tenant),
	 * -ENOENT when a replay has no such tenant, -errno.
	 */
	int (*detail)(struct top_source *s, const char *tenant, struct pview **pv, int *np,
		      json_t **limits_events);
	/*
	 * action - cmd is "throttle", "release" or "kill" on tenant. On
	 * -EREMOTEIO (or -EACCES: this user may not) err holds the daemon's
	 * message. Replay: -ENOTSUP.
	 */
	int (*action)(struct top_source *s, const char *cmd, const char *tenant,
		      char *err, size_t len);
	/*
	 * step - replay: move the instant by dir steps (-1 back, +1 forward;
	 * the source picks the step, e.g. the RRD resolution). Returns 0,
	 * -ERANGE at either end of the history; live sources: -ENOTSUP.
	 */
	int (*step)(struct top_source *s, int dir);
	/* close - release everything; s may be closed once. May be NULL. */
	void (*close)(struct top_source *s);
};

struct top_source {
	const struct top_source_ops *ops;
	void *priv;
};

/*
 * top_source_socket_open - live source on quelld's socket at sock_path.
 * Does not connect yet (so quelltop starts even when the daemon is down):
 * each fetch connects if needed. Returns 0 or -ENOMEM / -ENAMETOOLONG.
 */
int top_source_socket_open(const char *sock_path, struct top_source *out);

/*
 * top_source_rrd_open - replay source over the RRD files in rrd_dir,
 * starting at instant at (CLOCK_REALTIME seconds). Implemented in
 * top/source_rrd.c. Returns 0 or -errno (-ENOENT: no history there).
 */
int top_source_rrd_open(const char *rrd_dir, time_t at, struct top_source *out);

/* top_source_close - NULL-safe close; leaves *s zeroed. */
static inline void top_source_close(struct top_source *s)
{
	if (s && s->ops && s->ops->close)
		s->ops->close(s);
	if (s) {
		s->ops = NULL;
		s->priv = NULL;
	}
}

#endif /* QUELL_TOP_SOURCE_H */
