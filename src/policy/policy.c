// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy.c - bad-neighbour rules: config parsing and the pure ladder.
 *
 * No I/O here (docs/hacking.md, style 4): policy_evaluate() depends only on its
 * arguments, so tests/unit/test_policy*.c drive it with literal structs.
 * The semantics are documented in docs/policy.md; in short, per tenant and
 * per rule:
 *
 *   level 0: the rule's condition (metric > above WHILE others' signal >
 *            while_above) held for `for` -> enter rung 1 (or one rung above
 *            the one last released from, if that was less than `forget` ago).
 *   level k: after the rung's hold, still pressing (neighbours suffer and
 *            metric > above or the tenant saturates its throttle) for `for`
 *            -> rung k+1; calm for `calm` -> one throttle rung down
 *            (freeze/kill rungs are never re-entered on the way down).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "units.h"

static const char *const metric_names[PM_NR] = {
	[PM_CPU_PCT] = "cpu_pct",
	[PM_INFLICTED] = "inflicted",
	[PM_IO_BPS] = "io_bps",
	[PM_IOPS] = "iops",
	[PM_MEM_GROWTH] = "mem_growth",
	[PM_MEM_BYTES] = "mem_bytes",
	[PM_FORKS] = "forks_s",
	[PM_FAULTS] = "faults_s",
};

static const char *const signal_names[PS_NR] = {
	[PS_NONE] = "none",
	[PS_SUFFERED_SUM] = "suffered_sum",
	[PS_SUFFERED_MAX] = "suffered_max",
	[PS_PSI_CPU] = "psi_cpu",
	[PS_PSI_MEM] = "psi_mem",
	[PS_PSI_IO] = "psi_io",
	[PS_IO_LAT] = "io_lat",
	[PS_REFAULT] = "refault",
};

static const char *const act_names[PA_NR] = {
	[PA_APPLY] = "apply",
	[PA_ESCALATE] = "escalate",
	[PA_STEP_DOWN] = "step_down",
	[PA_RELEASE] = "release",
	[PA_FREEZE] = "freeze",
	[PA_THAW] = "thaw",
	[PA_KILL] = "kill",
};

const char *policy_metric_name(enum policy_metric m)
{
	return (unsigned)m < PM_NR ? metric_names[m] : "?";
}

const char *policy_signal_name(enum policy_signal s)
{
	return (unsigned)s < PS_NR ? signal_names[s] : "?";
}

const char *policy_act_name(enum policy_act a)
{
	return (unsigned)a < PA_NR ? act_names[a] : "?";
}

int policy_metric_by_name(const char *s)
{
	for (int i = 0; s && i < PM_NR; i++)
		if (!strcmp(s, metric_names[i]))
			return i;
	return -1;
}

int policy_signal_by_name(const char *s)
{
	for (int i = 0; s && i < PS_NR; i++)
		if (!strcmp(s, signal_names[i]))
			return i;
	return -1;
}

/* --- configuration ------------------------------------------------------ */

/* seen bits of struct policy_rule */
#define RK_METRIC	(1u << 0)
#define RK_ABOVE	(1u << 1)
#define RK_WHILE	(1u << 2)
#define RK_STEPS	(1u << 3)

