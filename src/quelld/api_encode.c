// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_encode.c - struct tenant on the wire: the jansson encoder of the
 * `tenant` command, the hand-written one of `snapshot` (same bytes, ~1 us per
 * value) and the tview the daemon sorts with. docs/protocol.md is the
 * reference for every field; the member lists are include/proto.h's, shared
 * with the clients' decoder in src/common/proto.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_encode.h"
#include "cgroup.h"

/* CG_UNLIMITED is null. */
static json_t *jlim(uint64_t v)
{
	return v == CG_UNLIMITED ? json_null() : json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

static json_t *jcounter(const struct qm_sample *s, enum qm_id id)
{
	uint64_t v = s->v[id];

	if (!qm_valid(s, id))
		return json_null();
	return json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

/* "a rule is tripping": on a rung of a ladder, or some rule's condition holds now */
static bool tenant_offending(const struct tenant *t)
{
	if (t->pol.level > 0)
		return true;
	for (int i = 0; i < t->pol.nr; i++)
		if (t->pol.r[i].over)
			return true;
	return false;
}

json_t *proto_limits_json(const struct tenant_limits *l)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			 "cpu_pct", proto_json_num(l->cpu_pct),
			 "mem_high", jlim(l->mem_high),
			 "mem_max", jlim(l->mem_max),
			 "nproc", jlim(l->nproc),
			 "io_rbps", jlim(l->io_rbps),
			 "io_wbps", jlim(l->io_wbps),
			 "io_riops", jlim(l->io_riops),
			 "io_wiops", jlim(l->io_wiops));
}

json_t *proto_tenant_json(const struct tenant *t)
{
	const struct qm_sample *s = &t->cur;
	struct tenant_limits eff = t->lim;
	json_t *j, *counters, *sources, *rates, *gauges, *faults;
	uint64_t mem_faults = 0;
	bool mem_known = false;

	counters = json_object();
	sources = json_object();
	rates = json_object();
	gauges = json_object();
	if (!counters || !sources || !rates || !gauges)
		goto nomem;
	for (int i = 0; i < QM_NR; i++) {
		if (qm_desc[i].kind == QM_COUNTER)
			json_object_set_new(counters, qm_desc[i].key, jcounter(s, (enum qm_id)i));
		if (qm_valid(s, (enum qm_id)i) && s->src[i] != QM_SRC_NONE)
			json_object_set_new(sources, qm_desc[i].key,
					    json_string(qm_source_name((enum qm_source)s->src[i])));
	}
	for (int i = 0; i < QV_NR; i++)
		if (qv_desc[i].rate)
			json_object_set_new(rates, qv_desc[i].key,
					    proto_json_num(qv_get(&t->view, (enum qv_id)i)));
	for (int i = 0; i < QM_NR; i++)
		if (qm_desc[i].kind == QM_GAUGE)
			json_object_set_new(gauges, qm_desc[i].key, jcounter(s, (enum qm_id)i));

	/* limit-hit counters: LVE "faults" */
	if (qm_valid(s, QM_MEM_HIGH_EVENTS)) {
		mem_faults += s->v[QM_MEM_HIGH_EVENTS];
		mem_known = true;
	}
	if (qm_valid(s, QM_MEM_MAX_EVENTS)) {
		mem_faults += s->v[QM_MEM_MAX_EVENTS];
		mem_known = true;
	}
	if (qm_valid(s, QM_OOM_KILLS)) {
		mem_faults += s->v[QM_OOM_KILLS];
		mem_known = true;
	}
	faults = json_pack("{s:o,s:o,s:o,s:n}",
			   "cpu", jcounter(s, QM_CPU_THROTTLED),
			   "mem", mem_known ? json_integer((json_int_t)mem_faults) : json_null(),
			   "pids", jcounter(s, QM_PIDS_MAX_EVENTS),
			   "io");	/* no IO-throttle counter yet: documented as null */

	/* what is in force: static limits (with `set` overrides) tightened by dynamic ones */
	if (t->applied_valid)
		eff = t->applied;
	else
		limits_merge(&eff, &t->dyn);

	j = json_pack("{s:s,s:o,s:s,s:s,s:s,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		      "name", t->name,
		      "uid", t->uid == TENANT_UID_NONE ? json_null() : json_integer(t->uid),
		      "cgroup", t->cg,
		      "state", tenant_state_name(t->state),
		      "rule", t->state_rule,
		      "offender", tenant_offending(t),
		      "exempt", t->exempt,
		      "state_until", t->state_until ? json_integer((json_int_t)t->state_until) : json_null(),
		      "counters", counters,
		      "sources", sources,
		      "rates", rates,
		      "gauges", gauges,
		      "limits", proto_limits_json(&eff),
		      "faults", faults);
	return j;
nomem:
	json_decref(counters);
	json_decref(sources);
	json_decref(rates);
	json_decref(gauges);
	return NULL;
}

