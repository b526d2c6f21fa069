// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_policy.c - socket commands of the enforcer: limits, set, throttle,
 * release, freeze, kill, events. Reply shapes in docs/policy.md ("Socket
 * commands"). Every command that changes something is logged to the audit
 * log like a rule action (rule "manual") and persisted.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api_cmds.h"
#include "audit.h"
#include "clock.h"
#include "act.h"
#include "events_log.h"
#include "history.h"
#include "quelld.h"
#include "units.h"

static struct tenant *req_tenant(struct daemon *d, json_t *req, char *err, size_t len)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	struct tenant *t;

	if (!name || !*name) {
		snprintf(err, len, "missing \"name\" (a string)");
		return NULL;
	}
	t = registry_by_name(&d->reg, name);
	if (!t)
		snprintf(err, len, "no tenant \"%.64s\"", name);
	return t;
}

/* "for": seconds as a number, or a duration string ("10m"). 0 when absent. */
static int req_for(json_t *req, uint64_t *ms, char *err, size_t len)
{
	json_t *j = json_object_get(req, "for");

	*ms = 0;
	if (!j || json_is_null(j))
		return 0;
	if (json_is_number(j) && json_number_value(j) > 0 && json_number_value(j) < 1e9) {
		*ms = (uint64_t)(json_number_value(j) * 1000);
		return 0;
	}
	if (json_is_string(j) && !units_parse_duration_ms(json_string_value(j), ms) && *ms)
		return 0;
	snprintf(err, len, "bad \"for\": a duration such as 600 (seconds) or \"10m\"");
	return -EINVAL;
}

/* {"cpu":"50%","mem":"1G"} -> limits; "default" clears a key (into *clear). */
static int req_limits(json_t *obj, struct tenant_limits *l, uint32_t *clear, char *err,
		      size_t len)
{
	const char *key;
	json_t *v;

	limits_init(l);
	*clear = 0;
	if (!json_is_object(obj) || !json_object_size(obj)) {
		snprintf(err, len, "missing \"limits\" (an object such as {\"cpu\":\"50%%\"})");
		return -EINVAL;
	}
	json_object_foreach(obj, key, v) {
		char buf[64], lerr[200];
		int ret;

		if (json_is_string(v))
			snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		else if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		else {
			snprintf(err, len, "limit \"%s\": value must be a string", key);
			return -EINVAL;
		}
		if (!strcmp(buf, "default")) {
			struct tenant_limits tmp;

			limits_init(&tmp);
			/* which bits the key stands for */
			ret = limits_parse_kv(&tmp, key, "1", lerr, sizeof(lerr));
			if (ret == -ENOENT) {
				snprintf(err, len, "%s", lerr);
				return -EINVAL;
			}
			*clear |= tmp.set;
			continue;
		}
		ret = limits_parse_kv(l, key, buf, lerr, sizeof(lerr));
		if (ret) {
			snprintf(err, len, "%s", lerr);
			return -EINVAL;
		}
	}
	return 0;
}

static json_t *cg_limits_json(const struct cg_limits *c)
{
	json_t *io = json_array();
	uint64_t period = c->cpu_period_us ? c->cpu_period_us : 100000;

#define U(x) ((x) == CG_UNLIMITED ? json_null() : json_integer((json_int_t)(x)))
	for (int i = 0; i < c->nr_io && i < CG_IO_MAX_DEVS; i++) {
		const struct cg_io_limit *d = &c->io[i];
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", d->major, d->minor);
		json_array_append_new(io, json_pack("{s:s, s:o, s:o, s:o, s:o}", "dev", dev,
						    "rbps", U(d->rbps), "wbps", U(d->wbps),
						    "riops", U(d->riops), "wiops", U(d->wiops)));
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
			 "cpu_pct", c->cpu_quota_us == CG_UNLIMITED ? json_null() :
			 json_real((double)c->cpu_quota_us * 100.0 / (double)period),
			 "mem_high", U(c->mem_high), "mem_max", U(c->mem_max),
			 "pids_max", U(c->pids_max), "io", io);
#undef U
}

