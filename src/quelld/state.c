// SPDX-License-Identifier: GPL-2.0-only
/*
 * state.c - the enforcer's crash-safe memory (src/quelld/state.h).
 *
 * {"version":1,"tenants":{"alice":{"override":{...},"manual":"throttle",
 *  "manual_limits":{...},"manual_until":1700000000,
 *  "rules":{"cpu-hog":{"level":2,"since":..,"dry":false,...}}}}}
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "tenant_name.h"

static const struct {
	const char *key;
	uint32_t bit;
	size_t off;
} lim_fields[] = {
	{ "mem_high", LIM_MEM_HIGH, offsetof(struct tenant_limits, mem_high) },
	{ "mem_max", LIM_MEM_MAX, offsetof(struct tenant_limits, mem_max) },
	{ "nproc", LIM_NPROC, offsetof(struct tenant_limits, nproc) },
	{ "io_rbps", LIM_IO_RBPS, offsetof(struct tenant_limits, io_rbps) },
	{ "io_wbps", LIM_IO_WBPS, offsetof(struct tenant_limits, io_wbps) },
	{ "io_riops", LIM_IO_RIOPS, offsetof(struct tenant_limits, io_riops) },
	{ "io_wiops", LIM_IO_WIOPS, offsetof(struct tenant_limits, io_wiops) },
	{ "mem_hold", LIM_MEM_HOLD, offsetof(struct tenant_limits, mem_hold) },
	{ "cpu_weight", LIM_CPU_WEIGHT, offsetof(struct tenant_limits, cpu_weight) },
	{ "cpu_idle", LIM_CPU_IDLE, offsetof(struct tenant_limits, cpu_idle) },
	{ "io_weight", LIM_IO_WEIGHT, offsetof(struct tenant_limits, io_weight) },
};

json_t *state_limits_json(const struct tenant_limits *l)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	if (l->set & LIM_CPU)
		json_object_set_new(j, "cpu_pct", isfinite(l->cpu_pct) ? json_real(l->cpu_pct) :
				    json_null());
	for (size_t i = 0; i < sizeof(lim_fields) / sizeof(lim_fields[0]); i++) {
		uint64_t v;

		if (!(l->set & lim_fields[i].bit))
			continue;
		memcpy(&v, (const char *)l + lim_fields[i].off, sizeof(v));
		json_object_set_new(j, lim_fields[i].key, v == CG_UNLIMITED || v > INT64_MAX ?
				    json_null() : json_integer((json_int_t)v));
	}
	/* a share ("mem = 50%"): mem_max above is then its bytes, or null before resolution */
	if ((l->set & LIM_MEM_HIGH) && l->mem_high_pct)
		json_object_set_new(j, "mem_high_pct", json_real(l->mem_high_pct / 100.0));
	if ((l->set & LIM_MEM_MAX) && l->mem_max_pct)
		json_object_set_new(j, "mem_max_pct", json_real(l->mem_max_pct / 100.0));
	return j;
}

/* "mem_max_pct": 50 -> 5000 hundredths; 0 absent, -EBADMSG out of (0, 100] */
static int share_from_json(json_t *j, const char *key, uint32_t bit, struct tenant_limits *l,
			   uint16_t *pct)
{
	json_t *v = json_object_get(j, key);
	double x;

	if (!v)
		return 0;
	x = json_is_number(v) ? json_number_value(v) : -1;
	if (!(x * 100.0 >= 0.5 && x <= 100.0) || !(l->set & bit))
		return -EBADMSG;
	*pct = (uint16_t)(x * 100.0 + 0.5);
	return 0;
}

