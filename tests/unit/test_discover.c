// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_discover.c - users mode life cycle on a fake hybrid tree: cgroups of
 * users deleted while quelld was down (issue 11 item 6) are removed once
 * empty, in every hierarchy, and nothing else is.
 *
 * The uid range is one no user has, so discover_users() adopts nobody from
 * this machine's passwd; "root" stands for a user that exists but is no
 * tenant, "quelltest-gone-*" for one that was deleted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "config.h"
#include "fixture_cg.h"
#include "fixture_daemon.h"
#include "quelld.h"

static struct fx_tree tree;
static struct daemon D;

static void w(const char *rel, const char *s)
{
	assert_int_equal(fx_write(&tree, rel, s), 0);
}

static bool dir_in(const char *hier, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/%s", tree.path, hier, rel);
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* rel in unified and every v1 hierarchy, empty */
static void mk_everywhere(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "unified/%s/cgroup.procs", rel);
	w(p, "");
	for (size_t i = 0; i < FX_CG_NR_V1; i++) {
		snprintf(p, sizeof(p), "%s/%s/cgroup.procs", fx_cg_v1_ctrls[i], rel);
		w(p, "");
	}
}

static int setup(void **state)
{
	(void)state;
	if (fx_tree_new(&tree) || fx_cg_roots(&tree, FX_CG_HYBRID))
		return -1;
	memset(&D, 0, sizeof(D));
	config_defaults(&D.cfg);
	D.cfg.tenant_mode = TENANT_USERS;
	D.cfg.place = true;
	D.cfg.min_uid = 3999999990u;	/* nobody's */
	D.cfg.max_uid = 3999999999u;
	snprintf(D.cfg.managed, sizeof(D.cfg.managed), "quell");
	D.proc_fd = -1;
	return fx_daemon_open(&D, &tree);
}

static int teardown(void **state)
{
	(void)state;
	fx_daemon_close(&D);
	config_free(&D.cfg);
	fx_tree_free(&tree);
	return 0;
}

static void test_orphans(void **state)
{
	const char *gone = "quell/quelltest-gone-4a1";
	const char *busy = "quell/quelltest-gone-4a2";

	(void)state;
	mk_everywhere(gone);
	w("unified/quell/quelltest-gone-4a1/php/cgroup.procs", "");	/* a child cgroup */
	mk_everywhere(busy);
	w("memory/quell/quelltest-gone-4a2/cgroup.procs", "4242\n");	/* still a process */
	mk_everywhere("quell/root");			/* exists, not a tenant */
	w("pids/quell/quelltest-gone-4a3/cgroup.procs", "");	/* left in one hierarchy */
	w("pids/quell/bad name/cgroup.procs", "");		/* not a name quell makes */
	w("unified/other/quelltest-gone-4a1/cgroup.procs", "");	/* outside <managed> */

	assert_int_equal(discover_tenants(&D), 0);

	assert_false(dir_in("unified", gone));
	for (size_t i = 0; i < FX_CG_NR_V1; i++)
		assert_false(dir_in(fx_cg_v1_ctrls[i], gone));
	assert_false(dir_in("pids", "quell/quelltest-gone-4a3"));
	/* kept: processes in one hierarchy keep it in all */
	assert_true(dir_in("unified", busy));
	assert_true(dir_in("cpu", busy));
	assert_true(dir_in("memory", busy));
	assert_true(dir_in("unified", "quell/root"));
	assert_true(dir_in("freezer", "quell/root"));
	assert_true(dir_in("pids", "quell/bad name"));
	assert_true(dir_in("unified", "other/quelltest-gone-4a1"));
	assert_true(dir_in("unified", "quell"));

	/* the next discovery (sweep) removes it once empty */
	w("memory/quell/quelltest-gone-4a2/cgroup.procs", "");
	assert_int_equal(discover_tenants(&D), 0);
	assert_false(dir_in("unified", busy));
	assert_false(dir_in("memory", busy));
}

static void test_orphans_cgroups_mode(void **state)
{
	(void)state;
	/* cgroups mode: the children are someone else's, never removed */
	D.cfg.tenant_mode = TENANT_CGROUPS;
	snprintf(D.cfg.parent, sizeof(D.cfg.parent), "elsewhere");
	w("unified/elsewhere/cgroup.procs", "");
	mk_everywhere("quell/quelltest-gone-4b1");
	discover_tenants(&D);
	assert_true(dir_in("unified", "quell/quelltest-gone-4b1"));
	assert_true(dir_in("cpu", "quell/quelltest-gone-4b1"));
	registry_free(&D.reg);
	assert_int_equal(registry_init(&D.reg), 0);
}

