/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proto.h - quelld's UNIX-socket API: newline-delimited JSON (jansson).
 *
 * Request:  {"cmd":"snapshot"}\n              one JSON object per line
 * Reply:    {"ok":true, ...}\n  or  {"ok":false,"error":"message"}\n
 *
 * Commands (docs/protocol.md has the full reference):
 *   ping                               -> version, pid, uptime
 *   status                             -> "host" object
 *   snapshot                           -> "host", "tenants": [tenant...]
 *   tenant     name                    -> "tenant" with "procs", "limits", "events"
 *   tenants                            -> "tenants": [{name,uid,cgroup,nproc}]
 *   place      pid                     -> "tenant", "cgroup"
 *   where      pid                     -> "cgroup", "tenant" (or null)
 *   limits     name                    -> "limits" (static + dynamic)
 *   set        name, limits{key:str}   -> "limits"
 *   throttle   name, [for (s)]         -> "state"
 *   release    name                    -> "state"
 *   freeze     name, [for (s)]         -> "state"
 *   kill       name                    -> "state"
 *   events     [tenant], [since (epoch s)], [limit] -> "events": [...]
 *
 * Both sides are in this file: the daemon encodes with proto_*_json(), the
 * clients (quellctl, quelltop) decode with proto_*_from_json() into the
 * plain structs below and never see struct tenant (the daemon encodes its
 * tenants in src/quelld/api_encode.c, with the field lists below).
 */
#ifndef QUELL_PROTO_H
#define QUELL_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "tenant_name.h"

#define PROTO_MAX_LINE		(64 * 1024)	/* longer requests get an error reply */
/*
 * Replies have their own cap: a tenant is ~1.1 KB of JSON, so 10,000 tenants
 * are ~12 MB; 256 MiB leaves room for 200,000 while still bounding what a
 * broken or hostile peer can make a client allocate.
 */
#define PROTO_MAX_REPLY		(256 * 1024 * 1024)
#define PROTO_MAX_REPLY_STR	"256 MiB"
#define PROTO_VERSION		1

/* A tenant as a client sees it. */
struct tview {
	char name[TENANT_NAME_MAX];
	int64_t uid;			/* -1 in cgroup mode */
	char cgroup[192];
	char state[16];			/* ok / throttled / frozen / killed */
	char rule[TENANT_NAME_MAX];	/* rule behind state, "" */
	bool offender;			/* a rule is currently tripping */
	struct qm_view v;		/* rates and gauges; NAN = unknown */
	double counters[QM_NR];		/* cumulative values; NAN = unknown */
	char src[QM_NR];		/* 'b' bpf, 'c' cgroupfs, 'p' procfs, '-' */
	double mem_limit;		/* bytes, INFINITY unlimited */
	double cpu_limit_pct;		/* INFINITY unlimited */
	double nproc_limit;
	uint64_t faults_cpu, faults_mem, faults_pids, faults_io;	/* limit-hit counters */
};

struct hview {
	char hostname[64];
	double load[3];
	double cpu_pct;			/* all CPUs busy, % of one core * ncpu */
	int ncpu;
	double mem_total, mem_used;
	double io_rbps, io_wbps;
	double psi_cpu_some, psi_mem_some, psi_mem_full, psi_io_some, psi_io_full;	/* avg10 % */
	int tenants, throttled, frozen;
	char source[16];		/* "bpf" or "cgroupfs" */
	char cgroup_mode[16];		/* v1 / hybrid / v2 */
	double tick_ms;			/* duration of the last tick */
	int quiet;			/* tenants it read only the pressure of (src/quelld/quiet.h) */
	uint64_t bpf_dropped;		/* events / updates lost on the BPF side */
};

struct pview {
	int pid;
	char comm[32];
	double cpu_pct;
	double rss_bytes;
	int threads;
};

/* --- framing, both sides --- */

/* Write one JSON object and '\n'. Returns 0 or -errno. */
int proto_send(int fd, json_t *msg);
/*
 * proto_recv_max - read one line of at most max bytes (the '\n' not counted)
 * into *msg (caller json_decref()s). Returns 0, -EPIPE on EOF, -EMSGSIZE for
 * a longer line (its rest is consumed, the stream stays usable), -EBADMSG for
 * invalid JSON / not an object, -ENOMEM, -errno otherwise.
 */
