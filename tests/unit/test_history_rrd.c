// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_history_rrd.c - the writer and the readers against real RRD files
 * in a temp dir: round trip with hand-computed consolidation, report
 * ranking, corrupt / incompatible files, graph PNG.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <rrd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "fixture.h"
#include "history_writer.h"
#include "../../top/source.h"

#define T0	1699999980LL	/* a multiple of 60: minute rows line up */

/*
 * librrd's graph path leaves fontconfig / pango caches behind on purpose;
 * librrd has no frame pointers, so its allocations are only attributed to
 * it with the slow unwinder.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig\nleak:librrd\nleak:libpango\nleak:libcairo\nleak:libglib\n";
}

struct ctx {
	struct fx_tree tree;
	struct daemon *d;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || fx_tree_new(&c->tree))
		return -1;
	c->d = calloc(1, sizeof(*c->d));
	if (!c->d || registry_init(&c->d->reg))
		return -1;
	c->d->cfg.history = true;
	c->d->cfg.rrd_step_s = 10;
	snprintf(c->d->cfg.rrd_dir, sizeof(c->d->cfg.rrd_dir), "%s/rrd", c->tree.path);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	history_close(c->d);
	registry_free(&c->d->reg);
	free(c->d);
	fx_tree_free(&c->tree);
	free(c);
	return 0;
}

/*
 * Feed alice for 10 minutes every 10 s: interval k (ending T0 + 10k) has a
 * CPU rate of ((k - 1) % 6) * 1e8 ns/s and mem_bytes 1000 * k; bob uses a
 * steady 1e8 ns/s (10%), 50 limit hits per minute, more memory.
 */
static void feed(struct ctx *c, int minutes)
{
	struct tenant *a = registry_add(&c->d->reg, "alice", 1001, 1001);
	struct tenant *b = registry_add(&c->d->reg, "bob", 1002, 1002);
	uint64_t ca = 0, cb = 0, thr = 0;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(history_open(c->d), 0);
	assert_non_null(c->d->hist);
	for (int k = 0; k <= minutes * 6; k++) {
		if (k) {
			ca += (uint64_t)((k - 1) % 6) * 100000000ULL * 10;
			cb += 100000000ULL * 10;
			thr += k % 6 == 0 ? 50 : 0;
		}
		memset(&a->cur, 0, sizeof(a->cur));
		memset(&b->cur, 0, sizeof(b->cur));
		qm_set(&a->cur, QM_CPU_NS, ca, QM_SRC_BPF);
		qm_set(&a->cur, QM_MEM_BYTES, 1000ULL * (uint64_t)k, QM_SRC_CGROUP);
		qm_set(&a->cur, QM_NPROC, 3, QM_SRC_PROC);
		qm_set(&b->cur, QM_CPU_NS, cb, QM_SRC_BPF);
		qm_set(&b->cur, QM_MEM_BYTES, 1000000, QM_SRC_CGROUP);
		qm_set(&b->cur, QM_CPU_THROTTLED, thr, QM_SRC_CGROUP);
		c->d->host.cpu_pct = 40;
		c->d->host.mem_used = 5e9;
		assert_int_equal(history_tick(c->d, (time_t)(T0 + 10 * k)), 0);
		/* same step again: nothing queued */
		assert_int_equal(history_tick(c->d, (time_t)(T0 + 10 * k + 5)), 0);
		assert_int_equal(history_flush(c->d), 0);
	}
}

