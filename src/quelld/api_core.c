// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_core.c - the core socket commands: ping, status, snapshot, tenant,
 * tenants, place, where. (Policy commands live in api_policy.c.)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "api.h"
#include "api_cmds.h"
#include "bpf_loader.h"
#include "cgroup.h"
#include "placement.h"
#include "procfs.h"
#include "quelld.h"

#define QUELL_VERSION_STR	"0.1.0"
#define PROCS_MAX		4096

static int req_string(json_t *req, const char *key, const char **out, char *err, size_t len)
{
	*out = json_string_value(json_object_get(req, key));
	if (!*out || !**out) {
		snprintf(err, len, "missing \"%s\" (a string)", key);
		return -EINVAL;
	}
	return 0;
}

static int req_pid(json_t *req, int *pid, char *err, size_t len)
{
	json_t *j = json_object_get(req, "pid");

	if (!json_is_integer(j) || json_integer_value(j) <= 0 ||
	    json_integer_value(j) > 0x7fffffff) {
		snprintf(err, len, "missing or bad \"pid\" (a positive integer)");
		return -EINVAL;
	}
	*pid = (int)json_integer_value(j);
	return 0;
}

static struct tenant *req_tenant(struct daemon *d, json_t *req, char *err, size_t len)
{
	const char *name;
	struct tenant *t;

	if (req_string(req, "name", &name, err, len))
		return NULL;
	t = registry_by_name(&d->reg, name);
	if (!t)
		snprintf(err, len, "no tenant \"%.64s\"", name);
	return t;
}

/*
 * The optional "tenant" filter of snapshot / tenants: NULL (every row) or a
 * name. authz.c sets it to a tenant caller's own name, so that a tenant's
 * request costs one row, not the whole registry.
 */
static int req_filter(json_t *req, const char **name, char *err, size_t len)
{
	json_t *j = json_object_get(req, "tenant");

	*name = NULL;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_string(j)) {
		snprintf(err, len, "bad \"tenant\": a string");
		return -EINVAL;
	}
	*name = json_string_value(j);
	return 0;
}

int api_cmd_ping(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	json_object_set_new(resp, "version", json_string(QUELL_VERSION_STR));
	json_object_set_new(resp, "protocol", json_integer(PROTO_VERSION));
	json_object_set_new(resp, "pid", json_integer(getpid()));
	json_object_set_new(resp, "uptime_s",
			    json_real((double)(clock_mono_ns() - d->start_mono_ns) / 1e9));
	return 0;
}

static json_t *bpf_json(struct daemon *d)
{
	json_t *j = json_object();
	uint32_t used = 0, max = 0;

	json_object_set_new(j, "loaded", json_boolean(d->bpf != NULL));
	if (!d->bpf)
		return j;
	json_object_set_new(j, "variant", json_string(qbpf_variant(d->bpf)));
	if (!qbpf_acct_fill(d->bpf, &used, &max)) {
		json_object_set_new(j, "acct_used", json_integer(used));
		json_object_set_new(j, "acct_max", json_integer(max));
	}
	json_object_set_new(j, "acct_full", json_integer((json_int_t)d->bpf_stats[QUELL_STAT_ACCT_FULL]));
	json_object_set_new(j, "task_full", json_integer((json_int_t)d->bpf_stats[QUELL_STAT_TASK_FULL]));
	json_object_set_new(j, "ringbuf_drops", json_integer((json_int_t)d->bpf_stats[QUELL_STAT_RB_DROP]));
	json_object_set_new(j, "io_full", json_integer((json_int_t)d->bpf_stats[QUELL_STAT_IO_FULL]));
	json_object_set_new(j, "unattributed_ns",
			    json_integer((json_int_t)d->bpf_stats[QUELL_STAT_UNATTRIB_NS]));
	json_object_set_new(j, "events", json_integer((json_int_t)d->bpf_stats[QUELL_STAT_EVENTS]));
	json_object_set_new(j, "other_inflicted_ns",
			    json_integer((json_int_t)d->bpf_stats[QUELL_STAT_OTHER_INFLICTED_NS]));
	json_object_set_new(j, "untraced_switches",
			    json_integer((json_int_t)d->bpf_stats[QUELL_STAT_UNTRACED_SWITCH]));
	json_object_set_new(j, "wait_crowd_held",
			    json_integer((json_int_t)d->bpf_stats[QUELL_STAT_WAIT_CROWD]));
	return j;
}

