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

int proto_recv_line(int fd, char **linep, size_t *lenp, size_t max)
{
	char chunk[64 * 1024];
	char *line = NULL;
	size_t len = 0, cap = 0;
	bool sock = true, eol = false, toolong = false;
	int ret = 0;

	*linep = NULL;
	*lenp = 0;
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
	line[--len] = '\0';	/* the '\n' */
	*linep = line;
	*lenp = len;
	return 0;
out:
	free(line);
	return ret;
}

int proto_recv_max(int fd, json_t **msg, size_t max)
{
	json_error_t jerr;
	char *line;
	size_t len;
	json_t *j;
	int ret;

	*msg = NULL;
	ret = proto_recv_line(fd, &line, &len, max);
	if (ret)
		return ret;
	j = json_loadb(line, len, 0, &jerr);
	free(line);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	*msg = j;
	return 0;
}

/* --- a member of an object's text, without building the object --- */

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Index just past the string starting at s[i] == '"', or 0 if unterminated. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* Index just past the value starting at s[i], or 0 if malformed. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
	int depth = 0;

	do {
		if (i >= n)
			return 0;
		switch (s[i]) {
		case '"':
			i = skip_string(s, n, i);
			if (!i)
				return 0;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth < 0)
				return 0;
			break;
		default:
			if (!depth) {
				/* a scalar: up to the next delimiter */
				while (i < n && !strchr(",}] \t\r\n", s[i]))
					i++;
				return i;
			}
		}
		i++;
	} while (depth);
	return i;
}

int proto_json_member(const char *s, size_t n, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key), i = skip_ws(s, n, 0);

	if (i >= n || s[i] != '{')
		return -EBADMSG;
	i = skip_ws(s, n, i + 1);
	if (i < n && s[i] == '}')
		return -ENOENT;
	for (;;) {
		size_t k0, k1, v0;

		if (i >= n || s[i] != '"')
			return -EBADMSG;
		k0 = i + 1;
		i = skip_string(s, n, i);
		if (!i)
			return -EBADMSG;
		k1 = i - 1;
		i = skip_ws(s, n, i);
		if (i >= n || s[i] != ':')
			return -EBADMSG;
		v0 = skip_ws(s, n, i + 1);
		i = skip_value(s, n, v0);
		if (!i)
			return -EBADMSG;
		/* keys with escapes never match: ours are plain ASCII */
		if (k1 - k0 == klen && !memcmp(s + k0, key, klen)) {
			*val = s + v0;
			*vlen = i - v0;
			return 0;
		}
		i = skip_ws(s, n, i);
		if (i < n && s[i] == ',') {
			i = skip_ws(s, n, i + 1);
			continue;
		}
		return i < n && s[i] == '}' ? -ENOENT : -EBADMSG;
	}
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

/* An ok reply that carries raw_key: handed over as text, never parsed. */
static bool raw_ok(const char *line, size_t len, const char *raw_key)
{
	const char *v;
	size_t vl;

	if (!raw_key || proto_json_member(line, len, raw_key, &v, &vl))
		return false;
	return !proto_json_member(line, len, "ok", &v, &vl) && vl == 4 && !memcmp(v, "true", 4);
}