static void test_round_trip(void **state)
{
	struct ctx *c = *state;
	struct history_stats st;
	struct hist_series s;
	char path[512], err[512];
	int cpu, mem;

	feed(c, 10);
	assert_int_equal(history_get_stats(c->d, &st), 0);
	assert_int_equal(st.batches, 61);
	assert_int_equal(st.updates, 61 * 3);	/* alice, bob, host */
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.dropped, 0);
	history_close(c->d);

	hist_path(c->d->cfg.rrd_dir, "alice", path, sizeof(path));
	/* 60 s AVERAGE: each minute holds rates 0..5e8 -> 2.5e8; mem 1000 * (6m + 3.5) */
	assert_int_equal(hist_fetch(path, "AVERAGE", T0, T0 + 600, 60, &s, err, sizeof(err)), 0);
	assert_int_equal(s.step, 60);
	assert_int_equal(s.start, T0);
	assert_int_equal(s.rows, 10);
	cpu = hist_series_col(&s, "cpu_ns");
	mem = hist_series_col(&s, "mem_bytes");
	assert_true(cpu >= 0 && mem >= 0);
	for (int m = 0; m < 10; m++) {
		assert_int_equal(hist_row_time(&s, m), T0 + 60 * (m + 1));
		assert_float_equal(hist_at(&s, m, cpu), 2.5e8, 1);
		assert_float_equal(hist_at(&s, m, mem), 1000.0 * (6 * m + 3.5), 1e-6);
	}
	assert_float_equal(hist_display_value("cpu_ns", hist_at(&s, 3, cpu)), 25.0, 1e-6);
	hist_series_free(&s);

	/* 60 s MAX: the spike of 5e8 survives, mem peaks at the end of each minute */
	assert_int_equal(hist_fetch(path, "MAX", T0, T0 + 600, 60, &s, err, sizeof(err)), 0);
	assert_int_equal(s.rows, 10);
	cpu = hist_series_col(&s, "cpu_ns");
	mem = hist_series_col(&s, "mem_bytes");
	for (int m = 0; m < 10; m++) {
		assert_float_equal(hist_at(&s, m, cpu), 5e8, 1);
		assert_float_equal(hist_at(&s, m, mem), 1000.0 * (6 * m + 6), 1e-6);
	}
	hist_series_free(&s);

	/* step resolution: the exact per-interval rates */
	assert_int_equal(hist_fetch(path, "AVERAGE", T0, T0 + 600, 10, &s, err, sizeof(err)), 0);
	assert_int_equal(s.step, 10);
	assert_int_equal(s.rows, 60);
	cpu = hist_series_col(&s, "cpu_ns");
	for (int k = 1; k <= 60; k++)
		assert_float_equal(hist_at(&s, k - 1, cpu), ((k - 1) % 6) * 1e8, 1);
	/* unknown before the first update, not zero */
	hist_series_free(&s);
	assert_int_equal(hist_fetch(path, "AVERAGE", T0 - 60, T0, 10, &s, err, sizeof(err)), 0);
	assert_true(isnan(hist_at(&s, s.rows - 1, hist_series_col(&s, "cpu_ns"))));
	hist_series_free(&s);

	/* quelltop replay view of one row */
	struct qm_view v;
	assert_int_equal(hist_fetch(path, "AVERAGE", T0 + 20, T0 + 30, 10, &s, err, sizeof(err)), 0);
	assert_int_equal(s.rows, 1);
	hist_view_from_row(&s, 0, &v, NULL);
	assert_float_equal(v.cpu_pct, 20.0, 1e-6);	/* interval 3: 2e8 ns/s */
	assert_float_equal(v.mem_bytes, 3000, 1e-6);
	assert_float_equal(v.nproc, 3, 1e-6);
	assert_true(isnan(v.io_rbps));
	hist_series_free(&s);

	/* host.rrd */
	struct hview h = { 0 };
	hist_path(c->d->cfg.rrd_dir, NULL, path, sizeof(path));
	assert_int_equal(hist_fetch(path, "AVERAGE", T0 + 20, T0 + 30, 10, &s, err, sizeof(err)), 0);
	hist_hview_from_row(&s, 0, &h);
	assert_float_equal(h.cpu_pct, 40, 1e-9);
	assert_float_equal(h.mem_used, 5e9, 1e-3);
	hist_series_free(&s);

	assert_int_equal(hist_fetch("/nonexistent.rrd", "AVERAGE", T0, T0 + 60, 0, &s, err,
				    sizeof(err)), -ENOENT);
}