int proto_recv_max(int fd, json_t **msg, size_t max);
/* proto_recv_max() with max = PROTO_MAX_LINE: a request. */
int proto_recv(int fd, json_t **msg);

/* --- client --- */

/* Connect to path; returns fd or -errno. */
int proto_connect(const char *path);
/*
 * proto_call - send req (stolen reference) and wait for the reply (up to
 * PROTO_MAX_REPLY bytes).
 * Returns 0 with *resp set when ok:true; -EREMOTEIO with the daemon's
 * message in err when ok:false; -EACCES (message in err) when the daemon
 * refused the caller ("code":"permission_denied"); -errno on transport errors.
 */
int proto_call(int fd, json_t *req, json_t **resp, char *err, size_t errlen);
/*
 * proto_call_raw - proto_call(), except that an ok reply with the top-level
 * member raw_key is returned unparsed: *line (NUL-terminated, caller
 * free()s) and *len, *resp NULL. Any other reply is parsed as by proto_call().
 */
int proto_call_raw(int fd, json_t *req, const char *raw_key, char **line, size_t *len,
		   json_t **resp, char *err, size_t errlen);

int proto_tview_from_json(json_t *j, struct tview *out);

/*
 * A tenant's "rates" member holds the QV_TABLE rows marked rate, in table
 * order, key qv_desc[].key; "gauges" the QM_GAUGE rows of QM_TABLE, in
 * table order; "counters" its QM_COUNTER rows (include/metrics.h).
 */

/*
 * Sort keys of `snapshot` ("sort") and of `quellctl list --sort`: one
 * comparison for both, so the daemon's order is the client's order.
 */
enum proto_sort {
	PROTO_SORT_CPU,
	PROTO_SORT_MEM,
	PROTO_SORT_IO,
	PROTO_SORT_IOPS,
	PROTO_SORT_INFLICTED,
	PROTO_SORT_SUFFERED,
	PROTO_SORT_FAULTS,
	PROTO_SORT_NPROC,
	PROTO_SORT_MEM_INFLICTED,
	PROTO_SORT_NAME,
	PROTO_SORT_NR
};
/* Returns 0, -EINVAL for an unknown key. */
int proto_sort_parse(const char *s, enum proto_sort *out);
const char *proto_sort_name(enum proto_sort s);
/* The four limit-hit counters summed. */
uint64_t proto_tview_faults(const struct tview *t);
/*
 * proto_sort_index - idx[0..n) = indexes into t, biggest first (name: A..Z);
 * NAN (unknown) always last; reverse flips the known ones; ties by name.
 */
void proto_sort_index(const struct tview *t, int n, enum proto_sort s, bool reverse, int *idx);
/* A tview's sort values alone (136 bytes, not 800): what quelld keeps per tenant. */
struct proto_sort_row {
	double k[PROTO_SORT_NR];	/* k[PROTO_SORT_NAME] unused */
	char name[TENANT_NAME_MAX];
};
void proto_sort_row_of(const struct tview *t, struct proto_sort_row *out);
/* proto_sort_index() over rows: the same order. */
void proto_sort_rows(const struct proto_sort_row *r, int n, enum proto_sort s, bool reverse,
		     int *idx);

/*
 * proto_recv_line - one raw line of at most max bytes, '\n' stripped and a
 * NUL added (caller free()s *line). Returns as proto_recv_max() (no -EBADMSG).
 */
int proto_recv_line(int fd, char **line, size_t *len, size_t max);
/*
 * proto_json_member - find the value of top-level key in the JSON object
 * text s[0..n) without building it: *val and *vlen are the value's bytes.
 * Scans members in order and stops at key, so a key placed before a big
 * array costs nothing of the array. Returns 0, -ENOENT, -EBADMSG.
 */
int proto_json_member(const char *s, size_t n, const char *key, const char **val, size_t *vlen);
int proto_hview_from_json(json_t *j, struct hview *out);
int proto_pview_from_json(json_t *j, struct pview *out);

/* --- daemon --- */

json_t *proto_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A JSON real, or null for NAN and infinities (JSON has neither). */
json_t *proto_json_num(double v);
json_t *proto_hview_json(const struct hview *h);
json_t *proto_pview_json(const struct pview *p);

#endif /* QUELL_PROTO_H */
