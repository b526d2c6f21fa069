// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_bpf_pend.c - qbpf_pend_merge(): which per-CPU pending slots
 * (quell_cpu_cur.pend, flushed into acct only when another tenant is
 * switched in; bpf/quell.bpf.c pend_switch()) a read of acct must add.
 * Literal cases, then a model of one CPU's flushes against every
 * interleaving of a reader's three copies (cpu_cur, acct, cpu_cur): a read
 * never counts a slot twice and never goes back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bpf_loader.h"

#define KA	1001
#define KB	1002

static struct quell_cpu_cur cur(uint32_t set, uint64_t key, uint64_t gen, uint64_t cpu_ns)
{
	struct quell_cpu_cur c;

	memset(&c, 0, sizeof(c));
	c.pend_set = set;
	c.pend_key = key;
	c.pend_gen = c.pend_gen_end = gen;
	c.pend.cpu_ns = cpu_ns;
	return c;
}

/* No flush between the copies: the later copy's slot, once. */
static void same_epoch(void **state)
{
	struct quell_cpu_cur c1 = cur(1, KA, 5, 100), c2 = cur(1, KA, 5, 180);
	struct qbpf_pend_add add[2];

	(void)state;
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 5, add), 1);
	assert_true(add[0].key == KA);
	assert_true(add[0].a->cpu_ns == 180);
	/* nothing pending yet on that CPU (just loaded) */
	c1 = cur(0, 0, 0, 0);
	c2 = cur(0, 0, 0, 0);
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 0, add), 0);
	/* first tenant switched in meanwhile: set without a flush */
	c2 = cur(1, KB, 0, 7);
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 0, add), 1);
	assert_true(add[0].key == KB && add[0].a->cpu_ns == 7);
}

/* A flushed A, B came: c1's slot only if the entry read lacks flush 6. */
static void flushed_meanwhile(void **state)
{
	struct quell_cpu_cur c1 = cur(1, KA, 5, 100), c2 = cur(1, KB, 6, 30);
	struct qbpf_pend_add add[2];

	(void)state;
	/* acct read after the flush: stamp 6 */
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 6, add), 1);
	assert_true(add[0].key == KB && add[0].a->cpu_ns == 30);
	/* acct read before it: stamp of an older flush, or no entry yet */
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 3, add), 2);
	assert_true(add[0].key == KA && add[0].a->cpu_ns == 100);
	assert_true(add[1].key == KB && add[1].a->cpu_ns == 30);
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 0, add), 2);
}

/*
 * The copy after acct caught flush 6 halfway even after retries:
 * read_cpu_cur() hands it over as "just after flush 6, new slot empty".
 * c1's slot is added unless the entry read already carries flush 6.
 */
static void torn_after(void **state)
{
	struct quell_cpu_cur c1 = cur(1, KA, 5, 100), c2 = cur(0, KA, 6, 100);
	struct qbpf_pend_add add[2];

	(void)state;
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 5, add), 1);
	assert_true(add[0].key == KA && add[0].a->cpu_ns == 100);
	assert_int_equal(qbpf_pend_merge(&c1, &c2, 6, add), 0);
}

/* --- model of one CPU ---------------------------------------------------- */

struct model {
	struct quell_acct_cpu acct[2];	/* KA, KB */
	struct quell_cpu_cur cur;
	uint64_t truth[2];		/* all cpu_ns charged so far */
};

static int kidx(uint64_t key)
{
	return key == KA ? 0 : 1;
}

/* What sched_switch does for a slice of key: pend_switch(), then charge. */
static void model_charge(struct model *m, uint64_t key, uint64_t ns)
{
	struct quell_cpu_cur *c = &m->cur;

	if (!c->pend_set || c->pend_key != key) {
		if (c->pend_set) {
			struct quell_acct_cpu *v = &m->acct[kidx(c->pend_key)];

			v->a.cpu_ns += c->pend.cpu_ns;
			v->gen = ++c->pend_gen;
			c->pend_gen_end = c->pend_gen;
			memset(&c->pend, 0, sizeof(c->pend));
		}
		c->pend_key = key;
		c->pend_set = 1;
	}
	c->pend.cpu_ns += ns;
	m->truth[kidx(key)] += ns;
}

/* The reader's total for both keys: acct as copied + what the merge adds. */
static void model_total(const struct quell_cpu_cur *c1, const struct quell_acct_cpu acct[2],
			const struct quell_cpu_cur *c2, uint64_t out[2])
{
	struct qbpf_pend_add add[2];
	uint64_t gen1 = 0;
	int i, n;

	out[0] = acct[0].a.cpu_ns;
	out[1] = acct[1].a.cpu_ns;
	if (c1->pend_set)
		gen1 = acct[kidx(c1->pend_key)].gen;
	n = qbpf_pend_merge(c1, c2, gen1, add);
	for (i = 0; i < n; i++)
		out[kidx(add[i].key)] += add[i].a->cpu_ns;
}

/*
 * A schedule of slices (key, ns) with repeats of both keys (A A B A B B A);
 * the reader copies cpu_cur after step i, acct after step j >= i, cpu_cur
 * after step l >= j. The total must lie between the truth at the first copy
 * and the truth at the last one: then no slot is counted twice, and the
 * next read, whose first copy comes later, never shows less.
 */
static void model_every_interleaving(void **state)
{
	static const struct { uint64_t key, ns; } sched[] = {
		{ KA, 10 }, { KA, 20 }, { KB, 5 }, { KA, 40 }, { KB, 80 }, { KB, 160 }, { KA, 320 },
	};
	const int steps = sizeof(sched) / sizeof(sched[0]);
	int i, j, l, s, k, checked = 0;

	(void)state;
	for (i = 0; i <= steps; i++) {
		for (j = i; j <= steps; j++) {
			for (l = j; l <= steps; l++) {
				struct model m;
				struct quell_cpu_cur c1 = { 0 }, c2 = { 0 };
				struct quell_acct_cpu acct[2];
				uint64_t t1[2] = { 0 }, t2[2] = { 0 }, tot[2];

				memset(&m, 0, sizeof(m));
				memset(acct, 0, sizeof(acct));
				for (s = 0; s <= steps; s++) {
					if (s == i) {
						c1 = m.cur;
						memcpy(t1, m.truth, sizeof(t1));
					}
					if (s == j)
						memcpy(acct, m.acct, sizeof(acct));
					if (s == l) {
						c2 = m.cur;
						memcpy(t2, m.truth, sizeof(t2));
					}
					if (s < steps)
						model_charge(&m, sched[s].key, sched[s].ns);
				}
				model_total(&c1, acct, &c2, tot);
				for (k = 0; k < 2; k++) {
					assert_true(tot[k] >= t1[k]);
					assert_true(tot[k] <= t2[k]);
				}
				checked++;
			}
		}
	}
	assert_int_equal(checked, 120);	/* C(steps + 3, 3) interleavings, steps = 7 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_epoch),
		cmocka_unit_test(flushed_meanwhile),
		cmocka_unit_test(torn_after),
		cmocka_unit_test(model_every_interleaving),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
