// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_metrics.c - the metric catalogue, the rate maths, and every list
 * derived from the catalogue: protocol members, Prometheus families, RRD
 * data sources, policy metric names, quelltop columns, sort and history
 * names. The literal lists below are what each surface said before the
 * lists were derived (issue 13 R8); they must not change by accident.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_encode.h"
#include "history.h"
#include "metrics.h"
#include "policy.h"
#include "prom.h"
#include "tenant.h"
#include "top.h"

static void test_catalogue(void **state)
{
	for (int i = 0; i < QM_NR; i++) {
		assert_int_equal(qm_desc[i].id, i);
		assert_non_null(qm_desc[i].key);
		assert_non_null(qm_desc[i].help);
		assert_int_equal(qm_by_key(qm_desc[i].key), i);
	}
	assert_int_equal(qm_by_key("no_such_metric"), QM_NR);
}

static void test_rates(void **state)
{
	struct qm_sample a = { .ts_ns = 1000000000ULL }, b = { .ts_ns = 3000000000ULL };
	struct qm_rates r;
	struct qm_view v;

	qm_set(&a, QM_CPU_NS, 5000000000ULL, QM_SRC_BPF);
	qm_set(&b, QM_CPU_NS, 6000000000ULL, QM_SRC_BPF);	/* 1 s over 2 s: 50 % */
	qm_set(&a, QM_RQ_INFLICTED_NS, 0, QM_SRC_BPF);
	qm_set(&b, QM_RQ_INFLICTED_NS, 300000000ULL, QM_SRC_BPF);	/* 150 ms/s */
	qm_set(&a, QM_IO_WBYTES, 100, QM_SRC_CGROUP);
	qm_set(&b, QM_IO_WBYTES, 50, QM_SRC_CGROUP);	/* went back: restart, 50/2 */
	qm_set(&a, QM_PGFAULTS, 10, QM_SRC_CGROUP);
	qm_set(&b, QM_PGFAULTS, 20, QM_SRC_BPF);		/* source changed: unknown */
	qm_set(&b, QM_MEM_BYTES, 4096, QM_SRC_CGROUP);	/* gauge: copied */
	qm_set(&b, QM_IO_LAT_NS, 0, QM_SRC_BPF);		/* counter without prev: unknown */
	qm_set(&a, QM_MEM_INFLICTED, 1 << 20, QM_SRC_BPF);
	qm_set(&b, QM_MEM_INFLICTED, 5 << 20, QM_SRC_BPF);	/* 4 MiB over 2 s */
	qm_set(&a, QM_RQ_BEHIND_NS, 1000000ULL, QM_SRC_BPF);
	qm_set(&b, QM_RQ_BEHIND_NS, 41000000ULL, QM_SRC_BPF);	/* 40 ms over 2 s */
	assert_int_equal(qm_rates_compute(&a, &b, &r), 0);
	assert_true(fabs(r.dt_s - 2.0) < 1e-9);
	qm_view_from_rates(&r, &v);
	assert_true(fabs(v.cpu_pct - 50.0) < 1e-9);
	assert_true(fabs(v.inflicted_ms_s - 150.0) < 1e-9);
	assert_true(fabs(v.io_wbps - 25.0) < 1e-9);
	assert_true(isnan(v.faults_s));
	assert_true(fabs(v.mem_bytes - 4096) < 1e-9);
	assert_true(isnan(r.r[QM_IO_LAT_NS]));
	assert_true(isnan(v.suffered_ms_s));	/* never read */
	assert_true(fabs(v.mem_inflicted_bps - 2097152.0) < 1e-9);
	assert_int_equal(qm_by_key("mem_inflicted"), QM_MEM_INFLICTED);
	assert_int_equal(qm_desc[QM_MEM_INFLICTED].kind, QM_COUNTER);
	assert_true(fabs(v.behind_ms_s - 20.0) < 1e-9);
	assert_int_equal(qm_by_key("rq_behind_ns"), QM_RQ_BEHIND_NS);
	assert_int_equal(qm_desc[QM_RQ_BEHIND_NS].rrd, 0);	/* not in the RRD files */
	/* time must move forward */
	assert_int_equal(qm_rates_compute(&b, &a, &r), -22);
	assert_int_equal(qm_rates_compute(&b, &b, &r), -22);
}