int state_limits_from_json(json_t *j, struct tenant_limits *l)
{
	json_t *v;

	limits_init(l);
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return -EBADMSG;
	v = json_object_get(j, "cpu_pct");
	if (v) {
		if (json_is_null(v))
			l->cpu_pct = INFINITY;
		else if (json_is_number(v) && json_number_value(v) > 0)
			l->cpu_pct = json_number_value(v);
		else
			return -EBADMSG;
		l->set |= LIM_CPU;
	}
	for (size_t i = 0; i < sizeof(lim_fields) / sizeof(lim_fields[0]); i++) {
		uint64_t x;

		v = json_object_get(j, lim_fields[i].key);
		if (!v)
			continue;
		if (json_is_null(v))
			x = CG_UNLIMITED;
		else if (json_is_integer(v) && json_integer_value(v) > 0)
			x = (uint64_t)json_integer_value(v);
		else
			return -EBADMSG;
		memcpy((char *)l + lim_fields[i].off, &x, sizeof(x));
		l->set |= lim_fields[i].bit;
	}
	if (share_from_json(j, "mem_high_pct", LIM_MEM_HIGH, l, &l->mem_high_pct) ||
	    share_from_json(j, "mem_max_pct", LIM_MEM_MAX, l, &l->mem_max_pct))
		return -EBADMSG;
	return 0;
}

void state_free(struct state_db *db)
{
	for (int i = 0; i < db->nr; i++)
		free(db->t[i].rules);
	free(db->t);
	free(db->idx);
	memset(db, 0, sizeof(*db));
}

static void idx_put(struct state_db *db, int i)
{
	uint64_t h = tenant_name_hash(db->t[i].name) & (uint64_t)(db->idx_cap - 1);

	while (db->idx[h] >= 0)
		h = (h + 1) & (uint64_t)(db->idx_cap - 1);
	db->idx[h] = i;
}

/*
 * The index keeps state_find O(1): the enforcer looks tenants up several
 * times per tenant per tick, and a linear search was 44 % of the tick at
 * 5,000 tenants (docs/performance.md). Entries are only ever appended.
 */
static int idx_grow(struct state_db *db)
{
	int cap = db->idx_cap ? db->idx_cap : 64;
	int *n;

	while (cap <= 2 * (db->nr + 1))
		cap *= 2;
	if (cap == db->idx_cap)
		return 0;
	n = malloc(sizeof(*n) * (size_t)cap);
	if (!n)
		return -ENOMEM;
	free(db->idx);
	db->idx = n;
	db->idx_cap = cap;
	for (int i = 0; i < cap; i++)
		n[i] = -1;
	for (int i = 0; i < db->nr; i++)
		idx_put(db, i);
	return 0;
}

struct state_tenant *state_find(struct state_db *db, const char *name, bool create)
{
	struct state_tenant *st;

	if (db->idx_cap) {
		uint64_t h = tenant_name_hash(name) & (uint64_t)(db->idx_cap - 1);

		for (; db->idx[h] >= 0; h = (h + 1) & (uint64_t)(db->idx_cap - 1))
			if (!strcmp(db->t[db->idx[h]].name, name))
				return &db->t[db->idx[h]];
	}
	if (!create || strlen(name) >= QUELL_NAME_MAX)
		return NULL;
	if (idx_grow(db))
		return NULL;
	if (db->nr == db->cap) {
		int cap = db->cap ? db->cap * 2 : 16;
		struct state_tenant *n = realloc(db->t, sizeof(*n) * (size_t)cap);

		if (!n)
			return NULL;
		db->t = n;
		db->cap = cap;
	}
	st = &db->t[db->nr++];
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", name);
	idx_put(db, db->nr - 1);
	limits_init(&st->over);
	limits_init(&st->manual_lim);
	return st;
}

bool state_tenant_used(const struct state_tenant *st)
{
	if (st->over.set || st->manual != SM_NONE)
		return true;
	for (int i = 0; i < st->nr_rules; i++)
		if (st->rules[i].rs.level || st->rules[i].rs.released_from)
			return true;
	return false;
}

int state_compact(struct state_db *db)
{
	int n = 0, used = 0, cap = 64, dropped, *idx;

	for (int i = 0; i < db->nr; i++)
		used += state_tenant_used(&db->t[i]);
	if (used == db->nr)
		return 0;
	/* the new index first: without memory for it the db stays as it was */
	while (cap <= 2 * (used + 1))
		cap *= 2;
	idx = malloc(sizeof(*idx) * (size_t)cap);
	if (!idx)
		return -ENOMEM;
	for (int i = 0; i < db->nr; i++) {
		if (state_tenant_used(&db->t[i]))
			db->t[n++] = db->t[i];
		else
			free(db->t[i].rules);
	}
	dropped = db->nr - n;
	db->nr = n;
	free(db->idx);
	db->idx = idx;
	db->idx_cap = cap;
	for (int i = 0; i < cap; i++)
		idx[i] = -1;
	for (int i = 0; i < n; i++)
		idx_put(db, i);
	/* a storm that is over gives its memory back */
	if (db->cap > 2 * n + 16) {
		struct state_tenant *t = realloc(db->t, sizeof(*t) * (size_t)(n + 16));

		if (t) {
			db->t = t;
			db->cap = n + 16;
		}
	}
	return dropped;
}

