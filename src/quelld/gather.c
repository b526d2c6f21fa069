// SPDX-License-Identifier: GPL-2.0-only
/*
 * gather.c - one sample per tenant per tick, each metric from the best
 * source available (the source is recorded per metric in the sample):
 *
 *   BPF        cpu, ctxsw, run-queue delay suffered/inflicted, forks, execs,
 *              IO bytes/ops/latency, page faults, reclaim stall, OOM kills,
 *              others' page cache evicted (mem_inflicted)
 *   cgroupfs   memory, throttling and limit-hit events, pids, PSI; and cpu,
 *              IO, page faults, OOM kills when BPF is not loaded
 *   procfs     nproc, threads, RSS and (without BPF or cgroup) CPU time of
 *              tenants that have no cgroup of their own
 *
 * A tenant BPF saw do nothing since the last tick has only its pressure
 * files read; the rest of its last full read is carried (src/quelld/quiet.h).
 *
 * Then rates (qm_rates_compute) and the host view.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "bpf_loader.h"
#include "cgroup.h"
#include "fairshare.h"
#include "gather.h"
#include "hostinfo.h"
#include "log.h"
#include "placement.h"
#include "procfs.h"
#include "psi.h"
#include "quelld.h"
#include "quiet.h"

static int acct_cb(uint64_t key, const struct quell_acct *a, void *arg)
{
	struct daemon *d = arg;
	struct tenant *t = registry_by_key(&d->reg, key);
	struct qm_sample *s;

	if (!t)
		return 0;	/* root, system users, excluded: not tenants */
	s = &t->cur;
	qm_set(s, QM_CPU_NS, a->cpu_ns, QM_SRC_BPF);
	qm_set(s, QM_CTXSW, a->ctxsw, QM_SRC_BPF);
	qm_set(s, QM_RQ_SUFFERED_NS, a->rq_suffered_ns, QM_SRC_BPF);
	qm_set(s, QM_RQ_SELF_NS, a->rq_self_ns, QM_SRC_BPF);
	qm_set(s, QM_RQ_INFLICTED_NS, a->rq_inflicted_ns, QM_SRC_BPF);
	qm_set(s, QM_FORKS, a->forks, QM_SRC_BPF);
	qm_set(s, QM_EXECS, a->execs, QM_SRC_BPF);
	qm_set(s, QM_IO_RBYTES, a->io_rbytes, QM_SRC_BPF);
	qm_set(s, QM_IO_WBYTES, a->io_wbytes, QM_SRC_BPF);
	qm_set(s, QM_IO_ROPS, a->io_rops, QM_SRC_BPF);
	qm_set(s, QM_IO_WOPS, a->io_wops, QM_SRC_BPF);
	qm_set(s, QM_IO_LAT_NS, a->io_lat_ns, QM_SRC_BPF);
	qm_set(s, QM_IO_LAT_CNT, a->io_lat_cnt, QM_SRC_BPF);
	qm_set(s, QM_PGFAULTS, a->pgfaults, QM_SRC_BPF);
	qm_set(s, QM_RECLAIM_NS, a->reclaim_ns, QM_SRC_BPF);
	qm_set(s, QM_OOM_KILLS, a->oom_kills, QM_SRC_BPF);
	qm_set(s, QM_RQ_BEHIND_NS, a->rq_behind_ns, QM_SRC_BPF);
	return 0;
}

/* who evicts whom: pages of other tenants this one's reclaim removed (bpf/quell.bpf.c) */
static int evict_cb(uint64_t key, const struct quell_evict *e, void *arg)
{
	struct daemon *d = arg;
	struct tenant *t = registry_by_key(&d->reg, key);

	if (t)
		qm_set(&t->cur, QM_MEM_INFLICTED,
		       e->inflicted_pages * (uint64_t)sysconf(_SC_PAGESIZE), QM_SRC_BPF);
	return 0;
}

