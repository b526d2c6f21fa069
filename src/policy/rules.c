// SPDX-License-Identifier: GPL-2.0-only
/*
 * rules.c - the [policy] and [rule NAME] sections of quell.conf: the name
 * tables of metrics, signals and actions, step and rule parsing, the
 * built-in rules, policy_config_init/finish/free. What the rules mean at
 * run time is policy.c's ladder; docs/policy.md documents both.
 * Split from policy.c (issue 13): `git log --follow src/policy/policy.c`.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "units.h"

/* The view behind each of the first PM_VIEW_NR metrics, from the POL rows of QV_TABLE. */
#define PM_VIEW_(id, field, op, a, b, div, rate, top, tc, title, pol, pm, pname, ...) \
	QV_IF_##pol([PM_##pm] = QV_##id,)
static const enum qv_id pm_view[PM_VIEW_NR] = { QV_TABLE(PM_VIEW_) };
#undef PM_VIEW_

static const char *const computed_names[PM_NR - PM_VIEW_NR] = {
	[PM_IO_BPS - PM_VIEW_NR] = "io_bps",
	[PM_MEM_GROWTH - PM_VIEW_NR] = "mem_growth",
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
	[PS_IO_WAIT] = "io_wait",
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

enum qv_id policy_metric_view(enum policy_metric m)
{
	return (unsigned)m < PM_VIEW_NR ? pm_view[m] : QV_NR;
}

const char *policy_metric_name(enum policy_metric m)
{
	if ((unsigned)m < PM_VIEW_NR)
		return qv_desc[pm_view[m]].policy;
	return (unsigned)m < PM_NR ? computed_names[m - PM_VIEW_NR] : "?";
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
		if (!strcmp(s, policy_metric_name((enum policy_metric)i)))
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
#define RK_ALARM	(1u << 4)

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
	 * The fork alarm (docs/policy.md "The fork alarm"). 1000 forks/s in
	 * two 50 ms windows in a row: 8 shells forking /bin/true made 2,500/s
	 * here, one such shell 600/s (a build or a configure script runs at
	 * about that: alone it is never judged, and beside a stalled
	 * neighbour it gets the gentle rung only at twice that), one web page
	 * running a shell that forks 50 times makes one window's worth and
	 * stops. 5 ms: base slices are 3 ms on 2 CPUs; the web bench's light
	 * site suffered in many waits of 5-20 ms rather than one long one:
	 * with 20 ms the alarm came in time in 3 of 9 runs (first-5 s p99
	 * 1.4-144x alone), with 5 ms in all (0.87-1.31x) (docs/performance.md).
	 */
	pc->alarm_forks = 1000;
	pc->alarm_wait_ms = 5;
	pc->wait_alarm = true;

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
	r = builtin_rule(pc, "cpu-hog", PM_CPU_PCT, 80, 10000, PS_SUFFERED_MAX, 10, 30000,
			 "cpu_idle=yes for 10s, cpu=50% for 60s, cpu=25% for 5m, freeze for 60s, "
			 "kill");
	/*
	 * A neighbour that waits 15 % of its time is past doubt: the gentle
	 * rung at the first such sample, not 1 s later. The light PHP site of
	 * tests/bench/b_web.sh waited 235-245 ms/s in its first sample beside
	 * the CPU-heavy one, while a 1 ms sleeper whose p99 got 4-11x worse
	 * waited 13-23 ms/s (that one keeps the 1 s window). The short way
	 * leads to rung 1 only, and rung 1 caps nothing.
	 */
	if (r) {
		r->urgent_above = 50;
		r->urgent_for_ms = 0;
	}
	/*
	 * No IO weight binds on a hybrid host (blkio.weight needs BFQ, vda runs
	 * mq-deadline; v2's io controller is not there): the first rung is a
	 * cap, so the window stays long enough that a burst shorter than 2 s
	 * never reaches it (a 2 s burst touches at most 3 one-second samples,
	 * the window needs 4) - unless a neighbour's IO requests wait long
	 * (urgent_while = io_wait > urgent_above ms each): then 1 s, rung 1
	 * only. The 3 s window took 3.8-4.3 s from the hog's start to the cap
	 * in t_policy_io_rule. The urgent signal was psi_io > 50 %, but a
	 * 4 KiB reader stalled 8-50 % of the time alone and 51-96 % beside the
	 * writer, so it sat on the threshold (an idle CI run: 3.17 s); per
	 * request the same reader waited 0.015-0.04 ms alone and 0.16-5.6 ms
	 * beside the writer (t_policy_io_rule, docs/policy.md).
	 */
	r = builtin_rule(pc, "io-hog", PM_IO_BPS, 50.0 * 1024 * 1024, 3000, PS_PSI_IO, 10, 30000,
			 "io=10M iops=1000 for 60s, io=2M iops=200 for 5m, freeze for 60s");
	if (r) {
		r->urgent_signal = PS_IO_WAIT;
		r->urgent_above = 0.1;
	}
	/*
	 * The default nproc (docs/quell.conf [limits]) stops a burst; this
	 * catches a slow one. A storm starves its neighbours from its first
	 * tens of milliseconds, long before nproc binds (1,000 short-lived
	 * processes never reach 512 at once): the fork alarm puts it on the
	 * gentle rung within that time (alarm = yes), the window after 1 s
	 * (gentle_for) otherwise; nproc only if neighbours still suffer while
	 * it is demoted.
	 */
	r = builtin_rule(pc, "fork-storm", PM_FORKS, 200, 3000, PS_SUFFERED_MAX, 10, 30000,
			 "cpu_idle=yes for 3s, nproc=200 for 5m, freeze for 60s, kill");
	if (r)
		r->alarm = true;
	/*
	 * A leak steals the neighbours' page cache: they refault (read again
	 * what was evicted), their memory PSI stays 0 on v1 (docs/policy.md).
	 * The hold stops the growth (v2 memory.high, v1 limit_in_bytes at the
	 * usage + headroom). It is a cap, so like io-hog a burst shorter than
	 * 2 s must not fill its window (test_short_burst_never_past_gentle).
	 */
	r = builtin_rule(pc, "mem-growth", PM_MEM_GROWTH, 50.0 * 1024 * 1024, 3000, PS_REFAULT,
			 128, 60000, "mem_hold=current for 5m, freeze for 60s, kill");
	/*
	 * The leak grows for seconds before the neighbours lose anything (it
	 * first fills free memory): its 3 s window runs on its growth alone,
	 * and one sample of refaults past while_above is enough at the trip
	 * (while_for = 0; the 3 s of growth keep a short burst out). Measured
	 * in t_policy_mem_refault: 3.6 s from the first refaults with one
	 * window over both. A reader paced at 2,000 reads/s (b_neighbour mem)
	 * never refaults more than that: it waited 4.9 s from the box's filling
	 * with while_for = 1s (two samples past 256), 2.3 s with one; the
	 * refault watch then takes that sample early (policy_refault_watch's
	 * regular way). Its refaults rise over 1-1.5 s as the leak eats into
	 * its cache (88, 148, 195, 250, 370 pages/s in 0.3 s steps): 128
	 * pages/s (0.5 MiB/s read again, 6 % of its reads gone to the disk)
	 * is passed 0.5-1 s before 256 (docs/policy.md "Why 128 pages/s").
	 * Past 10 MiB/s read again (urgent_above; the reader there refaulted
	 * 40,000-480,000 pages/s once it began) 1 s of growth and the current
	 * sample of refaults are enough: 4.2-4.9 s from the leak's start
	 * became 2.2-2.4 s. urgent_for = 500ms is still two
	 * samples on 1 s ticks, but the second may be the refault watch's
	 * early tick, a quarter second or more after the first (docs/policy.md
	 * "The refault watch"): the refaults begin at an instant the 1 s tick
	 * learnt of 0-1 s late.
	 */
	if (r) {
		r->while_for_ms = 0;
		r->urgent_above = 2560;
		r->urgent_for_ms = 500;
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
	if (!strcmp(key, "alarm_forks")) {
		double d;

		if (parse_threshold(val, &d) || d < 0 || d > 1e6 || val[strlen(val) - 1] == '%') {
			snprintf(err, errlen, "alarm_forks: expected forks per second (0: off), "
				 "got \"%s\"", val);
			return -EINVAL;
		}
		pc->alarm_forks = d;
		return 0;
	}
	if (!strcmp(key, "alarm_wait")) {
		ret = parse_dur_kv(key, val, &pc->alarm_wait_ms, err, errlen);
		if (!ret && (!pc->alarm_wait_ms || pc->alarm_wait_ms > 10000)) {
			snprintf(err, errlen, "alarm_wait: expected 1ms to 10s, got \"%s\"", val);
			return -EINVAL;
		}
		return ret;
	}
	if (!strcmp(key, "wait_alarm"))
		return parse_bool_kv(key, val, &pc->wait_alarm, err, errlen);
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
		 "throttle_for, alarm_forks, alarm_wait, wait_alarm)", key);
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
	if (!strcmp(key, "alarm")) {
		r->seen |= RK_ALARM;
		return parse_bool_kv(key, val, &r->alarm, err, errlen);
	}
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
	if (!strcmp(key, "urgent_while")) {
		if (!strcmp(val, "while")) {
			r->urgent_signal = PS_NONE;
			return 0;
		}
		i = policy_signal_by_name(val);
		if (i <= PS_NONE) {
			snprintf(err, errlen, "urgent_while: unknown \"%s\" (known: while, "
				 "suffered_sum, suffered_max, psi_cpu, psi_mem, psi_io, io_lat, refault, "
				 "io_wait)", val);
			return -EINVAL;
		}
		r->urgent_signal = (enum policy_signal)i;
		return 0;
	}
	if (!strcmp(key, "while")) {
		i = policy_signal_by_name(val);
		if (i < 0) {
			snprintf(err, errlen, "while: unknown \"%s\" (known: none, suffered_sum, "
				 "suffered_max, psi_cpu, psi_mem, psi_io, io_lat, refault, io_wait)", val);
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
		 "above, for, while, while_above, while_for, urgent_above, urgent_while, urgent_for, "
		 "calm, grace, gentle_for, alarm, steps)", key,
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
		/*
		 * The fork alarm leads to a gentle rung 1 only. A rule given
		 * other steps in the file keeps them and loses its built-in
		 * alarm; asking for one there is an error.
		 */
		if (r->alarm && (r->metric != PM_FORKS || !r->steps[0].gentle ||
				 !(r->steps[0].lim.set & LIM_GENTLE_CPU))) {
			if (r->seen & RK_ALARM) {
				snprintf(err, errlen, "[rule:%s]: alarm = yes needs metric = forks_s "
					 "and a gentle first step (cpu_idle or cpu_weight)", r->name);
				return -EINVAL;
			}
			r->alarm = false;
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
