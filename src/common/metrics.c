// SPDX-License-Identifier: GPL-2.0-only
/* metrics.c - the metric catalogue and rate maths. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "metrics.h"

#define QM_DESC_(id_, key_, kind_, unit_, rrd_, prom_, plabel_, pexp_, phelp_, help_) \
	[QM_##id_] = { QM_##id_, QM_##kind_, key_, unit_, rrd_, prom_, plabel_, pexp_, phelp_, help_ },
const struct qm_desc qm_desc[QM_NR] = { QM_TABLE(QM_DESC_) };
#undef QM_DESC_

#define QV_DESC_(id_, field_, op_, a_, b_, div_, rate_, top_, tc_, title_, pol_, pm_, pname_,	\
		 hist_, htitle_, hkey_, hfmt_, sname_, help_)						\
	[QV_##id_] = { QV_##id_, #field_, offsetof(struct qm_view, field_), QV_##op_,	\
		       QM_##a_, QM_##b_, div_, rate_, title_, pname_, htitle_, hkey_, sname_, help_ },
const struct qv_desc qv_desc[QV_NR] = { QV_TABLE(QV_DESC_) };
#undef QV_DESC_

/*
 * The tenant RRD's DS list in file order, from the rrd column: the row with
 * rrd = k goes to slot k - 1. Rows not kept (rrd 0) get a slot each past
 * the end, so no two rows share one: two rows with the same rrd number
 * would initialise one slot twice, which -Werror (-Woverride-init) refuses.
 * A gap in the numbers is caught by test_metrics.
 */
#define QM_RRD_SLOT_(id_, key_, kind_, unit_, rrd_, ...) \
	[(rrd_) > 0 ? (rrd_) - 1 : QM_NR + QM_##id_] = QM_##id_,
const enum qm_id qm_rrd_ids[2 * QM_NR] = { QM_TABLE(QM_RRD_SLOT_) };
#undef QM_RRD_SLOT_
#define QM_RRD_COUNT_(id_, key_, kind_, unit_, rrd_, ...) + ((rrd_) > 0)
const int qm_rrd_nr = 0 QM_TABLE(QM_RRD_COUNT_);
#undef QM_RRD_COUNT_

enum qm_id qm_by_key(const char *key)
{
	for (int i = 0; i < QM_NR; i++)
		if (!strcmp(qm_desc[i].key, key))
			return (enum qm_id)i;
	return QM_NR;
}

enum qv_id qv_by_key(const char *key)
{
	for (int i = 0; i < QV_NR; i++)
		if (!strcmp(qv_desc[i].key, key))
			return (enum qv_id)i;
	return QV_NR;
}

const char *qm_source_name(enum qm_source src)
{
	switch (src) {
	case QM_SRC_BPF:
		return "bpf";
	case QM_SRC_CGROUP:
		return "cgroup";
	case QM_SRC_PROC:
		return "proc";
	default:
		return "none";
	}
}

int qm_rates_compute(const struct qm_sample *prev, const struct qm_sample *cur,
		     struct qm_rates *out)
{
	double dt;

	if (cur->ts_ns <= prev->ts_ns)
		return -EINVAL;
	dt = (double)(cur->ts_ns - prev->ts_ns) / 1e9;
	out->dt_s = dt;
	for (int i = 0; i < QM_NR; i++) {
		if (!qm_valid(cur, (enum qm_id)i)) {
			out->r[i] = NAN;
			continue;
		}
		if (qm_desc[i].kind == QM_GAUGE) {
			out->r[i] = (double)cur->v[i];
			continue;
		}
		if (!qm_valid(prev, (enum qm_id)i)) {
			out->r[i] = NAN;
			continue;
		}
		if (cur->src[i] != prev->src[i])	/* BPF <-> cgroupfs switch */
			out->r[i] = NAN;
		else if (cur->v[i] < prev->v[i])	/* source restarted: count from 0 */
			out->r[i] = (double)cur->v[i] / dt;
		else
			out->r[i] = (double)(cur->v[i] - prev->v[i]) / dt;
	}
	return 0;
}

/* Every view is one QV_TABLE row: a sum of one or two rates, or a mean per event. */
void qm_view_from_rates(const struct qm_rates *r, struct qm_view *v)
{
	const double *x = r->r;

	for (int i = 0; i < QV_NR; i++) {
		const struct qv_desc *d = &qv_desc[i];
		double y;

		if (d->op == QV_DIV)	/* no events: 0, not a division by zero */
			y = x[d->b] > 0 ? x[d->a] / x[d->b] / d->div : isnan(x[d->b]) ? NAN : 0;
		else if (d->b < QM_NR)
			y = (x[d->a] + x[d->b]) / d->div;
		else
			y = x[d->a] / d->div;
		qv_put(v, (enum qv_id)i, y);
	}
}