/* --- the hand-written encoder (daemon) --- */

/* Room for n more bytes and a NUL; sets oom instead of failing. */
static void buf_grow(struct proto_buf *b, size_t n)
{
	size_t ncap = b->cap ? b->cap : 4096;
	char *p;

	if (b->oom)
		return;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	p = realloc(b->p, ncap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = ncap;
}

/*
 * The encoder's one write: no NUL (proto_tenant_enc() adds it once), the
 * capacity check inline. ~100 of these per tenant, so it matters: with
 * proto_buf_put() per piece 10,000 tenants took ~50 ms of CPU.
 */
static inline void put(struct proto_buf *b, const void *s, size_t n)
{
	if (b->len + n >= b->cap) {
		buf_grow(b, n);
		if (b->oom)
			return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void proto_buf_put(struct proto_buf *b, const void *s, size_t n)
{
	put(b, s, n);
	if (!b->oom)
		b->p[b->len] = '\0';
}

void proto_buf_free(struct proto_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

#define PUTS(b, lit) put(b, lit, sizeof(lit) - 1)

static void put_i64(struct proto_buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_u64c(struct proto_buf *b, uint64_t v)
{
	put_i64(b, (int64_t)(v > INT64_MAX ? INT64_MAX : v));
}

/*
 * A real as jansson 2.14 writes it ("%.17g", ".0" added when it reads as an
 * integer), so a client sees the same bytes as before; integral values take
 * the integer path (~10x cheaper than snprintf): idle tenants are all zeros.
 */
static void put_real(struct proto_buf *b, double v)
{
	char tmp[40], *e;
	int n;

	if (!isfinite(v)) {
		PUTS(b, "null");
		return;
	}
	if (v == (double)(int64_t)v && fabs(v) < 1e15 && !(v == 0 && signbit(v))) {
		put_i64(b, (int64_t)v);
		PUTS(b, ".0");
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	if (n <= 0 || (size_t)n >= sizeof(tmp)) {
		PUTS(b, "null");
		return;
	}
	for (char *p = tmp; *p; p++)
		if (*p == ',')
			*p = '.';	/* a locale's decimal comma */
	/* jansson drops the exponent's '+' and leading zeros: 1e+300 -> 1e300, 3e-09 -> 3e-9 */
	e = strchr(tmp, 'e');
	if (e) {
		char *start = e + 1, *end = e + 2;

		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)n + 1 - (size_t)(end - tmp));
			n -= (int)(end - start);
		}
	}
	put(b, tmp, (size_t)n);
	if (!strpbrk(tmp, ".eE"))
		PUTS(b, ".0");
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

/*
 * A string with jansson's escapes ('"', '\\', control characters; UTF-8
 * kept). jansson refuses invalid UTF-8 outright (the old encoder then
 * dropped the tenant); here each bad byte becomes U+FFFD and the row stays.
 */
static void put_str(struct proto_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	PUTS(b, "\"");
	while (*p) {
		char esc[8];
		size_t n;

		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
			p++;
			continue;
		}
		n = *p >= 0x80 ? utf8_len(p) : 0;
		if (n) {
			p += n;
			continue;
		}
		put(b, run, (size_t)(p - run));
		switch (*p) {
		case '"':
			PUTS(b, "\\\"");
			break;
		case '\\':
			PUTS(b, "\\\\");
			break;
		case '\b':
			PUTS(b, "\\b");
			break;
		case '\f':
			PUTS(b, "\\f");
			break;
		case '\n':
			PUTS(b, "\\n");
			break;
		case '\r':
			PUTS(b, "\\r");
			break;
		case '\t':
			PUTS(b, "\\t");
			break;
		default:
			if (*p >= 0x80) {
				PUTS(b, "\\ufffd");
			} else {
				snprintf(esc, sizeof(esc), "\\u%04X", *p);
				put(b, esc, 6);
			}
		}
		run = ++p;
	}
	put(b, run, (size_t)(p - run));
	PUTS(b, "\"");
}

/* "key": after '{' (first of an object) or ','; keys are ours: plain ASCII */
static void put_key(struct proto_buf *b, const char *k, bool first)
{
	if (first)
		PUTS(b, "{");
	else
		PUTS(b, ",");
	PUTS(b, "\"");
	put(b, k, strlen(k));
	PUTS(b, "\":");
}

static void put_counter(struct proto_buf *b, const struct qm_sample *s, enum qm_id id)
{
	if (qm_valid(s, id))
		put_u64c(b, s->v[id]);
	else
		PUTS(b, "null");
}

/* {"key": value, ...} of the QM_TABLE rows of one kind, in table order */
static void put_qm_kind(struct proto_buf *b, const struct qm_sample *s, enum qm_kind kind)
{
	bool first = true;

	for (int i = 0; i < QM_NR; i++) {
		if (qm_desc[i].kind != kind)
			continue;
		put_key(b, qm_desc[i].key, first);
		first = false;
		put_counter(b, s, (enum qm_id)i);
	}
	if (first)
		PUTS(b, "{}");
	else
		PUTS(b, "}");
}

static void put_lim(struct proto_buf *b, uint64_t v)
{
	if (v == CG_UNLIMITED)
		PUTS(b, "null");
	else
		put_u64c(b, v);
}

static void effective_limits(const struct tenant *t, struct tenant_limits *eff)
{
	*eff = t->lim;
	if (t->applied_valid)
		*eff = t->applied;
	else
		limits_merge(eff, &t->dyn);
}

/* mem faults: high + max events + OOM kills, unknown when none is known */
static bool mem_faults(const struct qm_sample *s, uint64_t *out)
{
	static const enum qm_id ids[] = { QM_MEM_HIGH_EVENTS, QM_MEM_MAX_EVENTS, QM_OOM_KILLS };
	bool known = false;

	*out = 0;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (qm_valid(s, ids[i])) {
			*out += s->v[ids[i]];
			known = true;
		}
	}
	return known;
}

void proto_tenant_enc(struct proto_buf *b, const struct tenant *t)
{
	const struct qm_sample *s = &t->cur;
	struct tenant_limits eff;
	uint64_t mf;
	bool first;

	effective_limits(t, &eff);
	PUTS(b, "{\"name\":");
	put_str(b, t->name);
	put_key(b, "uid", false);
	if (t->uid == TENANT_UID_NONE)
		PUTS(b, "null");
	else
		put_i64(b, t->uid);
	put_key(b, "cgroup", false);
	put_str(b, t->cg);
	put_key(b, "state", false);
	put_str(b, tenant_state_name(t->state));
	put_key(b, "rule", false);
	put_str(b, t->state_rule);
	put_key(b, "offender", false);
	if (tenant_offending(t))
		PUTS(b, "true");
	else
		PUTS(b, "false");
	put_key(b, "exempt", false);
	if (t->exempt)
		PUTS(b, "true");
	else
		PUTS(b, "false");
	put_key(b, "state_until", false);
	if (t->state_until)
		put_u64c(b, t->state_until);
	else
		PUTS(b, "null");

	put_key(b, "counters", false);
	put_qm_kind(b, s, QM_COUNTER);
	put_key(b, "sources", false);
	first = true;
	for (int i = 0; i < QM_NR; i++) {
		if (!qm_valid(s, (enum qm_id)i) || s->src[i] == QM_SRC_NONE)
			continue;
		put_key(b, qm_desc[i].key, first);
		first = false;
		put_str(b, qm_source_name((enum qm_source)s->src[i]));
	}
	if (first)
		PUTS(b, "{}");
	else
		PUTS(b, "}");
	put_key(b, "rates", false);
	first = true;
	for (int i = 0; i < QV_NR; i++) {
		if (!qv_desc[i].rate)
			continue;
		put_key(b, qv_desc[i].key, first);
		first = false;
		put_real(b, qv_get(&t->view, (enum qv_id)i));
	}
	if (first)
		PUTS(b, "{}");
	else
		PUTS(b, "}");
	put_key(b, "gauges", false);
	put_qm_kind(b, s, QM_GAUGE);
	put_key(b, "limits", false);
	put_key(b, "cpu_pct", true);
	put_real(b, eff.cpu_pct);
	put_key(b, "mem_high", false);
	put_lim(b, eff.mem_high);
	put_key(b, "mem_max", false);
	put_lim(b, eff.mem_max);
	put_key(b, "nproc", false);
	put_lim(b, eff.nproc);
	put_key(b, "io_rbps", false);
	put_lim(b, eff.io_rbps);
	put_key(b, "io_wbps", false);
	put_lim(b, eff.io_wbps);
	put_key(b, "io_riops", false);
	put_lim(b, eff.io_riops);
	put_key(b, "io_wiops", false);
	put_lim(b, eff.io_wiops);
	PUTS(b, "}");
	put_key(b, "faults", false);
	put_key(b, "cpu", true);
	put_counter(b, s, QM_CPU_THROTTLED);
	put_key(b, "mem", false);
	if (mem_faults(s, &mf))
		put_u64c(b, mf);
	else
		PUTS(b, "null");
	put_key(b, "pids", false);
	put_counter(b, s, QM_PIDS_MAX_EVENTS);
	PUTS(b, ",\"io\":null}}");	/* no IO-throttle counter yet: documented as null */
	if (!b->oom)
		b->p[b->len] = '\0';	/* put() left room for it */
}

void proto_tview_of_tenant(const struct tenant *t, struct tview *out)
{
	const struct qm_sample *s = &t->cur;
	struct tenant_limits eff;
	uint64_t mf;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", t->name);
	out->uid = t->uid == TENANT_UID_NONE ? -1 : (int64_t)t->uid;
	snprintf(out->cgroup, sizeof(out->cgroup), "%s", t->cg);
	snprintf(out->state, sizeof(out->state), "%s", tenant_state_name(t->state));
	snprintf(out->rule, sizeof(out->rule), "%s", t->state_rule);
	out->offender = tenant_offending(t);
	out->v = t->view;
	/* the wire has no NaN or infinity: a client reads null, NAN */
	for (int i = 0; i < QV_NR; i++)
		if (qv_desc[i].rate && !isfinite(qv_get(&out->v, (enum qv_id)i)))
			qv_put(&out->v, (enum qv_id)i, NAN);
	for (int i = 0; i < QM_NR; i++) {
		bool known = qm_valid(s, (enum qm_id)i);	/* a counter or a gauge: on the wire */

		out->counters[i] = known ? (double)s->v[i] : NAN;
		out->src[i] = qm_valid(s, (enum qm_id)i) && s->src[i] != QM_SRC_NONE ?
			      qm_source_name((enum qm_source)s->src[i])[0] : '-';
	}
	out->v.mem_bytes = out->counters[QM_MEM_BYTES];
	out->v.nproc = out->counters[QM_NPROC];
	effective_limits(t, &eff);
	out->cpu_limit_pct = isfinite(eff.cpu_pct) ? eff.cpu_pct : INFINITY;
	out->mem_limit = eff.mem_max == CG_UNLIMITED ? INFINITY : (double)eff.mem_max;
	out->nproc_limit = eff.nproc == CG_UNLIMITED ? INFINITY : (double)eff.nproc;
	out->faults_cpu = qm_valid(s, QM_CPU_THROTTLED) ? s->v[QM_CPU_THROTTLED] : 0;
	out->faults_mem = mem_faults(s, &mf) ? mf : 0;
	out->faults_pids = qm_valid(s, QM_PIDS_MAX_EVENTS) ? s->v[QM_PIDS_MAX_EVENTS] : 0;
}