static void rule_template(struct policy_rule *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->enabled = true;
	r->for_ms = 10000;
	r->calm_ms = 30000;
	r->gentle_for_ms = 1000;
	r->while_for_ms = POLICY_SAME_WINDOW;
	r->urgent_for_ms = 1000;
	r->signal = PS_NONE;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_one_step(char *txt, struct policy_step *st, char *err, size_t errlen)
{
	char *save = NULL, *tok;
	bool kind_given = false, dur_given = false;

	memset(st, 0, sizeof(*st));
	limits_init(&st->lim);
	st->kind = PSTEP_THROTTLE;
	for (tok = strtok_r(txt, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (!strcmp(tok, "freeze") || !strcmp(tok, "kill") || !strcmp(tok, "throttle")) {
			if (kind_given) {
				snprintf(err, errlen, "step \"%s\": two actions in one step", tok);
				return -EINVAL;
			}
			kind_given = true;
			st->kind = tok[0] == 'f' ? PSTEP_FREEZE : tok[0] == 'k' ? PSTEP_KILL :
				   PSTEP_THROTTLE;
		} else if (!strcmp(tok, "for")) {
			char *d = strtok_r(NULL, " \t", &save);

			if (!d || units_parse_duration_ms(d, &st->dur_ms)) {
				snprintf(err, errlen, "step: \"for\" needs a duration such as 60s or 5m");
				return -EINVAL;
			}
			dur_given = true;
		} else if (eq) {
			char lerr[160];
			int ret;

			*eq = '\0';
			if (!strcmp(tok, "mem_high") && !strcmp(eq + 1, "current")) {
				st->mem_high_current = true;
				continue;
			}
			if (!strcmp(tok, "mem_hold") && !strcmp(eq + 1, "current")) {
				st->mem_hold_current = true;
				continue;
			}
			ret = limits_parse_kv(&st->lim, tok, eq + 1, lerr, sizeof(lerr));
			if (ret) {
				snprintf(err, errlen, "step: %s", lerr);
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen, "step: unexpected \"%s\" (expected LIMIT=VALUE, "
				 "freeze, kill or \"for DURATION\")", tok);
			return -EINVAL;
		}
	}
	if (st->kind == PSTEP_THROTTLE && !st->lim.set && !st->mem_high_current &&
	    !st->mem_hold_current) {
		snprintf(err, errlen, "step: a throttle needs at least one limit such as cpu=50%%");
		return -EINVAL;
	}
	if (st->kind != PSTEP_THROTTLE && (st->lim.set || st->mem_high_current ||
					    st->mem_hold_current)) {
		snprintf(err, errlen, "step: %s takes no limits",
			 st->kind == PSTEP_FREEZE ? "freeze" : "kill");
		return -EINVAL;
	}
	if (!dur_given)
		st->dur_ms = st->kind == PSTEP_KILL ? 0 : 60000;
	st->gentle = st->kind == PSTEP_THROTTLE && st->lim.set && !(st->lim.set & ~LIM_GENTLE) &&
		     !st->mem_high_current && !st->mem_hold_current;
	return 0;
}

int policy_parse_steps(const char *val, struct policy_step *steps, int *nr,
		       char *err, size_t errlen)
{
	char buf[512], *rest = buf, *part;
	struct policy_step tmp[POLICY_MAX_STEPS];
	int n = 0, ret;

	if (!val || strlen(val) >= sizeof(buf)) {
		snprintf(err, errlen, "steps: missing or too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", val);
	while ((part = strsep(&rest, ","))) {
		part = trim(part);
		if (!*part) {
			snprintf(err, errlen, "steps: empty step");
			return -EINVAL;
		}
		if (n == POLICY_MAX_STEPS) {
			snprintf(err, errlen, "steps: at most %d steps", POLICY_MAX_STEPS);
			return -EINVAL;
		}
		ret = parse_one_step(part, &tmp[n], err, errlen);
		if (ret)
			return ret;
		if (n && tmp[n - 1].kind == PSTEP_KILL) {
			snprintf(err, errlen, "steps: kill must be the last step");
			return -EINVAL;
		}
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "steps: at least one step is needed");
		return -EINVAL;
	}
	memcpy(steps, tmp, sizeof(tmp[0]) * (size_t)n);
	*nr = n;
	return 0;
}

/* "80", "80%", "50M" (bytes), "2k" -> double */
static int parse_threshold(const char *s, double *out)
{
	char *end;
	double d;
	uint64_t v;

	if (!s || !*s)
		return -EINVAL;
	if (s[strlen(s) - 1] == '%')
		return units_parse_percent(s, out);
	errno = 0;
	d = strtod(s, &end);
	if (!*end && !errno && isfinite(d) && d >= 0) {
		*out = d;
		return 0;
	}
	if (!units_parse_size(s, &v) && v != UINT64_MAX) {
		*out = (double)v;
		return 0;
	}
	return -EINVAL;
}

static int add_rule(struct policy_config *pc, const char *name, bool builtin)
{
	struct policy_rule *r;

	if (pc->nr_rules >= POLICY_MAX_RULES)
		return -ENOSPC;
	r = &pc->rules[pc->nr_rules];
	rule_template(r, name);
	r->builtin = builtin;
	return pc->nr_rules++;
}

int policy_rule_find(const struct policy_config *pc, const char *name)
{
	for (int i = 0; i < pc->nr_rules; i++)
		if (!strcmp(pc->rules[i].name, name))
			return i;
	return -1;
}

static struct policy_rule *builtin_rule(struct policy_config *pc, const char *name,
					enum policy_metric m, double above, uint64_t for_ms,
					enum policy_signal sig, double while_above,
					uint64_t calm_ms, const char *steps)
{
	char err[160];
	int i = add_rule(pc, name, true);
	struct policy_rule *r;

	if (i < 0)
		return NULL;
	r = &pc->rules[i];
	r->metric = m;
	r->above = above;
	r->for_ms = for_ms;
	r->signal = sig;
	r->while_above = while_above;
	r->calm_ms = calm_ms;
	/*
	 * Per-second samples of run-queue wait and PSI are bursty: on a loaded
	 * 2-core box (load 10, kernel 6.18) a probe beside a 4-thread hog showed
	 * suffered_sum 7 ms/s for one tick between ticks of 130..900, and the
	 * hog's cpu_pct dipped likewise, so a strict window never reached 10 s.
	 */
	r->grace_ms = 2000;
	/* literal strings, covered by test_policy_config: cannot fail */
	if (policy_parse_steps(steps, r->steps, &r->nr_steps, err, sizeof(err)))
		r->enabled = false;
	return r;
}

void policy_config_init(struct policy_config *pc)
{
	struct policy_rule *r;
	char err[160];

	memset(pc, 0, sizeof(*pc));
	pc->enabled = true;
	pc->release_on_exit = true;
	pc->default_rules = true;
	pc->forget_ms = 600000;
	pc->saturation = 0.8;
	limits_init(&pc->manual_lim);
	limits_parse_kv(&pc->manual_lim, "cpu", "25%", err, sizeof(err));
	pc->manual_ms = 600000;

	/*
	 * Defaults for a 2-core box (docs/policy.md). Every rule needs the
	 * neighbours to suffer, so a tenant that is merely busy on an idle
	 * machine is never touched. The signals are the worst neighbour, not
	 * the sum (a sum grows with the number of tenants), at thresholds a
	 * latency-sensitive victim reaches: a 1 ms sleeper beside a CPU hog
	 * waited 13-23 ms/s while its p99 latency got 4-11x worse, and an IO
	 * victim's mean latency stayed under 0.4 ms while its p99 went from
	 * 0.6 to 15 ms (docs/performance.md) - so IO uses the neighbours' IO
	 * pressure instead of their mean latency.
	 */
	/*
	 * cpu-hog starts with the gentle rung (cpu.idle = 1, docs/policy.md
	 * "The gentle rung"): it caps nothing, so it is entered after
	 * gentle_for (1 s) of neighbours suffering; the quota rungs need the
	 * neighbours to suffer for another `for` (10 s) while it is demoted.
	 * A CFS quota made a sleeping victim's p99 worse than no rung at all
	 * (93 us beside the hog, 3071 us beside it at cpu=50%), a lower
	 * priority did not (docs/policy.md "Measured").
	 */
	builtin_rule(pc, "cpu-hog", PM_CPU_PCT, 80, 10000, PS_SUFFERED_MAX, 10, 30000,
		     "cpu_idle=yes for 10s, cpu=50% for 60s, cpu=25% for 5m, freeze for 60s, "
		     "kill");
	/*
	 * No IO weight binds on a hybrid host (blkio.weight needs BFQ, vda runs
	 * mq-deadline; v2's io controller is not there): the first rung is a
	 * cap, so the window stays long enough that a burst shorter than 2 s
	 * never reaches it (a 2 s burst touches at most 3 one-second samples,
	 * the window needs 4) - unless a neighbour stalls on IO more than half
	 * the time (urgent_above): then 1 s, rung 1 only. The 3 s window took
	 * 3.8-4.3 s from the hog's start to the cap in t_policy_io_rule; a 4 KiB
	 * reader stalled 8-44 % alone and 60-96 % beside the writer there.
	 */
	r = builtin_rule(pc, "io-hog", PM_IO_BPS, 50.0 * 1024 * 1024, 3000, PS_PSI_IO, 10, 30000,
			 "io=10M iops=1000 for 60s, io=2M iops=200 for 5m, freeze for 60s");
	if (r)
		r->urgent_above = 50;
	/* the default nproc (docs/quell.conf [limits]) stops a burst; this catches a slow one */
	builtin_rule(pc, "fork-storm", PM_FORKS, 200, 3000, PS_SUFFERED_MAX, 10, 30000,
		     "nproc=200 for 5m, freeze for 60s, kill");
	/*
	 * A leak steals the neighbours' page cache: they refault (read again
	 * what was evicted), their memory PSI stays 0 on v1 (docs/policy.md).
	 * The hold stops the growth (v2 memory.high, v1 limit_in_bytes at the
	 * usage + headroom). It is a cap, so like io-hog a burst shorter than
	 * 2 s must not fill its window (test_short_burst_never_past_gentle).
	 */
	r = builtin_rule(pc, "mem-growth", PM_MEM_GROWTH, 50.0 * 1024 * 1024, 3000, PS_REFAULT,
			 256, 60000, "mem_hold=current for 5m, freeze for 60s, kill");
	/*
	 * The leak grows for seconds before the neighbours lose anything (it
	 * first fills free memory): its 3 s window runs on its growth alone,
	 * the refaults need to hold for 1 s (two samples) at the trip. Measured
	 * in t_policy_mem_refault: 3.6 s from the first refaults with one
	 * window over both. Past 10 MiB/s read again (urgent_above; the reader
	 * there refaulted 40,000-480,000 pages/s once it began) 1 s of growth
	 * and the current sample of refaults are enough: 4.2-4.9 s from the
	 * leak's start became 2.2-2.4 s.
	 */
	if (r) {
		r->while_for_ms = 1000;
		r->urgent_above = 2560;
	}
}

static int parse_bool_kv(const char *key, const char *val, bool *out, char *err, size_t errlen)
{
	if (units_parse_bool(val, out)) {
		snprintf(err, errlen, "%s: expected yes or no, got \"%s\"", key, val);
		return -EINVAL;
	}
	return 0;
}

static int parse_dur_kv(const char *key, const char *val, uint64_t *out, char *err,
			size_t errlen)
{
	if (units_parse_duration_ms(val, out)) {
		snprintf(err, errlen, "%s: expected a duration such as 10s or 5m, got \"%s\"", key,
			 val);
		return -EINVAL;
	}
	return 0;
}

static int parse_policy_key(struct policy_config *pc, const char *key, const char *val,
			    char *err, size_t errlen)
{
	bool b;
	int ret;

	if (!strcmp(key, "enabled"))
		return parse_bool_kv(key, val, &pc->enabled, err, errlen);
	if (!strcmp(key, "dry_run")) {
		ret = parse_bool_kv(key, val, &b, err, errlen);
		if (!ret)
			pc->dry_run = b;
		return ret;
	}
	if (!strcmp(key, "release_on_exit"))
		return parse_bool_kv(key, val, &pc->release_on_exit, err, errlen);
	if (!strcmp(key, "default_rules"))
		return parse_bool_kv(key, val, &pc->default_rules, err, errlen);
	if (!strcmp(key, "forget"))
		return parse_dur_kv(key, val, &pc->forget_ms, err, errlen);
	if (!strcmp(key, "throttle_for")) {
		ret = parse_dur_kv(key, val, &pc->manual_ms, err, errlen);
		if (!ret && !pc->manual_ms) {
			snprintf(err, errlen, "throttle_for: must be above 0");
			return -EINVAL;
		}
		return ret;
	}
	if (!strcmp(key, "saturation")) {
		double d;

		if (parse_threshold(val, &d) || d <= 0 || d > 100 ||
		    (val[strlen(val) - 1] != '%' && d > 1)) {
			snprintf(err, errlen, "saturation: expected a fraction in (0, 1] or a "
				 "percentage, got \"%s\"", val);
			return -EINVAL;
		}
		pc->saturation = val[strlen(val) - 1] == '%' ? d / 100 : d;
		return 0;
	}
	if (!strcmp(key, "throttle_limits")) {
		struct policy_step st;
		char buf[256];

		snprintf(buf, sizeof(buf), "%s", val);
		ret = parse_one_step(buf, &st, err, errlen);
		if (ret)
			return ret;
		if (st.kind != PSTEP_THROTTLE || st.mem_high_current || st.mem_hold_current) {
			snprintf(err, errlen, "throttle_limits: expected limits such as cpu=25%%");
			return -EINVAL;
		}
		pc->manual_lim = st.lim;
		return 0;
	}
	snprintf(err, errlen, "unknown key \"%s\" in [policy] (known: enabled, dry_run, "
		 "release_on_exit, default_rules, forget, saturation, throttle_limits, "
		 "throttle_for)", key);
	return -ENOENT;
}

static bool rule_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= POLICY_RULE_NAME_MAX)
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '-' && *n != '_' && *n != '.')
			return false;
	return true;
}