static json_t *limits_reply(struct daemon *d, struct tenant *t)
{
	struct tenant_limits stat, dyn, full, none;
	struct state_tenant *st = act_state(t->name, false);
	struct cg_limits have;
	char a[256], b[256];
	bool frozen;

	limits_init(&none);
	act_desired(d, t, &stat, &dyn, &full, &frozen);
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:s, s:s}",
			 "tenant", t->name,
			 "config", state_limits_json(&t->lim),
			 "override", state_limits_json(st ? &st->over : &none),
			 "static", state_limits_json(&stat),
			 "dynamic", state_limits_json(&dyn),
			 "effective", state_limits_json(&full),
			 "frozen", frozen,
			 "cgroup", t->cg[0] && !cg_read_limits(&d->cg, t->cg, &have) ?
				   cg_limits_json(&have) : json_null(),
			 "static_text", limits_fmt(&stat, a, sizeof(a)),
			 "effective_text", limits_fmt(&full, b, sizeof(b)));
}

int api_cmd_limits(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = req_tenant(d, req, err, len);

	if (!t)
		return -ENOENT;
	json_object_set_new(resp, "limits", limits_reply(d, t));
	json_object_set_new(resp, "state", act_state_json(d, t));
	return 0;
}

int api_cmd_set(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = req_tenant(d, req, err, len);
	struct state_tenant *st;
	struct tenant_limits l;
	uint32_t clear;
	int ret;

	if (!t)
		return -ENOENT;
	ret = req_limits(json_object_get(req, "limits"), &l, &clear, err, len);
	if (ret)
		return ret;
	st = act_state(t->name, true);
	if (!st)
		return -ENOMEM;
	/* "default": back to the configuration's value */
	if (clear) {
		struct tenant_limits keep = st->over;

		keep.set &= ~clear;
		limits_init(&st->over);
		limits_merge(&st->over, &keep);
	}
	limits_merge(&st->over, &l);
	ret = act_apply(d, t, true);
	audit_log(d, t, "set", "manual", 0, false, &st->over,
		  json_pack("{s:O, s:i}", "request", json_object_get(req, "limits"),
			    "result", ret));
	act_save(d);
	if (ret) {
		snprintf(err, len, "limits recorded but writing them failed: %s", strerror(-ret));
		return ret;
	}
	json_object_set_new(resp, "limits", limits_reply(d, t));
	return 0;
}

int api_cmd_throttle(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = req_tenant(d, req, err, len);
	struct state_tenant *st;
	struct tenant_limits l = d->cfg.policy.manual_lim;
	uint64_t ms;
	uint32_t clear;
	int ret;

	if (!t)
		return -ENOENT;
	if (req_for(req, &ms, err, len))
		return -EINVAL;
	if (json_object_get(req, "limits") &&
	    req_limits(json_object_get(req, "limits"), &l, &clear, err, len))
		return -EINVAL;
	if (!ms)
		ms = d->cfg.policy.manual_ms;
	st = act_state(t->name, true);
	if (!st)
		return -ENOMEM;
	st->manual = SM_THROTTLE;
	st->manual_lim = l;
	/* rounded up: expiry is checked in whole seconds, a 10 s throttle must last >= 10 s */
	st->manual_until = (clock_real_ms() + ms + 999) / 1000;
	ret = act_apply(d, t, true);
	audit_log(d, t, "throttle", "manual", 0, false, &l,
		  json_pack("{s:I, s:i}", "for_s", (json_int_t)(ms / 1000), "result", ret));
	act_save(d);
	json_object_set_new(resp, "state", act_state_json(d, t));
	return 0;
}

