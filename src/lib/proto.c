// SPDX-License-Identifier: GPL-2.0-only
/*
 * proto.c - quelld's socket API: newline-delimited JSON framing, the client
 * call, the decoders clients use and the encoders the daemon uses.
 * docs/protocol.md is the reference for every field written here.
 *
 * Framing works on blocking fds (set SO_RCVTIMEO for a timeout: a timeout
 * mid-line returns -EAGAIN and the connection should be closed). On a
 * socket, proto_recv() peeks and consumes exactly one line, so nothing of
 * the next request is lost to a private buffer and the fd can be handed to
 * poll() again between requests.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"
#include "tenant.h"

/* --- framing --- */

static int write_all(int fd, const char *p, size_t n)
{
	bool sock = true;

	while (n) {
		ssize_t w;

		/* MSG_NOSIGNAL: a vanished peer is -EPIPE, not SIGPIPE */
		if (sock) {
			w = send(fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && errno == ENOTSOCK) {
				sock = false;
				continue;
			}
		} else {
			w = write(fd, p, n);
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int proto_send(int fd, json_t *msg)
{
	char *s;
	size_t n;
	int ret;

	if (!msg || !json_is_object(msg))
		return -EINVAL;
	/* JSON_COMPACT never emits a raw '\n': strings escape it */
	s = json_dumps(msg, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	s[n] = '\n';	/* overwrite the NUL; json_dumps allocated n + 1 */
	ret = write_all(fd, s, n + 1);
	free(s);
	return ret;
}

/*
 * next_chunk - up to len bytes of the stream, consumed only up to and
 * including the first '\n'. Returns bytes consumed (0 = EOF), -errno;
 * *eol is set when the chunk ends a line.
 */
static ssize_t next_chunk(int fd, char *buf, size_t len, bool *sock, bool *eol)
{
	ssize_t n;
	char *nl;

	*eol = false;
	if (*sock) {
		n = recv(fd, buf, len, MSG_PEEK);
		if (n < 0 && errno == ENOTSOCK) {
			*sock = false;
			return next_chunk(fd, buf, len, sock, eol);
		}
		if (n <= 0)
			return n < 0 ? -errno : 0;
		nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			n = nl - buf + 1;
			*eol = true;
		}
		/* consume what we looked at (at most up to the newline) */
		n = recv(fd, buf, (size_t)n, 0);
		return n < 0 ? -errno : n;
	}
	/* pipes and files: a byte at a time, so we never read past the line */
	n = read(fd, buf, 1);
	if (n < 0)
		return -errno;
	if (n == 1 && buf[0] == '\n')
		*eol = true;
	return n;
}

int proto_recv_max(int fd, json_t **msg, size_t max)
{
	char chunk[64 * 1024];
	char *line = NULL;
	size_t len = 0, cap = 0;
	bool sock = true, eol = false, toolong = false;
	json_error_t jerr;
	json_t *j;
	int ret = 0;

	*msg = NULL;
	while (!eol) {
		ssize_t n = next_chunk(fd, chunk, sizeof(chunk), &sock, &eol);

		if (n == -EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? (int)n : -EPIPE;
			goto out;
		}
		if (toolong)
			continue;	/* discarding the rest of an oversized line */
		if (len + (size_t)n > max + 1) {
			toolong = true;
			continue;
		}
		if (len + (size_t)n > cap) {
			/* doubling: a 12 MB snapshot (10,000 tenants) is ~10 reallocs */
			size_t ncap = cap ? cap : sizeof(chunk);
			char *nl;

			while (ncap < len + (size_t)n)
				ncap *= 2;
			if (ncap > max + 1)
				ncap = max + 1;
			nl = realloc(line, ncap);
			if (!nl) {
				ret = -ENOMEM;
				goto out;
			}
			line = nl;
			cap = ncap;
		}
		memcpy(line + len, chunk, (size_t)n);
		len += (size_t)n;
	}
	if (toolong) {
		ret = -EMSGSIZE;
		goto out;
	}
	len--;	/* the '\n' */
	j = json_loadb(line ? line : "", len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		ret = -EBADMSG;
		goto out;
	}
	*msg = j;
out:
	free(line);
	return ret;
}

int proto_recv(int fd, json_t **msg)
{
	return proto_recv_max(fd, msg, PROTO_MAX_LINE);
}

/* --- client --- */

int proto_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int proto_call(int fd, json_t *req, json_t **resp, char *err, size_t errlen)
{
	json_t *r = NULL, *ok;
	int ret;

	*resp = NULL;
	ret = proto_send(fd, req);
	json_decref(req);
	if (ret) {
		snprintf(err, errlen, "send: %s", strerror(-ret));
		return ret;
	}
	/* replies are not requests: a snapshot is ~1.1 KB a tenant, so its own cap */
	ret = proto_recv_max(fd, &r, PROTO_MAX_REPLY);
	if (ret) {
		snprintf(err, errlen, "%s", ret == -EPIPE ? "connection closed by quelld" :
			 ret == -EBADMSG ? "invalid reply from quelld" :
			 ret == -EMSGSIZE ? "reply from quelld over " PROTO_MAX_REPLY_STR :
			 strerror(-ret));
		return ret;
	}
	ok = json_object_get(r, "ok");
	if (!json_is_boolean(ok)) {
		snprintf(err, errlen, "invalid reply from quelld: no \"ok\"");
		json_decref(r);
		return -EBADMSG;
	}
	if (!json_is_true(ok)) {
		const char *m = json_string_value(json_object_get(r, "error"));

		const char *code = json_string_value(json_object_get(r, "code"));

		snprintf(err, errlen, "%s", m ? m : "unknown error");
		ret = code && !strcmp(code, "permission_denied") ? -EACCES : -EREMOTEIO;
		json_decref(r);
		return ret;
	}
	*resp = r;
	return 0;
}

/* --- decoding helpers: missing -> default, null -> null_val, wrong type -> -EBADMSG --- */

static int get_num(json_t *o, const char *key, double missing, double null_val, double *out)
{
	json_t *v = o ? json_object_get(o, key) : NULL;

	if (!v)
		*out = missing;
	else if (json_is_null(v))
		*out = null_val;
	else if (json_is_number(v))
		*out = json_number_value(v);
	else
		return -EBADMSG;
	return 0;
}

static int get_str(json_t *o, const char *key, const char *missing, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v || json_is_null(v))
		s = missing;
	else if (json_is_string(v))
		s = json_string_value(v);
	else
		return -EBADMSG;
	snprintf(buf, len, "%s", s);
	return 0;
}

static int get_u64(json_t *o, const char *key, uint64_t *out)
{
	double d;
	int ret = get_num(o, key, 0, 0, &d);

	if (ret)
		return ret;
	*out = d > 0 && isfinite(d) ? (uint64_t)d : 0;
	return 0;
}

static int get_int(json_t *o, const char *key, int missing, int *out)
{
	double d;
	int ret = get_num(o, key, missing, missing, &d);

	if (ret)
		return ret;
	*out = isfinite(d) ? (int)d : missing;
	return 0;
}

/* An optional sub-object: missing/null -> NULL, not an object -> -EBADMSG. */
static int get_obj(json_t *o, const char *key, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return -EBADMSG;
	*out = v;
	return 0;
}

#define TRY(x) do { int r_ = (x); if (r_) return r_; } while (0)

struct rate_field {
	const char *key;
	size_t off;	/* into struct qm_view */
};

#define RF(f) { #f, offsetof(struct qm_view, f) }
static const struct rate_field rate_fields[] = {
	RF(cpu_pct), RF(inflicted_ms_s), RF(suffered_ms_s), RF(io_rbps), RF(io_wbps), RF(iops),
	RF(io_lat_ms), RF(faults_s), RF(forks_s), RF(reclaim_ms_s), RF(psi_cpu_some),
	RF(psi_mem_some), RF(psi_io_some),
};
#undef RF

static const char gauge_keys[][12] = { "mem_bytes", "mem_peak", "nproc", "nthreads" };
static const enum qm_id gauge_ids[] = { QM_MEM_BYTES, QM_MEM_PEAK, QM_NPROC, QM_NTHREADS };

int proto_tview_from_json(json_t *j, struct tview *out)
{
	struct tview t;
	json_t *o, *v;
	const char *k;
	double d;

	if (!json_is_object(j))
		return -EBADMSG;
	memset(&t, 0, sizeof(t));
	TRY(get_str(j, "name", "-", t.name, sizeof(t.name)));
	TRY(get_str(j, "cgroup", "-", t.cgroup, sizeof(t.cgroup)));
	TRY(get_str(j, "state", "-", t.state, sizeof(t.state)));
	TRY(get_str(j, "rule", "", t.rule, sizeof(t.rule)));
	TRY(get_num(j, "uid", -1, -1, &d));
	t.uid = isfinite(d) ? (int64_t)d : -1;
	v = json_object_get(j, "offender");
	if (v && !json_is_boolean(v) && !json_is_null(v))
		return -EBADMSG;
	t.offender = json_is_true(v);

	for (int i = 0; i < QM_NR; i++) {
		t.counters[i] = NAN;
		t.src[i] = '-';
	}
	TRY(get_obj(j, "counters", &o));
	if (o) {
		json_object_foreach(o, k, v) {
			enum qm_id id = qm_by_key(k);

			if (id == QM_NR)
				continue;	/* a newer daemon's metric: ignore */
			TRY(get_num(o, k, NAN, NAN, &t.counters[id]));
		}
	}
	TRY(get_obj(j, "sources", &o));
	if (o) {
		json_object_foreach(o, k, v) {
			enum qm_id id = qm_by_key(k);
			const char *s;

			if (json_is_null(v))
				continue;
			if (!json_is_string(v))
				return -EBADMSG;
			if (id == QM_NR)
				continue;
			s = json_string_value(v);
			t.src[id] = !strcmp(s, "bpf") ? 'b' : !strcmp(s, "cgroup") ? 'c' :
				    !strcmp(s, "proc") ? 'p' : '-';
		}
	}

	TRY(get_obj(j, "rates", &o));
	for (size_t i = 0; i < sizeof(rate_fields) / sizeof(rate_fields[0]); i++)
		TRY(get_num(o, rate_fields[i].key, NAN, NAN,
			    (double *)((char *)&t.v + rate_fields[i].off)));
	TRY(get_obj(j, "gauges", &o));
	for (size_t i = 0; i < sizeof(gauge_ids) / sizeof(gauge_ids[0]); i++)
		TRY(get_num(o, gauge_keys[i], NAN, NAN, &t.counters[gauge_ids[i]]));
	t.v.mem_bytes = t.counters[QM_MEM_BYTES];
	t.v.nproc = t.counters[QM_NPROC];

	/* limits: null = unlimited, missing = unknown */
	TRY(get_obj(j, "limits", &o));
	TRY(get_num(o, "cpu_pct", NAN, INFINITY, &t.cpu_limit_pct));
	TRY(get_num(o, "mem_max", NAN, INFINITY, &t.mem_limit));
	TRY(get_num(o, "nproc", NAN, INFINITY, &t.nproc_limit));

	TRY(get_obj(j, "faults", &o));
	TRY(get_u64(o, "cpu", &t.faults_cpu));
	TRY(get_u64(o, "mem", &t.faults_mem));
	TRY(get_u64(o, "pids", &t.faults_pids));
	TRY(get_u64(o, "io", &t.faults_io));

	*out = t;
	return 0;
}

int proto_hview_from_json(json_t *j, struct hview *out)
{
	struct hview h;
	json_t *v;

	if (!json_is_object(j))
		return -EBADMSG;
	memset(&h, 0, sizeof(h));
	TRY(get_str(j, "hostname", "-", h.hostname, sizeof(h.hostname)));
	TRY(get_str(j, "source", "-", h.source, sizeof(h.source)));
	TRY(get_str(j, "cgroup_mode", "-", h.cgroup_mode, sizeof(h.cgroup_mode)));
	h.load[0] = h.load[1] = h.load[2] = NAN;
	v = json_object_get(j, "load");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v))
			return -EBADMSG;
		for (size_t i = 0; i < 3 && i < json_array_size(v); i++) {
			json_t *e = json_array_get(v, i);

			if (json_is_number(e))
				h.load[i] = json_number_value(e);
			else if (!json_is_null(e))
				return -EBADMSG;
		}
	}
	TRY(get_num(j, "cpu_pct", NAN, NAN, &h.cpu_pct));
	TRY(get_int(j, "ncpu", 0, &h.ncpu));
	TRY(get_num(j, "mem_total", NAN, NAN, &h.mem_total));
	TRY(get_num(j, "mem_used", NAN, NAN, &h.mem_used));
	TRY(get_num(j, "io_rbps", NAN, NAN, &h.io_rbps));
	TRY(get_num(j, "io_wbps", NAN, NAN, &h.io_wbps));
	TRY(get_num(j, "psi_cpu_some", NAN, NAN, &h.psi_cpu_some));
	TRY(get_num(j, "psi_mem_some", NAN, NAN, &h.psi_mem_some));
	TRY(get_num(j, "psi_mem_full", NAN, NAN, &h.psi_mem_full));
	TRY(get_num(j, "psi_io_some", NAN, NAN, &h.psi_io_some));
	TRY(get_num(j, "psi_io_full", NAN, NAN, &h.psi_io_full));
	TRY(get_int(j, "tenants", 0, &h.tenants));
	TRY(get_int(j, "throttled", 0, &h.throttled));
	TRY(get_int(j, "frozen", 0, &h.frozen));
	TRY(get_num(j, "tick_ms", NAN, NAN, &h.tick_ms));
	TRY(get_u64(j, "bpf_dropped", &h.bpf_dropped));
	*out = h;
	return 0;
}

