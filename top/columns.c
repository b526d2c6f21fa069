// SPDX-License-Identifier: GPL-2.0-only
/*
 * columns.c - quelltop's column table, cell formatting and layout.
 *
 * Every number fits in 4 characters ("999", "9.9k", "512M", "1.5G"), so a
 * row never shifts whatever the magnitudes, and 11 columns fit in 80 chars.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "top.h"

/*
 * Title, JSON key and help of the metric columns are QV_TABLE's (TOP rows,
 * include/metrics.h), in its order; a new TOP row shows with width 5,
 * sorted biggest first, no hot key, dropped first on a narrow terminal
 * (prio 3). The layout below overrides those defaults per column: a later
 * designated initializer wins (C11 6.7.9), hence the pragma.
 */
#define TOP_COL_(id, field, op, a, b, div, rate, top, tc, title, pol, pm, pname, hist, htitle,	\
		 hkey, hfmt, sname, help)							\
	QV_IF_##top([TC_##tc] = { TC_##tc, title, #field, help, 5, false, true, 0, 3 },)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const struct top_col top_cols[TC_NR] = {
	[TC_NAME] = { TC_NAME, "TENANT", "name", "tenant (Unix user or cgroup)",
		      10, true, false, 'N', 0 },
	QV_TABLE(TOP_COL_)
	[TC_HITS] = { TC_HITS, "HITS", "limit_hits",
		      "times a limit was hit (cpu+mem+pids+io), since quelld started",
		      4, false, true, 0, 3 },
	[TC_STATE] = { TC_STATE, "STATE", "state", "ok / throttled / frozen / killed :rule",
		       9, true, true, 'S', 0 },

	/* layout: sorted by what an admin looks at first; prio decides what a narrow terminal drops */
	[TC_CPU].key = 'P',	[TC_CPU].prio = 0,
	[TC_INFL].key = 'H',	[TC_INFL].prio = 0,
	[TC_SUFF].key = 'W',	[TC_SUFF].prio = 0,
	[TC_MEM].key = 'M',	[TC_MEM].prio = 0,	[TC_MEM].width = 9,
	[TC_READ].prio = 1,
	[TC_WRITE].prio = 1,
	[TC_IOPS].key = 'O',	[TC_IOPS].prio = 1,	[TC_IOPS].width = 4,
	[TC_NPROC].key = 'C',	[TC_NPROC].prio = 1,
	[TC_FAULTS].key = 'F',	[TC_FAULTS].prio = 2,
};
#pragma GCC diagnostic pop
#undef TOP_COL_

/* The view behind each metric column (TC_NAME, TC_HITS, TC_STATE have none). */
#define TOP_COL_QV_(id, field, op, a, b, div, rate, top, tc, ...) \
	QV_IF_##top([TC_##tc] = QV_##id,)
static const enum qv_id top_col_qv[TC_NR] = {
	[TC_NAME] = QV_NR, QV_TABLE(TOP_COL_QV_) [TC_HITS] = QV_NR, [TC_STATE] = QV_NR,
};
#undef TOP_COL_QV_

enum top_col_id top_col_by_name(const char *name)
{
	enum top_col_id found = TC_NR;
	size_t n = strlen(name);

	for (int i = 0; i < TC_NR; i++)
		if (!strcasecmp(name, top_cols[i].title) || !strcasecmp(name, top_cols[i].json))
			return (enum top_col_id)i;
	/*
	 * "cpu", "mem", "inflicted": a prefix of exactly one JSON key; of
	 * several ("mem": mem_bytes, mem_inflicted_bps) the one whose title
	 * starts with it as a word too (MEM/LIM), if only one does ("io": not
	 * RD/s, WR/s, nor IOPS, so none).
	 */
	int nkey = 0, ntitle = 0;
	enum top_col_id by_title = TC_NR;

	for (int i = 0; i < TC_NR && n; i++) {
		if (strncasecmp(name, top_cols[i].json, n))
			continue;
		nkey++;
		found = (enum top_col_id)i;
		if (!strncasecmp(name, top_cols[i].title, n) &&
		    !isalnum((unsigned char)top_cols[i].title[n])) {
			ntitle++;
			by_title = (enum top_col_id)i;
		}
	}
	if (nkey == 1)
		return found;
	return ntitle == 1 ? by_title : TC_NR;
}

static double state_rank(const char *s)
{
	static const char *const order[] = { "ok", "throttled", "frozen", "killed" };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(s, order[i]))
			return (double)i;
	return s[0] ? 0.5 : NAN;	/* an unknown state sorts above ok */
}

static double limit_hits(const struct tview *t)
{
	return (double)(t->faults_cpu + t->faults_mem + t->faults_pids + t->faults_io);
}

enum qv_id top_col_view(enum top_col_id c)
{
	return (unsigned)c < TC_NR ? top_col_qv[c] : QV_NR;
}

double top_col_value(const struct tview *t, enum top_col_id c)
{
	if (top_col_view(c) < QV_NR)
		return qv_get(&t->v, top_col_view(c));
	switch (c) {
	case TC_HITS:
		return limit_hits(t);
	case TC_STATE:
		return state_rank(t->state);
	default:
		return NAN;
	}
}

