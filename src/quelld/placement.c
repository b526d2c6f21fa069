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
 * Root and excluded users are never tenants, so they are never moved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_loader.h"
#include "cgroup.h"
#include "hooks.h"
#include "log.h"
#include "placement.h"
#include "procfs.h"
#include "quelld.h"

#define SWEEP_PASSES	20

static struct placement_stats ps;

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

/* Is path (relative to the hierarchy root) t's cgroup or below it? */
static bool in_cgroup(const char *path, const char *cg)
{
	size_t n = strlen(cg);

	return !strncmp(path, cg, n) && (path[n] == '\0' || path[n] == '/');
}

/* Move pid into t's cgroup unless it is there; 1 moved, 0 already there, -errno. */
static int place(struct daemon *d, struct tenant *t, int pid)
{
	char where[512];
	int ret;

	if (!*t->cg)
		return 0;
	ret = cg_where(&d->cg, pid, where, sizeof(where));
	if (ret)
		return ret;
	if (in_cgroup(where, t->cg))
		return 0;
	ret = cg_attach(&d->cg, t->cg, pid);
	if (ret == -ENOENT) {
		/*
		 * someone removed the tenant's cgroup, in every hierarchy or only
		 * in some (hybrid: cg_exists() looks at one): recreate, retry once
		 */
		log_info("tenant %s: cgroup %s vanished, recreating it", t->name, t->cg);
		ret = placement_tenant(d, t);
		if (!ret) {
			hooks_tenant_cgroup(d, t);	/* a new directory has no limits */
			ret = cg_attach(&d->cg, t->cg, pid);
		}
	}
	if (ret)
		return ret;
	log_debug("placed pid %d (%s) from /%s into %s", pid, t->name, where, t->cg);
	return 1;
}

/*
 * Children forked between the uid change and the move stayed behind (a
 * move never takes existing children along). They are listed in
 * /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN, on in Debian's
 * kernels): move them, then their children. Anything forked after its
 * parent moved is born inside. Orphans reparented meanwhile are left to the
 * sweep. Returns processes moved.
 */
static int place_children(struct daemon *d, struct tenant *t, int pid, int depth)
{
	char path[300], buf[4096], *p, *end;
	int moved = 0, n, fd;
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
	while ((de = readdir(dir))) {
		int cfd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/children", de->d_name);
		cfd = openat(fd, path, O_RDONLY | O_CLOEXEC);
		if (cfd < 0)
			continue;
		n = (int)read(cfd, buf, sizeof(buf) - 1);
		close(cfd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (p = buf; *p; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			if (c > 0 && place(d, t, (int)c) > 0) {
				moved++;
				moved += place_children(d, t, (int)c, depth + 1);
			}
		}
	}
	closedir(dir);
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

void placement_bpf_map(struct daemon *d, const struct tenant *t)
{
	uint64_t ids[4];
	int n, i, ret;

	if (!d->bpf || !*t->cg)
		return;
	qbpf_unmap_key(d->bpf, t->key);	/* a recreated directory has new ids */
	n = cg_ids(&d->cg, t->cg, ids, 4);
	for (i = 0; i < n; i++) {
		ret = qbpf_map_cgroup(d->bpf, ids[i], t->key);
		if (ret)
			log_warn("tenant %s: BPF cgroup map: %s (kernel-thread IO not charged)",
				 t->name, strerror(-ret));
	}
}

int placement_tenant(struct daemon *d, struct tenant *t)
{
	int ret;

	if (!*t->cg)
		return 0;
	ret = cg_create(&d->cg, t->cg);
	if (ret && ret != -EEXIST) {
		log_warn("tenant %s: creating %s: %s", t->name, t->cg, strerror(-ret));
		return ret;
	}
	placement_bpf_map(d, t);
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

static int event_cb(const struct quell_event *e, void *arg)
{
	struct daemon *d = arg;
	struct tenant *t;
	int ret;

	ps.events++;
	if (e->type != QUELL_EV_UID_CHANGE && e->type != QUELL_EV_EXEC)
		return 0;
	t = discover_uid(d, e->uid);
	if (!t || !*t->cg)
		return 0;
	ret = place(d, t, (int)e->tgid);
	if (ret > 0) {
		ps.moved_event++;
		lat_record(mono_ns() - e->ts_ns);
		ps.moved_event += (uint64_t)place_children(d, t, (int)e->tgid, 0);
	} else if (ret < 0 && ret != -ENOENT) {
		log_debug("placing pid %u for %s: %s", e->tgid, t->name, strerror(-ret));
	}
	return 0;
}

void placement_events(struct daemon *d)
{
	int ret;

	if (!d->bpf)
		return;
	ret = qbpf_events_consume(d->bpf, event_cb, d);
	if (ret < 0)
		log_warn("placement events: %s", strerror(-ret));
}