static int parse_rule_key(struct policy_rule *r, const char *key, const char *val,
			  char *err, size_t errlen)
{
	int i;

	if (!strcmp(key, "enabled"))
		return parse_bool_kv(key, val, &r->enabled, err, errlen);
	if (!strcmp(key, "dry_run"))
		return parse_bool_kv(key, val, &r->dry_run, err, errlen);
	if (!strcmp(key, "for"))
		return parse_dur_kv(key, val, &r->for_ms, err, errlen);
	if (!strcmp(key, "calm"))
		return parse_dur_kv(key, val, &r->calm_ms, err, errlen);
	if (!strcmp(key, "grace"))
		return parse_dur_kv(key, val, &r->grace_ms, err, errlen);
	if (!strcmp(key, "gentle_for"))
		return parse_dur_kv(key, val, &r->gentle_for_ms, err, errlen);
	if (!strcmp(key, "urgent_for"))
		return parse_dur_kv(key, val, &r->urgent_for_ms, err, errlen);
	if (!strcmp(key, "while_for")) {
		if (!strcmp(val, "for")) {
			r->while_for_ms = POLICY_SAME_WINDOW;
			return 0;
		}
		return parse_dur_kv(key, val, &r->while_for_ms, err, errlen);
	}
	if (!strcmp(key, "metric")) {
		i = policy_metric_by_name(val);
		if (i < 0) {
			snprintf(err, errlen, "metric: unknown \"%s\" (known: cpu_pct, inflicted, "
				 "io_bps, iops, mem_growth, mem_bytes, forks_s, faults_s)", val);
			return -EINVAL;
		}
		r->metric = (enum policy_metric)i;
		r->seen |= RK_METRIC;
		return 0;
	}
	if (!strcmp(key, "while")) {
		i = policy_signal_by_name(val);
		if (i < 0) {
			snprintf(err, errlen, "while: unknown \"%s\" (known: none, suffered_sum, "
				 "suffered_max, psi_cpu, psi_mem, psi_io, io_lat, refault)", val);
			return -EINVAL;
		}
		r->signal = (enum policy_signal)i;
		r->seen |= RK_WHILE;
		return 0;
	}
	if (!strcmp(key, "above") || !strcmp(key, "while_above") ||
	    !strcmp(key, "urgent_above")) {
		double d;

		if (parse_threshold(val, &d)) {
			snprintf(err, errlen, "%s: expected a number such as 80, 80%% or 50M, "
				 "got \"%s\"", key, val);
			return -EINVAL;
		}
		if (key[0] == 'a') {
			r->above = d;
			r->seen |= RK_ABOVE;
		} else if (key[0] == 'u') {
			r->urgent_above = d;
		} else {
			r->while_above = d;
		}
		return 0;
	}
	if (!strcmp(key, "steps")) {
		int ret = policy_parse_steps(val, r->steps, &r->nr_steps, err, errlen);

		if (!ret)
			r->seen |= RK_STEPS;
		return ret;
	}
	snprintf(err, errlen, "unknown key \"%s\" in [rule:%s] (known: enabled, dry_run, metric, "
		 "above, for, while, while_above, while_for, urgent_above, urgent_for, calm, grace, "
		 "gentle_for, steps)", key,
		 r->name);
	return -ENOENT;
}