/*
 * A tenant BPF has not seen yet has no map entry: it did nothing since the
 * programs were loaded. Its BPF counters are zero, not unknown.
 */
static void bpf_zero_fill(struct qm_sample *s)
{
	static const enum qm_id ids[] = {
		QM_CPU_NS, QM_CTXSW, QM_RQ_SUFFERED_NS, QM_RQ_SELF_NS, QM_RQ_INFLICTED_NS,
		QM_FORKS, QM_EXECS, QM_IO_RBYTES, QM_IO_WBYTES, QM_IO_ROPS, QM_IO_WOPS,
		QM_IO_LAT_NS, QM_IO_LAT_CNT, QM_PGFAULTS, QM_RECLAIM_NS, QM_OOM_KILLS,
		QM_MEM_INFLICTED, QM_RQ_BEHIND_NS,
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!qm_valid(s, ids[i]))
			qm_set(s, ids[i], 0, QM_SRC_BPF);
}

/* cgroupfs values; fill-ins only where BPF did not provide the metric */
static void from_cgroup(struct qm_sample *s, const struct cg_usage *u)
{
#define FILL(id, bit, val) do { \
		if ((u->valid & (bit)) && !qm_valid(s, id)) \
			qm_set(s, id, val, QM_SRC_CGROUP); \
	} while (0)
	FILL(QM_CPU_NS, CGU_CPU, u->cpu_ns);
	FILL(QM_IO_RBYTES, CGU_IO, u->io_rbytes);
	FILL(QM_IO_WBYTES, CGU_IO, u->io_wbytes);
	FILL(QM_IO_ROPS, CGU_IO, u->io_rops);
	FILL(QM_IO_WOPS, CGU_IO, u->io_wops);
	FILL(QM_PGFAULTS, CGU_PGFAULT, u->pgfaults);
	FILL(QM_OOM_KILLS, CGU_OOM, u->oom_kills);
	FILL(QM_CPU_THROTTLED, CGU_THROTTLE, u->cpu_throttled);
	FILL(QM_CPU_THROTTLED_NS, CGU_THROTTLE, u->cpu_throttled_ns);
	FILL(QM_MEM_HIGH_EVENTS, CGU_MEM_EVENTS, u->mem_high_events);
	FILL(QM_MEM_MAX_EVENTS, CGU_MEM_EVENTS, u->mem_max_events);
	FILL(QM_PIDS_MAX_EVENTS, CGU_PIDS_EVENTS, u->pids_max_events);
	FILL(QM_PSI_CPU_SOME_US, CGU_PSI_CPU, u->psi_cpu_some_us);
	FILL(QM_PSI_MEM_SOME_US, CGU_PSI_MEM, u->psi_mem_some_us);
	FILL(QM_PSI_MEM_FULL_US, CGU_PSI_MEM, u->psi_mem_full_us);
	FILL(QM_PSI_IO_SOME_US, CGU_PSI_IO, u->psi_io_some_us);
	FILL(QM_PSI_IO_FULL_US, CGU_PSI_IO, u->psi_io_full_us);
	FILL(QM_REFAULTS, CGU_REFAULT, u->refaults);
	FILL(QM_MEM_BYTES, CGU_MEM, u->mem_bytes);
	FILL(QM_MEM_PEAK, CGU_MEM_PEAK, u->mem_peak);
	FILL(QM_NPROC, CGU_PIDS, u->pids_current);
#undef FILL
}

/* Sum a procfs value into s unless a better source already set the metric. */
static void proc_add(struct qm_sample *s, enum qm_id id, uint64_t val)
{
	if (qm_valid(s, id) && s->src[id] != QM_SRC_PROC)
		return;
	qm_set(s, id, (qm_valid(s, id) ? s->v[id] : 0) + val, QM_SRC_PROC);
}

