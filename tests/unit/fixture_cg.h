/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fixture_cg.h - a fake cgroupfs root with its /proc and /sys (fixture.h
 * trees) and the layout cg_layout_open() finds in it: what the cgroup
 * backend tests (tests/unit/test_cg_v1.c, test_cg_v2.c) build each test on.
 * Header-only, like fixture.h.
 */
#ifndef QUELL_TEST_FIXTURE_CG_H
#define QUELL_TEST_FIXTURE_CG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cgroup.h"
#include "fixture.h"

struct fx_cg {
	struct fx_tree t;	/* cgroupfs root */
	struct fx_tree proc;	/* fake /proc */
	struct fx_tree sys;	/* fake /sys */
	struct cg_layout l;
};

/* The three empty trees; NULL when one cannot be made. */
static inline struct fx_cg *fx_cg_new(void)
{
	struct fx_cg *e = calloc(1, sizeof(*e));

	if (!e || fx_tree_new(&e->t) || fx_tree_new(&e->proc) || fx_tree_new(&e->sys))
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

/* fx_write() / fx_read() that fail the test */
static inline void fx_put(struct fx_tree *t, const char *rel, const char *s)
{
	assert_int_equal(fx_write(t, rel, s), 0);
}

static inline void fx_get(struct fx_tree *t, const char *rel, char *buf, size_t len)
{
	assert_true(fx_read(t, rel, buf, len) >= 0);
}

#endif /* QUELL_TEST_FIXTURE_CG_H */