int policy_parse_kv(struct policy_config *pc, const char *section, const char *key,
		    const char *val, char *err, size_t errlen)
{
	const char *name;
	int i;

	if (!section || !key || !val) {
		snprintf(err, errlen, "missing section, key or value");
		return -EINVAL;
	}
	if (!strcmp(section, "policy"))
		return parse_policy_key(pc, key, val, err, errlen);
	if (strncmp(section, "rule:", 5)) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -ENOENT;
	}
	name = section + 5;
	if (!rule_name_ok(name)) {
		snprintf(err, errlen, "[rule:%s]: a rule name is 1-%d letters, digits, '-', '_' "
			 "or '.'", name, POLICY_RULE_NAME_MAX - 1);
		return -EINVAL;
	}
	i = policy_rule_find(pc, name);
	if (i < 0) {
		i = add_rule(pc, name, false);
		if (i < 0) {
			snprintf(err, errlen, "[rule:%s]: at most %d rules", name, POLICY_MAX_RULES);
			return -ENOSPC;
		}
	}
	pc->rules[i].user = true;
	return parse_rule_key(&pc->rules[i], key, val, err, errlen);
}

int policy_config_finish(struct policy_config *pc, char *err, size_t errlen)
{
	int i, j = 0;

	for (i = 0; i < pc->nr_rules; i++) {
		struct policy_rule *r = &pc->rules[i];

		if (!pc->default_rules && r->builtin && !r->user)
			continue;
		if (!r->builtin) {
			static const struct { uint32_t bit; const char *key; } need[] = {
				{ RK_METRIC, "metric" }, { RK_ABOVE, "above" },
				{ RK_WHILE, "while" }, { RK_STEPS, "steps" },
			};

			for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
				if (!(r->seen & need[k].bit)) {
					snprintf(err, errlen, "[rule:%s]: missing key \"%s\"%s",
						 r->name, need[k].key, need[k].bit == RK_WHILE ?
						 " (use \"while = none\" for a plain cap)" : "");
					return -EINVAL;
				}
			}
		}
		if (r->nr_steps < 1) {
			snprintf(err, errlen, "[rule:%s]: no steps", r->name);
			return -EINVAL;
		}
		if (j != i)
			pc->rules[j] = *r;
		j++;
	}
	pc->nr_rules = j;
	return 0;
}

