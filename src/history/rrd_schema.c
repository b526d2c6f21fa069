// SPDX-License-Identifier: GPL-2.0-only
/*
 * rrd_schema.c - what a quell RRD holds, derived from qm_desc[]: DS and RRA
 * definitions, update lines, file names. Pure (no librrd, no I/O) so the
 * unit tests check it with literal values; the writer (src/quelld/history_writer.c)
 * and the readers (fetch.c, report.c, graph.c) both build on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

/*
 * Metrics kept per tenant (issue 6): CPU, delay inflicted / suffered,
 * memory, IO bytes and ops, nproc, page faults, forks, and the limit hits:
 * the rrd column of QM_TABLE (include/metrics.h), which also fixes their
 * order in the file. Not all 31 metrics: every DS costs 7,328 rows x 8 B =
 * 57 KB per tenant at the retention below (docs/history.md has the arithmetic).
 */
_Static_assert(HH_NR <= HIST_MAX_DS, "host DS count");

static const char *const host_ds_name[HH_NR] = {
	[HH_CPU_PCT] = "cpu_pct",
	[HH_MEM_USED] = "mem_used",
	[HH_MEM_TOTAL] = "mem_total",
	[HH_IO_RBPS] = "io_rbps",
	[HH_IO_WBPS] = "io_wbps",
	[HH_LOAD1] = "load1",
	[HH_PSI_CPU] = "psi_cpu_some",
	[HH_PSI_MEM] = "psi_mem_some",
	[HH_PSI_IO] = "psi_io_some",
	[HH_TENANTS] = "tenants",
	[HH_THROTTLED] = "throttled",
	[HH_FROZEN] = "frozen",
	[HH_TICK_MS] = "tick_ms",
};

/*
 * Retention tiers (issue 11 item 5: at most 1 MB per tenant). Resolution
 * (0 = the step), span, and a row cap for the fine tier so a short step
 * (tests use 1 s) does not blow the budget: the fine tier keeps 6 h or
 * 2,160 rows, whichever is shorter. At step 10 with 16 DS a row is
 * 16 x 8 = 128 bytes; 2,160 + 2 x 1,440 + 2 x 744 + 2 x 400 = 7,328 rows
 * = 937,984 bytes of data (docs/history.md has the whole arithmetic).
 */
static const struct {
	uint64_t res_s, keep_s, max_rows;
} tiers[] = {
	{ 0, 6 * 3600, HIST_FINE_ROWS_MAX },
	{ 60, 86400, 0 },
	{ 3600, 31 * 86400, 0 },
	{ 86400, 400 * 86400, 0 },	/* ~13 months */
};

#define HIST_XFF	"0.5"

int hist_ds_name(const char *key, char out[HIST_DS_NAME_MAX])
{
	size_t i;

	if (!key || !*key)
		return -EINVAL;
	for (i = 0; key[i] && i < HIST_DS_NAME_MAX - 1; i++) {
		char c = key[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			out[i] = c;
		else
			out[i] = '_';
	}
	out[i] = '\0';
	return 0;
}

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/*
 * The fine tier (one PDP per row) keeps AVERAGE only: over a single PDP
 * MAX equals AVERAGE, so every fine row is its own spike and a MAX copy
 * would be 2,160 rows per DS for nothing. Coarser tiers keep both so the
 * step-resolution spikes survive consolidation.
 */
static int schema_rras(uint64_t step_s, struct hist_schema *out)
{
	uint64_t pdp[sizeof(tiers) / sizeof(tiers[0])], rows[sizeof(tiers) / sizeof(tiers[0])];
	int n = 0;

	for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
		uint64_t p = tiers[i].res_s > step_s ? tiers[i].res_s / step_s : 1;
		uint64_t r = div_round_up(tiers[i].keep_s, p * step_s);

		if (tiers[i].max_rows && r > tiers[i].max_rows)
			r = tiers[i].max_rows;

		if (n && p <= pdp[n - 1]) {	/* not coarser: lengthen the previous tier */
			if (r > rows[n - 1])
				rows[n - 1] = r;
			continue;
		}
		pdp[n] = p;
		rows[n] = r;
		n++;
	}
	out->nrra = 0;
	for (int i = 0; i < n; i++) {
		snprintf(out->rra[out->nrra++], HIST_RRA_LEN, "RRA:AVERAGE:" HIST_XFF ":%" PRIu64
			 ":%" PRIu64, pdp[i], rows[i]);
		if (pdp[i] > 1)
			snprintf(out->rra[out->nrra++], HIST_RRA_LEN, "RRA:MAX:" HIST_XFF ":%" PRIu64
				 ":%" PRIu64, pdp[i], rows[i]);
	}
	return 0;
}

static int schema_common(uint64_t step_s, struct hist_schema *out)
{
	if (step_s == 0 || step_s > 3600)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->step_s = step_s;
	/* three steps: one late or dropped batch does not punch a hole */
	out->heartbeat_s = 3 * step_s;
	return schema_rras(step_s, out);
}

int hist_schema_tenant(uint64_t step_s, struct hist_schema *out)
{
	int err = schema_common(step_s, out);

	if (err)
		return err;
	if (hist_tenant_nqm > HIST_MAX_DS)
		return -E2BIG;
	for (int i = 0; i < hist_tenant_nqm; i++) {
		const struct qm_desc *d = &qm_desc[hist_tenant_qm[i]];
		struct hist_ds *ds = &out->ds[out->nds++];

		err = hist_ds_name(d->key, ds->name);
		if (err)
			return err;
		ds->type = d->kind == QM_COUNTER ? HIST_DS_DERIVE : HIST_DS_GAUGE;
		ds->src = (int)d->id;
	}
	return 0;
}