/* procfs pass: per-tenant process counts, threads, RSS and CPU of live processes */
static int proc_cb(const struct proc_info *pi, void *arg)
{
	struct daemon *d = arg;
	struct tenant *t = registry_by_key(&d->reg, pi->uid);

	if (!t || t->uid == TENANT_UID_NONE)
		return 0;
	proc_add(&t->cur, QM_NPROC, 1);
	proc_add(&t->cur, QM_NTHREADS, (uint64_t)pi->threads);
	proc_add(&t->cur, QM_MEM_BYTES, pi->rss_bytes);
	/*
	 * CPU from procfs only counts live processes: it drops when one exits.
	 * qm_rates_compute treats a drop as a restart; that is the price of
	 * having neither BPF nor a cgroup for this tenant.
	 */
	proc_add(&t->cur, QM_CPU_NS, pi->cpu_ns);
	if (pi->has_run_delay)
		proc_add(&t->cur, QM_RQ_SUFFERED_NS, pi->run_delay_ns);
	return 0;
}

static void gather_host(struct daemon *d)
{
	static struct host_info prev;
	static uint64_t prev_ns;
	struct hview *h = &d->host;
	struct host_info hi = { 0 };
	struct psi_stats ps;
	uint64_t now = clock_mono_ns();
	double dt;

	if (gethostname(h->hostname, sizeof(h->hostname)) < 0)
		strcpy(h->hostname, "?");
	h->hostname[sizeof(h->hostname) - 1] = '\0';
	hostinfo_read(d->proc_fd, -1, &hi);
	dt = prev_ns ? (double)(now - prev_ns) / 1e9 : 0;
	memcpy(h->load, hi.load, sizeof(h->load));
	h->ncpu = hi.cpu.ncpu;
	h->cpu_pct = NAN;
	if ((hi.valid & HOST_CPU) && (prev.valid & HOST_CPU) && hi.cpu.total_ns > prev.cpu.total_ns)
		h->cpu_pct = 100.0 * hi.cpu.ncpu * (double)(hi.cpu.busy_ns - prev.cpu.busy_ns) /
			     (double)(hi.cpu.total_ns - prev.cpu.total_ns);
	h->mem_total = hi.valid & HOST_MEM ? (double)hi.mem.total : NAN;
	h->mem_used = hi.valid & HOST_MEM ? (double)(hi.mem.total - hi.mem.available) : NAN;
	h->io_rbps = h->io_wbps = NAN;
	if ((hi.valid & HOST_DISK) && (prev.valid & HOST_DISK) && dt > 0 &&
	    hi.disk.rbytes >= prev.disk.rbytes && hi.disk.wbytes >= prev.disk.wbytes) {
		h->io_rbps = (double)(hi.disk.rbytes - prev.disk.rbytes) / dt;
		h->io_wbps = (double)(hi.disk.wbytes - prev.disk.wbytes) / dt;
	}
	h->psi_cpu_some = h->psi_mem_some = h->psi_mem_full = NAN;
	h->psi_io_some = h->psi_io_full = NAN;
	if (!psi_read_host(d->proc_fd, PSI_CPU, &ps))
		h->psi_cpu_some = ps.some.avg10;
	if (!psi_read_host(d->proc_fd, PSI_MEM, &ps)) {
		h->psi_mem_some = ps.some.avg10;
		h->psi_mem_full = ps.has_full ? ps.full.avg10 : NAN;
	}
	if (!psi_read_host(d->proc_fd, PSI_IO, &ps)) {
		h->psi_io_some = ps.some.avg10;
		h->psi_io_full = ps.has_full ? ps.full.avg10 : NAN;
	}
	h->tenants = d->reg.nr;	/* throttled, frozen: counted in gather_tick's cgroupfs pass */
	snprintf(h->source, sizeof(h->source), "%s", d->bpf ? "bpf" : "cgroupfs");
	snprintf(h->cgroup_mode, sizeof(h->cgroup_mode), "%s", cg_mode_name(d->cg.mode));
	if (d->bpf && !qbpf_read_stats(d->bpf, d->bpf_stats))
		h->bpf_dropped = d->bpf_stats[QUELL_STAT_ACCT_FULL] +
				 d->bpf_stats[QUELL_STAT_TASK_FULL] +
				 d->bpf_stats[QUELL_STAT_RB_DROP] + d->bpf_stats[QUELL_STAT_IO_FULL];
	prev = hi;
	prev_ns = now;
}