static void test_io_latency_view(void **state)
{
	struct qm_rates r;
	struct qm_view v;

	for (int i = 0; i < QM_NR; i++)
		r.r[i] = NAN;
	r.r[QM_IO_LAT_NS] = 8e6;	/* 8 ms of latency per second */
	r.r[QM_IO_LAT_CNT] = 4;		/* over 4 requests per second */
	qm_view_from_rates(&r, &v);
	assert_true(fabs(v.io_lat_ms - 2.0) < 1e-9);
	r.r[QM_IO_LAT_CNT] = 0;		/* no IO: zero latency, not a division by zero */
	qm_view_from_rates(&r, &v);
	assert_true(v.io_lat_ms == 0);
}

/* --- the derived lists, against today's literal ones ---------------------- */

static struct tenant *mk_tenant(const char *name)
{
	struct tenant *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->uid = 1001;
	t->key = 1001;
	limits_init(&t->lim);
	limits_init(&t->dyn);
	return t;
}

/* The keys of the flat JSON object member "name":{...} of text, in order, comma-separated. */
static void member_keys(const char *text, const char *name, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t o = 0;

	snprintf(pat, sizeof(pat), "\"%s\":{", name);
	p = strstr(text, pat);
	assert_non_null(p);
	p += strlen(pat);
	out[0] = '\0';
	while (*p == '"') {
		const char *e = strchr(p + 1, '"');

		assert_non_null(e);
		o += (size_t)snprintf(out + o, len - o, "%s%.*s", o ? "," : "", (int)(e - p - 1),
				      p + 1);
		assert_true(o < len);
		p = strpbrk(e, ",}");
		assert_non_null(p);
		if (*p == '}')
			break;
		p++;
	}
}

/*
 * Every key of want (comma-separated) is in have, in the same order: a new
 * row of the table may add keys anywhere, today's keep their names and order.
 */
static void assert_in_order(const char *have, const char *want)
{
	char h[2048], w[2048], *save = NULL;
	const char *from = h;

	snprintf(h, sizeof(h), ",%s,", have);
	snprintf(w, sizeof(w), "%s", want);
	for (char *k = strtok_r(w, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		char pat[128];
		const char *p;

		snprintf(pat, sizeof(pat), ",%s,", k);
		p = strstr(from, pat);
		if (!p)
			fail_msg("\"%s\" missing or out of order in \"%s\"", k, have);
		from = p + strlen(k) + 1;	/* its trailing comma starts the next search */
	}
}

static const char want_rates[] =
	"cpu_pct,inflicted_ms_s,suffered_ms_s,io_rbps,io_wbps,iops,io_lat_ms,faults_s,forks_s,"
	"reclaim_ms_s,psi_cpu_some,psi_mem_some,psi_io_some";
static const char want_gauges[] = "mem_bytes,mem_peak,nproc,nthreads";

static void test_wire_lists(void **state)
{
	struct tenant *t = mk_tenant("t");
	struct proto_buf b = { 0 };
	char keys[2048], want[2048];
	size_t o = 0;
	json_t *j;

	(void)state;
	for (int i = 0; i < QM_NR; i++)
		qm_set(&t->cur, (enum qm_id)i, (uint64_t)i + 1, QM_SRC_BPF);
	proto_tenant_enc(&b, t);
	assert_false(b.oom);
	member_keys(b.p, "rates", keys, sizeof(keys));
	assert_in_order(keys, want_rates);
	member_keys(b.p, "gauges", keys, sizeof(keys));
	assert_in_order(keys, want_gauges);
	/* counters: every counter of the catalogue, in its order */
	member_keys(b.p, "counters", keys, sizeof(keys));
	for (int i = 0; i < QM_NR; i++)
		if (qm_desc[i].kind == QM_COUNTER)
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%s", o ? "," : "",
					      qm_desc[i].key);
	assert_string_equal(keys, want);
	/* the jansson encoder says the same */
	j = proto_tenant_json(t);
	assert_non_null(j);
	assert_true(json_object_size(json_object_get(j, "rates")) >= 13);
	assert_true(json_object_size(json_object_get(j, "gauges")) >= 4);
	json_decref(j);
	proto_buf_free(&b);
	free(t);
}

