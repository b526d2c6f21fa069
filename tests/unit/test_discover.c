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
#include "fixture.h"
#include "quelld.h"

static const char *const ctrls[] = { "cpu", "cpuacct", "memory", "blkio", "pids", "freezer" };

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
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s/cgroup.procs", ctrls[i], rel);
		w(p, "");
	}
}

static int setup(void **state)
{
	(void)state;
	if (fx_tree_new(&tree))
		return -1;
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s/cgroup.procs", ctrls[i]);
		w(p, "1\n");
	}
	w("unified/cgroup.controllers", "\n");
	w("unified/cgroup.procs", "1\n");
	memset(&D, 0, sizeof(D));
	config_defaults(&D.cfg);
	D.cfg.tenant_mode = TENANT_USERS;
	D.cfg.place = true;
	D.cfg.min_uid = 3999999990u;	/* nobody's */
	D.cfg.max_uid = 3999999999u;
	snprintf(D.cfg.managed, sizeof(D.cfg.managed), "quell");
	D.proc_fd = -1;
	if (registry_init(&D.reg) || cg_layout_open(tree.fd, &D.cg))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	registry_free(&D.reg);
	cg_layout_close(&D.cg);
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
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++)
		assert_false(dir_in(ctrls[i], gone));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_orphans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_cgroups_mode, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