int api_cmd_freeze(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = req_tenant(d, req, err, len);
	struct state_tenant *st;
	uint64_t ms;
	int ret;

	if (!t)
		return -ENOENT;
	if (req_for(req, &ms, err, len))
		return -EINVAL;
	if (!t->cg[0]) {
		snprintf(err, len, "tenant %s has no cgroup", t->name);
		return -ENOENT;
	}
	st = act_state(t->name, true);
	if (!st)
		return -ENOMEM;
	st->manual = SM_FREEZE;
	limits_init(&st->manual_lim);
	st->manual_until = ms ? (clock_real_ms() + ms + 999) / 1000 : 0;
	ret = act_apply(d, t, true);
	audit_log(d, t, "freeze", "manual", 0, false, NULL,
		  json_pack("{s:I, s:i}", "for_s", (json_int_t)(ms / 1000), "result", ret));
	act_save(d);
	if (ret) {
		snprintf(err, len, "freeze failed: %s", strerror(-ret));
		return ret;
	}
	json_object_set_new(resp, "state", act_state_json(d, t));
	return 0;
}

int api_cmd_release(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = req_tenant(d, req, err, len);
	struct state_tenant *st;
	int ret;

	if (!t)
		return -ENOENT;
	st = act_state(t->name, true);
	if (!st)
		return -ENOMEM;
	st->manual = SM_NONE;
	st->manual_until = 0;
	/* every ladder back to 0, forgotten: the operator has the last word */
	policy_tstate_init(&t->pol);
	state_put_policy(st, &d->cfg.policy, &t->pol);
	if (t->state == TS_KILLED)
		t->state = TS_OK;
	ret = act_apply(d, t, true);
	audit_log(d, t, "release", "manual", 0, false, NULL,
		  json_pack("{s:i}", "result", ret));
	alarm_released(d);
	act_save(d);
	json_object_set_new(resp, "state", act_state_json(d, t));
	return 0;
}

int api_cmd_kill(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = req_tenant(d, req, err, len);
	int ret;

	if (!t)
		return -ENOENT;
	if (!t->cg[0]) {
		snprintf(err, len, "tenant %s has no cgroup", t->name);
		return -ENOENT;
	}
	ret = act_kill(d, t);
	audit_log(d, t, "kill", "manual", 0, false, NULL, json_pack("{s:i}", "result", ret));
	if (ret) {
		snprintf(err, len, "kill failed: %s", strerror(-ret));
		return ret;
	}
	json_object_set_new(resp, "state", act_state_json(d, t));
	return 0;
}

#define EVENTS_REPLY_MAX	10000	/* events per reply; "limit": 0 asks for this many */

int api_cmd_events(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	json_t *jt = json_object_get(req, "tenant"), *js = json_object_get(req, "since");
	json_t *jl = json_object_get(req, "limit"), *arr = NULL;
	const char *tenant = NULL;
	time_t since = 0;
	int limit = 1000, ret;

	if (jt && !json_is_null(jt)) {
		if (!json_is_string(jt)) {
			snprintf(err, len, "bad \"tenant\": a string");
			return -EINVAL;
		}
		tenant = json_string_value(jt);
	}
	if (js && !json_is_null(js)) {
		if (!json_is_number(js) || json_number_value(js) < 0) {
			snprintf(err, len, "bad \"since\": epoch seconds");
			return -EINVAL;
		}
		since = (time_t)json_number_value(js);
	}
	if (jl && !json_is_null(jl)) {
		if (!json_is_integer(jl) || json_integer_value(jl) < 0 ||
		    json_integer_value(jl) > 1000000) {
			snprintf(err, len, "bad \"limit\": 0 (all) .. 1000000");
			return -EINVAL;
		}
		limit = (int)json_integer_value(jl);
	}
	if (!d->cfg.events_path[0]) {
		json_object_set_new(resp, "events", json_array());
		return 0;
	}
	/*
	 * Served inside the loop: the reader goes newest first and stops at
	 * limit or since, so the work is bounded by what is asked, not by the
	 * log's size; "all" is capped so one request cannot read 60 MB.
	 */
	if (!limit || limit > EVENTS_REPLY_MAX)
		limit = EVENTS_REPLY_MAX;
	ret = events_log_read(d->cfg.events_path, tenant, since, limit, &arr);
	if (ret) {
		snprintf(err, len, "reading %s: %s", d->cfg.events_path, strerror(-ret));
		return ret;
	}
	json_object_set_new(resp, "events", arr);
	return 0;
}
