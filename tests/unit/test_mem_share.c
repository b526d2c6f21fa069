// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_mem_share.c - what a memory share (the default `mem = 50%`) is of:
 * cg_read_mem_limit() (collectors/mem_share.c) on fake v1 (this machine's
 * hybrid layout) and v2 trees, and gather_mem_base() (src/quelld/gather.c)
 * combining it with MemTotal from a fake /proc, with its fallback.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture_cg.h"
#include "quelld.h"

#define M	(1ULL << 20)
/* v1 memory.limit_in_bytes without a limit, as this machine (6.18, 4 KiB pages) prints it */
#define V1_NONE	"9223372036854771712\n"

/* this machine's hybrid layout, the managed root's parent without a limit */
static int setup_hybrid(void **state)
{
	if (fx_cg_setup_hybrid(state))
		return -1;
	return fx_write(&((struct fx_cg *)*state)->t, "memory/memory.limit_in_bytes", V1_NONE);
}

/* cg_read_mem_limit() of root, which must succeed */
static uint64_t mem_limit(struct fx_cg *e, const char *root)
{
	uint64_t v = 0;

	assert_int_equal(cg_read_mem_limit(&e->l, root, &v), 0);
	return v;
}

static void test_v1_root_limit(void **state)
{
	struct fx_cg *e = *state;
	uint64_t v = 0;

	assert_int_equal(e->l.mode, CG_MODE_HYBRID);
	/* b_web's box_setup: echo $((512 << 20)) > memory/<managed>/memory.limit_in_bytes */
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", "536870912\n");
	assert_true(mem_limit(e, "quell") == 512 * M);
	/* no limit: v1's huge value */
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", V1_NONE);
	assert_true(mem_limit(e, "quell") == CG_UNLIMITED);
	/* a box around the root bounds it too; the smallest wins */
	fx_put(&e->t, "memory/hosting/memory.limit_in_bytes", "1073741824\n");
	fx_put(&e->t, "memory/hosting/quell/memory.limit_in_bytes", V1_NONE);
	assert_true(mem_limit(e, "hosting/quell") == 1024 * M);
	fx_put(&e->t, "memory/hosting/quell/memory.limit_in_bytes", "268435456\n");
	assert_true(mem_limit(e, "hosting/quell") == 256 * M);
	/* no such root; a malformed file; bad arguments */
	assert_int_equal(cg_read_mem_limit(&e->l, "nothere", &v), -ENOENT);
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", "lots\n");
	assert_int_equal(cg_read_mem_limit(&e->l, "quell", &v), -EINVAL);
	assert_int_equal(cg_read_mem_limit(&e->l, "../etc", &v), -EINVAL);
	assert_int_equal(cg_read_mem_limit(&e->l, NULL, &v), -EINVAL);
}

static void test_v2_root_limit(void **state)
{
	struct fx_cg *e = *state;

	assert_int_equal(e->l.mode, CG_MODE_V2);
	fx_put(&e->t, "quell/memory.max", "536870912\n");
	assert_true(mem_limit(e, "quell") == 512 * M);
	fx_put(&e->t, "quell/memory.max", "max\n");
	assert_true(mem_limit(e, "quell") == CG_UNLIMITED);
	/* a parent that does not enable memory for its children: no memory.max there */
	fx_put(&e->t, "system.slice/hosting/memory.max", "max\n");
	fx_put(&e->t, "system.slice/cgroup.procs", "");
	assert_true(mem_limit(e, "system.slice/hosting") == CG_UNLIMITED);
	fx_put(&e->t, "system.slice/memory.max", "805306368\n");
	assert_true(mem_limit(e, "system.slice/hosting") == 768 * M);
}

/* v2 without the memory controller: nothing to read */
static void test_v2_no_memory(void **state)
{
	struct fx_cg *e = *state;
	uint64_t v = 0;

	fx_put(&e->t, "cgroup.controllers", "cpu pids\n");
	fx_put(&e->t, "cgroup.procs", "1\n");
	fx_put(&e->t, "quell/memory.max", "536870912\n");
	assert_int_equal(fx_cg_open(e), 0);
	assert_int_equal(cg_read_mem_limit(&e->l, "quell", &v), -EOPNOTSUPP);
}

/* gather's side: min(MemTotal, the root's limit), re-read each time, MemTotal as fallback */
static void test_gather_mem_base(void **state)
{
	struct fx_cg *e = *state;
	struct daemon d;

	memset(&d, 0, sizeof(d));
	d.cg = e->l;
	d.proc_fd = e->proc.fd;
	d.host.mem_total = NAN;		/* no host view yet: /proc/meminfo */
	d.cfg.tenant_mode = TENANT_USERS;
	snprintf(d.cfg.managed, sizeof(d.cfg.managed), "quell");
	fx_put(&e->proc, "meminfo", "MemTotal:       24684084 kB\nMemFree:  1000 kB\n"
	       "MemAvailable:   20000000 kB\n");

	/* the root without a limit: MemTotal */
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", V1_NONE);
	gather_mem_base(&d);
	assert_true(d.mem_base == 24684084ULL * 1024);
	assert_false(d.mem_root_unread);
	/* the admin boxes the tenants after quelld started: the next tick sees it */
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", "536870912\n");
	gather_mem_base(&d);
	assert_true(d.mem_base == 512 * M);
	/* a box above MemTotal: MemTotal (from the host view once there is one) */
	d.host.mem_total = 1024.0 * (double)M;
	gather_mem_base(&d);
	assert_true(d.mem_base == 512 * M);
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", "4294967296\n");
	gather_mem_base(&d);
	assert_true(d.mem_base == 1024 * M);
	/* the root's limit cannot be read: MemTotal alone, said once */
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", "garbage\n");
	gather_mem_base(&d);
	assert_true(d.mem_base == 1024 * M);
	assert_true(d.mem_root_unread);
	fx_put(&e->t, "memory/quell/memory.limit_in_bytes", "268435456\n");
	gather_mem_base(&d);
	assert_true(d.mem_base == 256 * M);
	assert_false(d.mem_root_unread);

	/* cgroups mode: the [tenants] parent is the root */
	d.cfg.tenant_mode = TENANT_CGROUPS;
	snprintf(d.cfg.parent, sizeof(d.cfg.parent), "sites");
	fx_put(&e->t, "memory/sites/memory.limit_in_bytes", "134217728\n");
	gather_mem_base(&d);
	assert_true(d.mem_base == 128 * M);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_cg_test(test_v1_root_limit, setup_hybrid),
		fx_cg_test(test_v2_root_limit, fx_cg_setup_v2),
		fx_cg_test(test_v2_no_memory, fx_cg_setup_empty),
		fx_cg_test(test_gather_mem_base, setup_hybrid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