static json_t *placement_json(void)
{
	const struct placement_stats *ps = placement_stats();
	double p50, p99, max;
	json_t *j = json_object();

	json_object_set_new(j, "events", json_integer((json_int_t)ps->events));
	json_object_set_new(j, "moved_event", json_integer((json_int_t)ps->moved_event));
	json_object_set_new(j, "moved_sweep", json_integer((json_int_t)ps->moved_sweep));
	json_object_set_new(j, "half_placed", json_integer((json_int_t)ps->half_placed));
	json_object_set_new(j, "budget_cuts", json_integer((json_int_t)ps->budget_cuts));
	json_object_set_new(j, "walks_dropped", json_integer((json_int_t)ps->walks_dropped));
	json_object_set_new(j, "sweeps", json_integer((json_int_t)ps->sweeps));
	if (!placement_latency(&p50, &p99, &max)) {
		json_object_set_new(j, "latency_p50_us", json_real(p50));
		json_object_set_new(j, "latency_p99_us", json_real(p99));
		json_object_set_new(j, "latency_max_us", json_real(max));
		json_object_set_new(j, "latency_samples", json_integer(ps->lat_nr));
	}
	return j;
}

int api_cmd_status(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	json_object_set_new(resp, "placement", placement_json());
	json_object_set_new(resp, "host", proto_hview_json(&d->host));
	json_object_set_new(resp, "bpf", bpf_json(d));
	json_object_set_new(resp, "tick", json_integer((json_int_t)d->tick_no));
	json_object_set_new(resp, "tick_gap_max_ms", json_real(d->tick_gap_max_ms));
	json_object_set_new(resp, "ticks_late", json_integer((json_int_t)d->ticks_late));
	json_object_set_new(resp, "tenant_mode",
			    json_string(d->cfg.tenant_mode == TENANT_USERS ? "users" : "cgroups"));
	return 0;
}

/*
 * The snapshot's tenants, encoded once per tick and shared by every reader
 * (quelltop refreshes, many `quellctl list`): the first snapshot request of
 * a tick encodes every tenant by hand into one buffer (proto_tenant_enc),
 * later ones only sort indexes and copy bytes. Built on demand, so a tick
 * nobody asks about costs nothing. Valid while the tick, the registry and
 * api_gen (commands that change a tenant: api.c) are the same.
 */
struct snap_cache {
	uint64_t tick, gen;
	const void *reg_t;		/* the registry's array: a reload swaps it */
	int nr;
	struct proto_buf enc;		/* tenant objects back to back */
	size_t *off;			/* nr + 1 offsets into enc */
	struct proto_sort_row *rows;	/* what clients sort on */
	int *idx;
};

static void snap_free(struct snap_cache *c)
{
	if (!c)
		return;
	proto_buf_free(&c->enc);
	free(c->off);
	free(c->rows);
	free(c->idx);
	free(c);
}

void api_core_fini(struct daemon *d)
{
	snap_free(d->snap);
	d->snap = NULL;
	proto_buf_free(&d->api_tail);
}

void api_core_idle(struct daemon *d)
{
	/* 15 MB at 10,000 tenants: not kept past its tick for nobody */
	if (d->snap && d->snap->tick != d->tick_no) {
		snap_free(d->snap);
		d->snap = NULL;
	}
}

static struct snap_cache *snap_get(struct daemon *d)
{
	struct snap_cache *c = d->snap;
	int n = d->reg.nr;

	if (c && c->tick == d->tick_no && c->gen == d->api_gen && c->nr == n &&
	    c->reg_t == (const void *)d->reg.t)
		return c;
	snap_free(c);
	d->snap = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->off = malloc(((size_t)n + 1) * sizeof(*c->off));
	c->rows = malloc(((size_t)n + 1) * sizeof(*c->rows));
	c->idx = malloc(((size_t)n + 1) * sizeof(*c->idx));
	if (!c->off || !c->rows || !c->idx)
		goto nomem;
	for (int i = 0; i < n; i++) {
		struct tview tv;

		c->off[i] = c->enc.len;
		proto_tenant_enc(&c->enc, d->reg.t[i]);
		proto_tview_of_tenant(d->reg.t[i], &tv);
		proto_sort_row_of(&tv, &c->rows[i]);
	}
	c->off[n] = c->enc.len;
	if (c->enc.oom)
		goto nomem;
	c->tick = d->tick_no;
	c->gen = d->api_gen;
	c->nr = n;
	c->reg_t = d->reg.t;
	d->snap = c;
	return c;
nomem:
	snap_free(c);
	return NULL;
}

/*
 * snapshot: {"tenant": name} (authz.c sets it for a tenant caller),
 * {"sort": key, "reverse": bool, "top": n} (optional: the daemon orders and
 * cuts, so a client prints without parsing; docs/protocol.md).
 */
