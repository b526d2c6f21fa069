// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_gather.c - gather_tick() on a fake cgroup v2 tree: a tenant cgroup
 * found absent is not looked for again until the gather epoch (full
 * discovery, placement sweep or move) changes.
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
#include <cmocka.h>

#include "cgroup.h"
#include "fixture.h"
#include "fixture_daemon.h"
#include "quelld.h"

static struct fx_tree tree;
static struct daemon D;

static int setup(void **state)
{
	(void)state;
	if (fx_tree_new(&tree))
		return -1;
	fx_write(&tree, "cgroup.controllers", "cpu io memory pids\n");
	memset(&D, 0, sizeof(D));
	D.cfg.tenant_mode = TENANT_CGROUPS;	/* no procfs walk */
	D.proc_fd = -1;
	return fx_daemon_open(&D, &tree);
}

static int teardown(void **state)
{
	(void)state;
	fx_daemon_close(&D);
	fx_tree_free(&tree);
	return 0;
}

static void test_absent_cached_until_epoch(void **state)
{
	struct tenant *t = registry_add(&D.reg, "alice", TENANT_UID_NONE, 1);

	(void)state;
	assert_non_null(t);
	snprintf(t->cg, sizeof(t->cg), "quell/alice");
	gather_tick(&D);
	assert_false(qm_valid(&t->cur, QM_MEM_BYTES));
	assert_true(t->cg_absent_epoch != 0);

	/* appears between two epochs: not looked for (that is the saving) */
	assert_int_equal(fx_write(&tree, "quell/alice/memory.current", "4096\n"), 0);
	gather_tick(&D);
	assert_false(qm_valid(&t->cur, QM_MEM_BYTES));

	/* the next full discovery (or placement) makes it read again */
	D.discover_full_ms += 10000;
	gather_tick(&D);
	assert_true(qm_valid(&t->cur, QM_MEM_BYTES));
	assert_int_equal(t->cur.v[QM_MEM_BYTES], 4096);
	assert_int_equal(t->cg_absent_epoch, 0);

	/* present: read every tick */
	assert_int_equal(fx_write(&tree, "quell/alice/memory.current", "8192\n"), 0);
	gather_tick(&D);
	assert_int_equal(t->cur.v[QM_MEM_BYTES], 8192);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_absent_cached_until_epoch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
