// SPDX-License-Identifier: GPL-2.0-only
/*
 * frame.c - what one frame says besides the rows: the summary header
 * (shared by the screen and batch mode) and the --json encoding.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "top.h"

static void cut(char *line, int width)
{
	if (width > 0 && width < 256 && (int)strlen(line) > width)
		line[width] = '\0';
}

static bool known(const char *s)
{
	return s[0] && strcmp(s, "-");
}

/* "2.1" or "-" */
static char *fmt1(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v);
	return buf;
}

int top_fmt_header(const struct hview *h, const char *when, const char *conn, int width,
		   char lines[TOP_HDR_LINES][256])
{
	char a[16], b[16], c[16], d[16], e[16], f[16], g[16], k[16];

	bool replay = conn && !strcmp(conn, "replay");

	snprintf(lines[0], 256, "quelltop - %s - %s - %s%s - source %s%s%s%s",
		 h->hostname[0] ? h->hostname : "?", when && when[0] ? when : "-",
		 replay ? "history, Left/Right step" : "daemon ", replay ? "" : conn ? conn : "?",
		 h->source[0] ? h->source : "-",
		 known(h->cgroup_mode) ? " (cgroup " : "", known(h->cgroup_mode) ? h->cgroup_mode : "",
		 known(h->cgroup_mode) ? ")" : "");
	/* one buffer per conversion: they are all read by the same snprintf */
	snprintf(lines[1], 256, "load %s %s %s  cpu %s%%/%d%%  mem %s/%s  io r %s/s w %s/s",
		 fmt1(h->load[0], a, sizeof(a)), fmt1(h->load[1], b, sizeof(b)),
		 fmt1(h->load[2], c, sizeof(c)), top_fmt_pct(h->cpu_pct, d, sizeof(d)),
		 h->ncpu * 100, top_fmt_num(h->mem_used, true, e, sizeof(e)),
		 top_fmt_num(h->mem_total, true, f, sizeof(f)),
		 top_fmt_num(h->io_rbps, true, g, sizeof(g)),
		 top_fmt_num(h->io_wbps, true, k, sizeof(k)));
	snprintf(lines[2], 256, "psi avg10 some/full: cpu %s%%  mem %s/%s%%  io %s/%s%%",
		 fmt1(h->psi_cpu_some, a, sizeof(a)), fmt1(h->psi_mem_some, b, sizeof(b)),
		 fmt1(h->psi_mem_full, c, sizeof(c)), fmt1(h->psi_io_some, d, sizeof(d)),
		 fmt1(h->psi_io_full, e, sizeof(e)));
	snprintf(lines[3], 256, "tenants %d  throttled %d  frozen %d  tick %sms  bpf lost %llu",
		 h->tenants, h->throttled, h->frozen, fmt1(h->tick_ms, a, sizeof(a)),
		 (unsigned long long)h->bpf_dropped);
	for (int i = 0; i < TOP_HDR_LINES; i++)
		cut(lines[i], width);
	return 0;
}

/* NAN and INFINITY are "unknown" / "unlimited": JSON null either way */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *top_tview_json(const struct tview *t)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "uid", t->uid >= 0 ? json_integer(t->uid) : json_null());
	json_object_set_new(o, "state", json_string(t->state));
	json_object_set_new(o, "rule", json_string(t->rule));
	json_object_set_new(o, "offender", json_boolean(t->offender));
	for (int c = 0; c < TC_NR; c++) {
		if (c == TC_NAME || c == TC_STATE)
			continue;
		json_object_set_new(o, top_cols[c].json, num(top_col_value(t, (enum top_col_id)c)));
	}
	json_object_set_new(o, "mem_limit", num(t->mem_limit));
	json_object_set_new(o, "cpu_limit_pct", num(t->cpu_limit_pct));
	json_object_set_new(o, "nproc_limit", num(t->nproc_limit));
	return o;
}

json_t *top_hview_json(const struct hview *h)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "hostname", json_string(h->hostname));
	json_object_set_new(o, "load", json_pack("[o,o,o]", num(h->load[0]), num(h->load[1]),
						  num(h->load[2])));
	json_object_set_new(o, "cpu_pct", num(h->cpu_pct));
	json_object_set_new(o, "ncpu", json_integer(h->ncpu));
	json_object_set_new(o, "mem_total", num(h->mem_total));
	json_object_set_new(o, "mem_used", num(h->mem_used));
	json_object_set_new(o, "io_rbps", num(h->io_rbps));
	json_object_set_new(o, "io_wbps", num(h->io_wbps));
	json_object_set_new(o, "psi_cpu_some", num(h->psi_cpu_some));
	json_object_set_new(o, "psi_mem_some", num(h->psi_mem_some));
	json_object_set_new(o, "psi_mem_full", num(h->psi_mem_full));
	json_object_set_new(o, "psi_io_some", num(h->psi_io_some));
	json_object_set_new(o, "psi_io_full", num(h->psi_io_full));
	json_object_set_new(o, "tenants", json_integer(h->tenants));
	json_object_set_new(o, "throttled", json_integer(h->throttled));
	json_object_set_new(o, "frozen", json_integer(h->frozen));
	json_object_set_new(o, "source", json_string(h->source));
	json_object_set_new(o, "cgroup_mode", json_string(h->cgroup_mode));
	json_object_set_new(o, "tick_ms", num(h->tick_ms));
	json_object_set_new(o, "bpf_dropped", json_integer((json_int_t)h->bpf_dropped));
	return o;
}