int api_cmd_snapshot(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct proto_buf *b = &d->api_tail;
	enum proto_sort key = PROTO_SORT_CPU;
	json_t *js = json_object_get(req, "sort"), *jr = json_object_get(req, "reverse");
	json_t *jt = json_object_get(req, "top");
	struct snap_cache *c;
	bool sorted = js && !json_is_null(js), reverse = json_is_true(jr);
	const char *only;
	int n, top = 0;

	if (req_filter(req, &only, err, len))
		return -EINVAL;
	if (sorted && proto_sort_parse(json_string_value(js), &key)) {
		snprintf(err, len, "bad \"sort\": cpu, mem, io, iops, inflicted, suffered, faults, "
			 "nproc, mem_inflicted or name");
		return -EINVAL;
	}
	if (jr && !json_is_boolean(jr) && !json_is_null(jr)) {
		snprintf(err, len, "bad \"reverse\": a boolean");
		return -EINVAL;
	}
	if (jt && !json_is_null(jt)) {
		if (!json_is_integer(jt) || json_integer_value(jt) < 0 ||
		    json_integer_value(jt) > 0x7fffffff) {
			snprintf(err, len, "bad \"top\": a number >= 0 (0: all)");
			return -EINVAL;
		}
		top = (int)json_integer_value(jt);
	}
	json_object_set_new(resp, "host", proto_hview_json(&d->host));
	json_object_set_new(resp, "time", json_integer((json_int_t)clock_real_s()));
	if (sorted)
		json_object_set_new(resp, "sorted", json_pack("{s:s,s:b,s:i}",
				    "by", proto_sort_name(key), "reverse", reverse, "top", top));
	b->len = 0;
	b->oom = false;
	proto_buf_put(b, "\"tenants\":[", 11);
	if (only) {
		/* one row (a tenant asking about itself): not worth the cache */
		struct tenant *t = registry_by_name(&d->reg, only);

		if (t)
			proto_tenant_enc(b, t);
	} else {
		c = snap_get(d);
		if (!c) {
			snprintf(err, len, "out of memory");
			return -ENOMEM;
		}
		if (sorted)
			proto_sort_rows(c->rows, c->nr, key, reverse, c->idx);
		else
			for (int i = 0; i < c->nr; i++)
				c->idx[i] = i;
		n = top && top < c->nr ? top : c->nr;
		for (int k = 0; k < n; k++) {
			int i = c->idx[k];

			if (k)
				proto_buf_put(b, ",", 1);
			proto_buf_put(b, c->enc.p + c->off[i], c->off[i + 1] - c->off[i]);
		}
	}
	proto_buf_put(b, "]", 1);
	if (b->oom) {
		proto_buf_free(b);
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/*
 * Per-process CPU % needs two readings: keep the last request's readings;
 * the first time a process is seen, its lifetime average is shown.
 */
static struct {
	int pid;
	uint64_t cpu_ns, at_ns;
} proc_seen[PROCS_MAX];
static int proc_seen_nr;

static double proc_cpu_pct(const struct proc_info *pi, uint64_t now, double uptime_s)
{
	for (int i = 0; i < proc_seen_nr; i++) {
		if (proc_seen[i].pid != pi->pid || now <= proc_seen[i].at_ns ||
		    pi->cpu_ns < proc_seen[i].cpu_ns)
			continue;
		return 100.0 * (double)(pi->cpu_ns - proc_seen[i].cpu_ns) /
		       (double)(now - proc_seen[i].at_ns);
	}
	{
		long hz = sysconf(_SC_CLK_TCK);
		double age = uptime_s - (double)pi->start_ticks / (double)(hz > 0 ? hz : 100);

		return age > 0 ? 100.0 * (double)pi->cpu_ns / 1e9 / age : NAN;
	}
}

static int tenant_pids(struct daemon *d, struct tenant *t, pid_t *pids, int max)
{
	int n = -ENOENT;

	if (*t->cg)
		n = cg_procs(&d->cg, t->cg, pids, max);
	if (n < 0 && t->uid != TENANT_UID_NONE)
		n = procfs_pids_of_uid(d->proc_fd, t->uid, pids, max);
	return n < 0 ? n : n > max ? max : n;
}

static json_t *procs_json(struct daemon *d, struct tenant *t)
{
	static pid_t pids[PROCS_MAX];
	static typeof(proc_seen) next;
	json_t *arr = json_array();
	uint64_t now = clock_mono_ns();
	struct timespec up;
	int n, nn = 0;

	clock_gettime(CLOCK_BOOTTIME, &up);
	n = tenant_pids(d, t, pids, PROCS_MAX);
	for (int i = 0; i < n; i++) {
		struct proc_info pi;
		json_t *p;

		if (procfs_read_pid(d->proc_fd, pids[i], &pi))
			continue;	/* exited meanwhile */
		p = json_object();
		json_object_set_new(p, "pid", json_integer(pi.pid));
		json_object_set_new(p, "comm", json_string(pi.comm));
		json_object_set_new(p, "cpu_pct", json_real(proc_cpu_pct(&pi, now,
					(double)up.tv_sec + (double)up.tv_nsec / 1e9)));
		json_object_set_new(p, "rss_bytes", json_integer((json_int_t)pi.rss_bytes));
		json_object_set_new(p, "threads", json_integer(pi.threads));
		json_object_set_new(p, "uid", json_integer(pi.uid));
		json_array_append_new(arr, p);
		next[nn].pid = pi.pid;
		next[nn].cpu_ns = pi.cpu_ns;
		next[nn].at_ns = now;
		nn++;
	}
	memcpy(proc_seen, next, sizeof(next[0]) * nn);
	proc_seen_nr = nn;
	return arr;
}

int api_cmd_tenant(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = req_tenant(d, req, err, len);
	json_t *j;

	if (!t)
		return -ENOENT;
	j = proto_tenant_json(t);
	json_object_set_new(j, "procs", procs_json(d, t));
	/*
	 * "limits" is what quell wants; when its last write failed (a v1 memory
	 * limit under the usage: EBUSY) the cgroup keeps what it had, and show
	 * says so rather than claim a limit that is not there (act.c apply()).
	 */
	if (t->written.fails)
		json_object_set_new(j, "limits_unwritten",
				    json_pack("{s:s, s:i}", "error", strerror(-t->written.err),
					      "tries", (int)t->written.fails));
	json_object_set_new(resp, "tenant", j);
	return 0;
}

int api_cmd_tenants(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	const char *only;
	json_t *arr;

	if (req_filter(req, &only, err, len))
		return -EINVAL;
	arr = json_array();
	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];
		json_t *o;

		if (only && strcmp(t->name, only))
			continue;
		o = json_object();

		json_object_set_new(o, "name", json_string(t->name));
		json_object_set_new(o, "uid", t->uid == TENANT_UID_NONE ? json_null() :
				    json_integer(t->uid));
		json_object_set_new(o, "key", json_integer((json_int_t)t->key));
		json_object_set_new(o, "cgroup", json_string(t->cg));
		json_object_set_new(o, "nproc", qm_valid(&t->cur, QM_NPROC) ?
				    json_integer((json_int_t)t->cur.v[QM_NPROC]) : json_null());
		json_object_set_new(o, "state", json_string(tenant_state_name(t->state)));
		json_object_set_new(o, "exempt", json_boolean(t->exempt));
		json_array_append_new(arr, o);
	}
	json_object_set_new(resp, "tenants", arr);
	return 0;
}