static uint64_t ino_of(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", tree.path, rel);
	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_ino;
}

static void mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tree.path, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void rm(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tree.path, rel);
	assert_int_equal(rmdir(p), 0);
}

/*
 * cgroups mode, issue 15: the parent is read only when a child came or went
 * (inotify) or on the sweep, not every tick; what changes is still seen at
 * the next discovery, a re-created directory included (its key follows).
 */
static void test_cgroups_watch(void **state)
{
	uint64_t scans;
	struct tenant *t;

	(void)state;
	D.cfg.tenant_mode = TENANT_CGROUPS;
	D.cfg.sweep_ms = 3600 * 1000;
	snprintf(D.cfg.parent, sizeof(D.cfg.parent), "ten");
	mk("unified/ten");
	mk("unified/ten/alice");
	mk("unified/ten/bob");
	mk("unified/ten/bad name");

	assert_int_equal(discover_tenants(&D), 2);
	assert_true(D.discover_watch > 0);
	t = registry_by_name(&D.reg, "alice");
	assert_non_null(t);
	assert_int_equal(t->key, ino_of("unified/ten/alice"));
	assert_string_equal(t->cg, "ten/alice");
	scans = D.discover_scans;

	/* nothing changed: no readdir, everybody stays */
	for (int i = 0; i < 3; i++)
		assert_int_equal(discover_tenants(&D), 2);
	assert_int_equal(D.discover_scans, scans);

	/* a child inside a tenant is not a change of the parent */
	mk("unified/ten/alice/php");
	assert_int_equal(discover_tenants(&D), 2);
	assert_int_equal(D.discover_scans, scans);

	mk("unified/ten/carol");
	assert_int_equal(discover_tenants(&D), 3);
	assert_int_equal(D.discover_scans, scans + 1);
	assert_non_null(registry_by_name(&D.reg, "carol"));

	rm("unified/ten/bob");
	assert_int_equal(discover_tenants(&D), 2);
	assert_null(registry_by_name(&D.reg, "bob"));

	/* same name, new directory: the key follows at once, not at the sweep */
	rm("unified/ten/carol");
	mk("unified/quelltest-hold");	/* keeps carol's old inode number from being reused */
	mk("unified/ten/carol");
	assert_int_equal(discover_tenants(&D), 2);
	t = registry_by_name(&D.reg, "carol");
	assert_non_null(t);
	assert_int_equal(t->key, ino_of("unified/ten/carol"));
	assert_non_null(registry_by_key(&D.reg, t->key));

	/* the sweep reads the parent even when the watch says nothing */
	scans = D.discover_scans;
	assert_int_equal(discover_tenants(&D), 2);
	assert_int_equal(D.discover_scans, scans);
	D.discover_full_ms -= D.cfg.sweep_ms;
	assert_int_equal(discover_tenants(&D), 2);
	assert_int_equal(D.discover_scans, scans + 1);

	/* the parent goes away: the watch is lost, every tenant with it */
	rm("unified/ten/alice/php");
	rm("unified/ten/alice");
	rm("unified/ten/carol");
	rm("unified/ten/bad name");
	rm("unified/ten");
	assert_int_equal(discover_tenants(&D), 0);
	/* and comes back: a new watch, the new children found */
	mk("unified/ten");
	mk("unified/ten/dave");
	assert_int_equal(discover_tenants(&D), 1);
	assert_true(D.discover_watch > 0);
	mk("unified/ten/erin");
	assert_int_equal(discover_tenants(&D), 2);

	/* reload to another parent: the watch follows it */
	mk("unified/ten2");
	mk("unified/ten2/frank");
	snprintf(D.cfg.parent, sizeof(D.cfg.parent), "ten2");
	assert_int_equal(discover_tenants(&D), 1);
	assert_non_null(registry_by_name(&D.reg, "frank"));
	mk("unified/ten2/gina");
	assert_int_equal(discover_tenants(&D), 2);
	discover_fini(&D);
	assert_int_equal(D.discover_watch, 0);
	registry_free(&D.reg);
	assert_int_equal(registry_init(&D.reg), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_orphans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_cgroups_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroups_watch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