#define LIMIT_HELP "Times a limit was hit: cpu = quota periods throttled, memory_high / memory = " \
	"soft / hard memory limit events, pids = forks refused"

/* Today's Prometheus family of each metric: name{extra label} and its HELP. */
static const struct {
	enum qm_id id;
	const char *series;	/* family, and the extra label if any */
	const char *help;
} want_prom[] = {
	{ QM_CPU_NS, "quell_tenant_cpu_seconds_total", "CPU time used" },
	{ QM_CTXSW, "quell_tenant_context_switches_total", "Context switches (times switched out)" },
	{ QM_RQ_SUFFERED_NS, "quell_tenant_runqueue_delay_suffered_seconds_total",
	  "Run-queue wait of this tenant's tasks behind other tasks: tenants, root, services" },
	{ QM_RQ_SELF_NS, "quell_tenant_runqueue_delay_self_seconds_total",
	  "Run-queue wait behind the tenant's own tasks" },
	{ QM_RQ_INFLICTED_NS, "quell_tenant_runqueue_delay_inflicted_seconds_total",
	  "Run-queue wait of other tenants' tasks while this tenant held the CPU" },
	{ QM_FORKS, "quell_tenant_forks_total", "Processes and threads created" },
	{ QM_EXECS, "quell_tenant_execs_total", "Programs executed" },
	{ QM_IO_RBYTES, "quell_tenant_io_bytes_total{direction=\"read\"}",
	  "Block IO bytes submitted by the tenant" },
	{ QM_IO_WBYTES, "quell_tenant_io_bytes_total{direction=\"write\"}",
	  "Block IO bytes submitted by the tenant" },
	{ QM_IO_ROPS, "quell_tenant_io_ops_total{direction=\"read\"}",
	  "Block IO operations submitted by the tenant" },
	{ QM_IO_WOPS, "quell_tenant_io_ops_total{direction=\"write\"}",
	  "Block IO operations submitted by the tenant" },
	{ QM_IO_LAT_NS, "quell_tenant_io_latency_seconds_total", "Sum of block IO completion latency" },
	{ QM_IO_LAT_CNT, "quell_tenant_io_completed_total", "Block IO requests in io_lat_ns" },
	{ QM_PGFAULTS, "quell_tenant_page_faults_total", "User page faults" },
	{ QM_RECLAIM_NS, "quell_tenant_reclaim_seconds_total",
	  "Time stalled in direct and memcg reclaim" },
	{ QM_OOM_KILLS, "quell_tenant_oom_kills_total", "Processes killed by the OOM killer" },
	{ QM_CPU_THROTTLED, "quell_tenant_limit_faults_total{resource=\"cpu\"}", LIMIT_HELP },
	{ QM_CPU_THROTTLED_NS, "quell_tenant_cpu_throttled_seconds_total",
	  "Time throttled by the CPU quota" },
	{ QM_MEM_HIGH_EVENTS, "quell_tenant_limit_faults_total{resource=\"memory_high\"}",
	  LIMIT_HELP },
	{ QM_MEM_MAX_EVENTS, "quell_tenant_limit_faults_total{resource=\"memory\"}", LIMIT_HELP },
	{ QM_PIDS_MAX_EVENTS, "quell_tenant_limit_faults_total{resource=\"pids\"}", LIMIT_HELP },
	{ QM_PSI_CPU_SOME_US, "quell_tenant_pressure_cpu_waiting_seconds_total",
	  "PSI: time some tasks waited for CPU" },
	{ QM_PSI_MEM_SOME_US, "quell_tenant_pressure_memory_waiting_seconds_total",
	  "PSI: time some tasks stalled on memory" },
	{ QM_PSI_MEM_FULL_US, "quell_tenant_pressure_memory_stalled_seconds_total",
	  "PSI: time all tasks stalled on memory" },
	{ QM_PSI_IO_SOME_US, "quell_tenant_pressure_io_waiting_seconds_total",
	  "PSI: time some tasks stalled on IO" },
	{ QM_PSI_IO_FULL_US, "quell_tenant_pressure_io_stalled_seconds_total",
	  "PSI: time all tasks stalled on IO" },
	{ QM_MEM_BYTES, "quell_tenant_memory_bytes", "Memory in use (cgroup, else RSS sum)" },
	{ QM_MEM_PEAK, "quell_tenant_memory_peak_bytes", "Peak memory in use" },
	{ QM_NPROC, "quell_tenant_processes", "Processes" },
	{ QM_NTHREADS, "quell_tenant_threads", "Threads" },
	{ QM_REFAULTS, "quell_tenant_page_cache_refaults_total",
	  "Page cache refaults: evicted file pages read again (workingset_refault_file)" },
};