void policy_config_free(struct policy_config *pc)
{
	(void)pc;	/* nothing on the heap: config.c copies the struct by value */
}

/* --- evaluation --------------------------------------------------------- */

void policy_tstate_init(struct policy_tstate *s)
{
	memset(s, 0, sizeof(*s));
	s->rule = -1;
	s->mem_last = NAN;
}

static double nz(double d)
{
	return isfinite(d) ? d : 0;
}

static double metric_value(enum policy_metric m, const struct policy_input *in,
			   const struct policy_tstate *prev, uint64_t now_ms)
{
	const struct qm_view *v = &in->v;

	switch (m) {
	case PM_CPU_PCT:
		return v->cpu_pct;
	case PM_INFLICTED:
		return v->inflicted_ms_s;
	case PM_IO_BPS:
		if (isnan(v->io_rbps) && isnan(v->io_wbps))
			return NAN;
		return nz(v->io_rbps) + nz(v->io_wbps);
	case PM_IOPS:
		return v->iops;
	case PM_MEM_GROWTH:
			if (!isfinite(v->mem_bytes) || !isfinite(prev->mem_last) ||
		    now_ms <= prev->mem_last_ms)
			return NAN;
		return (v->mem_bytes - prev->mem_last) * 1000.0 /
		       (double)(now_ms - prev->mem_last_ms);
	case PM_MEM_BYTES:
		return v->mem_bytes;
	case PM_FORKS:
		return v->forks_s;
	case PM_FAULTS:
		return v->faults_s;
	default:
		return NAN;
	}
}

/* One tenant's value of a neighbour signal; NAN if unknown. */
static double signal_of(enum policy_signal s, const struct policy_input *in)
{
	const struct qm_view *v = &in->v;

	switch (s) {
	case PS_SUFFERED_SUM:
	case PS_SUFFERED_MAX:
		return v->suffered_ms_s;
	case PS_PSI_CPU:
		return v->psi_cpu_some;
	case PS_PSI_MEM:
		return v->psi_mem_some;
	case PS_PSI_IO:
		return v->psi_io_some;
	case PS_IO_LAT:
		return v->io_lat_ms;
	case PS_REFAULT:
		return in->refault_s;
	default:
		return NAN;
	}
}

/*
 * Every signal over all tenants, once per evaluation: the sum and count of
 * the known values and the two largest, so that "over every tenant but
 * self" is O(1) per tenant and the whole evaluation stays O(tenants x rules)
 * (recomputing it per tenant was quadratic: 30 % of the tick at 5,000).
 */
struct sig_agg {
	double sum, max1, max2;
	int n, imax1;
};

static void signal_aggregate(const struct policy_input *in, int n, struct sig_agg agg[PS_NR])
{
	for (int s = 0; s < PS_NR; s++) {
		struct sig_agg *a = &agg[s];

		*a = (struct sig_agg){ .max1 = -INFINITY, .max2 = -INFINITY, .imax1 = -1 };
		for (int j = 0; j < n; j++) {
			double x = signal_of((enum policy_signal)s, &in[j]);

			if (!isfinite(x))
				continue;
			a->sum += x;
			a->n++;
			if (x > a->max1) {
				a->max2 = a->max1;
				a->max1 = x;
				a->imax1 = j;
			} else if (x > a->max2) {
				a->max2 = x;
			}
		}
	}
}

/* The neighbours' signal for tenant self: over every other tenant. NAN if none known. */
static double signal_value(enum policy_signal s, const struct sig_agg agg[PS_NR],
			   const struct policy_input *in, int self)
{
	const struct sig_agg *a = &agg[s];
	double mine;
	bool known;

	if (s <= PS_NONE || s >= PS_NR)
		return NAN;
	mine = signal_of(s, &in[self]);
	known = isfinite(mine);
	if (a->n - known <= 0)
		return NAN;
	if (s == PS_SUFFERED_SUM)
		return known ? a->sum - mine : a->sum;
	return self == a->imax1 ? a->max2 : a->max1;
}

void policy_limits_stricter(struct tenant_limits *dst, const struct tenant_limits *b)
{
#define STRICT(bit, f) do { \
		if (b->set & (bit)) { \
			if (!(dst->set & (bit)) || b->f < dst->f) \
				dst->f = b->f; \
			dst->set |= (bit); \
		} \
	} while (0)
	STRICT(LIM_CPU, cpu_pct);
	STRICT(LIM_MEM_HIGH, mem_high);
	STRICT(LIM_MEM_MAX, mem_max);
	STRICT(LIM_NPROC, nproc);
	STRICT(LIM_IO_RBPS, io_rbps);
	STRICT(LIM_IO_WBPS, io_wbps);
	STRICT(LIM_IO_RIOPS, io_riops);
	STRICT(LIM_IO_WIOPS, io_wiops);
	STRICT(LIM_MEM_HOLD, mem_hold);
	STRICT(LIM_CPU_WEIGHT, cpu_weight);
	STRICT(LIM_CPU_IDLE, cpu_idle);
#undef STRICT
}

/*
 * The throttle in force at a rule's level: the nearest throttle rung at or
 * below it, plus every gentle rung below that one. A quota alone made a
 * sleeping victim's latency worse than no rung at all (docs/policy.md), so
 * a hog that is capped stays demoted too.
 */