char *top_fmt_num(double v, bool binary, char *buf, size_t len)
{
	static const char dec_sfx[] = "kMGTPE", bin_sfx[] = "KMGTPE";
	const double base = binary ? 1024.0 : 1000.0;
	int unit = -1;

	if (isnan(v) || v < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (isinf(v)) {
		snprintf(buf, len, "inf");
		return buf;
	}
	/* 999.5 and up would print as 4 digits: go to the next unit instead */
	while (v >= 999.5 && unit < 5) {
		v /= base;
		unit++;
	}
	if (unit < 0) {
		/* plain bytes are whole; small rates keep one decimal */
		if (binary || v == 0 || v >= 9.95 || v == floor(v))
			snprintf(buf, len, "%.0f", v);
		else
			snprintf(buf, len, "%.1f", v);
	} else {
		snprintf(buf, len, v < 9.95 ? "%.1f%c" : "%.0f%c", v,
			 (binary ? bin_sfx : dec_sfx)[unit]);
	}
	return buf;
}

char *top_fmt_pct(double v, char *buf, size_t len)
{
	if (isnan(v) || v < 0)
		snprintf(buf, len, "-");
	else if (v < 99.95)
		snprintf(buf, len, "%.1f", v);
	else if (v < 9999.5)
		snprintf(buf, len, "%.0f", v);
	else
		return top_fmt_num(v, false, buf, len);
	return buf;
}

char *top_fmt_cell(const struct tview *t, enum top_col_id c, char *buf, size_t len)
{
	char a[16], b[16];

	switch (c) {
	case TC_NAME:
		snprintf(buf, len, "%s", t->name);
		break;
	case TC_CPU:
		top_fmt_pct(t->v.cpu_pct, buf, len);
		break;
	case TC_MEM:
		top_fmt_num(t->v.mem_bytes, true, a, sizeof(a));
		if (isnan(t->mem_limit) || isinf(t->mem_limit) || t->mem_limit <= 0)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%s", a, top_fmt_num(t->mem_limit, true, b, sizeof(b)));
		break;
	case TC_READ:
	case TC_WRITE:
		top_fmt_num(top_col_value(t, c), true, buf, len);
		break;
	case TC_STATE:
		if (!t->state[0])
			snprintf(buf, len, "-");
		else if (t->rule[0] && strcmp(t->state, "ok"))
			snprintf(buf, len, "%s:%s", t->state, t->rule);
		else
			snprintf(buf, len, "%s", t->state);
		break;
	default:
		top_fmt_num(top_col_value(t, c), false, buf, len);
		break;
	}
	return buf;
}

#define NAME_MAX_WIDTH	20

int top_layout_make(int cols, struct top_layout *l)
{
	int used = 0, extra, maxprio = 0;

	memset(l, 0, sizeof(*l));
	l->cols = cols;
	for (int i = 0; i < TC_NR; i++)
		if (top_cols[i].prio > maxprio)
			maxprio = top_cols[i].prio;
	/* drop the least important columns until the minimum widths fit */
	for (int p = maxprio; p >= 0; p--) {
		used = -1;
		for (int i = 0; i < TC_NR; i++)
			if (top_cols[i].prio <= p)
				used += top_cols[i].width + 1;
		if (used <= cols || p == 0) {
			maxprio = p;
			break;
		}
	}
	for (int i = 0; i < TC_NR; i++) {
		if (top_cols[i].prio > maxprio)
			continue;
		l->col[l->ncols] = (enum top_col_id)i;
		l->width[l->ncols] = top_cols[i].width;
		l->ncols++;
	}
	/* spare room: the name grows first (long user names), then the state and its rule */
	extra = cols - used;
	for (int k = 0; k < l->ncols && extra > 0; k++) {
		if (l->col[k] == TC_NAME) {
			int add = NAME_MAX_WIDTH - l->width[k];

			add = add < extra ? add : extra;
			l->width[k] += add;
			extra -= add;
			used += add;
		}
	}
	for (int k = 0; k < l->ncols && extra > 0; k++) {
		if (l->col[k] == TC_STATE) {
			l->width[k] += extra;
			used += extra;
			extra = 0;
		}
	}
	l->total = used;
	return 0;
}

char *top_fmt_line(const struct top_layout *l, const struct tview *t, int sort_col,
		   bool desc, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (int k = 0; k < l->ncols && off + 1 < len; k++) {
		const struct top_col *c = &top_cols[l->col[k]];
		char cell[96];
		int w = l->width[k], n;

		if (t)
			top_fmt_cell(t, c->id, cell, sizeof(cell));
		else if ((int)c->id == sort_col)
			/* the sort column carries its direction, visible without colours */
			snprintf(cell, sizeof(cell), "%.*s%s", w - 1, c->title, desc ? "v" : "^");
		else
			snprintf(cell, sizeof(cell), "%s", c->title);
		/* text is cut to its column; the last column may run to the edge */
		n = snprintf(buf + off, len - off, "%s%*.*s", k ? " " : "", c->left ? -w : w, w, cell);
		if (n < 0)
			break;
		off += (size_t)n;
		if (off >= len)
			off = len - 1;
	}
	/* below the minimum layout width the line is simply cut at the edge */
	if (l->cols > 0 && off > (size_t)l->cols) {
		off = (size_t)l->cols;
		buf[off] = '\0';
	}
	/* no trailing blanks: batch output stays diff-friendly */
	while (off > 0 && buf[off - 1] == ' ')
		buf[--off] = '\0';
	return buf;
}