int state_put_policy(struct state_tenant *st, const struct policy_config *pc,
		     const struct policy_tstate *ts)
{
	int n = 0;

	for (int i = 0; i < pc->nr_rules && i < ts->nr; i++)
		n += ts->r[i].level || ts->r[i].released_from;
	/* reallocated only when the count changes: not every tick */
	if (n != st->nr_rules) {
		struct state_rule *r = n ? realloc(st->rules, sizeof(*r) * (size_t)n) : NULL;

		if (n && !r)
			return -ENOMEM;
		if (!n)
			free(st->rules);
		st->rules = r;
	}
	st->nr_rules = 0;
	for (int i = 0; i < pc->nr_rules && i < ts->nr; i++) {
		const struct policy_rstate *rs = &ts->r[i];
		struct state_rule *sr;

		if (!rs->level && !rs->released_from)
			continue;
		sr = &st->rules[st->nr_rules++];
		snprintf(sr->rule, sizeof(sr->rule), "%s", pc->rules[i].name);
		sr->rs = *rs;
	}
	return 0;
}

int state_get_policy(const struct state_tenant *st, const struct policy_config *pc,
		     struct policy_tstate *ts, uint64_t now_ms)
{
	int dropped = 0;

	for (int k = 0; k < st->nr_rules; k++) {
		const struct state_rule *sr = &st->rules[k];
		int i = policy_rule_find(pc, sr->rule);
		const struct policy_rule *r;
		struct policy_rstate rs = sr->rs;

		if (i < 0 || i >= ts->nr)	/* no room: a failed resize, the rule restarts calm */
			continue;
		r = &pc->rules[i];
		if (rs.level > r->nr_steps)
			rs.level = r->nr_steps;
		if (rs.level > 0) {
			uint64_t end = rs.since_ms + r->steps[rs.level - 1].dur_ms + r->calm_ms;

			if (now_ms >= end) {
				rs.released_ms = now_ms;
				rs.released_from = rs.level;
				rs.level = 0;
				rs.thawed = false;
				dropped++;
			}
		}
		/* condition windows do not survive a gap in observation */
		rs.over = false;
		rs.calm = false;
		ts->r[i] = rs;
	}
	ts->level = 0;
	ts->rule = -1;
	for (int i = 0; i < pc->nr_rules && i < ts->nr; i++) {
		if (!ts->r[i].dry && ts->r[i].level > ts->level) {
			ts->level = ts->r[i].level;
			ts->rule = i;
		}
	}
	return dropped;
}

static const char *manual_name(enum state_manual m)
{
	return m == SM_THROTTLE ? "throttle" : m == SM_FREEZE ? "freeze" : "none";
}

