// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon.c - quelld's life cycle and its tick: gather -> decide -> act ->
 * record, four calls in daemon_tick (one file per stage); the modules'
 * life cycle (start, reload, stop, tenants coming and going) is hooks.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "api.h"
#include "bpf_loader.h"
#include "clock.h"
#include "decide.h"
#include "gather.h"
#include "hooks.h"
#include "log.h"
#include "procfs.h"
#include "quelld.h"
#include "record.h"
#include "web.h"

static int load_bpf(struct daemon *d)
{
	struct qbpf_opts o = {
		.key_mode = QUELL_KEY_UID,
		.max_tenants = d->cfg.max_tenants,
		.min_uid = d->cfg.min_uid,
		.max_uid = d->cfg.max_uid,
		.events = d->cfg.tenant_mode == TENANT_USERS && d->cfg.place,
		.proc_fd = d->proc_fd,
	};
	struct qbpf_features f = { 0 };
	char err[256] = "";
	int ret;

	if (d->cfg.bpf == BPF_OFF) {
		log_info("bpf = off: using cgroupfs/procfs only");
		return 0;
	}
	if (d->cfg.tenant_mode == TENANT_CGROUPS) {
		o.key_mode = QUELL_KEY_CGROUP;
		o.cg_level = (uint32_t)cg_level(d->cfg.parent) + 1;
	}
	qbpf_mount_fs();
	qbpf_probe(&f);
	log_info("kernel features: btf=%d tp_btf=%d raw_tp=%d ringbuf=%d kprobe=%d syscall_tps=%d",
		 f.btf, f.tp_btf, f.raw_tp, f.ringbuf, f.kprobe, f.syscall_tps);
	ret = qbpf_load(&o, &d->bpf, err, sizeof(err));
	if (ret) {
		d->bpf = NULL;
		if (d->cfg.bpf == BPF_ON) {
			log_err("bpf = on but BPF failed to load: %s", err);
			return ret;
		}
		log_warn("BPF unavailable (%s): falling back to cgroupfs/procfs", err);
		return 0;
	}
	d->bpf_min_uid = o.min_uid;
	d->bpf_max_uid = o.max_uid;
	alarm_configure(d);
	log_info("BPF loaded (%s programs)", qbpf_variant(d->bpf));
	return 0;
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int daemon_init(struct daemon *d)
{
	int ret;

	d->start_mono_ns = clock_mono_ns();
	d->tenant_hooks = &hooks_tenant;
	d->cg_root_fd = d->proc_fd = -1;
	d->cg.root_fd = d->cg.v2_fd = -1;
	for (int i = 0; i < CGC_NR; i++)
		d->cg.v1_fd[i] = -1;
	ret = registry_init(&d->reg);
	if (ret)
		return ret;

	d->proc_fd = open_dir(d->cfg.proc_root);
	if (d->proc_fd < 0) {
		log_err("%s: %s", d->cfg.proc_root, strerror(-d->proc_fd));
		return d->proc_fd;
	}
	d->cg_root_fd = open_dir(d->cfg.cgroup_root);
	if (d->cg_root_fd < 0) {
		log_err("%s: %s", d->cfg.cgroup_root, strerror(-d->cg_root_fd));
		return d->cg_root_fd;
	}
	ret = cg_layout_open(d->cg_root_fd, &d->cg);
	if (ret) {
		log_err("cgroupfs at %s: %s", d->cfg.cgroup_root, strerror(-ret));
		return ret;
	}
	log_info("cgroup mode: %s", cg_mode_name(d->cg.mode));
	if (mkdir(d->cfg.state_dir, 0755) && errno != EEXIST)
		log_warn("state_dir %s: %m", d->cfg.state_dir);

	ret = load_bpf(d);
	if (ret)
		return ret;
	if (d->cfg.tenant_mode == TENANT_USERS && d->cfg.place) {
		ret = placement_init(d);
		if (ret)
			return ret;
	}
	ret = api_open(d);
	if (ret) {
		log_err("socket %s: %s", d->cfg.socket_path, strerror(-ret));
		return ret;
	}
	ret = hooks_init(d);
	if (ret)
		return ret;
	gather_mem_base(d);	/* before the first tenant's limits are written */
	discover_tenants(d);
	if (d->cfg.tenant_mode == TENANT_USERS && d->cfg.place)
		placement_sweep(d);
	gather_tick(d);		/* the first sample: rates start at the next tick */
	log_info("running: %d tenants, tick %llu ms, socket %s", d->reg.nr,
		 (unsigned long long)d->cfg.tick_ms, d->cfg.socket_path);
	return 0;
}

void daemon_ready(struct daemon *d)
{
	hooks_ready(d);
}

/*
 * The refault watch (docs/policy.md "The refault watch"). A leak hurts its
 * neighbours only once memory is full; their refaults then begin at an
 * instant a 1 s tick learns of 0-1 s late, which was most of mem-growth's
 * 2.1-2.9 s from the leak's start (t_policy_mem_refault). So while decide
 * says a tenant waits only for its neighbours' refaults (plan.watch), the
 * managed root's refault counter - hierarchical, every tenant's at once:
 * one memory.stat, not one per tenant - is read every WATCH_POLL_MS, and
 * once its rate since the tick passes plan.watch_above the next tick is
 * taken at once. It only triggers: the tick decides, on the tenants' own
 * counters, as ever. At most one early tick per tick (a watch that fires on
 * refaults the rule does not count, a tenant's own, costs at most one
 * extra tick a second), and none while no tenant grows past a threshold.
 */
#define WATCH_POLL_MS	250

/* The root's refault counter; 0 or -errno (-ENODATA: no such counter). */
static int watch_read(struct daemon *d, uint64_t *refaults)
{
	struct cg_usage u;
	int ret = cg_read_usage(&d->cg, gather_tenants_root(d), &u);

	if (ret && ret != -EINVAL)
		return ret;
	if (!(u.valid & CGU_REFAULT))
		return -ENODATA;
	*refaults = u.refaults;
	return 0;
}

/* After a tick: watch until the next one if the plan asks and this one was not early. */
static void watch_arm(struct daemon *d)
{
	bool early = d->watch_fired;

	d->watch_fired = false;
	d->watch_on = false;
	if (early || d->plan.ret < 0 || !d->plan.watch || watch_read(d, &d->watch_base))
		return;
	d->watch_on = true;
	d->watch_base_ns = d->watch_poll_ns = clock_mono_ns();
}

int daemon_watch_timeout(const struct daemon *d)
{
	if (!d->watch_on)
		return -1;
	return clock_ms_until(d->watch_poll_ns + WATCH_POLL_MS * 1000000ULL);
}

bool daemon_watch_poll(struct daemon *d)
{
	uint64_t now = clock_mono_ns(), rf;
	double rate;

	if (!d->watch_on || now < d->watch_poll_ns + WATCH_POLL_MS * 1000000ULL)
		return false;
	d->watch_poll_ns = now;
	if (clock_real_ms() < d->plan.watch_ms)
		return false;		/* no urgent window can close yet */
	if (watch_read(d, &rf)) {
		d->watch_on = false;
		return false;
	}
	if (rf < d->watch_base || now <= d->watch_base_ns) {
		d->watch_base = rf;	/* the counter went back: start again */
		d->watch_base_ns = now;
		return false;
	}
	rate = (double)(rf - d->watch_base) * 1e9 / (double)(now - d->watch_base_ns);
	if (rate <= d->plan.watch_above)
		return false;
	log_debug("refault watch: %.0f pages/s read again under /%s since the tick (over %.0f): "
		  "early tick", rate, gather_tenants_root(d), d->plan.watch_above);
	d->watch_on = false;
	d->watch_fired = true;
	return true;
}

/*
 * Does this tick's plan hold an action of kind a or b? Entering or raising
 * a rung (PA_APPLY, PA_ESCALATE) is what the wait alarm's early ticks are
 * for; a release or step down (PA_RELEASE, PA_STEP_DOWN) ends its pause.
 */
static bool plan_has(const struct decide_plan *p, enum policy_act a, enum policy_act b)
{
	for (int i = 0; p->ret > 0 && i < p->nact; i++)
		if (p->acts[i].kind == a || p->acts[i].kind == b)
			return true;
	return false;
}

/*
 * An early tick of the wait alarm that entered no rung: what it saw (the
 * busiest tenant and the one that waited longest behind others), so a
 * debug log tells a sample too short for a rule from a box with no
 * offender.
 */
static void early_tick_note(const struct daemon *d)
{
	const struct decide_plan *p = &d->plan;
	double level = p->cpu_level;
	int hog = -1, wait = -1, crowd = 0, cw = -1;

	for (int i = 0; i < p->n; i++) {
		const struct qm_view *v = &p->pin[i].v;
		bool demoted;

		if (isfinite(v->cpu_pct) && (hog < 0 || v->cpu_pct > p->pin[hog].v.cpu_pct))
			hog = i;
		if (!isfinite(v->behind_ms_s))
			continue;
		/*
		 * a tenant on a CPU rung waits by the rung's doing, a contending
		 * one by wanting more than its share: no rule counts either
		 * (policy_cpu_demoted, policy_cpu_contending)
		 */
		demoted = policy_cpu_demoted(&d->cfg.policy, p->prev[i]);
		if (demoted || policy_cpu_contending(&p->pin[i], level)) {
			crowd += v->behind_ms_s > 0;
			if (!demoted && (cw < 0 || v->behind_ms_s > p->pin[cw].v.behind_ms_s))
				cw = i;
			continue;
		}
		if (wait < 0 || v->behind_ms_s > p->pin[wait].v.behind_ms_s)
			wait = i;
	}
	if (hog < 0)
		return;
	if (wait < 0 && cw >= 0) {
		log_debug("wait alarm: the early tick entered no rung: %s at %.0f%% cpu, no tenant "
			  "waiting for its share (%d demoted or contending waited; the CPUs' fair "
			  "level %.0f%%; %s contending: %.0f%% cpu, %.1f ms/s behind others)",
			  d->reg.t[hog]->name, p->pin[hog].v.cpu_pct, crowd, level,
			  d->reg.t[cw]->name, p->pin[cw].v.cpu_pct, p->pin[cw].v.behind_ms_s);
		return;
	}
	if (wait < 0) {
		log_debug("wait alarm: the early tick entered no rung: %s at %.0f%% cpu, no tenant "
			  "waiting for its share (%d demoted waited; the CPUs' fair level %.0f%%)",
			  d->reg.t[hog]->name, p->pin[hog].v.cpu_pct, crowd, level);
		return;
	}
	log_debug("wait alarm: the early tick entered no rung: %s at %.0f%% cpu, %s waited "
		  "%.1f ms/s behind others (it wants %.0f%% of a core, the CPUs' fair level "
		  "%.0f%%)", d->reg.t[hog]->name, p->pin[hog].v.cpu_pct, d->reg.t[wait]->name,
		  p->pin[wait].v.behind_ms_s, policy_cpu_demand(&p->pin[wait]), level);
}

void daemon_tick(struct daemon *d)
{
	uint64_t t0 = clock_mono_ns(), real_ms = clock_real_ms();
	bool entered;

	d->tick_no++;
	/* tick lateness, seen from the tick itself: the gap since the last one */
	if (d->tick_prev_ns) {
		double gap_ms = (double)(t0 - d->tick_prev_ns) / 1e6;

		if (gap_ms > d->tick_gap_max_ms)
			d->tick_gap_max_ms = gap_ms;
		if (gap_ms > 2.0 * (double)d->cfg.tick_ms)
			d->ticks_late++;	/* late by more than one period */
	}
	d->tick_prev_ns = t0;

	tick_gather(d, t0);			/* gather.c: discover, place, sample, rates */
	tick_decide(d, real_ms, &d->plan);	/* decide.c: pure (ladder, expiries, limits) */
	tick_act(d, &d->plan);			/* act.c: cgroup writes, kills, audit, state db */
	tick_record(d, t0);			/* record.c: kernel events, RRD, Prometheus */
	watch_arm(d);				/* the refault watch until the next tick */
	entered = plan_has(&d->plan, PA_APPLY, PA_ESCALATE);
	if (d->wait_early && !entered && d->plan.ret >= 0)
		early_tick_note(d);
	alarm_tick_done(d, t0, entered);
	if (plan_has(&d->plan, PA_RELEASE, PA_STEP_DOWN))
		alarm_released(d);

	d->last_tick_ms = (double)(clock_mono_ns() - t0) / 1e6;
	d->host.tick_ms = d->last_tick_ms;
}

/*
 * evict_procs - move the processes of an evicted tenant's cgroup to the
 * parent of the managed subtree (the hierarchy root for the default
 * "managed = quell"), so the directory can go. uid-0 processes are never
 * moved (a tenant's su/sudo child stays where it is). A few passes: a
 * process may fork while we move. Returns how many uid-0 processes stayed
 * (counted in the last pass).
 */
#define EVICT_BATCH	4096
#define EVICT_PASSES	4

static int evict_procs(struct daemon *d, const char *cg)
{
	char parent[sizeof(d->cfg.managed)];
	char *slash;
	pid_t *pids = malloc(sizeof(*pids) * EVICT_BATCH);
	int kept = 0, moved = 0;

	if (!pids) {
		log_warn("%s: out of memory: its processes are left in it", cg);
		return 0;
	}
	snprintf(parent, sizeof(parent), "%s", d->cfg.managed);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	else
		parent[0] = '\0';
	for (int pass = 0; pass < EVICT_PASSES; pass++) {
		int n = cg_procs(&d->cg, cg, pids, EVICT_BATCH), more = 0;

		kept = 0;
		for (int i = 0; i < n && i < EVICT_BATCH; i++) {
			uid_t uid;

			if (procfs_pid_uid(d->proc_fd, pids[i], &uid))
				continue;	/* gone */
			if (uid == 0) {
				kept++;
				continue;
			}
			if (!cg_attach(&d->cg, parent, pids[i]))
				more++;
		}
		moved += more;
		if (!more)
			break;
	}
	free(pids);
	if (moved)
		log_info("%s: %d process(es) moved to /%s", cg, moved, parent);
	return kept;
}

/*
 * tenant_evict - a reload excluded t's user (exclude, min_uid, max_uid):
 * it stops being a tenant at once. Limits (static and dynamic) lifted and
 * the cgroup thawed (enforcer), non-root processes moved out of its cgroup,
 * dropped from the registry and the BPF maps, its cgroup removed. If a
 * uid-0 process keeps the cgroup busy, the directory stays, with no limits.
 */
static void tenant_evict(struct daemon *d, struct tenant *t)
{
	char cg[TENANT_CG_MAX], name[QUELL_NAME_MAX];
	int kept = 0, ret;

	snprintf(cg, sizeof(cg), "%s", t->cg);
	snprintf(name, sizeof(name), "%s", t->name);
	log_info("tenant %s: excluded by the new configuration: no longer a tenant", name);
	hooks_tenant_excluded(d, t);
	hooks_tenant_removed(d, t);
	if (d->bpf) {
		qbpf_unmap_key(d->bpf, t->key);
		qbpf_forget(d->bpf, t->key);
	}
	registry_remove(&d->reg, t);
	if (!*cg || d->cfg.tenant_mode != TENANT_USERS)
		return;		/* cgroups mode: the directory is not ours */
	kept = evict_procs(d, cg);
	ret = cg_remove(&d->cg, cg);
	if (ret == -EBUSY)
		log_warn("tenant %s: cgroup %s kept, without limits: %d uid-0 process(es) in it "
			 "(never moved)", name, cg, kept);
	else if (ret && ret != -ENOENT)
		log_warn("tenant %s: removing %s: %s", name, cg, strerror(-ret));
	else
		log_info("tenant %s removed (excluded), cgroup %s removed", name, cg);
}

uint64_t daemon_reconfigure(struct daemon *d, const struct quell_config *n)
{
	uint64_t t0 = clock_mono_ns(), diff = config_diff(&d->cfg, n);
	uint64_t restart = config_restart_keys(diff) & ~CK_BIT(CK_OTHER);
	struct quell_config *old = malloc(sizeof(*old));
	char keys[1024];

	if (!old) {
		log_err("reload: out of memory: keeping the previous configuration");
		return 0;
	}
	/*
	 * The swap: the new configuration whole, except the keys whose value
	 * is built into something opened at start; those keep the running
	 * value and are named, so nothing is silently ignored.
	 */
	memcpy(old, &d->cfg, sizeof(*old));
	memcpy(&d->cfg, n, sizeof(d->cfg));
	config_keep_keys(&d->cfg, old, restart);
	if (restart)
		log_warn("reload: %s changed: takes effect only after a restart (running with the "
			 "previous value)", config_keys_fmt(restart, keys, sizeof(keys)));
	if (diff & CK_BIT(CK_OTHER))
		log_warn("reload: %s changed: installed, but it may apply only after a restart",
			 config_key_name(CK_OTHER));
	log_set_level(d->cfg.log_level);
	if (d->bpf && d->cfg.tenant_mode == TENANT_USERS &&
	    (d->cfg.min_uid < d->bpf_min_uid || d->cfg.max_uid > d->bpf_max_uid))
		log_warn("reload: [tenants] min_uid/max_uid %u..%u is wider than %u..%u, the range "
			 "the BPF programs were loaded with: users outside it are tenants now, but "
			 "BPF accounts them and reports their uid changes only after a restart",
			 d->cfg.min_uid, d->cfg.max_uid, d->bpf_min_uid, d->bpf_max_uid);

	/* users the new configuration excludes stop being tenants now */
	if (d->cfg.tenant_mode == TENANT_USERS)
		for (int i = d->reg.nr - 1; i >= 0; i--) {
			struct tenant *t = d->reg.t[i];

			if (t->uid != TENANT_UID_NONE && config_uid_excluded(&d->cfg, t->uid, t->name))
				tenant_evict(d, t);
		}
	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];

		t->exempt = config_tenant_exempt(&d->cfg, t->name);
		config_tenant_limits(&d->cfg, t->name, &t->lim);
	}
	hooks_reload(d, old, diff);
	alarm_configure(d);	/* [policy] alarm_* and the rules' alarm keys */
	discover_tenants(d);
	free(old);
	diff &= ~restart;
	log_info("configuration reloaded%s%s (%.1f ms)",
		 diff ? ": applied " : " (no change applies live)",
		 diff ? config_keys_fmt(diff, keys, sizeof(keys)) : "", (double)(clock_mono_ns() - t0) / 1e6);
	return diff;
}

void daemon_fini(struct daemon *d)
{
	hooks_fini(d);
	api_close(d);
	if (d->bpf)
		qbpf_destroy(d->bpf);
	d->bpf = NULL;
	discover_fini(d);
	registry_free(&d->reg);
	cg_layout_close(&d->cg);
	if (d->cg_root_fd >= 0)
		close(d->cg_root_fd);
	if (d->proc_fd >= 0)
		close(d->proc_fd);
}