int proto_pview_from_json(json_t *j, struct pview *out)
{
	struct pview p;

	if (!json_is_object(j))
		return -EBADMSG;
	memset(&p, 0, sizeof(p));
	TRY(get_int(j, "pid", 0, &p.pid));
	TRY(get_str(j, "comm", "-", p.comm, sizeof(p.comm)));
	TRY(get_num(j, "cpu_pct", NAN, NAN, &p.cpu_pct));
	TRY(get_num(j, "rss_bytes", NAN, NAN, &p.rss_bytes));
	TRY(get_int(j, "threads", 0, &p.threads));
	*out = p;
	return 0;
}

/* --- encoders (daemon) --- */

json_t *proto_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

/* NAN (unknown) is null; JSON has no NaN. */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

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

/* The wire names of enum tenant_state (part of the protocol, docs/protocol.md). */
static const char *state_wire_name(enum tenant_state s)
{
	switch (s) {
	case TS_OK:
		return "ok";
	case TS_THROTTLED:
		return "throttled";
	case TS_FROZEN:
		return "frozen";
	case TS_KILLED:
		return "killed";
	}
	return "unknown";
}

/* "a rule is tripping": on a rung of a ladder, or some rule's condition holds now */
static bool tenant_offending(const struct tenant *t)
{
	if (t->pol.level > 0)
		return true;
	for (int i = 0; i < POLICY_MAX_RULES; i++)
		if (t->pol.r[i].over)
			return true;
	return false;
}