/*
 * The lines a tenant with only metric id valid adds to the exposition of
 * a tenant with none: HELP, TYPE and one sample. *series = "family{label}"
 * without the tenant label, *help its HELP text. Returns how many new
 * sample lines there were.
 */
static int prom_lines_of(int id, char *series, size_t slen, char *help, size_t hlen)
{
	struct tenant *t0 = mk_tenant("t"), *t1 = mk_tenant("t");
	struct prom_buf a, b;
	int samples = 0;
	char *save = NULL;

	if (id >= 0)
		qm_set(&t1->cur, (enum qm_id)id, 1, QM_SRC_BPF);
	prom_buf_init(&a);
	prom_buf_init(&b);
	assert_int_equal(prom_render(&a, &t0, 1, NULL, NULL), 0);
	assert_int_equal(prom_render(&b, &t1, 1, NULL, NULL), 0);
	series[0] = help[0] = '\0';
	for (char *l = strtok_r(b.s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char line[512];
		const char *lb, *sp;

		snprintf(line, sizeof(line), "\n%s\n", l);
		if (a.s && strstr(a.s, line + 1) == a.s && !strncmp(a.s, line + 1, strlen(l)))
			continue;
		if (a.s && strstr(a.s, line))
			continue;
		if (!strncmp(l, "# HELP ", 7)) {
			sp = strchr(l + 7, ' ');
			snprintf(help, hlen, "%s", sp ? sp + 1 : "");
			continue;
		}
		if (l[0] == '#')
			continue;
		samples++;
		/* family{tenant="t",label} 1 -> family{label} */
		lb = strchr(l, '{');
		sp = strchr(l, ' ');
		if (lb && (!sp || lb < sp)) {
			const char *extra = strstr(lb, "\",") ? strstr(lb, "\",") + 2 : NULL;
			const char *end = strchr(lb, '}');

			if (extra && extra < end)
				snprintf(series, slen, "%.*s{%.*s}", (int)(lb - l), l,
					 (int)(end - extra), extra);
			else
				snprintf(series, slen, "%.*s", (int)(lb - l), l);
		}
	}
	prom_buf_free(&a);
	prom_buf_free(&b);
	free(t0);
	free(t1);
	return samples;
}

static void test_prom_lists(void **state)
{
	char series[256], help[512];

	(void)state;
	/* today's rows, by id: a new row is test_every_row_in_prom's */
	for (size_t i = 0; i < sizeof(want_prom) / sizeof(want_prom[0]); i++) {
		assert_int_equal(prom_lines_of(want_prom[i].id, series, sizeof(series), help,
					       sizeof(help)), 1);
		assert_string_equal(series, want_prom[i].series);
		assert_string_equal(help, want_prom[i].help);
	}
}

static void test_rrd_list(void **state)
{
	static const char *const want[] = {
		"cpu_ns", "rq_inflicted_ns", "rq_suffered_ns", "mem_bytes", "io_rbytes",
		"io_wbytes", "io_rops", "io_wops", "nproc", "pgfaults", "forks", "cpu_throttled",
		"mem_max_events", "pids_max_events", "oom_kills",
	};
	struct hist_schema s;

	(void)state;
	assert_int_equal(hist_schema_tenant(10, &s), 0);
	/* the layout of today's files: a new DS may only come after these */
	assert_true(s.nds >= (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++) {
		assert_string_equal(s.ds[i].name, want[i]);
		assert_int_equal(s.ds[i].type, !strcmp(want[i], "mem_bytes") ||
				 !strcmp(want[i], "nproc") ? HIST_DS_GAUGE : HIST_DS_DERIVE);
	}
}

static void test_policy_names(void **state)
{
	static const char *const want[] = {
		"cpu_pct", "inflicted", "io_bps", "iops", "mem_growth", "mem_bytes", "forks_s",
		"faults_s",
	};
	int named = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_not_equal(policy_metric_by_name(want[i]), -1);
	for (int i = 0; i < PM_NR; i++) {
		const char *n = policy_metric_name((enum policy_metric)i);
		bool found = false;

		assert_string_not_equal(n, "?");
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			found |= !strcmp(n, want[k]);
		named += found;
	}
	assert_int_equal(named, sizeof(want) / sizeof(want[0]));	/* each once */
	assert_int_equal(policy_metric_by_name("suffered_ms_s"), -1);
}

static void test_top_list(void **state)
{
	static const char *const want[][3] = {
		{ "TENANT", "name", "tenant (Unix user or cgroup)" },
		{ "CPU%", "cpu_pct", "CPU use, % of one core" },
		{ "INFL", "inflicted_ms_s", "run-queue delay inflicted on other tenants, ms per second" },
		{ "SUFF", "suffered_ms_s", "run-queue delay suffered behind other tasks, ms per second" },
		{ "MEM/LIM", "mem_bytes", "memory in use / hard limit (none: unlimited)" },
		{ "RD/s", "io_rbps", "block IO read, bytes per second" },
		{ "WR/s", "io_wbps", "block IO written, bytes per second" },
		{ "IOPS", "iops", "block IO operations per second" },
		{ "NPROC", "nproc", "processes" },
		{ "FLT/s", "faults_s", "page faults per second" },
		{ "HITS", "limit_hits", "times a limit was hit (cpu+mem+pids+io), since quelld started" },
		{ "STATE", "state", "ok / throttled / frozen / killed :rule" },
	};
	static const int want_width[] = { 10, 5, 5, 5, 9, 5, 5, 4, 5, 5, 4, 9 };
	static const int want_prio[] = { 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 0 };
	static const char want_key[] = { 'N', 'P', 'H', 'W', 'M', 0, 0, 'O', 'C', 'F', 0, 'S' };

	int prev = -1;

	(void)state;
	for (int i = 0; i < TC_NR; i++)
		assert_int_equal(top_cols[i].id, i);
	/* today's columns, in today's order (a new one may come between) */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum top_col_id c = top_col_by_name(want[i][1]);

		assert_int_not_equal(c, TC_NR);
		assert_true((int)c > prev);
		prev = (int)c;
		assert_string_equal(top_cols[c].title, want[i][0]);
		assert_string_equal(top_cols[c].json, want[i][1]);
		assert_string_equal(top_cols[c].help, want[i][2]);
		assert_int_equal(top_cols[c].width, want_width[i]);
		assert_int_equal(top_cols[c].prio, want_prio[i]);
		assert_int_equal(top_cols[c].key, want_key[i]);
	}
}

static void test_sort_and_history_names(void **state)
{
	static const char *const sorts[PROTO_SORT_NR] = {
		"cpu", "mem", "io", "iops", "inflicted", "suffered", "faults", "nproc",
		"mem_inflicted", "name",
	};
	static const char *const by[HIST_BY_NR] = {
		"cpu", "io", "mem", "inflicted", "faults", "mem_inflicted",
	};
	static const char *const gm[HIST_M_NR] = {
		"cpu", "mem", "io", "iops", "inflicted", "suffered", "faults", "nproc",
	};
	static const char *const cols[][2] = {
		{ "CPU%", "cpu_pct" }, { "INFL", "inflicted_ms_s" }, { "SUFF", "suffered_ms_s" },
		{ "MEM", "mem_bytes" }, { "READ", "io_rbps" }, { "WRITE", "io_wbps" },
		{ "IOPS", "iops" }, { "NPROC", "nproc" }, { "FLT/s", "pgfaults_s" },
		{ "FORK/s", "forks_s" }, { "MINFL/s", "mem_inflicted_bps" }, { "HITS", "limit_hits" },
		{ "OOM", "oom_kills" },
	};

	(void)state;
	for (int i = 0; i < PROTO_SORT_NR; i++)
		assert_string_equal(proto_sort_name((enum proto_sort)i), sorts[i]);
	for (int i = 0; i < HIST_BY_NR; i++)
		assert_string_equal(hist_by_name((enum hist_by)i), by[i]);
	for (int i = 0; i < HIST_M_NR; i++)
		assert_string_equal(hist_metric_name((enum hist_metric)i), gm[i]);
	assert_int_equal(hist_ncols, sizeof(cols) / sizeof(cols[0]));
	for (int i = 0; i < hist_ncols; i++) {
		assert_string_equal(hist_cols[i].title, cols[i][0]);
		assert_string_equal(hist_cols[i].key, cols[i][1]);
	}
}

/* --- table-driven: every row of QM_TABLE / QV_TABLE reaches every surface --- */

static bool in_list(const char *list, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = list; (p = strstr(p, key)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void test_every_row_on_the_wire(void **state)
{
	struct tenant *t = mk_tenant("t");
	struct proto_buf b = { 0 };
	char rates[2048], gauges[1024], counters[2048];
	int nrate = 0;
	struct tview tv;
	json_t *j;

	(void)state;
	for (int i = 0; i < QM_NR; i++)
		qm_set(&t->cur, (enum qm_id)i, (uint64_t)i + 1, QM_SRC_BPF);
	for (int i = 0; i < QV_NR; i++)
		qv_put(&t->view, (enum qv_id)i, 100.0 + i);
	proto_tenant_enc(&b, t);
	member_keys(b.p, "rates", rates, sizeof(rates));
	member_keys(b.p, "gauges", gauges, sizeof(gauges));
	member_keys(b.p, "counters", counters, sizeof(counters));
	for (int i = 0; i < QV_NR; i++) {
		assert_int_equal(qv_desc[i].id, i);
		assert_int_equal(qv_by_key(qv_desc[i].key), i);
		assert_int_equal(in_list(rates, qv_desc[i].key), qv_desc[i].rate);
		nrate += qv_desc[i].rate;
	}
	for (int i = 0; i < QM_NR; i++) {
		assert_int_equal(in_list(gauges, qm_desc[i].key), qm_desc[i].kind == QM_GAUGE);
		assert_int_equal(in_list(counters, qm_desc[i].key), qm_desc[i].kind == QM_COUNTER);
	}
	/* and a client reads back every rate and every gauge */
	j = json_loads(b.p, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(json_object_get(j, "rates")), nrate);
	assert_int_equal(proto_tview_from_json(j, &tv), 0);
	for (int i = 0; i < QV_NR; i++)
		if (qv_desc[i].rate)
			assert_true(qv_get(&tv.v, (enum qv_id)i) == 100.0 + i);
	for (int i = 0; i < QM_NR; i++)
		assert_true(tv.counters[i] == (double)i + 1);
	json_decref(j);
	proto_buf_free(&b);
	free(t);
}

static void test_every_row_in_prom(void **state)
{
	char series[256], help[512], want[256];

	(void)state;
	for (int i = 0; i < QM_NR; i++) {
		const struct qm_desc *d = &qm_desc[i];

		assert_int_equal(prom_lines_of(i, series, sizeof(series), help, sizeof(help)),
				 d->prom ? 1 : 0);
		if (!d->prom)
			continue;
		if (d->prom_label)
			snprintf(want, sizeof(want), "%s{%s}", d->prom, d->prom_label);
		else
			snprintf(want, sizeof(want), "%s", d->prom);
		assert_string_equal(series, want);
	}
}

static void test_every_row_in_rrd(void **state)
{
	struct hist_schema s;
	int nrrd = 0;

	(void)state;
	assert_int_equal(hist_schema_tenant(10, &s), 0);
	for (int i = 0; i < QM_NR; i++) {
		char name[HIST_DS_NAME_MAX];

		if (!qm_desc[i].rrd)
			continue;
		nrrd++;
		/* positions are 1..n with no gap: a gap would store QM 0 twice */
		assert_true(qm_desc[i].rrd <= s.nds);
		assert_int_equal(hist_ds_name(qm_desc[i].key, name), 0);
		assert_string_equal(s.ds[qm_desc[i].rrd - 1].name, name);
		assert_int_equal(s.ds[qm_desc[i].rrd - 1].src, i);
		assert_int_equal(s.ds[qm_desc[i].rrd - 1].type,
				 qm_desc[i].kind == QM_COUNTER ? HIST_DS_DERIVE : HIST_DS_GAUGE);
	}
	assert_int_equal(s.nds, nrrd);
	assert_int_equal(hist_tenant_nqm, nrrd);
}

static void test_every_row_in_policy_and_top(void **state)
{
	int npol = 0, ntop = 0;

	(void)state;
	for (int i = 0; i < QV_NR; i++) {
		const struct qv_desc *d = &qv_desc[i];

		if (d->policy) {
			int m = policy_metric_by_name(d->policy);

			npol++;
			assert_true(m >= 0 && m < PM_VIEW_NR);
			assert_int_equal(policy_metric_view((enum policy_metric)m), i);
		}
		if (d->title) {
			enum top_col_id c = top_col_by_name(d->key);

			ntop++;
			assert_int_not_equal(c, TC_NR);
			assert_string_equal(top_cols[c].title, d->title);
			assert_string_equal(top_cols[c].json, d->key);
			assert_string_equal(top_cols[c].help, d->help);
			assert_true(top_cols[c].width > 0);
		}
	}
	assert_int_equal(npol, PM_VIEW_NR);
	assert_int_equal(ntop, TC_NR - 3);	/* + TENANT, HITS, STATE */
	assert_int_equal(PM_NR, PM_VIEW_NR + 2);	/* + io_bps, mem_growth */
}

static void test_every_row_in_history(void **state)
{
	int nhist = 0;

	(void)state;
	for (int i = 0; i < QV_NR; i++) {
		const struct qv_desc *d = &qv_desc[i];
		const struct hist_col *hc = NULL;

		if (!d->hist_title)
			continue;
		nhist++;
		for (int k = 0; k < hist_ncols; k++)
			if (!strcmp(hist_cols[k].key, d->hist_key))
				hc = &hist_cols[k];
		assert_non_null(hc);
		assert_string_equal(hc->title, d->hist_title);
		/* a sum of stored DS, in the view's unit */
		assert_int_equal(d->op, QV_SUM);
		assert_int_equal(hc->ds[0], d->a);
		assert_true(qm_desc[d->a].rrd > 0);
		assert_int_equal(hc->ds[1], d->b);
		if (d->b < QM_NR)
			assert_true(qm_desc[d->b].rrd > 0);
		assert_true(hc->scale * d->div == 1);
	}
	assert_int_equal(nhist, hist_ncols - 2);	/* + HITS, OOM */
}

/* Each view is its row's formula: a sum of one or two rates, or a mean. */
static void test_every_view_formula(void **state)
{
	(void)state;
	for (int i = 0; i < QV_NR; i++) {
		const struct qv_desc *d = &qv_desc[i];
		struct qm_rates r;
		struct qm_view v;

		for (int k = 0; k < QM_NR; k++)
			r.r[k] = NAN;
		qm_view_from_rates(&r, &v);
		assert_true(isnan(qv_get(&v, (enum qv_id)i)));
		r.r[d->a] = 6 * d->div;
		if (d->b < QM_NR)
			r.r[d->b] = d->op == QV_DIV ? 3 : 4 * d->div;
		qm_view_from_rates(&r, &v);
		assert_true(fabs(qv_get(&v, (enum qv_id)i) - (d->op == QV_DIV ? 2 :
							    d->b < QM_NR ? 10 : 6)) < 1e-9);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_io_latency_view),
		cmocka_unit_test(test_wire_lists),
		cmocka_unit_test(test_prom_lists),
		cmocka_unit_test(test_rrd_list),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_top_list),
		cmocka_unit_test(test_sort_and_history_names),
		cmocka_unit_test(test_every_row_on_the_wire),
		cmocka_unit_test(test_every_row_in_prom),
		cmocka_unit_test(test_every_row_in_rrd),
		cmocka_unit_test(test_every_row_in_policy_and_top),
		cmocka_unit_test(test_every_row_in_history),
		cmocka_unit_test(test_every_view_formula),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
