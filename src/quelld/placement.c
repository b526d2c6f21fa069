// SPDX-License-Identifier: GPL-2.0-only
/*
 * placement.c - every tenant's processes in the tenant's own cgroup.
 *
 * Two paths, as LVE does it with a patched kernel and quell with stock
 * cgroups:
 *   fast  - the BPF ring buffer reports set*uid() changing a task's real
 *           uid; the whole thread group (cgroup.procs) is moved at once.
 *   sweep - every [tenants] sweep, /proc is walked and any tenant process
 *           outside its cgroup is moved; this catches what the fast path
 *           cannot see (daemon start, ring buffer overflow, children forked
 *           between the uid change and the move). A pass that moved
 *           something is repeated (bounded), so a fork storm converges.
 * Children inherit their parent's cgroup, so fork/exec need no event.
 * Root and excluded users are never tenants, so they are never moved, and
 * a process is moved only if its real uid is its tenant's (place()).
 * "In its cgroup" means in every hierarchy (cg_placed(): a process forked
 * during a move can be half-placed on hybrid). The event path works within
 * a budget per wake-up and leaves the rest queued (docs/placement.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "bpf_loader.h"
#include "cgroup.h"
#include "hooks.h"
#include "log.h"
#include "placement.h"
#include "procfs.h"
#include "quelld.h"
#include "tenant_cgroup.h"

#define SWEEP_PASSES	20
#define CHILD_WALKS	4
/*
 * Work budget of one wake-up of the event path (ring buffer + unfinished
 * children walks). Before it, the ring buffer was drained until empty, and
 * the children walk of one event ran to its end: one setresuid() followed
 * by a 1,500-process fork storm kept the loop (ticks, socket clients) for
 * 1.3 s on main (t_placement_storm, timestamps of the moves in the log:
 * ~1 ms per move of 7 writes on hybrid, several ms while the process forks).
 * 25 ms of a 1 s tick: the ring buffer fd stays readable while events are
 * left, so the loop comes back at once, after serving what else is ready.
 */
#define EVENT_BUDGET_NS		(25ULL * 1000 * 1000)
/* Unfinished children walks kept for the next round; beyond, the sweep. */
#define PENDING_MAX		64

struct pending_walk {
	uint64_t key;		/* tenant */
	int pid;		/* the process whose children are walked */
	int skip;		/* children already looked at (list order) */
};

static struct placement_stats ps;
static struct {
	uint64_t deadline_ns;	/* end of this round's budget, 0 = none */
	bool cut;		/* a walk stopped at the deadline */
	struct pending_walk pending[PENDING_MAX];
	int nr_pending;
} rnd;

static bool over_budget(void)
{
	return rnd.deadline_ns && clock_mono_ns() >= rnd.deadline_ns;
}

const struct placement_stats *placement_stats(void)
{
	return &ps;
}

