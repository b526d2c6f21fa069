/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fixture_cg.h - a fake cgroupfs root with its /proc and /sys (fixture.h
 * trees) and the layout cg_layout_open() finds in it: what the cgroup
 * backend tests (tests/unit/test_cg_v1.c, test_cg_v2.c, test_mem_share.c)
 * build each test on, with their cmocka setups and teardown, and the
 * asserts they read the files back with; test_discover.c takes its hybrid
 * roots.
 * Header-only, like fixture.h.
 */
#ifndef QUELL_TEST_FIXTURE_CG_H
#define QUELL_TEST_FIXTURE_CG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup.h"
#include "fixture.h"

struct fx_cg {
	struct fx_tree t;	/* cgroupfs root */
	struct fx_tree proc;	/* fake /proc */
	struct fx_tree sys;	/* fake /sys */
	struct cg_layout l;
};

/*
 * The three empty trees, the layout not opened yet (no fd of it to close:
 * fx_cg_free() is safe before fx_cg_open()); NULL when one cannot be made.
 */
static inline struct fx_cg *fx_cg_new(void)
{
	struct fx_cg *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->l.v2_fd = -1;
	for (int c = 0; c < CGC_NR; c++)
		e->l.v1_fd[c] = -1;
	if (fx_tree_new(&e->t) || fx_tree_new(&e->proc) || fx_tree_new(&e->sys))
		return NULL;
	return e;
}

/* cg_layout_open() on the root as the test wrote it, with the fake /proc and /sys. */
static inline int fx_cg_open(struct fx_cg *e)
{
	int ret = cg_layout_open(e->t.fd, &e->l);

	if (ret)
		return ret;
	e->l.proc_fd = e->proc.fd;
	e->l.sys_fd = e->sys.fd;
	return 0;
}

static inline void fx_cg_free(struct fx_cg *e)
{
	cg_layout_close(&e->l);
	fx_tree_free(&e->t);
	fx_tree_free(&e->proc);
	fx_tree_free(&e->sys);
	free(e);
}

/* The v1 hierarchies of this machine (kernel 6.18), one directory each. */
static const char *const fx_cg_v1_ctrls[] = {
	"cpu", "cpuacct", "memory", "blkio", "pids", "freezer"
};

#define FX_CG_NR_V1	(sizeof(fx_cg_v1_ctrls) / sizeof(fx_cg_v1_ctrls[0]))

enum fx_cg_kind {
	FX_CG_V1,	/* the v1 hierarchies alone */
	FX_CG_HYBRID,	/* and unified/ without controllers, as on this machine */
	FX_CG_V2,	/* a pure v2 root with every controller, as on production hosts */
};

/* Write the root files cg_layout_open() looks for in a layout of kind k. Returns 0, -errno. */
static inline int fx_cg_roots(struct fx_tree *t, enum fx_cg_kind k)
{
	char p[64];
	int ret = 0;

	if (k == FX_CG_V2)
		return fx_write(t, "cgroup.controllers",
				"cpuset cpu io memory hugetlb pids rdma misc\n") ?:
		       fx_write(t, "cgroup.subtree_control", "cpu io memory pids\n") ?:
		       fx_write(t, "cgroup.procs", "1\n");
	for (size_t i = 0; i < FX_CG_NR_V1 && !ret; i++) {
		snprintf(p, sizeof(p), "%s/cgroup.procs", fx_cg_v1_ctrls[i]);
		ret = fx_write(t, p, "1\n");
	}
	if (!ret && k == FX_CG_HYBRID)
		/* this machine: unified/ with no controllers but cgroup.controllers present */
		ret = fx_write(t, "unified/cgroup.controllers", "\n") ?:
		      fx_write(t, "unified/cgroup.procs", "1\n");
	return ret;
}

/* cmocka setup: the roots of kind k, opened, as *state. Returns 0, -1. */
static inline int fx_cg_setup(void **state, enum fx_cg_kind k)
{
	struct fx_cg *e = fx_cg_new();

	if (!e || fx_cg_roots(&e->t, k) || fx_cg_open(e))
		return -1;
	*state = e;
	return 0;
}

/* the three kinds as setups, and the empty trees of fx_cg_new() for the tests of detection */
static inline int fx_cg_setup_v1(void **state)
{
	return fx_cg_setup(state, FX_CG_V1);
}

static inline int fx_cg_setup_hybrid(void **state)
{
	return fx_cg_setup(state, FX_CG_HYBRID);
}

static inline int fx_cg_setup_v2(void **state)
{
	return fx_cg_setup(state, FX_CG_V2);
}

static inline int fx_cg_setup_empty(void **state)
{
	*state = fx_cg_new();
	return *state ? 0 : -1;
}