/*
 * When a tenant's cgroup can have appeared: every full discovery (cgroups
 * mode, every `sweep`), every placement sweep and every process placement
 * (which creates the tenant's directories). A cgroup found absent is not
 * looked for again until this changes: on hybrid, tenant cgroups made only
 * in unified/ cost one failed fstatat() in a v1 hierarchy per tenant per
 * tick, 36 % of quelld's samples at 10,000 tenants (docs/performance.md).
 */
static uint64_t gather_epoch(const struct daemon *d)
{
	const struct placement_stats *ps = placement_stats();

	return d->discover_full_ms + ps->sweeps + ps->moved_event + ps->moved_sweep;
}

static bool bpf_delta(const struct tenant *t, enum qm_id id, double *out)
{
	if (!qm_valid(&t->cur, id) || t->cur.src[id] != QM_SRC_BPF ||
	    !qm_valid(&t->prev, id) || t->prev.src[id] != QM_SRC_BPF)
		return false;
	*out = t->cur.v[id] >= t->prev.v[id] ? (double)(t->cur.v[id] - t->prev.v[id]) : 0;
	return true;
}

/*
 * Replace BPF's raw rq_inflicted_ns (per waiting thread, behind whoever held
 * its CPU) by the fair-share charge of src/quelld/fairshare.c, on this
 * tick's CPU and wait behind other tenants (rq_behind_ns: a wait behind
 * root or nginx is nobody's share) smoothed over ~2 s, accumulated into the
 * tenant's counter from 0 at the daemon's start. The raw figure stays in
 * `quelld --bpf-dump`. docs/attribution.md says why.
 */
/* Seconds between the tenant's last two samples, 0 without two. */
static double sample_dt(const struct tenant *t)
{
	if (!t->prev.ts_ns || t->cur.ts_ns <= t->prev.ts_ns)
		return 0;
	return (double)(t->cur.ts_ns - t->prev.ts_ns) / 1e9;
}

static void inflicted_fair(struct daemon *d)
{
	struct fs_tenant *f;
	int n = d->reg.nr, ret;

	f = calloc(n ? (size_t)n : 1, sizeof(*f));
	if (!f) {
		log_warn("inflicted: %s", strerror(ENOMEM));
		return;
	}
	for (int i = 0; i < n; i++) {
		struct tenant *t = d->reg.t[i];
		double cpu, behind, dt = sample_dt(t);

		if (dt <= 0 || !bpf_delta(t, QM_CPU_NS, &cpu) ||
		    !bpf_delta(t, QM_RQ_BEHIND_NS, &behind)) {
			t->fs_set = false;	/* takes no part */
			continue;
		}
		t->fs_cpu = (float)fairshare_smooth(t->fs_cpu, cpu / dt, dt, !t->fs_set);
		t->fs_behind = (float)fairshare_smooth(t->fs_behind, behind / dt, dt, !t->fs_set);
		t->fs_set = true;
		f[i].cpu = t->fs_cpu;
		f[i].suffered = t->fs_behind;	/* the wait a share can owe: behind tenants */
		f[i].lowered = policy_cpu_demoted(&d->cfg.policy, &t->pol);
	}
	ret = fairshare_inflicted(f, n);
	if (ret < 0)
		log_warn("inflicted: %s", strerror(-ret));
	for (int i = 0; i < n; i++) {
		struct tenant *t = d->reg.t[i];
		uint64_t base = 0;

		if (!qm_valid(&t->cur, QM_RQ_INFLICTED_NS) ||
		    t->cur.src[QM_RQ_INFLICTED_NS] != QM_SRC_BPF)
			continue;
		if (t->prev.ts_ns && qm_valid(&t->prev, QM_RQ_INFLICTED_NS) &&
		    t->prev.src[QM_RQ_INFLICTED_NS] == QM_SRC_BPF)
			base = t->prev.v[QM_RQ_INFLICTED_NS];
		qm_set(&t->cur, QM_RQ_INFLICTED_NS,
		       base + (ret < 0 ? 0 : (uint64_t)llround(f[i].inflicted * sample_dt(t))),
		       QM_SRC_BPF);
	}
	free(f);
}