static void lat_record(uint64_t ns)
{
	ps.lat_ns[ps.lat_next++ % PLACEMENT_LAT_RING] = ns;
	if (ps.lat_nr < PLACEMENT_LAT_RING)
		ps.lat_nr++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int placement_latency(double *p50_us, double *p99_us, double *max_us)
{
	uint64_t v[PLACEMENT_LAT_RING];
	uint32_t n = ps.lat_nr;

	if (!n)
		return -ENODATA;
	memcpy(v, ps.lat_ns, sizeof(v[0]) * n);
	qsort(v, n, sizeof(v[0]), cmp_u64);
	*p50_us = (double)v[n / 2] / 1e3;
	*p99_us = (double)v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1e3;
	*max_us = (double)v[n - 1] / 1e3;
	return 0;
}

/*
 * Move pid into t's cgroup unless it is there in every hierarchy; 1 moved,
 * 0 already there, -errno. "There" is decided on the whole
 * /proc/PID/cgroup (cg_placed): on hybrid a process can be in the tenant's
 * unified cgroup and outside its v1 ones (forked while its parent was
 * being moved), and such a half-placed process is moved again like any
 * other stray one.
 */
static int place(struct daemon *d, struct tenant *t, int pid)
{
	int ret, was;
	uid_t uid;

	if (!*t->cg)
		return 0;
	was = cg_placed(&d->cg, pid, t->cg);
	if (was < 0)
		return was;
	if (was == CG_INSIDE)
		return 0;
	/*
	 * Only the tenant's own processes, whoever asks: a children walk also
	 * meets root's children (a root process that forked, then called
	 * setuid(tenant); a pid reused since a walk was queued), and root is
	 * never moved.
	 */
	if (procfs_pid_uid(d->proc_fd, pid, &uid))
		return -ENOENT;
	if (t->uid == TENANT_UID_NONE || uid != t->uid || uid == 0)
		return -EPERM;
	ret = cg_attach(&d->cg, t->cg, pid);
	if (ret == -ENOENT) {
		/*
		 * someone removed the tenant's cgroup, in every hierarchy or only
		 * in some (hybrid: cg_exists() looks at one): recreate, retry once
		 */
		log_info("tenant %s: cgroup %s vanished, recreating it", t->name, t->cg);
		ret = tenant_cgroup_create(d, t);
		if (!ret) {
			if (d->tenant_hooks)	/* a new directory has no limits */
				d->tenant_hooks->cgroup_new(d, t);
			ret = cg_attach(&d->cg, t->cg, pid);
		}
	}
	if (ret)
		return ret;
	if (was == CG_PARTIAL)
		ps.half_placed++;
	log_debug("placed pid %d (%s) into %s (was %s)", pid, t->name, t->cg,
		  was == CG_PARTIAL ? "half-placed" : "outside");
	return 1;
}

/*
 * Finish the walk later (the next wake-up, else the sweep), from its
 * skip-th child: every round gets further, even through a long list.
 */
static void pending_add(uint64_t key, int pid, int skip)
{
	for (int i = 0; i < rnd.nr_pending; i++) {
		if (rnd.pending[i].pid == pid) {
			rnd.pending[i].skip = skip;
			return;
		}
	}
	if (rnd.nr_pending == PENDING_MAX) {
		ps.walks_dropped++;
		return;
	}
	rnd.pending[rnd.nr_pending].key = key;
	rnd.pending[rnd.nr_pending].pid = pid;
	rnd.pending[rnd.nr_pending].skip = skip;
	rnd.nr_pending++;
}

/*
 * Children forked between the uid change and the move stayed behind (a
 * move never takes existing children along). They are listed in
 * /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN, on in Debian's
 * kernels): move them, then their children. Anything forked after its
 * parent moved is born inside. Orphans reparented meanwhile are left to the
 * sweep. Returns processes moved.
 */
/*
 * The whole of a /proc children file into a malloc'd string (NULL if none):
 * a fork storm's parent lists thousands of pids, more than one read()
 * returns (with 4 KiB, the first ~700 of 1,500 were walked, the rest left
 * to the sweep).
 */
static char *read_all(int dfd, const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (cap - len < 1024) {
			if (cap > (1u << 24) || !(nb = realloc(buf, cap * 2)))
				goto fail;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!len) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int place_children(struct daemon *d, struct tenant *t, int pid, int depth, int skip)
{
	char path[300], *buf, *p, *end;
	int moved = 0, fd, idx = 0;
	DIR *dir;
	struct dirent *de;

	if (depth > 16)
		return 0;
	snprintf(path, sizeof(path), "%d/task", pid);
	fd = openat(d->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	while (!rnd.cut && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/children", de->d_name);
		buf = read_all(fd, path);
		if (!buf)
			continue;
		for (p = buf; *p && !rnd.cut; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			if (idx++ < skip)
				continue;
			if (over_budget()) {
				rnd.cut = true;
				idx--;
				break;
			}
			if (c > 0 && place(d, t, (int)c) > 0) {
				moved++;
				moved += place_children(d, t, (int)c, depth + 1, 0);
				if (rnd.cut)
					idx--;	/* its own walk is queued; look at it again */
			}
		}
		free(buf);
	}
	closedir(dir);
	/* cut at the budget: this list (and each one above) is walked on later */
	if (rnd.cut)
		pending_add(t->key, pid, idx);
	return moved;
}

int placement_init(struct daemon *d)
{
	int ret = cg_create(&d->cg, d->cfg.managed);

	if (ret && ret != -EEXIST) {
		log_err("creating managed cgroup %s: %s", d->cfg.managed, strerror(-ret));
		return ret;
	}
	return 0;
}

int placement_pid(struct daemon *d, int pid, struct tenant **tp)
{
	struct tenant *t;
	uid_t uid;
	int ret;

	ret = procfs_pid_uid(d->proc_fd, pid, &uid);
	if (ret)
		return ret;
	t = d->cfg.tenant_mode == TENANT_USERS ? discover_uid(d, uid) : NULL;
	if (tp)
		*tp = t;
	if (!t || !*t->cg)
		return -EPERM;
	return place(d, t, pid);
}

static int sweep_cb(const struct proc_info *pi, void *arg)
{
	struct daemon *d = arg;
	struct tenant *t;

	if (pi->uid < d->cfg.min_uid || pi->uid > d->cfg.max_uid)
		return 0;
	/* an exiting process is on its way out of every cgroup: nothing to fix */
	if (pi->state == 'Z' || pi->state == 'X')
		return 0;
	t = registry_by_key(&d->reg, pi->uid);
	if (!t || !*t->cg)
		return 0;
	if (place(d, t, pi->pid) > 0)
		ps.moved_sweep++;
	return 0;
}

int placement_sweep(struct daemon *d)
{
	uint64_t before = ps.moved_sweep;
	int pass;

	for (pass = 0; pass < SWEEP_PASSES; pass++) {
		uint64_t b = ps.moved_sweep;

		if (procfs_foreach(d->proc_fd, sweep_cb, d) < 0)
			break;
		if (ps.moved_sweep == b)
			break;
	}
	ps.sweeps++;
	if (ps.moved_sweep > before)
		log_info("placement sweep moved %llu processes in %d passes",
			 (unsigned long long)(ps.moved_sweep - before), pass + 1);
	return (int)(ps.moved_sweep - before);
}

/*
 * Walk pid's children (again while a walk moves something: a child moved
 * while it forks leaves grandchildren born before its move, found by the
 * next walk). Returns processes moved; rnd.cut says it stopped at the budget.
 */
static int walk_children(struct daemon *d, struct tenant *t, int pid, int skip)
{
	int moved = 0;

	for (int round = 0; round < CHILD_WALKS && !rnd.cut; round++) {
		int n = place_children(d, t, pid, 0, round ? 0 : skip);

		moved += n;
		if (!n)
			break;
	}
	return moved;
}

static int event_cb(const struct quell_event *e, void *arg)
{
	struct daemon *d = arg;
	struct tenant *t;
	int ret;

	ps.events++;
	if (e->type == QUELL_EV_FORK_ALARM || e->type == QUELL_EV_WAIT_ALARM) {
		alarm_event(d, e);	/* the one ring buffer carries the alarms' too */
		goto out;
	}
	if (e->type != QUELL_EV_UID_CHANGE && e->type != QUELL_EV_EXEC)
		goto out;
	t = discover_uid(d, e->uid);
	if (!t || !*t->cg)
		goto out;
	ret = place(d, t, (int)e->tgid);
	if (ret > 0) {
		ps.moved_event++;
		lat_record(clock_mono_ns() - e->ts_ns);
	} else if (ret < 0) {
		if (ret != -ENOENT)
			log_debug("placing pid %u for %s: %s", e->tgid, t->name, strerror(-ret));
		goto out;
	}
	/* its children, even when it was in place (a sweep may have moved it first) */
	ps.moved_event += (uint64_t)walk_children(d, t, (int)e->tgid, 0);
out:
	/*
	 * Over budget: stop here (libbpf has consumed this event and keeps the
	 * rest in the ring for the next round, ring_buffer__consume returns
	 * this error).
	 */
	return rnd.cut || over_budget() ? -EAGAIN : 0;
}

/* Continue unfinished children walks, oldest first, within the budget. */
static void pending_run(struct daemon *d)
{
	int i;

	for (i = 0; i < rnd.nr_pending && !over_budget(); i++) {
		struct tenant *t = registry_by_key(&d->reg, rnd.pending[i].key);

		if (!t || !*t->cg)
			continue;
		ps.moved_event += (uint64_t)walk_children(d, t, rnd.pending[i].pid,
							  rnd.pending[i].skip);
		if (rnd.cut)
			break;		/* this one stays first in line */
	}
	memmove(rnd.pending, rnd.pending + i, sizeof(rnd.pending[0]) * (rnd.nr_pending - i));
	rnd.nr_pending -= i;
}

static void round_begin(uint64_t budget_ns)
{
	rnd.deadline_ns = clock_mono_ns() + budget_ns;
	rnd.cut = false;
}

static void round_end(void)
{
	if (rnd.cut || over_budget())
		ps.budget_cuts++;
	rnd.deadline_ns = 0;
	rnd.cut = false;
}

void placement_events(struct daemon *d)
{
	int ret = 0;

	round_begin(EVENT_BUDGET_NS);
	/* new uid changes first (their latency is what the fast path is for) */
	if (d->bpf)
		ret = qbpf_events_consume(d->bpf, event_cb, d);
	if (ret < 0 && ret != -EAGAIN)
		log_warn("placement events: %s", strerror(-ret));
	if (!rnd.cut && !over_budget())
		pending_run(d);
	round_end();
}

bool placement_busy(void)
{
	return rnd.nr_pending > 0;
}

void placement_tick(struct daemon *d)
{
	if (!rnd.nr_pending)
		return;
	/* a quarter of the tick: the tick's own work (gather, act, record) fits beside it */
	round_begin(d->cfg.tick_ms * 1000 * 1000 / 4);
	pending_run(d);
	round_end();
}