int proto_call_raw(int fd, json_t *req, const char *raw_key, char **linep, size_t *lenp,
		   json_t **resp, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *r = NULL, *ok;
	char *line;
	size_t len;
	int ret;

	*resp = NULL;
	if (linep)
		*linep = NULL;
	ret = proto_send(fd, req);
	json_decref(req);
	if (ret) {
		snprintf(err, errlen, "send: %s", strerror(-ret));
		return ret;
	}
	/* replies are not requests: a snapshot is ~1.1 KB a tenant, so its own cap */
	ret = proto_recv_line(fd, &line, &len, PROTO_MAX_REPLY);
	if (!ret && linep && raw_ok(line, len, raw_key)) {
		*linep = line;
		*lenp = len;
		return 0;
	}
	if (!ret) {
		r = json_loadb(line, len, 0, &jerr);
		free(line);
		if (!r || !json_is_object(r)) {
			json_decref(r);
			ret = -EBADMSG;
		}
	}
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

int proto_call(int fd, json_t *req, json_t **resp, char *err, size_t errlen)
{
	return proto_call_raw(fd, req, NULL, NULL, NULL, resp, err, errlen);
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

/*
 * --- one table a struct: its scalar members on the wire, both ways ---
 *
 * A row is a JSON key, how its value is read and written, and where it
 * lives in the struct; proto_hview_json() and proto_hview_from_json() (the
 * same for pview, and tview's scalars on the decoding side) walk the same
 * rows, so a field is added in one place and its key cannot differ between
 * the encoder and the decoder. What a member decodes to when it is missing
 * or null is the row's too (docs/protocol.md, "Decoding").
 */
enum wire_kind {
	W_STR,		/* char[]: missing or null -> dflt */
	W_NUM,		/* double: missing -> missing, null -> null_val; non-finite -> null */
	W_NUMS,		/* double[]: a JSON array; missing, null or short -> NAN */
	W_INT,		/* int or int64_t: missing, null or non-finite -> missing */
	W_U64,		/* uint64_t: missing, null, negative -> 0; written <= INT64_MAX */
	W_BOOL,		/* bool: missing or null -> false */
};

struct wire_field {
	const char *key;
	enum wire_kind kind;
	size_t off, size;	/* the member's offset and size in its struct */
	double missing, null_val;
	const char *dflt;
};

/*
 * The 0 * sizeof(pointer comparison) term is a compile-time type check: a
 * row naming a member of another type than its kind is a warning (-Werror).
 */
#define MSIZE(T, m)		sizeof(((T *)0)->m)
#define W_TYPED(T, m, ptype)	(offsetof(T, m) + 0 * sizeof(&((T *)0)->m == (ptype)0))
#define WSTR(T, m, key, dflt) \
	{ key, W_STR, W_TYPED(T, m, char (*)[MSIZE(T, m)]), MSIZE(T, m), 0, 0, dflt }
#define WNUM(T, m, key, miss, nul) \
	{ key, W_NUM, W_TYPED(T, m, double *), sizeof(double), miss, nul, NULL }
#define WNUMS(T, m, key) \
	{ key, W_NUMS, W_TYPED(T, m, double (*)[MSIZE(T, m) / sizeof(double)]), MSIZE(T, m), \
	  NAN, NAN, NULL }
#define WINT(T, m, key, miss) \
	{ key, W_INT, offsetof(T, m), MSIZE(T, m), miss, miss, NULL }
#define WU64(T, m, key) \
	{ key, W_U64, W_TYPED(T, m, uint64_t *), sizeof(uint64_t), 0, 0, NULL }
#define WBOOL(T, m, key) \
	{ key, W_BOOL, W_TYPED(T, m, bool *), sizeof(bool), 0, 0, NULL }
#define NFIELDS(a)		(sizeof(a) / sizeof((a)[0]))

static int wire_decode_nums(json_t *v, double *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = NAN;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return -EBADMSG;
	for (size_t i = 0; i < n && i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);

		if (json_is_number(e))
			d[i] = json_number_value(e);
		else if (!json_is_null(e))
			return -EBADMSG;
	}
	return 0;
}

/* Decode the rows of f from object o (NULL: every member missing) into out. */
static int wire_decode(json_t *o, const struct wire_field *f, size_t n, void *out)
{
	for (; n--; f++) {
		char *p = (char *)out + f->off;
		json_t *v;
		double d;

		switch (f->kind) {
		case W_STR:
			TRY(get_str(o, f->key, f->dflt, p, f->size));
			break;
		case W_NUM:
			TRY(get_num(o, f->key, f->missing, f->null_val, (double *)p));
			break;
		case W_NUMS:
			TRY(wire_decode_nums(json_object_get(o, f->key), (double *)p,
					     f->size / sizeof(double)));
			break;
		case W_INT:
			TRY(get_num(o, f->key, f->missing, f->missing, &d));
			if (!isfinite(d))
				d = f->missing;
			if (f->size == sizeof(int64_t))
				*(int64_t *)p = (int64_t)d;
			else
				*(int *)p = (int)d;
			break;
		case W_U64:
			TRY(get_num(o, f->key, 0, 0, &d));
			*(uint64_t *)p = d > 0 && isfinite(d) ? (uint64_t)d : 0;
			break;
		case W_BOOL:
			v = json_object_get(o, f->key);
			if (v && !json_is_boolean(v) && !json_is_null(v))
				return -EBADMSG;
			*(bool *)p = json_is_true(v);
			break;
		}
	}
	return 0;
}

/*
 * A whole object of the rows of f: decoded into tmp (size bytes, zeroed
 * first), copied to out only when all of it decoded, so a bad member
 * leaves out untouched.
 */
static int wire_decode_obj(json_t *j, const struct wire_field *f, size_t n, void *tmp,
			   size_t size, void *out)
{
	if (!json_is_object(j))
		return -EBADMSG;
	memset(tmp, 0, size);
	TRY(wire_decode(j, f, n, tmp));
	memcpy(out, tmp, size);
	return 0;
}

static json_t *wire_value(const struct wire_field *f, const void *in)
{
	const char *p = (const char *)in + f->off;
	uint64_t u;
	json_t *a;

	switch (f->kind) {
	case W_STR:
		return json_string(p);	/* NULL for invalid UTF-8, as json_pack's "s" */
	case W_NUM:
		return proto_json_num(*(const double *)p);
	case W_NUMS:
		a = json_array();
		for (size_t i = 0; a && i < f->size / sizeof(double); i++) {
			if (json_array_append_new(a, proto_json_num(((const double *)p)[i]))) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	case W_INT:
		return json_integer(f->size == sizeof(int64_t) ? *(const int64_t *)p :
				    *(const int *)p);
	case W_U64:
		u = *(const uint64_t *)p;
		return json_integer((json_int_t)(u > INT64_MAX ? INT64_MAX : u));
	case W_BOOL:
		return json_boolean(*(const bool *)p);
	}
	return NULL;
}

/* An object of the rows of f, in row order; NULL when any member cannot be made. */
static json_t *wire_encode(const struct wire_field *f, size_t n, const void *in)
{
	json_t *o = json_object();

	for (; o && n--; f++) {
		/* json_object_set_new() takes the value even when it fails */
		if (json_object_set_new(o, f->key, wire_value(f, in))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static const struct wire_field tview_wire[] = {
	WSTR(struct tview, name, "name", "-"),
	WSTR(struct tview, cgroup, "cgroup", "-"),
	WSTR(struct tview, state, "state", "-"),
	WSTR(struct tview, rule, "rule", ""),
	WINT(struct tview, uid, "uid", -1),
	WBOOL(struct tview, offender, "offender"),
};

/* "limits": null = unlimited, missing = unknown */
static const struct wire_field tview_limits_wire[] = {
	WNUM(struct tview, cpu_limit_pct, "cpu_pct", NAN, INFINITY),
	WNUM(struct tview, mem_limit, "mem_max", NAN, INFINITY),
	WNUM(struct tview, nproc_limit, "nproc", NAN, INFINITY),
};

static const struct wire_field tview_faults_wire[] = {
	WU64(struct tview, faults_cpu, "cpu"),
	WU64(struct tview, faults_mem, "mem"),
	WU64(struct tview, faults_pids, "pids"),
	WU64(struct tview, faults_io, "io"),
};

/* in the order quelld has always written them (docs/protocol.md) */
static const struct wire_field hview_wire[] = {
	WSTR(struct hview, hostname, "hostname", "-"),
	WNUMS(struct hview, load, "load"),
	WNUM(struct hview, cpu_pct, "cpu_pct", NAN, NAN),
	WINT(struct hview, ncpu, "ncpu", 0),
	WNUM(struct hview, mem_total, "mem_total", NAN, NAN),
	WNUM(struct hview, mem_used, "mem_used", NAN, NAN),
	WNUM(struct hview, io_rbps, "io_rbps", NAN, NAN),
	WNUM(struct hview, io_wbps, "io_wbps", NAN, NAN),
	WNUM(struct hview, psi_cpu_some, "psi_cpu_some", NAN, NAN),
	WNUM(struct hview, psi_mem_some, "psi_mem_some", NAN, NAN),
	WNUM(struct hview, psi_mem_full, "psi_mem_full", NAN, NAN),
	WNUM(struct hview, psi_io_some, "psi_io_some", NAN, NAN),
	WNUM(struct hview, psi_io_full, "psi_io_full", NAN, NAN),
	WINT(struct hview, tenants, "tenants", 0),
	WINT(struct hview, throttled, "throttled", 0),
	WINT(struct hview, frozen, "frozen", 0),
	WSTR(struct hview, source, "source", "-"),
	WSTR(struct hview, cgroup_mode, "cgroup_mode", "-"),
	WNUM(struct hview, tick_ms, "tick_ms", NAN, NAN),
	WINT(struct hview, quiet, "quiet", 0),
	WU64(struct hview, bpf_dropped, "bpf_dropped"),
};

static const struct wire_field pview_wire[] = {
	WINT(struct pview, pid, "pid", 0),
	WSTR(struct pview, comm, "comm", "-"),
	WNUM(struct pview, cpu_pct, "cpu_pct", NAN, NAN),
	WNUM(struct pview, rss_bytes, "rss_bytes", NAN, NAN),
	WINT(struct pview, threads, "threads", 0),
};

int proto_tview_from_json(json_t *j, struct tview *out)
{
	struct tview t;
	json_t *o, *v;
	const char *k;

	if (!json_is_object(j))
		return -EBADMSG;
	memset(&t, 0, sizeof(t));
	TRY(wire_decode(j, tview_wire, NFIELDS(tview_wire), &t));

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
	for (int i = 0; i < QV_NR; i++)
		if (qv_desc[i].rate)
			TRY(get_num(o, qv_desc[i].key, NAN, NAN,
				    (double *)((char *)&t.v + qv_desc[i].off)));
	TRY(get_obj(j, "gauges", &o));
	for (int i = 0; i < QM_NR; i++)
		if (qm_desc[i].kind == QM_GAUGE)
			TRY(get_num(o, qm_desc[i].key, NAN, NAN, &t.counters[i]));
	t.v.mem_bytes = t.counters[QM_MEM_BYTES];
	t.v.nproc = t.counters[QM_NPROC];

	TRY(get_obj(j, "limits", &o));
	TRY(wire_decode(o, tview_limits_wire, NFIELDS(tview_limits_wire), &t));
	TRY(get_obj(j, "faults", &o));
	TRY(wire_decode(o, tview_faults_wire, NFIELDS(tview_faults_wire), &t));

	*out = t;
	return 0;
}

/* --- sorting, both sides --- */

/*
 * A sort key is a view's short name (sname, include/metrics.h) and sorts
 * by that view, or one of the composites named here.
 */
static const struct {
	enum qv_id qv;		/* QV_NR: a composite */
	const char *name;	/* the composite's name */
} sort_keys[PROTO_SORT_NR] = {
	[PROTO_SORT_CPU] = { QV_CPU_PCT, NULL },
	[PROTO_SORT_MEM] = { QV_MEM_BYTES, NULL },
	[PROTO_SORT_IO] = { QV_NR, "io" },		/* read + write */
	[PROTO_SORT_IOPS] = { QV_IOPS, NULL },
	[PROTO_SORT_INFLICTED] = { QV_INFLICTED, NULL },
	[PROTO_SORT_SUFFERED] = { QV_SUFFERED, NULL },
	[PROTO_SORT_FAULTS] = { QV_NR, "faults" },	/* the limit-hit counters */
	[PROTO_SORT_NPROC] = { QV_NPROC, NULL },
	[PROTO_SORT_MEM_INFLICTED] = { QV_MEM_INFLICTED, NULL },
	[PROTO_SORT_NAME] = { QV_NR, "name" },
};

static const char *sort_key_name(int i)
{
	return sort_keys[i].qv < QV_NR ? qv_desc[sort_keys[i].qv].sname : sort_keys[i].name;
}

int proto_sort_parse(const char *s, enum proto_sort *out)
{
	for (int i = 0; i < PROTO_SORT_NR; i++) {
		if (s && !strcmp(s, sort_key_name(i))) {
			*out = (enum proto_sort)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *proto_sort_name(enum proto_sort s)
{
	return s < PROTO_SORT_NR ? sort_key_name(s) : "?";
}

uint64_t proto_tview_faults(const struct tview *t)
{
	return t->faults_cpu + t->faults_mem + t->faults_pids + t->faults_io;
}

static double sort_value(const struct tview *t, enum proto_sort s)
{
	if (s < PROTO_SORT_NR && sort_keys[s].qv < QV_NR)
		return qv_get(&t->v, sort_keys[s].qv);
	switch (s) {
	case PROTO_SORT_IO:
		if (isnan(t->v.io_rbps) && isnan(t->v.io_wbps))
			return NAN;
		return (isnan(t->v.io_rbps) ? 0 : t->v.io_rbps) +
		       (isnan(t->v.io_wbps) ? 0 : t->v.io_wbps);
	case PROTO_SORT_FAULTS:
		return (double)proto_tview_faults(t);
	default:
		break;
	}
	return NAN;
}

/* unknown values sink to the bottom either way; ties by name */
static int cmp_vals(double va, double vb, const char *na, const char *nb, enum proto_sort s,
		    int sign)
{
	if (s == PROTO_SORT_NAME)
		return sign * strcmp(na, nb);
	if (isnan(va) != isnan(vb))
		return isnan(va) ? 1 : -1;
	if (!isnan(va) && va != vb)
		return sign * (va > vb ? -1 : 1);
	return strcmp(na, nb);
}

struct sort_ctx {
	const struct tview *t;
	const struct proto_sort_row *r;
	enum proto_sort s;
	int sign;
};

static int cmp_idx(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *sc = arg;
	const struct tview *a = &sc->t[*(const int *)pa], *b = &sc->t[*(const int *)pb];

	return cmp_vals(sort_value(a, sc->s), sort_value(b, sc->s), a->name, b->name, sc->s,
			sc->sign);
}

static int cmp_row(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *sc = arg;
	const struct proto_sort_row *a = &sc->r[*(const int *)pa], *b = &sc->r[*(const int *)pb];

	return cmp_vals(a->k[sc->s], b->k[sc->s], a->name, b->name, sc->s, sc->sign);
}

void proto_sort_row_of(const struct tview *t, struct proto_sort_row *out)
{
	for (int i = 0; i < PROTO_SORT_NR; i++)
		out->k[i] = sort_value(t, (enum proto_sort)i);
	snprintf(out->name, sizeof(out->name), "%s", t->name);
}

void proto_sort_rows(const struct proto_sort_row *r, int n, enum proto_sort s, bool reverse,
		     int *idx)
{
	struct sort_ctx sc = { NULL, r, s, reverse ? -1 : 1 };

	for (int i = 0; i < n; i++)
		idx[i] = i;
	if (n > 1 && s < PROTO_SORT_NR)
		qsort_r(idx, (size_t)n, sizeof(*idx), cmp_row, &sc);
}

void proto_sort_index(const struct tview *t, int n, enum proto_sort s, bool reverse, int *idx)
{
	struct sort_ctx sc = { t, NULL, s, reverse ? -1 : 1 };

	for (int i = 0; i < n; i++)
		idx[i] = i;
	if (n > 1)
		qsort_r(idx, (size_t)n, sizeof(*idx), cmp_idx, &sc);
}

int proto_hview_from_json(json_t *j, struct hview *out)
{
	struct hview h;

	return wire_decode_obj(j, hview_wire, NFIELDS(hview_wire), &h, sizeof(h), out);
}

int proto_pview_from_json(json_t *j, struct pview *out)
{
	struct pview p;

	return wire_decode_obj(j, pview_wire, NFIELDS(pview_wire), &p, sizeof(p), out);
}

/* --- encoders (daemon); struct tenant's are src/quelld/api_encode.c --- */

json_t *proto_json_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *proto_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

json_t *proto_hview_json(const struct hview *h)
{
	return wire_encode(hview_wire, NFIELDS(hview_wire), h);
}

json_t *proto_pview_json(const struct pview *p)
{
	return wire_encode(pview_wire, NFIELDS(pview_wire), p);
}