static void rung_limits(const struct policy_rule *r, const struct policy_rstate *rs,
			struct tenant_limits *out)
{
	limits_init(out);
	for (int k = rs->level; k >= 1; k--) {
		const struct policy_step *st = &r->steps[k - 1];

		if (st->kind != PSTEP_THROTTLE)
			continue;
		*out = st->lim;
		for (int j = 0; j < k - 1; j++)
			if (r->steps[j].gentle)
				policy_limits_stricter(out, &r->steps[j].lim);
		if (st->mem_high_current && isfinite(rs->mem_at_trip) && rs->mem_at_trip > 0) {
			out->mem_high = (uint64_t)rs->mem_at_trip;
			out->set |= LIM_MEM_HIGH;
		}
		if (st->mem_hold_current && isfinite(rs->mem_at_trip) && rs->mem_at_trip > 0) {
			out->mem_hold = (uint64_t)rs->mem_at_trip;
			out->set |= LIM_MEM_HOLD;
		}
		return;
	}
}

/* Is the tenant pressing against the throttle it has (so lower metrics mean nothing)? */
static bool saturated(const struct tenant_limits *l, const struct policy_input *in, double sat)
{
	const struct qm_view *v = &in->v;

#define AT(bit, val, lim) ((l->set & (bit)) && (lim) != UINT64_MAX && isfinite(val) && \
			   (val) >= sat * (double)(lim))
	if ((l->set & LIM_CPU) && isfinite(l->cpu_pct) &&
	    ((isfinite(v->cpu_pct) && v->cpu_pct >= sat * l->cpu_pct) || in->cpu_throttled_s > 0))
		return true;
	if (AT(LIM_IO_RBPS, v->io_rbps, l->io_rbps) || AT(LIM_IO_WBPS, v->io_wbps, l->io_wbps))
		return true;
	if ((l->set & (LIM_IO_RIOPS | LIM_IO_WIOPS)) &&
	    (AT(LIM_IO_RIOPS, v->iops, l->io_riops) || AT(LIM_IO_WIOPS, v->iops, l->io_wiops)))
		return true;
	if ((l->set & LIM_MEM_HIGH) && (in->mem_high_s > 0 || AT(LIM_MEM_HIGH, v->mem_bytes,
								    l->mem_high)))
		return true;
	/* a hold is v1's limit_in_bytes (failcnt) or v2's memory.high */
	if ((l->set & LIM_MEM_HOLD) && (in->mem_high_s > 0 || in->mem_max_s > 0 ||
					 AT(LIM_MEM_HOLD, v->mem_bytes, l->mem_hold)))
		return true;
	if ((l->set & LIM_NPROC) && (in->pids_max_s > 0 || AT(LIM_NPROC, v->nproc, l->nproc)))
		return true;
#undef AT
	return false;
}

struct emitter {
	struct policy_action *acts;
	int max, n;
};

static void emit(struct emitter *e, int tenant, enum policy_act kind, int rule,
		 const struct policy_rule *r, const struct policy_rstate *rs,
		 const struct policy_evidence *ev)
{
	struct policy_action *a;

	if (e->n++ >= e->max)
		return;
	a = &e->acts[e->n - 1];
	memset(a, 0, sizeof(*a));
	a->tenant = tenant;
	a->kind = kind;
	a->rule = rule;
	a->level = rs->level;
	a->dry_run = rs->dry;
	rung_limits(r, rs, &a->lim);
	a->hold_ms = rs->level ? r->steps[rs->level - 1].dur_ms : 0;
	a->ev = *ev;
}

static enum policy_act enter_kind(const struct policy_rule *r, int level, bool first)
{
	switch (r->steps[level - 1].kind) {
	case PSTEP_FREEZE:
		return PA_FREEZE;
	case PSTEP_KILL:
		return PA_KILL;
	default:
		return first ? PA_APPLY : PA_ESCALATE;
	}
}

static void rstate_reset(struct policy_rstate *rs, uint64_t now_ms, bool released)
{
	int from = rs->level;

	if (released && from) {
		rs->released_ms = now_ms;
		rs->released_from = from;
	}
	rs->level = 0;
	rs->dry = false;
	rs->thawed = false;
	rs->since_ms = 0;
	rs->over = false;
	rs->sover = false;
	rs->calm = false;
	rs->mem_at_trip = NAN;
}

/* Has a window of want ms closed after have ms (POLICY_TICK_SLACK_MS)? */
static bool window_closed(uint64_t have, uint64_t want)
{
	return have + POLICY_TICK_SLACK_MS >= want;
}

static uint64_t gentle_window(const struct policy_rule *r)
{
	return r->gentle_for_ms < r->for_ms ? r->gentle_for_ms : r->for_ms;
}

/*
 * Follow one level-0 window (open since *since): open it when cond holds,
 * keep it over a dip no longer than grace. Returns whether it is open now.
 */
static bool window_track(bool open, uint64_t *since, uint64_t *ok, bool cond, uint64_t grace,
			 uint64_t now_ms)
{
	if (!cond)
		return open && grace && now_ms - *ok <= grace;
	if (!open)
		*since = now_ms;
	*ok = now_ms;
	return true;
}

/*
 * Is this a trip through the urgent window: the metric's window (the single
 * window over metric and signal, or the metric's own) open for urgent_for,
 * and the neighbours' signal past urgent_above in one of its samples? The
 * signal need not stay that high: a reader stalled 67 % of one half-second
 * on IO showed 30 % in the next (t_policy_io_rule, box CPU-starved), and a
 * neighbour that stalled that hard once in the window is not imagined.
 */
static bool urgent_closed(const struct policy_rule *r, const struct policy_rstate *rs,
			  uint64_t now_ms)
{
	uint64_t want = r->urgent_for_ms < r->for_ms ? r->urgent_for_ms : r->for_ms;

	return r->urgent_above > 0 && rs->urgent && rs->urgent_ms >= rs->over_ms &&
	       window_closed(now_ms - rs->over_ms, want);
}

