// SPDX-License-Identifier: GPL-2.0-only
/*
 * cost_state.c - issue 15: what the act stage and the state db cost at N
 * tenants (default 10,000). Not a unit test (no test_ prefix: `make unit`
 * does not run it); build and run by hand:
 *
 *   make build/tests/cost_state && build/tests/cost_state [N]
 *
 * N tenants go through act_tenant_added and 5 calm ticks (decide + act:
 * act_apply's last-write cache) against a fake cgroup tree (mkdtemp; the
 * tenants' cgroups are absent, so writes end in ENOENT, which act.c
 * remembers like a successful one), then it prints the resident growth,
 * the state db's entries, and how long state_save takes with the db as
 * the daemon left it and with N entries that all hold something.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "act.h"
#include "clock.h"
#include "decide.h"
#include "fixture.h"
#include "fixture_daemon.h"
#include "fixture_policy.h"
#include "log.h"
#include "state.h"

static struct fx_tree tree;
static struct daemon D;

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : (long)st.st_size;
}

/* median of 5 state_save() runs, in ms */
static double save_ms(const char *p, const struct state_db *db)
{
	double v[5];

	for (int k = 0; k < 5; k++) {
		double t0 = now_ms();

		if (state_save(p, db))
			return NAN;
		v[k] = now_ms() - t0;
	}
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (v[j] < v[i]) {
				double x = v[i];

				v[i] = v[j];
				v[j] = x;
			}
	return v[2];
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	char err[200], p[512];
	struct state_db full = { 0 };
	uint64_t base = clock_real_ms() / 1000 * 1000;
	long rss0, rss1;
	double ms;

	log_init("cost_state", 0, LOG_ERR);
	if (n <= 0 || fx_tree_new(&tree))
		return 1;
	fx_write(&tree, "cgroup.controllers", "cpu io memory pids\n");
	policy_config_init(&D.cfg.policy);
	if (policy_config_finish(&D.cfg.policy, err, sizeof(err)))
		return 1;
	fx_daemon_files(&D, tree.path);
	if (fx_daemon_open(&D, &tree) || act_init(&D))
		return 1;

	rss0 = rss_kib();
	for (int i = 0; i < n; i++) {
		char name[32];
		struct tenant *t;

		snprintf(name, sizeof(name), "u%05d", i);
		t = registry_add(&D.reg, name, 10000 + (uint32_t)i, 10000 + (uint64_t)i);
		if (!t)
			return 1;
		snprintf(t->cg, sizeof(t->cg), "quell/%s", name);
		limits_init(&t->lim);
		t->view = fx_view(1, 0);
		for (int k = 0; k < QM_NR; k++)
			t->rates.r[k] = NAN;
		act_tenant_added(&D, t);
	}
	for (int s = 0; s < 5; s++) {
		tick_decide(&D, base + (uint64_t)s * 1000, &D.plan);
		tick_act(&D, &D.plan);
	}
	rss1 = rss_kib();
	printf("tenants %d: resident growth %.1f MiB (%ld -> %ld KiB), state db entries %d "
	       "(cap %d)\n", n, (double)(rss1 - rss0) / 1024, rss0, rss1, D.plan.db->nr,
	       D.plan.db->cap);
	printf("sizeof: struct tenant %zu, struct state_tenant %zu, struct state_rule %zu\n",
	       sizeof(struct tenant), sizeof(struct state_tenant), sizeof(struct state_rule));

	snprintf(p, sizeof(p), "%s/state/policy-state.json", tree.path);
	ms = save_ms(p, D.plan.db);
	printf("state_save as left (%d entries): %.3f ms median of 5, %ld bytes\n",
	       D.plan.db->nr, ms, file_size(p));
	for (int i = 0; i < n; i++) {
		char name[32];
		struct state_tenant *st;

		snprintf(name, sizeof(name), "u%05d", i);
		st = state_find(&full, name, true);
		if (!st)
			return 1;
		st->manual = SM_THROTTLE;
		st->manual_until = base / 1000 + 60;
		st->nr_rules = 1;
		st->rules = calloc(1, sizeof(*st->rules));
		if (!st->rules)
			return 1;
		snprintf(st->rules[0].rule, sizeof(st->rules[0].rule), "cpu-hog");
		st->rules[0].rs.level = 1;
		st->rules[0].rs.since_ms = base;
	}
	snprintf(p, sizeof(p), "%s/state/full.json", tree.path);
	ms = save_ms(p, &full);
	printf("state_save with %d used entries: %.3f ms median of 5, %ld bytes\n", full.nr,
	       ms, file_size(p));
	state_free(&full);

	act_shutdown(&D);
	fx_daemon_close(&D);
	fx_tree_free(&tree);
	return 0;
}