json_t *proto_limits_json(const struct tenant_limits *l)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			 "cpu_pct", jnum(l->cpu_pct),
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
	for (size_t i = 0; i < sizeof(rate_fields) / sizeof(rate_fields[0]); i++)
		json_object_set_new(rates, rate_fields[i].key,
				    jnum(*(const double *)((const char *)&t->view + rate_fields[i].off)));
	for (size_t i = 0; i < sizeof(gauge_ids) / sizeof(gauge_ids[0]); i++)
		json_object_set_new(gauges, gauge_keys[i], jcounter(s, gauge_ids[i]));

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
		      "state", state_wire_name(t->state),
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

json_t *proto_hview_json(const struct hview *h)
{
	return json_pack("{s:s,s:[o,o,o],s:o,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:i,s:i,s:i,s:s,s:s,s:o,s:I}",
			 "hostname", h->hostname,
			 "load", jnum(h->load[0]), jnum(h->load[1]), jnum(h->load[2]),
			 "cpu_pct", jnum(h->cpu_pct),
			 "ncpu", h->ncpu,
			 "mem_total", jnum(h->mem_total),
			 "mem_used", jnum(h->mem_used),
			 "io_rbps", jnum(h->io_rbps),
			 "io_wbps", jnum(h->io_wbps),
			 "psi_cpu_some", jnum(h->psi_cpu_some),
			 "psi_mem_some", jnum(h->psi_mem_some),
			 "psi_mem_full", jnum(h->psi_mem_full),
			 "psi_io_some", jnum(h->psi_io_some),
			 "psi_io_full", jnum(h->psi_io_full),
			 "tenants", h->tenants,
			 "throttled", h->throttled,
			 "frozen", h->frozen,
			 "source", h->source,
			 "cgroup_mode", h->cgroup_mode,
			 "tick_ms", jnum(h->tick_ms),
			 "bpf_dropped", (json_int_t)(h->bpf_dropped > INT64_MAX ? INT64_MAX : h->bpf_dropped));
}

json_t *proto_pview_json(const struct pview *p)
{
	return json_pack("{s:i,s:s,s:o,s:o,s:i}",
			 "pid", p->pid, "comm", p->comm,
			 "cpu_pct", jnum(p->cpu_pct), "rss_bytes", jnum(p->rss_bytes),
			 "threads", p->threads);
}