static void rates_of(struct tenant *t)
{
	if (t->prev.ts_ns && !qm_rates_compute(&t->prev, &t->cur, &t->rates)) {
		qm_view_from_rates(&t->rates, &t->view);
	} else {
		for (int k = 0; k < QM_NR; k++)
			t->rates.r[k] = qm_desc[k].kind == QM_GAUGE && qm_valid(&t->cur, k) ?
					(double)t->cur.v[k] : NAN;
		qm_view_from_rates(&t->rates, &t->view);
	}
}

/*
 * The passes over the tenants are as few as the order of the sources
 * allows: at 10,000 tenants struct tenant is 31 MB, more than the caches,
 * and each pass over it was a few % of quelld's samples (docs/performance.md).
 * BPF's zero fill comes first and the map's values overwrite it, which is the
 * same as filling what the map did not have afterwards; the rates come in
 * the cgroupfs pass unless procfs (users mode) still adds to the sample.
 */
int gather_tick(struct daemon *d)
{
	uint64_t now = clock_mono_ns(), epoch = gather_epoch(d) + 1;
	bool need_proc = false, users = d->cfg.tenant_mode == TENANT_USERS;
	/*
	 * No entry means idle only while the map has room and the key is in
	 * the BPF range: once the map was full (or [tenants] min/max_uid grew
	 * on SIGHUP past the loaded range) a tenant without an entry is
	 * unknown to BPF, and cgroupfs fills in below, its source says so.
	 */
	bool zero_fill = d->bpf && !d->bpf_stats[QUELL_STAT_ACCT_FULL];
	/* quiet tenants need BPF to say they did nothing, so they need zero_fill */
	bool quiet_ok = zero_fill && d->cfg.lazy_reads;
	int ret;

	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];

		t->prev = t->cur;
		memset(&t->cur, 0, sizeof(t->cur));
		/* the fork alarms since the last tick are this tick's evidence (alarm.c) */
		t->alarm = t->alarm_new;
		t->alarm_new = (struct tenant_alarm){ 0 };
		t->cur.ts_ns = now;
		if (zero_fill && qbpf_key_covered(d->bpf, t->key))
			bpf_zero_fill(&t->cur);
	}
	if (d->bpf) {
		ret = qbpf_read_acct(d->bpf, now, acct_cb, d);
		if (ret < 0)
			log_warn("reading BPF counters: %s", strerror(-ret));
		ret = qbpf_read_evict(d->bpf, evict_cb, d);
		if (ret < 0)
			log_warn("reading BPF eviction counters: %s", strerror(-ret));
		inflicted_fair(d);
	}
	d->host.throttled = d->host.frozen = d->host.quiet = 0;
	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];
		struct cg_usage u;

		d->host.throttled += t->state == TS_THROTTLED;
		d->host.frozen += t->state == TS_FROZEN;
		if (!*t->cg || t->cg_absent_epoch == epoch) {
			need_proc = true;	/* as for -ENOENT below: nothing valid */
			t->cg_read_ns = 0;
		} else if (quiet_ok && t->cg_read_epoch == epoch &&
			   quiet_skip(&t->prev, &t->cur, t->cg_read_ns, t->key) &&
			   !cg_read_pressure(&d->cg, t->cg, &u)) {
			from_cgroup(&t->cur, &u);
			quiet_carry(&t->cur, &t->prev);
			if (!qm_valid(&t->cur, QM_NPROC))
				need_proc = true;
			d->host.quiet++;
		} else {
			ret = cg_read_usage(&d->cg, t->cg, &u);
			t->cg_absent_epoch = ret == -ENOENT ? epoch : 0;
			t->cg_read_ns = ret ? 0 : now;
			t->cg_read_epoch = epoch;
			if (ret && ret != -ENOENT) {
				/* once at warning level (a parser bug once hid here), then debug */
				log_msg(t->cg_warned ? LOG_DEBUG : LOG_WARNING,
					"tenant %s: reading cgroup %s: %s", t->name, t->cg,
					strerror(-ret));
				t->cg_warned = true;
			}
			/* malformed file: the rest is still valid (u.valid) */
			if (!ret || ret == -EINVAL)
				from_cgroup(&t->cur, &u);
			if (!(u.valid & CGU_PIDS))
				need_proc = true;
		}
		if (!users)
			rates_of(t);
	}
	if (users) {
		if (need_proc) {
			ret = procfs_foreach(d->proc_fd, proc_cb, d);
			if (ret < 0)
				log_warn("procfs: %s", strerror(-ret));
		}
		for (int i = 0; i < d->reg.nr; i++)
			rates_of(d->reg.t[i]);
	}
	gather_host(d);
	return 0;
}