int hist_schema_host(uint64_t step_s, struct hist_schema *out)
{
	int err = schema_common(step_s, out);

	if (err)
		return err;
	for (int i = 0; i < HH_NR; i++) {
		struct hist_ds *ds = &out->ds[out->nds++];

		hist_ds_name(host_ds_name[i], ds->name);
		ds->type = HIST_DS_GAUGE;
		ds->src = i;
	}
	return 0;
}

uint64_t hist_rra_span_s(const char *rra, uint64_t step_s)
{
	char cf[16];
	double xff;
	unsigned long long pdp, rows;

	if (sscanf(rra, "RRA:%15[A-Z]:%lf:%llu:%llu", cf, &xff, &pdp, &rows) != 4)
		return 0;
	return (uint64_t)pdp * (uint64_t)rows * step_s;
}

uint64_t hist_schema_data_bytes(const struct hist_schema *s)
{
	uint64_t rows = 0;

	for (int i = 0; i < s->nrra; i++) {
		char cf[16];
		double xff;
		unsigned long long pdp, r;

		if (sscanf(s->rra[i], "RRA:%15[A-Z]:%lf:%llu:%llu", cf, &xff, &pdp, &r) == 4)
			rows += r;
	}
	return rows * (uint64_t)s->nds * sizeof(double);
}

int hist_schema_find(const struct hist_schema *s, const char *name)
{
	for (int i = 0; i < s->nds; i++)
		if (!strcmp(s->ds[i].name, name))
			return i;
	return -ENOENT;
}

void hist_rec_from_sample(struct hist_rec *r, const char *name, int64_t t,
			  const struct qm_sample *s)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->t = t;
	for (int i = 0; i < hist_tenant_nqm; i++) {
		enum qm_id id = hist_tenant_qm[i];

		if (!qm_valid(s, id))
			continue;
		r->u[i] = s->v[id];
		r->valid |= 1ULL << i;
	}
}

void hist_rec_from_hview(struct hist_rec *r, int64_t t, const struct hview *h)
{
	double v[HH_NR] = {
		[HH_CPU_PCT] = h->cpu_pct,
		[HH_MEM_USED] = h->mem_used,
		[HH_MEM_TOTAL] = h->mem_total,
		[HH_IO_RBPS] = h->io_rbps,
		[HH_IO_WBPS] = h->io_wbps,
		[HH_LOAD1] = h->load[0],
		[HH_PSI_CPU] = h->psi_cpu_some,
		[HH_PSI_MEM] = h->psi_mem_some,
		[HH_PSI_IO] = h->psi_io_some,
		[HH_TENANTS] = h->tenants,
		[HH_THROTTLED] = h->throttled,
		[HH_FROZEN] = h->frozen,
		[HH_TICK_MS] = h->tick_ms,
	};

	memset(r, 0, sizeof(*r));
	r->t = t;
	for (int i = 0; i < HH_NR; i++) {
		if (!isfinite(v[i]) || v[i] < 0)
			continue;
		r->d[i] = v[i];
		r->valid |= 1ULL << i;
	}
}

int hist_update_line(const struct hist_rec *r, char *buf, size_t len)
{
	int nds = r->name[0] ? hist_tenant_nqm : HH_NR;
	size_t pos;
	int n;

	n = snprintf(buf, len, "%" PRId64, r->t);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	pos = (size_t)n;
	for (int i = 0; i < nds; i++) {
		if (!(r->valid & (1ULL << i)))
			n = snprintf(buf + pos, len - pos, ":U");
		else if (r->name[0])
			n = snprintf(buf + pos, len - pos, ":%" PRIu64, r->u[i]);
		else
			n = snprintf(buf + pos, len - pos, ":%.10g", r->d[i]);
		if (n < 0 || (size_t)n >= len - pos)
			return -ENOSPC;
		pos += (size_t)n;
	}
	return (int)pos;
}

static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

int hist_name_escape(const char *name, char *out, size_t len)
{
	size_t o = 0;

	if (!name || !*name)
		return -EINVAL;
	for (size_t i = 0; name[i]; i++) {
		unsigned char c = (unsigned char)name[i];

		if (plain_char((char)c) || (c == '.' && i > 0)) {
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= len)
				return -ENAMETOOLONG;
			snprintf(out + o, 4, "%%%02X", c);
			o += 3;
		}
	}
	out[o] = '\0';
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hist_name_unescape(const char *stem, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; stem[i]; i++) {
		char c = stem[i];

		if (c == '%') {
			int hi = hexval(stem[i + 1]), lo = hi < 0 ? -1 : hexval(stem[i + 2]);

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	if (!o)
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

int hist_path(const char *dir, const char *name, char *out, size_t len)
{
	char stem[3 * TENANT_NAME_MAX + 1];
	int n, err;

	if (!name || !*name) {
		n = snprintf(out, len, "%s/" HIST_HOST_FILE, dir);
	} else {
		err = hist_name_escape(name, stem, sizeof(stem));
		if (err)
			return err;
		n = snprintf(out, len, "%s/" HIST_TENANT_DIR "/%s.rrd", dir, stem);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