static inline int fx_cg_teardown(void **state)
{
	fx_cg_free(*state);
	return 0;
}

/* a test on a layout made by setup (one of the above), freed after it */
#define fx_cg_test(fn, setup)	cmocka_unit_test_setup_teardown(fn, setup, fx_cg_teardown)

/* fx_write() / fx_read() that fail the test */
static inline void fx_put(struct fx_tree *t, const char *rel, const char *s)
{
	assert_int_equal(fx_write(t, rel, s), 0);
}

static inline void fx_get(struct fx_tree *t, const char *rel, char *buf, size_t len)
{
	assert_true(fx_read(t, rel, buf, len) >= 0);
}

/*
 * Assert that root/rel holds want, all of it (newlines too): a backend's
 * write as it reached the file. A macro so that a failure names the test's
 * line, not this header's.
 */
#define fx_expect(t, rel, want)	fx_expect_at(t, rel, want, __FILE__, __LINE__)

static inline void fx_expect_at(const struct fx_tree *t, const char *rel, const char *want,
				const char *file, int line)
{
	char buf[1024];

	_assert_true(fx_read(t, rel, buf, sizeof(buf)) >= 0, rel, file, line);
	_assert_string_equal(buf, want, file, line);
}

/*
 * Assert that got is want, field by field: a usage test spells what a tree
 * reads as one literal struct, and a field it leaves out is expected 0 (as
 * cg_read_usage() leaves what it did not read). A macro so that a failure
 * names the test's line; the field is printed before.
 */
#define fx_expect_usage(got, want)	fx_expect_usage_at(got, want, __FILE__, __LINE__)

static inline void fx_expect_usage_at(const struct cg_usage *got, const struct cg_usage *want,
				      const char *file, int line)
{
#define FX_U(f)	{ #f, got->f, want->f }
	const struct {
		const char *name;
		uint64_t got, want;
	} f[] = {
		FX_U(valid), FX_U(cpu_ns), FX_U(cpu_throttled), FX_U(cpu_throttled_ns),
		FX_U(mem_bytes), FX_U(mem_peak), FX_U(mem_high_events), FX_U(mem_max_events),
		FX_U(oom_kills), FX_U(pgfaults), FX_U(refaults),
		FX_U(io_rbytes), FX_U(io_wbytes), FX_U(io_rops), FX_U(io_wops),
		FX_U(pids_current), FX_U(pids_max_events),
		FX_U(psi_cpu_some_us), FX_U(psi_mem_some_us), FX_U(psi_mem_full_us),
		FX_U(psi_io_some_us), FX_U(psi_io_full_us), FX_U(frozen),
	};
#undef FX_U

	/* 22 counters and a bool, 8 bytes each: a field added to cg_usage goes in f[] too */
	_Static_assert(sizeof(struct cg_usage) == sizeof(f) / sizeof(f[0]) * sizeof(uint64_t),
		       "struct cg_usage has a field fx_expect_usage_at() does not compare");
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].got != f[i].want)
			print_error("cg_usage.%s\n", f[i].name);
		_assert_int_equal(f[i].got, f[i].want, file, line);
	}
}

/* a file of a tenant's cgroup spoilt: the value cg_read_usage() must lose, one it must keep */
struct fx_cg_spoilt {
	const char *file, *text;	/* below the root, as fx_put() takes it */
	uint64_t lost, kept;		/* CGU_ bits */
};

/*
 * For each case: fill() writes the cgroup cg whole again, the case's file is
 * spoilt, and cg_read_usage() must return -EINVAL, without the value lost
 * and with the value kept (the rest is still read). A failing case is named.
 */
static inline void fx_cg_expect_spoilt(struct fx_cg *e, const char *cg,
				       void (*fill)(struct fx_cg *e),
				       const struct fx_cg_spoilt *c, size_t n)
{
	struct cg_usage u;
	int ret;

	for (size_t i = 0; i < n; i++) {
		fill(e);
		fx_put(&e->t, c[i].file, c[i].text);
		ret = cg_read_usage(&e->l, cg, &u);
		if (ret != -EINVAL || (u.valid & c[i].lost) || !(u.valid & c[i].kept))
			print_error("%s spoilt as \"%.*s\": %d, valid %#llx\n", c[i].file,
				    (int)strcspn(c[i].text, "\n"), c[i].text, ret,
				    (unsigned long long)u.valid);
		assert_int_equal(ret, -EINVAL);
		assert_false(u.valid & c[i].lost);
		assert_true(u.valid & c[i].kept);
	}
}

#endif /* QUELL_TEST_FIXTURE_CG_H */