static json_t *rstate_json(const struct policy_rstate *rs)
{
	return json_pack("{s:i, s:b, s:b, s:I, s:I, s:i, s:f}", "level", rs->level,
			 "dry", rs->dry, "thawed", rs->thawed,
			 "since", (json_int_t)rs->since_ms, "released", (json_int_t)rs->released_ms,
			 "released_from", rs->released_from,
			 "mem_at_trip", isfinite(rs->mem_at_trip) ? rs->mem_at_trip : 0.0);
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

int state_save(const char *path, const struct state_db *db)
{
	char tmp[4200];
	json_t *root, *tenants;
	char *text;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	tenants = json_object();
	root = json_pack("{s:i, s:o}", "version", 1, "tenants", tenants);
	if (!root)
		return -ENOMEM;
	for (int i = 0; i < db->nr; i++) {
		const struct state_tenant *st = &db->t[i];
		json_t *o, *rules;

		if (!state_tenant_used(st))
			continue;
		o = json_object();
		json_object_set_new(o, "override", state_limits_json(&st->over));
		json_object_set_new(o, "manual", json_string(manual_name(st->manual)));
		json_object_set_new(o, "manual_limits", state_limits_json(&st->manual_lim));
		json_object_set_new(o, "manual_until", json_integer((json_int_t)st->manual_until));
		rules = json_object();
		for (int k = 0; k < st->nr_rules; k++)
			json_object_set_new(rules, st->rules[k].rule, rstate_json(&st->rules[k].rs));
		json_object_set_new(o, "rules", rules);
		json_object_set_new(tenants, st->name, o);
	}
	/*
	 * Dumped to memory and written at once: json_dumpfd() makes a write()
	 * per token, and 10,000 tenants on a ladder took 5.8 s to save that
	 * way (tests/unit/cost_state.c), 253 ms this way (3.1 MB).
	 */
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		free(text);
		return ret;
	}
	ret = write_all(fd, text, strlen(text));
	free(text);
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int load_tenant(struct state_db *db, const char *name, json_t *o)
{
	struct state_tenant *st;
	json_t *rules, *v;
	const char *rname, *m;
	int cap;

	if (!json_is_object(o))
		return -EBADMSG;
	st = state_find(db, name, true);
	if (!st)
		return -ENOMEM;
	if (state_limits_from_json(json_object_get(o, "override"), &st->over) ||
	    state_limits_from_json(json_object_get(o, "manual_limits"), &st->manual_lim))
		return -EBADMSG;
	m = json_string_value(json_object_get(o, "manual"));
	st->manual = m && !strcmp(m, "throttle") ? SM_THROTTLE :
		     m && !strcmp(m, "freeze") ? SM_FREEZE : SM_NONE;
	st->manual_until = (uint64_t)json_integer_value(json_object_get(o, "manual_until"));
	rules = json_object_get(o, "rules");
	cap = json_object_size(rules) < POLICY_MAX_RULES ? (int)json_object_size(rules) :
	      POLICY_MAX_RULES;
	if (cap && !(st->rules = calloc((size_t)cap, sizeof(*st->rules))))
		return -ENOMEM;
	json_object_foreach(rules, rname, v) {
		struct state_rule *sr;
		json_int_t level = 0, since = 0, rel = 0;
		int dry = 0, thawed = 0, from = 0;
		double mem = 0;

		if (st->nr_rules >= cap)
			break;
		if (json_unpack(v, "{s:I, s?b, s?b, s?I, s?I, s?i, s?F}", "level", &level, "dry",
				&dry, "thawed", &thawed, "since", &since, "released", &rel,
				"released_from", &from, "mem_at_trip", &mem) ||
		    level < 0 || level > POLICY_MAX_STEPS || strlen(rname) >= POLICY_RULE_NAME_MAX)
			return -EBADMSG;
		sr = &st->rules[st->nr_rules++];
		memset(sr, 0, sizeof(*sr));
		snprintf(sr->rule, sizeof(sr->rule), "%s", rname);
		sr->rs.level = (int)level;
		sr->rs.dry = dry;
		sr->rs.thawed = thawed;
		sr->rs.since_ms = (uint64_t)since;
		sr->rs.released_ms = (uint64_t)rel;
		sr->rs.released_from = from;
		sr->rs.mem_at_trip = mem > 0 ? mem : NAN;
	}
	return 0;
}

int state_load(const char *path, struct state_db *db)
{
	json_error_t jerr;
	json_t *root, *tenants, *o;
	const char *name;
	int ret = 0;

	memset(db, 0, sizeof(*db));
	root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (access(path, F_OK) && errno == ENOENT)
			return 0;
		return -EBADMSG;
	}
	tenants = json_object_get(root, "tenants");
	if (json_integer_value(json_object_get(root, "version")) != 1 || !json_is_object(tenants))
		ret = -EBADMSG;
	json_object_foreach(tenants, name, o) {
		if (ret)
			break;
		ret = load_tenant(db, name, o);
	}
	json_decref(root);
	if (ret)
		state_free(db);
	return ret;
}