/* Have the level-0 windows held for want ms (the signal's: while_for, at most want)? */
static bool windows_closed(const struct policy_rule *r, const struct policy_rstate *rs,
			   uint64_t now_ms, uint64_t want)
{
	uint64_t sw = r->while_for_ms < want ? r->while_for_ms : want;

	if (!window_closed(now_ms - rs->over_ms, want))
		return false;
	return r->while_for_ms == POLICY_SAME_WINDOW || window_closed(now_ms - rs->sover_ms, sw);
}

static void eval_rule(const struct policy_config *pc, int ri, const struct policy_input *in,
		      const struct sig_agg *agg, int self, const struct policy_tstate *prev,
		      struct policy_rstate *rs, uint64_t now_ms, struct emitter *e)
{
	const struct policy_rule *r = &pc->rules[ri];
	const struct policy_input *me = &in[self];
	struct policy_evidence ev;
	bool dry = pc->dry_run || r->dry_run;
	double m = metric_value(r->metric, me, prev, now_ms);
	double sig = r->signal == PS_NONE ? NAN : signal_value(r->signal, agg, in, self);
	bool neigh = r->signal == PS_NONE || (isfinite(sig) && sig > r->while_above);

	ev = (struct policy_evidence){
		.metric = m, .threshold = r->above, .signal = sig,
		.signal_threshold = r->signal == PS_NONE ? NAN : r->while_above,
		.cpu_throttled_s = me->cpu_throttled_s, .mem_high_s = me->mem_high_s,
		.mem_max_s = me->mem_max_s, .pids_max_s = me->pids_max_s, .oom_s = me->oom_s,
	};

	/* rule switched off, tenant out of reach, or dry-run flipped: let go */
	if (rs->level && (!pc->enabled || !r->enabled || me->exempt || !me->has_cg ||
			  rs->dry != dry)) {
		emit(e, self, PA_RELEASE, ri, r, &(struct policy_rstate){ .dry = rs->dry }, &ev);
		rstate_reset(rs, now_ms, true);
		return;
	}
	if (!pc->enabled || !r->enabled || me->exempt || !me->has_cg) {
		rs->over = false;
		rs->sover = false;
		return;
	}

	if (!rs->level) {
		/*
		 * One window over "metric AND signal", or (while_for given) one
		 * over the metric and one over the signal: a leak grows for
		 * seconds before its neighbours lose anything.
		 */
		bool split = r->while_for_ms != POLICY_SAME_WINDOW;
		bool cond = isfinite(m) && m > r->above && (split || neigh);

		if (r->urgent_above > 0 && isfinite(sig) && sig > r->urgent_above) {
			rs->urgent = true;
			rs->urgent_ms = now_ms;
		}

		if (split)
			rs->sover = window_track(rs->sover, &rs->sover_ms, &rs->sok_ms, neigh,
						 r->grace_ms, now_ms);
		rs->over = window_track(rs->over, &rs->over_ms, &rs->ok_ms, cond, r->grace_ms,
					now_ms);
		if (!cond || !neigh)
			return;		/* it never trips on a dip */
		ev.over_ms = now_ms - rs->over_ms;

		/* tripped: one rung above the last release if it was recent */
		int start = 1;

		if (rs->released_from > 0 && now_ms - rs->released_ms < pc->forget_ms) {
			start = rs->released_from + 1;
			if (start > r->nr_steps)
				start = r->nr_steps;
			/* never come back straight into a freeze or a kill */
			while (start > 1 && r->steps[start - 1].kind != PSTEP_THROTTLE)
				start--;
		}
		/*
		 * A gentle rung costs nothing while nobody else wants the CPU, so
		 * it is entered after gentle_for; when the neighbours stall hard
		 * (urgent_above) rung 1 is entered after urgent_for; anything else
		 * needs the full window. Either short way leads to rung 1 only: a
		 * recent offender is not sent higher by it, so a burst that
		 * repeats every minute never gets past rung 1.
		 */
		if (!windows_closed(r, rs, now_ms, r->for_ms)) {
			bool gentle = r->steps[0].gentle &&
				      windows_closed(r, rs, now_ms, gentle_window(r));

			if (!gentle && !urgent_closed(r, rs, now_ms))
				return;
			start = 1;
		}
		rs->level = start;
		rs->dry = dry;
		rs->thawed = false;
		rs->since_ms = now_ms;
		rs->calm = false;
		rs->mem_at_trip = me->v.mem_bytes;
		emit(e, self, enter_kind(r, start, true), ri, r, rs, &ev);
		return;
	}

	/* on the ladder */
	const struct policy_step *st = &r->steps[rs->level - 1];
	bool frozen = st->kind == PSTEP_FREEZE && !rs->thawed;
	bool held = window_closed(now_ms - rs->since_ms, st->dur_ms);
	struct tenant_limits lim;
	bool press, calm;

	if (frozen) {
		/* a frozen tenant shows no usage: nothing to judge until it thaws */
		rs->over = false;
		rs->calm = false;
		if (held) {
			rs->thawed = true;	/* parole: its hold is over, judged from now on */
			emit(e, self, PA_THAW, ri, r, rs, &ev);
		}
		return;
	}

	rung_limits(r, rs, &lim);
	press = neigh && isfinite(m) && (m > r->above || saturated(&lim, me, pc->saturation));
	/*
	 * On a gentle rung the neighbours are fine *because* of it, so their
	 * relief is no reason to let go: it is calm only once the tenant's own
	 * demand dropped below the threshold (a hog demoted to cpu.idle keeps
	 * its 190% on an otherwise idle box and stays demoted).
	 */
	calm = st->gentle ? !(isfinite(m) && m > r->above) : !press;
	if (press) {
		if (!rs->over) {
			rs->over = true;
			rs->over_ms = now_ms;
		}
	} else {
		rs->over = false;
	}
	if (!calm) {
		rs->calm = false;
	} else if (!rs->calm) {
		rs->calm = true;
		rs->calm_ms = now_ms;
	}
	ev.over_ms = rs->over ? now_ms - rs->over_ms : 0;
	if (!held)
		return;