static void test_report(void **state)
{
	struct ctx *c = *state;
	struct hist_summary *sum;
	char err[512];
	int n;

	feed(c, 10);
	history_close(c->d);
	/* alice: mean 25% of a core over 600 s = 150 CPU s; bob: 10% = 60 s */
	assert_int_equal(hist_report(c->d->cfg.rrd_dir, T0, T0 + 600, HIST_BY_CPU, &sum, &n, err,
				     sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sum[0].name, "alice");
	assert_float_equal(sum[0].cpu_core_s, 150, 1e-6);
	assert_float_equal(sum[0].cpu_avg, 25, 1e-6);
	assert_float_equal(sum[0].cpu_max, 50, 1e-6);	/* from the MAX archive */
	assert_float_equal(sum[0].covered_s, 600, 1e-9);
	assert_string_equal(sum[1].name, "bob");
	assert_float_equal(sum[1].cpu_core_s, 60, 1e-6);
	assert_float_equal(sum[1].faults, 500, 1e-6);	/* 10 minutes x 50 */
	free(sum);

	assert_int_equal(hist_report(c->d->cfg.rrd_dir, T0, T0 + 600, HIST_BY_FAULTS, &sum, &n,
				     err, sizeof(err)), 0);
	assert_string_equal(sum[0].name, "bob");
	free(sum);
	assert_int_equal(hist_report(c->d->cfg.rrd_dir, T0, T0 + 600, HIST_BY_MEM, &sum, &n, err,
				     sizeof(err)), 0);
	assert_string_equal(sum[0].name, "bob");
	free(sum);
	/* a period with no data: nobody */
	assert_int_equal(hist_report(c->d->cfg.rrd_dir, T0 - 3600, T0 - 600, HIST_BY_CPU, &sum, &n,
				     err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(sum);
	assert_int_equal(hist_report("/nonexistent", T0, T0 + 600, HIST_BY_CPU, &sum, &n, err,
				     sizeof(err)), -ENOENT);
}

static int count_aside(const char *dir, const char *stem)
{
	char cmd[1024], buf[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^%s\\.rrd\\.corrupt-'", dir, stem);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(buf, sizeof(buf), p))
		buf[0] = '\0';
	pclose(p);
	return atoi(buf);
}

static void test_corrupt_file(void **state)
{
	struct ctx *c = *state;
	struct hist_schema s, s20;
	char path[512], dir[512], err[512];
	struct history_stats st;
	int64_t last;
	struct tenant *t;

	snprintf(dir, sizeof(dir), "%s/rrd/tenants", c->tree.path);
	assert_int_equal(fx_write(&c->tree, "rrd/tenants/carol.rrd", "this is not an RRD\n"), 0);
	hist_path(c->d->cfg.rrd_dir, "carol", path, sizeof(path));
	assert_int_equal(hist_schema_tenant(10, &s), 0);

	/* garbage: set aside, recreated, usable */
	assert_int_equal(hist_file_ensure(path, &s, T0, &last, err, sizeof(err)), 2);
	assert_int_equal(count_aside(dir, "carol"), 1);
	assert_int_equal(last, T0 - 1);
	assert_int_equal(hist_file_ensure(path, &s, T0 + 10, &last, err, sizeof(err)), 0);
	/* a different step is incompatible: set aside too */
	assert_int_equal(hist_schema_tenant(20, &s20), 0);
	assert_int_equal(hist_file_ensure(path, &s20, T0 + 20, &last, err, sizeof(err)), 2);
	assert_int_equal(count_aside(dir, "carol"), 2);
	assert_int_equal(hist_file_ensure(path, &s20, T0 + 30, &last, err, sizeof(err)), 0);
	/* missing: created */
	unlink(path);
	assert_int_equal(hist_file_ensure(path, &s, T0 + 40, &last, err, sizeof(err)), 1);

	/* through the daemon: a truncated file is found at the first write */
	assert_int_equal(truncate(path, 100), 0);
	t = registry_add(&c->d->reg, "carol", 1003, 1003);
	qm_set(&t->cur, QM_CPU_NS, 1, QM_SRC_BPF);
	assert_int_equal(history_open(c->d), 0);
	assert_int_equal(history_tick(c->d, T0 + 100), 0);
	assert_int_equal(history_flush(c->d), 0);
	assert_int_equal(history_get_stats(c->d, &st), 0);
	assert_int_equal(st.recreated, 1);
	assert_int_equal(st.errors, 0);
	assert_int_equal(count_aside(dir, "carol"), 3);
	/* deleted while running: recreated at the next write, no error */
	unlink(path);
	qm_set(&t->cur, QM_CPU_NS, 2, QM_SRC_BPF);
	assert_int_equal(history_tick(c->d, T0 + 110), 0);
	assert_int_equal(history_flush(c->d), 0);
	assert_int_equal(history_get_stats(c->d, &st), 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.updates, 4);
	assert_int_equal(access(path, R_OK), 0);
}

static int count_rrd(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".rrd");
	closedir(d);
	return n;
}

/*
 * Issue 11 item 5: a tenant gets its file at its first non-zero value, and a
 * batch creates at most HIST_CREATE_PER_S x step files (5 at step 1); the
 * others wait for the next steps. Files 0640, directories 0750 (issue 12.3).
 */
static void test_lazy_creation(void **state)
{
	struct ctx *c = *state;
	struct tenant *t[15];
	struct history_stats st;
	char dir[512], path[512];
	struct stat sb;

	c->d->cfg.rrd_step_s = 1;
	snprintf(dir, sizeof(dir), "%s/tenants", c->d->cfg.rrd_dir);
	for (int i = 0; i < 15; i++) {
		char name[16];

		snprintf(name, sizeof(name), "u%02d", i);
		t[i] = registry_add(&c->d->reg, name, 2000 + (uid_t)i, 2000 + (gid_t)i);
		assert_non_null(t[i]);
		/* 12 busy tenants, 3 idle ones (known zeros) */
		qm_set(&t[i]->cur, QM_CPU_NS, i < 12 ? 1000 : 0, QM_SRC_BPF);
		qm_set(&t[i]->cur, QM_MEM_BYTES, 0, QM_SRC_CGROUP);
	}
	assert_int_equal(history_open(c->d), 0);
	assert_int_equal(history_tick(c->d, T0), 0);
	assert_int_equal(history_flush(c->d), 0);
	assert_int_equal(count_rrd(dir), 5);
	hist_path(c->d->cfg.rrd_dir, NULL, path, sizeof(path));
	assert_int_equal(access(path, F_OK), 0);	/* host.rrd is not held back */
	assert_int_equal(history_get_stats(c->d, &st), 0);
	assert_int_equal(st.created, 6);
	assert_int_equal(st.deferred, 7);
	assert_int_equal(st.idle, 3);
	assert_int_equal(st.updates, 6);
	assert_int_equal(st.errors, 0);

	assert_int_equal(history_tick(c->d, T0 + 1), 0);
	assert_int_equal(history_flush(c->d), 0);
	assert_int_equal(count_rrd(dir), 10);
	assert_int_equal(history_tick(c->d, T0 + 2), 0);
	assert_int_equal(history_flush(c->d), 0);
	assert_int_equal(count_rrd(dir), 12);
	/* an idle tenant starts using something: its file appears */
	qm_set(&t[13]->cur, QM_CPU_NS, 5, QM_SRC_BPF);
	assert_int_equal(history_tick(c->d, T0 + 3), 0);
	assert_int_equal(history_flush(c->d), 0);
	assert_int_equal(count_rrd(dir), 13);
	hist_path(c->d->cfg.rrd_dir, "u13", path, sizeof(path));
	assert_int_equal(access(path, F_OK), 0);
	hist_path(c->d->cfg.rrd_dir, "u12", path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(history_get_stats(c->d, &st), 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.created, 14);

	/* not world-readable */
	hist_path(c->d->cfg.rrd_dir, "u00", path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_true(sb.st_size < 1000000);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	assert_int_equal(stat(c->d->cfg.rrd_dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
}

/*
 * A file of the first version's layout (2 d / 14 d / 395 d, 9.2 MB) is
 * migrated in place: the new file holds its recent data and is < 1 MB.
 */
static void test_migrate_old_layout(void **state)
{
	struct ctx *c = *state;
	static const char *const old_rra[] = {
		"RRA:AVERAGE:0.5:1:17280", "RRA:AVERAGE:0.5:6:20160", "RRA:MAX:0.5:6:20160",
		"RRA:AVERAGE:0.5:360:9480", "RRA:MAX:0.5:360:9480",
	};
	struct hist_schema s, old;
	struct hist_series f;
	char path[512], err[512], line[64];
	const char *argv[1] = { line };
	struct stat sb;
	int64_t last;
	int cpu;

	assert_int_equal(hist_schema_tenant(10, &s), 0);
	old = s;
	old.nrra = 5;
	for (int i = 0; i < 5; i++)
		snprintf(old.rra[i], sizeof(old.rra[i]), "%s", old_rra[i]);
	assert_int_equal(mkdir(c->d->cfg.rrd_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/tenants", c->d->cfg.rrd_dir);
	assert_int_equal(mkdir(path, 0755), 0);
	hist_path(c->d->cfg.rrd_dir, "olga", path, sizeof(path));
	assert_int_equal(hist_file_ensure(path, &old, T0, &last, err, sizeof(err)), 1);
	for (int k = 0; k <= 60; k++) {
		/* cpu_ns is the first DS: 1e8 ns/s */
		snprintf(line, sizeof(line), "%lld:%lld", (long long)(T0 + 10 * k),
			 (long long)k * 1000000000LL);
		for (int i = 1; i < s.nds; i++)
			strcat(line, ":U");
		assert_int_equal(rrd_update_r(path, NULL, 1, argv), 0);
	}
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 9000000);

	assert_int_equal(hist_file_ensure(path, &s, T0 + 610, &last, err, sizeof(err)), 3);
	assert_int_equal(last, T0 + 600);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size < 1000000);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(hist_file_ensure(path, &s, T0 + 620, &last, err, sizeof(err)), 0);
	assert_int_equal(hist_fetch(path, "AVERAGE", T0 + 60, T0 + 600, 10, &f, err, sizeof(err)),
			 0);
	cpu = hist_series_col(&f, "cpu_ns");
	assert_int_equal(f.rows, 54);
	for (int r = 0; r < f.rows; r++)
		assert_float_equal(hist_at(&f, r, cpu), 1e8, 1);
	hist_series_free(&f);
}

/*
 * A file of a schema with one DS fewer (before mem_inflicted, issue 14, was
 * given an RRD position) is migrated like an old archive layout: its data
 * kept, the new DS unknown. Set aside and recreated empty, it would lose
 * every tenant's history at the first start of the new quelld.
 */
static void test_migrate_added_ds(void **state)
{
	struct ctx *c = *state;
	struct hist_schema s, old;
	struct hist_series f;
	char path[512], err[512], line[256];
	const char *argv[1] = { line };
	int64_t last;
	int cpu;

	assert_int_equal(hist_schema_tenant(10, &s), 0);
	old = s;
	old.nds = s.nds - 1;
	assert_int_equal(mkdir(c->d->cfg.rrd_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/tenants", c->d->cfg.rrd_dir);
	assert_int_equal(mkdir(path, 0755), 0);
	hist_path(c->d->cfg.rrd_dir, "dora", path, sizeof(path));
	assert_int_equal(hist_file_ensure(path, &old, T0, &last, err, sizeof(err)), 1);
	for (int k = 0; k <= 60; k++) {
		snprintf(line, sizeof(line), "%lld:%lld", (long long)(T0 + 10 * k),
			 (long long)k * 1000000000LL);
		for (int i = 1; i < old.nds; i++)
			strcat(line, ":U");
		assert_int_equal(rrd_update_r(path, NULL, 1, argv), 0);
	}
	assert_int_equal(hist_file_ensure(path, &s, T0 + 610, &last, err, sizeof(err)), 3);
	assert_int_equal(last, T0 + 600);
	assert_int_equal(hist_fetch(path, "AVERAGE", T0 + 60, T0 + 600, 10, &f, err, sizeof(err)),
			 0);
	assert_int_equal(f.nds, s.nds);
	cpu = hist_series_col(&f, "cpu_ns");
	assert_true(cpu >= 0);
	for (int r = 0; r < f.rows; r++)
		assert_float_equal(hist_at(&f, r, cpu), 1e8, 1);
	hist_series_free(&f);
}

/*
 * The dense recent window: per second, the MAX of the ticks stamped with it,
 * for the last HIST_RECENT_S seconds; idle tenants have none.
 */
static void test_recent_window(void **state)
{
	struct ctx *c = *state;
	struct tenant *a, *b;
	json_t *j, *rows;

	a = registry_add(&c->d->reg, "alice", 1001, 1001);
	b = registry_add(&c->d->reg, "bob", 1002, 1002);
	assert_non_null(a);
	assert_non_null(b);
	a->cur.valid = b->cur.valid = true;
	assert_int_equal(history_open(c->d), 0);
	for (int k = 0; k < 20; k++) {
		/* alice: a 2-tick spike of 190 % at second 7 among 10 % ticks; two ticks a second */
		a->view = (struct qm_view){ .cpu_pct = k == 7 ? 190 : 10, .io_rbps = 100 * k,
					    .io_wbps = NAN, .inflicted_ms_s = 0, .mem_bytes = 1e6 };
		b->view = (struct qm_view){ .cpu_pct = 0, .mem_bytes = 0, .io_rbps = 0, .io_wbps = 0 };
		assert_int_equal(history_tick(c->d, (time_t)(T0 + k)), 0);
		a->view.cpu_pct = k == 7 ? 120 : 12;
		assert_int_equal(history_tick(c->d, (time_t)(T0 + k)), 0);
	}
	assert_int_equal(history_flush(c->d), 0);
	assert_int_equal(history_recent_json(c->d, "bob", T0, T0 + 20, &j), -ENOENT);
	assert_int_equal(history_recent_json(c->d, "alice", T0 - 1, T0 + 19, &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "cf")), "MAX");
	assert_int_equal(json_integer_value(json_object_get(j, "step")), 1);
	rows = json_object_get(j, "rows");
	assert_int_equal(json_array_size(rows), 20);
	for (int k = 0; k < 20; k++) {
		json_t *r = json_array_get(rows, (size_t)k);

		assert_int_equal(json_integer_value(json_object_get(r, "time")), T0 + k);
		assert_float_equal(json_real_value(json_object_get(r, "cpu_pct")),
				   k == 7 ? 190 : 12, 1e-3);
		assert_float_equal(json_real_value(json_object_get(r, "io_rbps")), 100 * k, 1e-3);
		assert_true(json_is_null(json_object_get(r, "io_wbps")));	/* unknown */
		assert_true(json_is_null(json_object_get(r, "nproc")));	/* not kept */
	}
	json_decref(j);
	/* after the window has turned over, the old seconds are gone */
	a->view.cpu_pct = 50;
	assert_int_equal(history_tick(c->d, (time_t)(T0 + 7 + HIST_RECENT_S)), 0);
	assert_int_equal(history_recent_json(c->d, "alice", T0 + 6, T0 + 8, &j), 0);
	rows = json_object_get(j, "rows");
	assert_int_equal(json_array_size(rows), 2);
	/* T0 + 7's slot holds T0 + 307 now; T0 + 8 is 299 s old, still kept */
	assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "cpu_pct")));
	assert_float_equal(json_real_value(json_object_get(json_array_get(rows, 1), "cpu_pct")), 12,
			   1e-3);
	json_decref(j);
	/* a request is clamped to the window's length */
	assert_int_equal(history_recent_json(c->d, "alice", 0, T0 + 1000, &j), 0);
	assert_int_equal(json_array_size(json_object_get(j, "rows")), HIST_RECENT_S);
	json_decref(j);
	assert_int_equal(history_recent_json(c->d, "alice", T0 + 7 + HIST_RECENT_S - 2,
					     T0 + 7 + HIST_RECENT_S, &j), 0);
	rows = json_object_get(j, "rows");
	assert_int_equal(json_array_size(rows), 2);
	assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "cpu_pct")));
	assert_float_equal(json_real_value(json_object_get(json_array_get(rows, 1), "cpu_pct")), 50,
			   1e-3);
	json_decref(j);
}

#define HR_TEST_CHUNK	30	/* history_writer.c HR_CHUNK_S */

static json_t *recent_row(json_t *j, size_t k)
{
	return json_array_get(json_object_get(j, "rows"), k);
}

/*
 * Windows are sized by what happens (issue 15): the rates of quiet seconds
 * (0 or unknown) are kept without their 30 s chunk, a spike gets one, and
 * a chunk whose spike has left the window goes. What a request sees is the
 * same in every case: zeros, unknowns, the spike, the memory.
 */
static void test_recent_quiet_and_spike(void **state)
{
	struct ctx *c = *state;
	struct tenant *q;
	json_t *j, *r;
	int64_t t1;

	q = registry_add(&c->d->reg, "quinn", 1003, 1003);
	assert_non_null(q);
	q->cur.valid = true;
	assert_int_equal(history_open(c->d), 0);
	for (int k = 0; k < 40; k++) {
		q->view = (struct qm_view){ .cpu_pct = k == 5 ? 50 : 0, .inflicted_ms_s = 0,
					    .io_rbps = 0, .io_wbps = NAN, .mem_bytes = 2e6 + k };
		assert_int_equal(history_tick(c->d, (time_t)(T0 + k)), 0);
	}
	assert_int_equal(history_recent_json(c->d, "quinn", T0 - 1, T0 + 39, &j), 0);
	assert_int_equal(json_array_size(json_object_get(j, "rows")), 40);
	for (int k = 0; k < 40; k++) {
		r = recent_row(j, (size_t)k);
		assert_float_equal(json_real_value(json_object_get(r, "cpu_pct")),
				   k == 5 ? 50 : 0, 1e-6);
		assert_float_equal(json_real_value(json_object_get(r, "io_rbps")), 0, 1e-6);
		assert_float_equal(json_real_value(json_object_get(r, "inflicted_ms_s")), 0, 1e-6);
		assert_true(json_is_null(json_object_get(r, "io_wbps")));
		assert_float_equal(json_real_value(json_object_get(r, "mem_bytes")), 2e6 + k, 1);
	}
	json_decref(j);

	/* quiet for longer than the window: the spike is gone, the zeros and unknowns stay right */
	for (int64_t t = T0 + 40; t < T0 + 40 + HIST_RECENT_S + HR_TEST_CHUNK; t++) {
		q->view = (struct qm_view){ .cpu_pct = 0, .inflicted_ms_s = 0, .io_rbps = 0,
					    .io_wbps = t % 2 ? 0 : NAN, .mem_bytes = 3e6 };
		/* the RRD writer may drop a step (-EAGAIN): the window is written first */
		history_tick(c->d, (time_t)t);
	}
	t1 = T0 + 40 + HIST_RECENT_S + HR_TEST_CHUNK - 1;
	assert_int_equal(history_recent_json(c->d, "quinn", t1 - HIST_RECENT_S, t1, &j), 0);
	assert_int_equal(json_array_size(json_object_get(j, "rows")), HIST_RECENT_S);
	for (int k = 0; k < HIST_RECENT_S; k++) {
		int64_t t = t1 - HIST_RECENT_S + 1 + k;

		r = recent_row(j, (size_t)k);
		assert_int_equal(json_integer_value(json_object_get(r, "time")), t);
		assert_float_equal(json_real_value(json_object_get(r, "cpu_pct")), 0, 1e-6);
		if (t % 2)
			assert_float_equal(json_real_value(json_object_get(r, "io_wbps")), 0, 1e-6);
		else
			assert_true(json_is_null(json_object_get(r, "io_wbps")));
		assert_float_equal(json_real_value(json_object_get(r, "mem_bytes")), 3e6, 1);
	}
	json_decref(j);

	/* and a new spike after that is kept again, beside quiet seconds of its chunk */
	q->view = (struct qm_view){ .cpu_pct = 75, .inflicted_ms_s = 2, .io_rbps = 0,
				    .io_wbps = NAN, .mem_bytes = 3e6 };
	history_tick(c->d, (time_t)(t1 + 1));
	assert_int_equal(history_recent_json(c->d, "quinn", t1 - 1, t1 + 1, &j), 0);
	r = recent_row(j, 0);
	assert_float_equal(json_real_value(json_object_get(r, "cpu_pct")), 0, 1e-6);
	r = recent_row(j, 1);
	assert_float_equal(json_real_value(json_object_get(r, "cpu_pct")), 75, 1e-6);
	assert_float_equal(json_real_value(json_object_get(r, "inflicted_ms_s")), 2, 1e-6);
	assert_true(json_is_null(json_object_get(r, "io_wbps")));
	json_decref(j);
}

static void test_graph_png(void **state)
{
	struct ctx *c = *state;
	struct hist_event ev[2];
	struct hist_graph_opts o = { 0 };
	unsigned char sig[8];
	char out[512], err[512];
	FILE *f;
	long size;

	feed(c, 10);
	history_close(c->d);
	assert_int_equal(hist_events_parse_line(
		"{\"time\":1700000100,\"tenant\":\"alice\",\"action\":\"throttle\",\"rule\":\"cpu\"}",
		&ev[0]), 0);
	assert_int_equal(hist_events_parse_line(
		"{\"time\":1700000400,\"tenant\":\"alice\",\"action\":\"kill\",\"rule\":\"a:b\"}",
		&ev[1]), 0);
	o.dir = c->d->cfg.rrd_dir;
	o.tenant = "alice";
	o.metric = HIST_M_CPU;
	o.start = T0;
	o.end = T0 + 600;
	o.ev = ev;
	o.nev = 2;
	for (int host = 0; host < 2; host++) {
		snprintf(out, sizeof(out), "%s/g%d.png", c->tree.path, host);
		o.out = out;
		o.tenant = host ? NULL : "alice";
		assert_int_equal(hist_graph(&o, err, sizeof(err)), 0);
		f = fopen(out, "rb");
		assert_non_null(f);
		assert_int_equal(fread(sig, 1, 8, f), 8);
		assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
		assert_true(size > 5000 && size < 500000);
	}
	o.tenant = "nobody";
	assert_int_equal(hist_graph(&o, err, sizeof(err)), -ENOENT);
}

/* quelltop --at: frames at an instant, arrows move by the RRD step */
static void test_replay_source(void **state)
{
	struct ctx *c = *state;
	struct top_source src = { 0 };
	struct tview *tv;
	struct hview h;
	char when[64];
	int n;

	feed(c, 10);
	history_close(c->d);
	assert_int_equal(top_source_rrd_open("/nonexistent", T0, &src), -ENOENT);
	assert_int_equal(top_source_rrd_open(c->d->cfg.rrd_dir, T0 + 25, &src), 0);
	assert_int_equal(src.ops->fetch(&src, &h, &tv, &n, when, sizeof(when)), 0);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		if (!strcmp(tv[i].name, "alice"))
			assert_float_equal(tv[i].v.cpu_pct, 20, 1e-6);	/* interval 3 */
		else
			assert_float_equal(tv[i].v.cpu_pct, 10, 1e-6);
	}
	assert_float_equal(h.cpu_pct, 40, 1e-9);
	assert_non_null(strstr(when, "replay"));
	free(tv);
	assert_int_equal(src.ops->step(&src, +1), 0);	/* T0 + 35: interval 4 */
	assert_int_equal(src.ops->fetch(&src, &h, &tv, &n, when, sizeof(when)), 0);
	for (int i = 0; i < n; i++)
		if (!strcmp(tv[i].name, "alice"))
			assert_float_equal(tv[i].v.cpu_pct, 30, 1e-6);
	free(tv);
	assert_int_equal(src.ops->action(&src, "kill", "alice", when, sizeof(when)), -ENOTSUP);
	/* past the last update: the end of history */
	for (int i = 0; i < 100 && src.ops->step(&src, +1) == 0; i++)
		;
	assert_int_equal(src.ops->step(&src, +1), -ERANGE);
	top_source_close(&src);
	/* before anything was written: no data */
	assert_int_equal(top_source_rrd_open(c->d->cfg.rrd_dir, T0 - 3600, &src), 0);
	assert_int_equal(src.ops->fetch(&src, &h, &tv, &n, when, sizeof(when)), -ENODATA);
	assert_null(tv);
	top_source_close(&src);
}

static void test_summary_literal(void **state)
{
	/* 4 rows of 60 s; columns in file order; NAN = unknown */
	double avg[] = {
		/* cpu_ns  mem_bytes  cpu_throttled  rq_inflicted_ns */
		5e8, 100, 0.5, 2e8,
		NAN, NAN, NAN, NAN,
		1e9, 300, 0, 0,
		0, 200, 1, 1e8,
	};
	double mx[] = {
		9e8, 150, 1, 3e8,
		NAN, NAN, NAN, NAN,
		2e9, 400, 0, 0,
		0, 250, 2, 1e8,
	};
	struct hist_series a = { .start = T0, .step = 60, .rows = 4, .nds = 4, .v = avg };
	struct hist_series m = { .start = T0, .step = 60, .rows = 4, .nds = 4, .v = mx };
	struct hist_summary s[3] = { { .name = "x" }, { .name = "b" }, { .name = "a" } };

	strcpy(a.ds[0], "cpu_ns");
	strcpy(a.ds[1], "mem_bytes");
	strcpy(a.ds[2], "cpu_throttled");
	strcpy(a.ds[3], "rq_inflicted_ns");
	memcpy(m.ds, a.ds, sizeof(a.ds));
	assert_int_equal(hist_summarize(&a, &m, &s[0]), 0);
	assert_string_equal(s[0].name, "x");
	assert_float_equal(s[0].covered_s, 180, 1e-9);
	assert_float_equal(s[0].cpu_avg, 50, 1e-9);		/* (50 + 100 + 0) / 3 % */
	assert_float_equal(s[0].cpu_max, 200, 1e-9);
	assert_float_equal(s[0].cpu_core_s, 90, 1e-9);	/* (0.5 + 1 + 0) core x 60 s */
	assert_float_equal(s[0].mem_avg, 200, 1e-9);
	assert_float_equal(s[0].mem_max, 400, 1e-9);
	assert_float_equal(s[0].faults_cpu, 90, 1e-9);	/* (0.5 + 0 + 1) / s x 60 s */
	assert_float_equal(s[0].faults, 90, 1e-9);
	assert_true(isnan(s[0].faults_mem));
	assert_float_equal(s[0].inflicted_s, 18, 1e-9);	/* (0.2 + 0 + 0.1) x 60 */
	assert_float_equal(s[0].inflicted_max, 300, 1e-9);	/* ms/s */
	assert_true(isnan(s[0].io_avg));
	/* no MAX series: maxima from the averages */
	assert_int_equal(hist_summarize(&a, NULL, &s[0]), 0);
	assert_float_equal(s[0].cpu_max, 100, 1e-9);
	assert_int_equal(hist_summarize(NULL, NULL, &s[0]), -EINVAL);

	/* ranking: biggest first, ties by name, unknown as 0 */
	s[1].cpu_core_s = 90;
	s[2].cpu_core_s = 90;
	s[1].faults = NAN;
	s[2].faults = 1;
	hist_rank(s, 3, HIST_BY_CPU);
	assert_string_equal(s[0].name, "a");
	assert_string_equal(s[1].name, "b");
	assert_string_equal(s[2].name, "x");
	hist_rank(s, 3, HIST_BY_FAULTS);
	assert_string_equal(s[0].name, "x");
	assert_string_equal(s[1].name, "a");
	assert_string_equal(s[2].name, "b");
	enum hist_by by;
	assert_int_equal(hist_by_parse("inflicted", &by), 0);
	assert_int_equal(by, HIST_BY_INFLICTED);
	assert_int_equal(hist_by_parse("bogus", &by), -EINVAL);
	/* the memory twin: evicted bytes of others in the period */
	assert_int_equal(hist_by_parse("mem_inflicted", &by), 0);
	assert_int_equal(by, HIST_BY_MEM_INFLICTED);
	s[0].mem_inflicted = NAN;
	s[1].mem_inflicted = 4096;
	s[2].mem_inflicted = 1 << 20;
	hist_rank(s, 3, HIST_BY_MEM_INFLICTED);
	assert_string_equal(s[0].name, "b");
	assert_string_equal(s[1].name, "a");
	assert_string_equal(s[2].name, "x");
}

static void test_events_and_graph_args(void **state)
{
	struct hist_event ev[3];
	struct hist_graph_opts o = { .dir = "/r:x", .metric = HIST_M_IO, .start = 100, .end = 1000,
				     .out = "/tmp/o.png", .ev = ev, .nev = 3, .host_line = true };
	const char stack[2][QUELL_NAME_MAX] = { "alice", "bob" };
	char **argv;
	int argc;
	bool stacked = false, first_area = false, host = false, vr_kill = false, vr_plain = false;

	assert_int_equal(hist_events_parse_line("{\"time\":500,\"tenant\":\"alice\","
						"\"action\":\"kill\",\"rule\":\"r1\"}", &ev[0]), 0);
	assert_string_equal(ev[0].tenant, "alice");
	assert_string_equal(ev[0].rule, "r1");
	assert_int_equal(hist_events_parse_line("{\"time\":600.7,\"action\":\"kill\"}", &ev[1]), 0);
	assert_int_equal(ev[1].time, 600);
	assert_int_equal(hist_events_parse_line("{\"time\":2000,\"action\":\"throttle\"}", &ev[2]), 0);
	assert_int_equal(hist_events_parse_line("{\"action\":\"kill\"}", &ev[2]), -EINVAL);
	assert_int_equal(hist_events_parse_line("not json", &ev[2]), -EINVAL);
	assert_int_equal(hist_events_parse_line("[1,2]", &ev[2]), -EINVAL);
	ev[2].time = 2000;	/* outside the period: not drawn */
	strcpy(ev[2].action, "throttle");

	argc = hist_graph_args(&o, stack, 2, &argv);
	assert_true(argc > 10);
	assert_string_equal(argv[0], "graph");
	assert_string_equal(argv[1], "/tmp/o.png");
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "DEF:t0_0=/r\\:x/tenants/alice.rrd:io_rbytes:AVERAGE"))
			first_area = true;
		if (!strncmp(argv[i], "AREA:t1#", 8) && strstr(argv[i], ":bob:STACK"))
			stacked = true;
		if (!strcmp(argv[i], "LINE2:host#000000:host total"))
			host = true;
		if (!strcmp(argv[i], "VRULE:500#d62728:kill"))
			vr_kill = true;
		if (!strcmp(argv[i], "VRULE:600#d62728"))	/* second kill: no second legend */
			vr_plain = true;
		assert_null(strstr(argv[i], "VRULE:2000"));
	}
	assert_true(first_area);
	assert_true(stacked);
	assert_true(host);
	assert_true(vr_kill);
	assert_true(vr_plain);
	assert_null(argv[argc]);
	hist_args_free(argc, argv);

	/* the title names the metric as --metric does: a view's short name, or a composite's */
	o.metric = HIST_M_CPU;
	o.tenant = "alice";
	argc = hist_graph_args(&o, stack, 2, &argv);
	assert_true(argc > 2);
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "--title=", 8))
			assert_string_equal(argv[i], "--title=alice: cpu");
	hist_args_free(argc, argv);
	o.tenant = NULL;
	o.metric = HIST_M_IO;

	o.end = o.start;
	assert_int_equal(hist_graph_args(&o, stack, 2, &argv), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_creation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_old_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_added_ds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent_quiet_and_spike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graph_png, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_source, setup, teardown),
		cmocka_unit_test(test_summary_literal),
		cmocka_unit_test(test_events_and_graph_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
