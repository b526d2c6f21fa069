/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prom.h - Prometheus text exposition (format 0.0.4) of quell's tenants,
 * host view and daemon self-metrics. Pure: it renders what it is given into
 * a growable buffer and touches nothing else, so tests feed it literal
 * structs and quelld calls it from the tick thread (src/quelld/metrics_http.c).
 *
 * Metric names follow cAdvisor / node_exporter habits with a quell_ prefix:
 * base units (seconds, bytes), _total on counters, one HELP and TYPE line per
 * family, label values escaped (\\, \", \n). A metric whose valid bit is not
 * set for a tenant is left out for that tenant, never printed as 0.
 */
#ifndef QUELL_PROM_H
#define QUELL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "tenant.h"

/* Growable text buffer; err is sticky (-ENOMEM) so callers check once at the end. */
struct prom_buf {
	char *s;		/* NUL-terminated when len > 0 */
	size_t len, cap;
	int err;
};

void prom_buf_init(struct prom_buf *b);
void prom_buf_free(struct prom_buf *b);
/* Empty the buffer, keep its memory. */
void prom_buf_reset(struct prom_buf *b);
/* Append; return 0 or -ENOMEM (also left in b->err). */
int prom_buf_put(struct prom_buf *b, const char *s, size_t n);
int prom_buf_printf(struct prom_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * prom_escape_label - escape a label value: backslash, double quote and
 * newline become \\, \" and \n. Returns the length written (without the NUL)
 * or -ENOSPC when out is too small (out is then "").
 */
int prom_escape_label(const char *in, char *out, size_t len);

/* One line of quell_actions_total{action="..."}. */
struct prom_action {
	const char *action;
	uint64_t count;
};

#define PROM_MAX_ACTIONS	32

/* The actions taken since start, by name: d->actions (daemon.h). */
struct prom_actions {
	struct prom_action a[PROM_MAX_ACTIONS];
	char names[PROM_MAX_ACTIONS][32];
	int nr;
};

/*
 * prom_actions_count - one more of action (NULL: nothing). The first
 * PROM_MAX_ACTIONS names get a line; later new names are not counted.
 */
void prom_actions_count(struct prom_actions *pa, const char *action);

/* The daemon's own health. NAN / 0 max means "not known": left out. */
struct prom_self {
	const char *version;		/* quell_build_info{version=} */
	double start_time_s;		/* CLOCK_REALTIME epoch of daemon start */
	uint64_t ticks;			/* ticks done */
	double tick_seconds;		/* duration of the last tick */
	double render_seconds;		/* duration of the previous render */
	bool bpf;			/* BPF accounting loaded */
	uint32_t bpf_map_used, bpf_map_max;	/* acct map fill; max 0: unknown */
	/* BPF-side loss and event counters (quell_bpf.h QUELL_STAT_*), valid if bpf */
	uint64_t bpf_acct_full, bpf_task_full, bpf_ringbuf_drop, bpf_io_full;
	uint64_t bpf_events, bpf_unattributed_ns;
	uint64_t bpf_other_inflicted_ns;	/* tenants' run-queue wait behind non-tenant tasks */
	const struct prom_action *actions;
	int nr_actions;
};

/*
 * prom_render - append the whole exposition to b: per-tenant families for
 * the nr tenants in t (NULL entries skipped), then host (h may be NULL)
 * and self (may be NULL). Returns 0 or -ENOMEM.
 */
int prom_render(struct prom_buf *b, struct tenant *const *t, int nr,
		const struct hview *h, const struct prom_self *self);

#endif /* QUELL_PROM_H */