static struct tenant *tenant_of_cgroup(struct daemon *d, const char *path)
{
	size_t n;

	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];

		n = strlen(t->cg);
		if (n && !strncmp(path, t->cg, n) && (path[n] == '\0' || path[n] == '/'))
			return t;
	}
	return NULL;
}

int api_cmd_where(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	char path[512];
	struct tenant *t;
	int pid, ret;

	if (req_pid(req, &pid, err, len))
		return -EINVAL;
	ret = cg_where(&d->cg, pid, path, sizeof(path));
	if (ret) {
		snprintf(err, len, "pid %d: %s", pid, ret == -ENOENT ? "no such process" :
			 strerror(-ret));
		return ret;
	}
	t = tenant_of_cgroup(d, path);
	json_object_set_new(resp, "pid", json_integer(pid));
	json_object_set_new(resp, "cgroup", json_string(path));
	json_object_set_new(resp, "tenant", t ? json_string(t->name) : json_null());
	return 0;
}

int api_cmd_place(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	struct tenant *t = NULL;
	int pid, ret;

	if (req_pid(req, &pid, err, len))
		return -EINVAL;
	ret = placement_pid(d, pid, &t);
	if (ret < 0) {
		snprintf(err, len, "pid %d: %s", pid, ret == -ENOENT ? "no such process" :
			 ret == -EPERM ? "not a tenant's process (root, excluded or out of range)" :
			 strerror(-ret));
		return ret;
	}
	json_object_set_new(resp, "pid", json_integer(pid));
	json_object_set_new(resp, "moved", json_boolean(ret > 0));
	json_object_set_new(resp, "tenant", t ? json_string(t->name) : json_null());
	json_object_set_new(resp, "cgroup", t ? json_string(t->cg) : json_null());
	return 0;
}