const char *gather_tenants_root(const struct daemon *d)
{
	return d->cfg.tenant_mode == TENANT_USERS ? d->cfg.managed : d->cfg.parent;
}

void gather_mem_base(struct daemon *d)
{
	const char *root = gather_tenants_root(d);
	uint64_t total = 0, lim = CG_UNLIMITED, base;
	int ret;

	/* MemTotal does not change: the last tick's host view has it */
	if (isfinite(d->host.mem_total) && d->host.mem_total > 0)
		total = (uint64_t)d->host.mem_total;
	else if (hostinfo_mem_total(d->proc_fd, &total))
		total = 0;
	ret = cg_read_mem_limit(&d->cg, root, &lim);
	if (ret) {
		if (!d->mem_root_unread)
			log_warn("memory limit of /%s: %s: memory shares (mem = N%%) are of "
				 "MemTotal alone", root, strerror(-ret));
		d->mem_root_unread = true;
		lim = CG_UNLIMITED;
	} else if (d->mem_root_unread) {
		log_info("memory limit of /%s readable again", root);
		d->mem_root_unread = false;
	}
	base = limits_share_base(total, lim);
	if (base != d->mem_base || lim != d->mem_root_limit) {
		char l[40] = "no limit";

		if (lim != CG_UNLIMITED)
			snprintf(l, sizeof(l), "limit %llu MiB", (unsigned long long)(lim >> 20));
		log_info("memory the tenants share: %llu MiB (MemTotal %llu MiB, /%s %s)",
			 (unsigned long long)(base >> 20), (unsigned long long)(total >> 20), root,
			 l);
	}
	d->mem_base = base;
	d->mem_root_limit = lim;
}

void tick_gather(struct daemon *d, uint64_t mono_ns)
{
	static uint64_t last_discover, last_sweep;
	uint64_t now_ms = mono_ns / 1000000;
	bool users = d->cfg.tenant_mode == TENANT_USERS;

	gather_mem_base(d);	/* before discovery writes a new tenant's limits */

	/* users change rarely and getpwent can be slow (NSS): every sweep; cgroup children: every tick */
	if (!users || now_ms - last_discover >= d->cfg.sweep_ms) {
		discover_tenants(d);
		last_discover = now_ms;
	}
	if (users && d->cfg.place && now_ms - last_sweep >= d->cfg.sweep_ms) {
		placement_sweep(d);
		last_sweep = now_ms;
	} else if (users && d->cfg.place) {
		placement_tick(d);	/* children walks the event budget cut short */
	}
	gather_tick(d);
}
