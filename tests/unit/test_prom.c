// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_prom.c - the Prometheus renderer against literal tenants: exact
 * sample lines, escaping, omitted invalid metrics, one HELP/TYPE per family,
 * a strict text-format parser over the whole output, `promtool check
 * metrics` when Debian's prometheus package is installed, and render time
 * for 1,000 and 5,000 synthetic tenants (printed, not asserted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prom.h"

/* --- a strict parser for text format 0.0.4 --------------------------------- */

struct fam_seen {
	char name[128];
	char type[16];
	int help, closed;
};

struct pstate {
	struct fam_seen fam[256];
	int nfam;
	int cur;		/* family of the previous sample, -1 none */
	char **series;
	int nseries, capseries;
	char err[256];
};

static int perr(struct pstate *p, int line, const char *msg, const char *text)
{
	snprintf(p->err, sizeof(p->err), "line %d: %s: %.120s", line, msg, text);
	return -1;
}

static bool valid_name(const char *s, size_t n, bool colon)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(isalpha((unsigned char)c) || c == '_' || (colon && c == ':') ||
		      (i && isdigit((unsigned char)c))))
			return false;
	}
	return true;
}

static struct fam_seen *fam_find(struct pstate *p, const char *name, size_t n)
{
	for (int i = 0; i < p->nfam; i++)
		if (strlen(p->fam[i].name) == n && !strncmp(p->fam[i].name, name, n))
			return &p->fam[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns 0 if text is valid, -1 with p->err set. */
static int strict_parse(const char *text, struct pstate *p)
{
	int line = 0, ret = 0;
	const char *s = text;

	memset(p, 0, sizeof(*p));
	p->cur = -1;
	while (*s) {
		const char *eol = strchr(s, '\n');
		char buf[1024];
		size_t n;

		line++;
		if (!eol)
			return perr(p, line, "no final newline", s);
		n = (size_t)(eol - s);
		if (n >= sizeof(buf))
			return perr(p, line, "line too long", s);
		memcpy(buf, s, n);
		buf[n] = '\0';
		s = eol + 1;
		if (!n)
			return perr(p, line, "empty line", buf);

		if (buf[0] == '#') {
			char kw[8], name[128], rest[512] = "";
			struct fam_seen *f;

			if (sscanf(buf, "# %7s %127s %511[^\n]", kw, name, rest) < 3)
				return perr(p, line, "bad comment", buf);
			if (!valid_name(name, strlen(name), true))
				return perr(p, line, "bad metric name", buf);
			f = fam_find(p, name, strlen(name));
			if (!f) {
				if (p->nfam == 256)
					return perr(p, line, "too many families", buf);
				f = &p->fam[p->nfam++];
				snprintf(f->name, sizeof(f->name), "%s", name);
			}
			if (f->closed || (p->cur >= 0 && &p->fam[p->cur] == f))
				return perr(p, line, "metadata after samples", buf);
			if (!strcmp(kw, "HELP")) {
				if (f->help++)
					return perr(p, line, "second HELP", buf);
				for (const char *q = rest; *q; q++)
					if (*q == '\\' && q[1] != '\\' && q[1] != 'n')
						return perr(p, line, "bad escape in HELP", buf);
					else if (*q == '\\')
						q++;
			} else if (!strcmp(kw, "TYPE")) {
				if (f->type[0])
					return perr(p, line, "second TYPE", buf);
				if (strcmp(rest, "counter") && strcmp(rest, "gauge") &&
				    strcmp(rest, "untyped"))
					return perr(p, line, "bad TYPE", buf);
				snprintf(f->type, sizeof(f->type), "%s", rest);
			} else {
				return perr(p, line, "unknown comment", buf);
			}
			continue;
		}

		/* sample: name{l="v",...} value */
		{
			const char *q = buf, *name = buf, *val;
			char key[1024];
			size_t nl;
			struct fam_seen *f;
			char lnames[16][64];
			int nlab = 0;
			char *end;
			double v;

			while (*q && *q != '{' && *q != ' ')
				q++;
			nl = (size_t)(q - name);
			if (!valid_name(name, nl, true))
				return perr(p, line, "bad metric name", buf);
			if (*q == '{') {
				q++;
				while (*q != '}') {
					const char *ln = q;

					while (*q && *q != '=')
						q++;
					if (!valid_name(ln, (size_t)(q - ln), false) || q[1] != '"')
						return perr(p, line, "bad label name", buf);
					if (nlab == 16 || (size_t)(q - ln) >= 64)
						return perr(p, line, "too many labels", buf);
					snprintf(lnames[nlab], 64, "%.*s", (int)(q - ln), ln);
					for (int i = 0; i < nlab; i++)
						if (!strcmp(lnames[i], lnames[nlab]))
							return perr(p, line, "duplicate label", buf);
					nlab++;
					q += 2;
					while (*q != '"') {
						if (!*q)
							return perr(p, line, "unterminated value", buf);
						if (*q == '\\') {
							if (q[1] != '\\' && q[1] != '"' && q[1] != 'n')
								return perr(p, line, "bad escape", buf);
							q++;
						}
						q++;
					}
					q++;
					if (*q == ',')
						q++;
					else if (*q != '}')
						return perr(p, line, "expected , or }", buf);
				}
				q++;
			}
			if (*q != ' ')
				return perr(p, line, "no value", buf);
			snprintf(key, sizeof(key), "%.*s", (int)(q - buf), buf);
			val = q + 1;
			if (!strcmp(val, "+Inf") || !strcmp(val, "-Inf") || !strcmp(val, "NaN")) {
				v = 0;
			} else {
				errno = 0;
				v = strtod(val, &end);
				if (end == val || *end || errno)
					return perr(p, line, "bad value", buf);
			}
			f = fam_find(p, name, nl);
			if (!f || !f->type[0])
				return perr(p, line, "sample without TYPE", buf);
			if (f->closed)
				return perr(p, line, "family not contiguous", buf);
			if (p->cur >= 0 && &p->fam[p->cur] != f)
				p->fam[p->cur].closed = 1;
			p->cur = (int)(f - p->fam);
			if (!strcmp(f->type, "counter")) {
				if (nl < 6 || strncmp(name + nl - 6, "_total", 6))
					return perr(p, line, "counter without _total", buf);
				if (v < 0)
					return perr(p, line, "negative counter", buf);
			} else if (nl >= 6 && !strncmp(name + nl - 6, "_total", 6)) {
				return perr(p, line, "_total on a non-counter", buf);
			}
			if (p->nseries == p->capseries) {
				p->capseries = p->capseries ? p->capseries * 2 : 1024;
				p->series = realloc(p->series, sizeof(char *) * p->capseries);
			}
			p->series[p->nseries++] = strdup(key);
		}
	}
	qsort(p->series, p->nseries, sizeof(char *), cmp_str);
	for (int i = 1; i < p->nseries; i++)
		if (!strcmp(p->series[i - 1], p->series[i])) {
			perr(p, 0, "duplicate series", p->series[i]);
			ret = -1;
			break;
		}
	return ret;
}

static void pstate_free(struct pstate *p)
{
	for (int i = 0; i < p->nseries; i++)
		free(p->series[i]);
	free(p->series);
	p->series = NULL;
}

static int strict_ok(const char *text)
{
	struct pstate *p = calloc(1, sizeof(*p));
	int ret = strict_parse(text, p);

	if (ret)
		print_error("strict parser: %s\n", p->err);
	pstate_free(p);
	free(p);
	return ret;
}

static int strict_fails(const char *text)
{
	struct pstate *p = calloc(1, sizeof(*p));
	int ret = strict_parse(text, p);

	pstate_free(p);
	free(p);
	return ret;
}

/* Plain loop, not strstr: ASan's strstr interceptor rescans the haystack per call. */
static int count(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	int n = 0;

	for (const char *q = hay; *q; q++)
		if (*q == needle[0] && !strncmp(q, needle, nl))
			n++;
	return n;
}

/* --- literal tenants -------------------------------------------------------- */

static struct tenant *mk_tenant(const char *name, uint32_t uid)
{
	struct tenant *t = calloc(1, sizeof(*t));

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->uid = uid;
	t->key = uid;
	limits_init(&t->lim);
	limits_init(&t->dyn);
	return t;
}

static void fill_all(struct tenant *t, uint64_t seed)
{
	for (int i = 0; i < QM_NR; i++)
		qm_set(&t->cur, (enum qm_id)i, seed * 1000003ULL + (uint64_t)i * 7919ULL,
		       QM_SRC_BPF);
}

static const struct hview host = {
	.hostname = "web1",
	.load = { 1.5, 0.75, 0.25 },
	.cpu_pct = 150,
	.ncpu = 4,
	.mem_total = 8589934592.0,
	.mem_used = 4294967296.0,
	.psi_cpu_some = 12.5,
	.psi_mem_some = 0,
	.psi_mem_full = 0,
	.psi_io_some = 1,
	.psi_io_full = NAN,
	.tenants = 2,
	.throttled = 1,
	.quiet = 1,
	.source = "bpf",
	.cgroup_mode = "hybrid",
	.tick_ms = 3.5,
};

static void test_escape(void **state)
{
	char out[64];

	assert_int_equal(prom_escape_label("plain", out, sizeof(out)), 5);
	assert_string_equal(out, "plain");
	assert_int_equal(prom_escape_label("a\"b\\c\nd", out, sizeof(out)), 10);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	assert_int_equal(prom_escape_label("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* "ab\"" needs 4 chars + NUL */
	assert_int_equal(prom_escape_label("ab\"", out, 4), -ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(prom_escape_label("ab\"", out, 5), 4);
	assert_int_equal(prom_escape_label("x", out, 0), -ENOSPC);
}

static void test_tenant_lines(void **state)
{
	struct tenant *a = mk_tenant("alice", 1001), *b = mk_tenant("bo\"b\\x\ny", 1002);
	struct tenant *ts[] = { a, NULL, b };
	struct prom_buf pb;

	qm_set(&a->cur, QM_CPU_NS, 1500000000ULL, QM_SRC_BPF);
	qm_set(&a->cur, QM_RQ_INFLICTED_NS, 250000ULL, QM_SRC_BPF);
	qm_set(&a->cur, QM_IO_RBYTES, 4096, QM_SRC_BPF);
	qm_set(&a->cur, QM_IO_WBYTES, 8192, QM_SRC_BPF);
	qm_set(&a->cur, QM_MEM_BYTES, 123456789, QM_SRC_CGROUP);
	qm_set(&a->cur, QM_PSI_CPU_SOME_US, 2500001, QM_SRC_CGROUP);
	qm_set(&a->cur, QM_PIDS_MAX_EVENTS, 3, QM_SRC_CGROUP);
	a->state = TS_THROTTLED;
	a->lim.set = LIM_CPU | LIM_MEM_MAX;
	a->lim.cpu_pct = 50;
	a->lim.mem_max = 1073741824;
	a->dyn.set = LIM_CPU;
	a->dyn.cpu_pct = 25;		/* dynamic wins while throttled */
	qm_set(&b->cur, QM_CPU_NS, 7, QM_SRC_BPF);

	prom_buf_init(&pb);
	assert_int_equal(prom_render(&pb, ts, 3, &host, NULL), 0);
	assert_non_null(pb.s);
	assert_int_equal(strlen(pb.s), pb.len);

	assert_non_null(strstr(pb.s, "\nquell_tenant_cpu_seconds_total{tenant=\"alice\"} 1.5\n"));
	assert_non_null(strstr(pb.s,
			       "\nquell_tenant_cpu_seconds_total{tenant=\"bo\\\"b\\\\x\\ny\"} "
			       "0.000000007\n"));
	assert_non_null(strstr(pb.s,
		"\nquell_tenant_runqueue_delay_inflicted_seconds_total{tenant=\"alice\"} 0.00025\n"));
	assert_non_null(strstr(pb.s,
		"\nquell_tenant_io_bytes_total{tenant=\"alice\",direction=\"read\"} 4096\n"));
	assert_non_null(strstr(pb.s,
		"\nquell_tenant_io_bytes_total{tenant=\"alice\",direction=\"write\"} 8192\n"));
	assert_non_null(strstr(pb.s, "\nquell_tenant_memory_bytes{tenant=\"alice\"} 123456789\n"));
	assert_non_null(strstr(pb.s,
		"\nquell_tenant_pressure_cpu_waiting_seconds_total{tenant=\"alice\"} 2.500001\n"));
	assert_non_null(strstr(pb.s,
		"\nquell_tenant_limit_faults_total{tenant=\"alice\",resource=\"pids\"} 3\n"));
	assert_non_null(strstr(pb.s, "\nquell_tenant_throttled{tenant=\"alice\"} 1\n"));
	assert_non_null(strstr(pb.s, "\nquell_tenant_throttled{tenant=\"bo\\\"b\\\\x\\ny\"} 0\n"));
	assert_non_null(strstr(pb.s, "\nquell_tenant_cpu_limit_cores{tenant=\"alice\"} 0.25\n"));
	assert_non_null(strstr(pb.s,
		"\nquell_tenant_memory_limit_bytes{tenant=\"alice\",kind=\"max\"} 1073741824\n"));

	/* invalid metrics are left out, not printed as 0 */
	assert_null(strstr(pb.s, "quell_tenant_memory_bytes{tenant=\"bo"));
	assert_null(strstr(pb.s, "quell_tenant_io_ops_total"));
	assert_null(strstr(pb.s, "quell_tenant_processes_limit"));
	assert_null(strstr(pb.s, "kind=\"high\""));
	/* one HELP and TYPE per family, even with two tenants and two directions */
	assert_int_equal(count(pb.s, "# TYPE quell_tenant_cpu_seconds_total counter\n"), 1);
	assert_int_equal(count(pb.s, "# HELP quell_tenant_cpu_seconds_total "), 1);
	assert_int_equal(count(pb.s, "# TYPE quell_tenant_io_bytes_total counter\n"), 1);
	assert_int_equal(count(pb.s, "# TYPE quell_tenant_memory_bytes gauge\n"), 1);
	/* host */
	assert_non_null(strstr(pb.s, "\nquell_host_load1 1.5\n"));
	assert_non_null(strstr(pb.s, "\nquell_tenants_quiet 1\n"));
	assert_non_null(strstr(pb.s, "\nquell_host_cpu_busy_cores 1.5\n"));
	assert_non_null(strstr(pb.s,
		"\nquell_host_pressure_ratio{resource=\"cpu\",kind=\"some\"} 0.125\n"));
	assert_null(strstr(pb.s, "resource=\"io\",kind=\"full\""));	/* NAN: left out */
	assert_non_null(strstr(pb.s,
		"\nquell_accounting_info{source=\"bpf\",cgroup_mode=\"hybrid\"} 1\n"));
	assert_int_equal(strict_ok(pb.s), 0);
	prom_buf_free(&pb);
	free(a);
	free(b);
}

static void test_self(void **state)
{
	const struct prom_action acts[] = { { "throttle", 4 }, { "re\"lease", 2 } };
	struct prom_self self = {
		.version = "0.1",
		.start_time_s = 1700000000,
		.ticks = 42,
		.tick_seconds = 0.0035,
		.render_seconds = NAN,
		.bpf = true,
		.bpf_map_used = 12,
		.bpf_map_max = 16384,
		.bpf_ringbuf_drop = 5,
		.bpf_unattributed_ns = 1000,
		.actions = acts,
		.nr_actions = 2,
	};
	struct prom_buf pb;

	prom_buf_init(&pb);
	assert_int_equal(prom_render(&pb, NULL, 0, NULL, &self), 0);
	assert_non_null(strstr(pb.s, "quell_build_info{version=\"0.1\"} 1\n"));
	assert_non_null(strstr(pb.s, "\nquell_ticks_total 42\n"));
	assert_non_null(strstr(pb.s, "\nquell_tick_duration_seconds 0.0035\n"));
	assert_null(strstr(pb.s, "quell_metrics_render_duration_seconds"));	/* NAN */
	assert_non_null(strstr(pb.s, "\nquell_bpf_map_entries 12\n"));
	assert_non_null(strstr(pb.s, "\nquell_bpf_map_max_entries 16384\n"));
	assert_non_null(strstr(pb.s, "\nquell_bpf_dropped_total{reason=\"ringbuf_full\"} 5\n"));
	assert_non_null(strstr(pb.s, "\nquell_bpf_unattributed_wait_seconds_total 0.000001\n"));
	assert_non_null(strstr(pb.s, "\nquell_actions_total{action=\"throttle\"} 4\n"));
	assert_non_null(strstr(pb.s, "\nquell_actions_total{action=\"re\\\"lease\"} 2\n"));
	assert_null(strstr(pb.s, "quell_tenant_"));
	assert_int_equal(strict_ok(pb.s), 0);

	/* without BPF: no BPF self-metrics at all, and the flag says 0 */
	self.bpf = false;
	prom_buf_reset(&pb);
	assert_int_equal(prom_render(&pb, NULL, 0, NULL, &self), 0);
	assert_null(strstr(pb.s, "quell_bpf_dropped_total"));
	assert_null(strstr(pb.s, "quell_bpf_map_entries"));
	assert_non_null(strstr(pb.s, "\nquell_bpf_loaded 0\n"));
	assert_int_equal(strict_ok(pb.s), 0);
	prom_buf_free(&pb);
}

/* The parser must be able to fail, or passing it proves nothing. */
static void test_strict_parser_rejects(void **state)
{
	assert_int_equal(strict_ok("# HELP a_total x\n# TYPE a_total counter\na_total 1\n"), 0);
	assert_int_not_equal(strict_fails("a 1\n"), 0);		/* no TYPE */
	assert_int_not_equal(strict_fails("# TYPE a gauge\n# TYPE a gauge\na 1\n"), 0);
	assert_int_not_equal(strict_fails("# TYPE a gauge\na{t=\"x\"y\"} 1\n"), 0);
	assert_int_not_equal(strict_fails("# TYPE a gauge\na{t=\"x\\q\"} 1\n"), 0);
	assert_int_not_equal(strict_fails("# TYPE a gauge\na 1\na 2\n"), 0);	/* dup series */
	assert_int_not_equal(strict_fails("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 1\n"),
			     0);						/* not contiguous */
	assert_int_not_equal(strict_fails("# TYPE a counter\na 1\n"), 0);	/* no _total */
	assert_int_not_equal(strict_fails("# TYPE a gauge\na one\n"), 0);
	assert_int_not_equal(strict_fails("# TYPE a gauge\na 1"), 0);	/* no newline */
	assert_int_not_equal(strict_fails("# TYPE 1a gauge\n1a 1\n"), 0);
}

static struct tenant **synth(int n)
{
	struct tenant **ts = calloc((size_t)n, sizeof(*ts));
	char name[32];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "user%05d", i);
		ts[i] = mk_tenant(name, 10000 + (uint32_t)i);
		fill_all(ts[i], (uint64_t)i);
		if (i % 7 == 0)
			ts[i]->state = TS_THROTTLED;
		if (i % 3 == 0) {
			ts[i]->lim.set = LIM_CPU | LIM_MEM_HIGH | LIM_MEM_MAX | LIM_NPROC;
			ts[i]->lim.cpu_pct = 100;
			ts[i]->lim.mem_high = 1 << 30;
			ts[i]->lim.mem_max = 2U << 30;
			ts[i]->lim.nproc = 200;
		}
	}
	return ts;
}

static void synth_free(struct tenant **ts, int n)
{
	for (int i = 0; i < n; i++)
		free(ts[i]);
	free(ts);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every tenant gets every metric: the series count is exact. */
static void bench_one(int n, bool parse)
{
	struct tenant **ts = synth(n);
	struct prom_buf pb;
	double best = 1e9;
	int lines;

	prom_buf_init(&pb);
	for (int rep = 0; rep < 5; rep++) {
		double t0;

		prom_buf_reset(&pb);
		t0 = now_s();
		assert_int_equal(prom_render(&pb, ts, n, &host, NULL), 0);
		if (now_s() - t0 < best)
			best = now_s() - t0;
	}
	lines = count(pb.s, "{tenant=\"");
	/* 30 catalogue series + throttled + frozen per tenant; limits on every third */
	assert_int_equal(lines, n * (QM_NR + 2) + ((n + 2) / 3) * 4);
	printf("[ BENCH    ] prom_render %d tenants: %.2f ms, %zu bytes, %d tenant series\n",
	       n, best * 1e3, pb.len, lines);
	if (parse)
		assert_int_equal(strict_ok(pb.s), 0);
	prom_buf_free(&pb);
	synth_free(ts, n);
}

static void test_bench_1000(void **state)
{
	bench_one(1000, true);
}

static void test_bench_5000(void **state)
{
	bench_one(5000, false);
}

static const char *promtool_path(void)
{
	static const char *cands[] = { "/usr/bin/promtool", "/usr/local/bin/promtool" };

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (!access(cands[i], X_OK))
			return cands[i];
	return NULL;
}

/* quell_actions_total's counters (d->actions): one line per name, names capped */
static void test_actions_count(void **state)
{
	struct prom_actions pa = { 0 };
	char name[32];

	(void)state;
	prom_actions_count(&pa, "throttle");
	prom_actions_count(&pa, "freeze");
	prom_actions_count(&pa, "throttle");
	prom_actions_count(&pa, NULL);
	assert_int_equal(pa.nr, 2);
	assert_string_equal(pa.a[0].action, "throttle");
	assert_int_equal(pa.a[0].count, 2);
	assert_string_equal(pa.a[1].action, "freeze");
	assert_int_equal(pa.a[1].count, 1);
	for (int i = 0; i < PROM_MAX_ACTIONS + 5; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		prom_actions_count(&pa, name);
	}
	assert_int_equal(pa.nr, PROM_MAX_ACTIONS);
	/* full: a known name still counts */
	prom_actions_count(&pa, "freeze");
	assert_int_equal(pa.a[1].count, 2);
}

static void test_promtool(void **state)
{
	struct tenant **ts = synth(50);
	const char *tool = promtool_path();
	const struct prom_action acts[] = { { "throttle", 1 }, { "kill", 0 } };
	struct prom_self self = { .version = "0.1", .ticks = 3, .tick_seconds = 0.01,
				  .render_seconds = 0.001, .bpf = true, .bpf_map_used = 50,
				  .bpf_map_max = 16384, .actions = acts, .nr_actions = 2 };
	char path[] = "/tmp/quell-prom-XXXXXX", cmd[256], out[4096] = "";
	struct prom_buf pb;
	FILE *f;
	int fd, rc;
	size_t n;

	snprintf(ts[1]->name, sizeof(ts[1]->name), "we\"ird\\na\nme");
	prom_buf_init(&pb);
	assert_int_equal(prom_render(&pb, ts, 50, &host, &self), 0);
	assert_int_equal(strict_ok(pb.s), 0);
	if (!tool) {
		prom_buf_free(&pb);
		synth_free(ts, 50);
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, pb.s, pb.len), (ssize_t)pb.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s check metrics < %s 2>&1", tool, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	rc = pclose(f);
	unlink(path);
	if (rc)
		print_error("promtool said:\n%s\n", out);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");		/* not even a lint warning */
	prom_buf_free(&pb);
	synth_free(ts, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_tenant_lines),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_strict_parser_rejects),
		cmocka_unit_test(test_actions_count),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_bench_1000),
		cmocka_unit_test(test_bench_5000),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
