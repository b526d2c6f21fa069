/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fixture_policy.h - the literal rule and tenant view that the ladder's
 * tests share: policy_evaluate() itself (tests/unit/test_policy.c), the
 * tick's decide stage around it (tests/unit/test_decide.c), and the tests
 * that run a daemon's tenants through act (test_enforcer.c,
 * test_fuzz_api.c, cost_state.c), and the contention gate's tests
 * (test_cpu_share.c). Header-only, like fixture.h, so each
 * test binary stays one file.
 */
#ifndef QUELL_TEST_FIXTURE_POLICY_H
#define QUELL_TEST_FIXTURE_POLICY_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

/*
 * One rule "cpu" (index 0), no built-in ones: cpu_pct > 80 for 10s while
 * signal > 50 (signal "none": no condition), calm 30s, then steps.
 */
static inline void fx_cfg_cpu(struct policy_config *pc, const char *signal, const char *steps)
{
	char err[200];

	policy_config_init(pc);
	assert_int_equal(policy_parse_kv(pc, "policy", "default_rules", "no", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(pc, "rule:cpu", "metric", "cpu_pct", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(pc, "rule:cpu", "above", "80%", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(pc, "rule:cpu", "for", "10s", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(pc, "rule:cpu", "while", signal, err, sizeof(err)), 0);
	if (strcmp(signal, "none"))
		assert_int_equal(policy_parse_kv(pc, "rule:cpu", "while_above", "50", err,
						 sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(pc, "rule:cpu", "calm", "30s", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(pc, "rule:cpu", "steps", steps, err, sizeof(err)), 0);
	assert_int_equal(policy_config_finish(pc, err, sizeof(err)), 0);
	assert_int_equal(pc->nr_rules, 1);
}

/*
 * A tenant's view as gather leaves it when only BPF's cpu and wait time
 * are known: cpu % and suffered ms/s set, the other views unknown (NAN);
 * mem_inflicted_bps stays 0, as the tests had it before they shared this.
 * behind_ms_s is unknown too: the neighbour signals then read the whole
 * suffered wait (policy.c signal_of()), as without BPF; a test of the
 * split sets it.
 */
static inline struct qm_view fx_view(double cpu, double suffered)
{
	struct qm_view v = {
		.cpu_pct = cpu, .inflicted_ms_s = NAN, .suffered_ms_s = suffered,
		.io_rbps = NAN, .io_wbps = NAN, .iops = NAN, .io_lat_ms = NAN,
		.faults_s = NAN, .forks_s = NAN, .reclaim_ms_s = NAN,
		.psi_cpu_some = NAN, .psi_mem_some = NAN, .psi_io_some = NAN,
		.mem_bytes = NAN, .nproc = NAN, .behind_ms_s = NAN,
	};

	return v;
}

/* the most tenants fx_tick() takes */
#define FX_MAX_TENANTS	8

/*
 * One tick as decide() runs it: policy_evaluate() over the n tenants whose
 * states are st[0..n) at now_ms, with the CPUs' fair level (INFINITY: the
 * contention gate off), then each next state committed back into st.
 * Returns the number of actions written to acts (at most max).
 */
static inline int fx_tick(const struct policy_config *pc, const struct policy_input *in,
			  struct policy_tstate *st, int n, double level, uint64_t now_ms,
			  struct policy_action *acts, int max)
{
	const struct policy_tstate *prev[FX_MAX_TENANTS];
	struct policy_tnext next[FX_MAX_TENANTS];
	struct policy_rstate r[FX_MAX_TENANTS][POLICY_MAX_RULES];
	int k;

	assert_true(n >= 0 && n <= FX_MAX_TENANTS);
	for (int i = 0; i < n; i++) {
		prev[i] = &st[i];
		next[i].r = r[i];
	}
	k = policy_evaluate(pc, in, prev, next, n, level, now_ms, acts, max);
	assert_true(k >= 0);
	for (int i = 0; i < n; i++)
		policy_tstate_commit(pc, &st[i], &next[i]);
	return k;
}

#endif /* QUELL_TEST_FIXTURE_POLICY_H */