	if (press && window_closed(now_ms - rs->over_ms, r->for_ms)) {
		if (rs->level < r->nr_steps) {
			rs->level++;
			rs->thawed = false;
			rs->since_ms = now_ms;
			rs->over = false;
			emit(e, self, enter_kind(r, rs->level, false), ri, r, rs, &ev);
		} else if (st->kind == PSTEP_KILL) {
			/* top of a ladder that ends in kill: kill again */
			rs->since_ms = now_ms;
			rs->over = false;
			emit(e, self, PA_KILL, ri, r, rs, &ev);
		}
		return;
	}
	if (calm && window_closed(now_ms - rs->calm_ms, r->calm_ms)) {
		int to = rs->level - 1;

		while (to > 0 && r->steps[to - 1].kind != PSTEP_THROTTLE)
			to--;
		if (!to) {
			emit(e, self, PA_RELEASE, ri, r, &(struct policy_rstate){ .dry = rs->dry },
			     &ev);
			rstate_reset(rs, now_ms, true);
			return;
		}
		rs->level = to;
		rs->thawed = false;
		rs->since_ms = now_ms;
		rs->calm = true;
		rs->calm_ms = now_ms;	/* another full calm period before the next rung down */
		emit(e, self, PA_STEP_DOWN, ri, r, rs, &ev);
	}
}

int policy_evaluate(const struct policy_config *pc, const struct policy_input *in,
		    const struct policy_tstate *const *prev, struct policy_tnext *next, int n,
		    uint64_t now_ms, struct policy_action *acts, int max)
{
	struct emitter e = { .acts = acts, .max = max, .n = 0 };
	struct sig_agg agg[PS_NR];

	if (!pc || n < 0 || (n && (!in || !prev || !next)) || (max && !acts) || max < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!prev[i] || (pc->nr_rules && !next[i].r))
			return -EINVAL;
	signal_aggregate(in, n, agg);
	for (int i = 0; i < n; i++) {
		const struct policy_tstate *p = prev[i];
		struct policy_tnext *s = &next[i];

		for (int ri = 0; ri < pc->nr_rules; ri++) {
			s->r[ri] = p->r[ri];
			eval_rule(pc, ri, in, agg, i, p, &s->r[ri], now_ms, &e);
		}
		s->level = 0;
		s->rule = -1;
		for (int ri = 0; ri < pc->nr_rules; ri++) {
			if (!s->r[ri].dry && s->r[ri].level > s->level) {
				s->level = s->r[ri].level;
				s->rule = ri;
			}
		}
		s->mem_last = in[i].v.mem_bytes;
		s->mem_last_ms = now_ms;
	}
	return e.n > max ? -ENOSPC : e.n;
}

void policy_tstate_commit(const struct policy_config *pc, struct policy_tstate *s,
			  const struct policy_tnext *next)
{
	int nr = pc->nr_rules < POLICY_MAX_RULES ? pc->nr_rules : POLICY_MAX_RULES;

	s->level = next->level;
	s->rule = next->rule;
	s->mem_last = next->mem_last;
	s->mem_last_ms = next->mem_last_ms;
	if (nr > 0)
		memcpy(s->r, next->r, sizeof(s->r[0]) * (size_t)nr);
	/* rules beyond the configured ones (config shrank): nothing stays active */
	memset(&s->r[nr], 0, sizeof(s->r[0]) * (size_t)(POLICY_MAX_RULES - nr));
}

bool policy_effective_r(const struct policy_config *pc, const struct policy_rstate *r,
			struct tenant_limits *dyn, bool *frozen)
{
	bool any = false;

	limits_init(dyn);
	*frozen = false;
	for (int ri = 0; ri < pc->nr_rules && ri < POLICY_MAX_RULES; ri++) {
		const struct policy_rstate *rs = &r[ri];
		const struct policy_rule *rl = &pc->rules[ri];
		struct tenant_limits l;

		if (!rs->level || rs->dry || rs->level > rl->nr_steps)
			continue;
		any = true;
		if (rl->steps[rs->level - 1].kind == PSTEP_FREEZE && !rs->thawed)
			*frozen = true;
		rung_limits(rl, rs, &l);
		policy_limits_stricter(dyn, &l);
	}
	return any;
}

bool policy_effective(const struct policy_config *pc, const struct policy_tstate *s,
		      struct tenant_limits *dyn, bool *frozen)
{
	return policy_effective_r(pc, s->r, dyn, frozen);
}

void policy_tstate_remap(const struct policy_config *old, const struct policy_config *cur,
			 struct policy_tstate *s)
{
	struct policy_rstate r[POLICY_MAX_RULES];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < cur->nr_rules; i++) {
		int j = policy_rule_find(old, cur->rules[i].name);

		if (j < 0)
			continue;
		r[i] = s->r[j];
		/* a shorter ladder: stay on its top rung */
		if (r[i].level > cur->rules[i].nr_steps)
			r[i].level = cur->rules[i].nr_steps;
	}
	memcpy(s->r, r, sizeof(r));
	s->level = 0;
	s->rule = -1;
	for (int i = 0; i < cur->nr_rules; i++) {
		if (!s->r[i].dry && s->r[i].level > s->level) {
			s->level = s->r[i].level;
			s->rule = i;
		}
	}
}
