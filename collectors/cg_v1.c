// SPDX-License-Identifier: GPL-2.0-only
/*
 * cg_v1.c - cgroup v1 backend (Documentation/admin-guide/cgroup-v1/).
 * One hierarchy per controller (cpu, cpuacct, memory, blkio, pids,
 * freezer), each possibly missing; a combined "cpu,cpuacct" mount shows up
 * as the same directory under two controllers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"

/*
 * v1 reports "no limit" as PAGE_COUNTER_MAX * PAGE_SIZE rounded
 * (9223372036854771712 with 4 KiB pages), not -1. Anything this large is
 * unlimited.
 */
#define V1_MEM_UNLIMITED_MIN	(1ULL << 62)

static void note(int *err, int e)
{
	if (e < 0 && e != -ENOENT && !*err)
		*err = e;
}

/* The hierarchy used to decide whether rel still exists: the first present. */
static int any_fd(const struct cg_layout *l)
{
	static const enum cg_ctrl order[] = { CGC_CPU, CGC_CPUACCT, CGC_MEMORY,
					      CGC_PIDS, CGC_BLKIO, CGC_FREEZER };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (l->v1_fd[order[i]] >= 0)
			return l->v1_fd[order[i]];
	return -1;
}

static int finish(const struct cg_layout *l, const char *rel, int err)
{
	if (!cgu_dir_exists(any_fd(l), rel))
		return -ENOENT;
	return err;
}

/*
 * blkio.throttle.io_service_bytes / io_serviced:
 *   8:0 Read 4096
 *   8:0 Write 0
 *   8:0 Sync 4096
 *   8:0 Async 0
 *   8:0 Discard 0
 *   8:0 Total 4096
 *   Total 4096
 * Returns the Read and Write sums over devices.
 */
int cg_v1_parse_blkio(const char *buf, uint64_t *rd, uint64_t *wr)
{
	uint64_t r = 0, w = 0;
	const char *p = buf;

	while (*p) {
		unsigned ma, mi;
		char kind[16];
		unsigned long long v;
		int n = 0;

		if (*p == '\n') {
			p++;
			continue;
		}
		if (!strncmp(p, "Total ", 6)) {
			if (sscanf(p, "Total %llu%n", &v, &n) != 1)
				return -EINVAL;
		} else if (sscanf(p, "%u:%u %15s %llu%n", &ma, &mi, kind, &v, &n) == 4) {
			if (!strcmp(kind, "Read"))
				r += v;
			else if (!strcmp(kind, "Write"))
				w += v;
		} else {
			return -EINVAL;
		}
		p += n;
		if (*p == '\n')
			p++;
		else if (*p)
			return -EINVAL;
	}
	*rd = r;
	*wr = w;
	return 0;
}

/* Prefer the _recursive file (4.x+): v2's io.stat counts descendants too. */
static int read_blkio(int dfd, const char *rel, const char *stem, char *buf, uint64_t *rd,
		      uint64_t *wr)
{
	char file[64];
	int e;

	snprintf(file, sizeof(file), "%s_recursive", stem);
	e = cgu_read(dfd, rel, file, buf, CGU_BUF);
	if (e == -ENOENT)
		e = cgu_read(dfd, rel, stem, buf, CGU_BUF);
	if (e < 0)
		return e;
	return cg_v1_parse_blkio(buf, rd, wr);
}

int cg_v1_read_usage(const struct cg_layout *l, const char *rel, struct cg_usage *u)
{
	int fd, e, err = 0;
	uint64_t a, b;
	char buf[CGU_BUF];	/* 16 KiB of stack, not a malloc per tenant per tick */

	if (!cgu_dir_exists(any_fd(l), rel))
		return -ENOENT;
	if ((fd = l->v1_fd[CGC_CPUACCT]) >= 0) {
		e = cgu_read_u64(fd, rel, "cpuacct.usage", &a);	/* ns, hierarchical */
		if (!e) {
			u->cpu_ns = a;
			u->valid |= CGU_CPU;
		}
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_CPU]) >= 0) {
		e = cgu_read(fd, rel, "cpu.stat", buf, CGU_BUF);
		if (e >= 0 && !(e = cgu_keyed(buf, "nr_throttled", &a)) &&
		    !(e = cgu_keyed(buf, "throttled_time", &b))) {	/* ns */
			u->cpu_throttled = a;
			u->cpu_throttled_ns = b;
			u->valid |= CGU_THROTTLE;
		}
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_MEMORY]) >= 0) {
		e = cgu_read_u64(fd, rel, "memory.usage_in_bytes", &a);
		if (!e) {
			u->mem_bytes = a;
			u->valid |= CGU_MEM;
		}
		note(&err, e);
		e = cgu_read_u64(fd, rel, "memory.max_usage_in_bytes", &a);
		if (!e) {
			u->mem_peak = a;
			u->valid |= CGU_MEM_PEAK;
		}
		note(&err, e);
		/* v1 has no memory.high events: failcnt counts hits of limit_in_bytes */
		e = cgu_read_u64(fd, rel, "memory.failcnt", &a);
		if (!e) {
			u->mem_high_events = 0;
			u->mem_max_events = a;
			u->valid |= CGU_MEM_EVENTS;
		}
		note(&err, e);
		/* oom_control's oom_kill line: 4.13+ */
		e = cgu_read(fd, rel, "memory.oom_control", buf, CGU_BUF);
		if (e >= 0 && !(e = cgu_keyed(buf, "oom_kill", &a))) {
			u->oom_kills = a;
			u->valid |= CGU_OOM;
		}
		note(&err, e);
		e = cgu_read(fd, rel, "memory.stat", buf, CGU_BUF);
		if (e >= 0) {
			e = cgu_keyed(buf, "total_pgfault", &a);	/* hierarchical */
			if (e == -ENOENT)
				e = cgu_keyed(buf, "pgfault", &a);
			if (!e) {
				u->pgfaults = a;
				u->valid |= CGU_PGFAULT;
			}
			/* page cache evicted and read again: theft (docs/policy.md) */
			if (!cgu_keyed(buf, "total_workingset_refault_file", &a) ||
			    !cgu_keyed(buf, "workingset_refault_file", &a)) {
				u->refaults = a;
				u->valid |= CGU_REFAULT;
			}
		}
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_BLKIO]) >= 0) {
		e = read_blkio(fd, rel, "blkio.throttle.io_service_bytes", buf, &a, &b);
		if (!e) {
			uint64_t ro, wo;

			e = read_blkio(fd, rel, "blkio.throttle.io_serviced", buf, &ro, &wo);
			if (!e) {
				u->io_rbytes = a;
				u->io_wbytes = b;
				u->io_rops = ro;
				u->io_wops = wo;
				u->valid |= CGU_IO;
			}
		}
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_PIDS]) >= 0) {
		e = cgu_read_u64(fd, rel, "pids.current", &a);
		if (!e) {
			u->pids_current = a;
			u->valid |= CGU_PIDS;
		}
		note(&err, e);
		e = cgu_read(fd, rel, "pids.events", buf, CGU_BUF);
		if (e >= 0 && !(e = cgu_keyed(buf, "max", &a))) {
			u->pids_max_events = a;
			u->valid |= CGU_PIDS_EVENTS;
		}
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_FREEZER]) >= 0) {
		e = cgu_read(fd, rel, "freezer.state", buf, CGU_BUF);
		if (e >= 0) {
			/* FREEZING is on its way, not there yet */
			if (!strcmp(buf, "FROZEN\n") || !strcmp(buf, "FROZEN")) {
				u->frozen = true;
			} else if (strncmp(buf, "THAWED", 6) && strncmp(buf, "FREEZING", 8)) {
				e = -EINVAL;
			}
			if (e >= 0)
				u->valid |= CGU_FROZEN;
		}
		note(&err, e);
	}
	return finish(l, rel, err);
}

/* --- limits --------------------------------------------------------------- */

static int put(int dfd, const char *rel, const char *file, const char *val, bool limited)
{
	int e;

	if (dfd < 0)
		return limited ? -EOPNOTSUPP : 0;
	e = cgu_write(dfd, rel, file, val);
	if (e == -ENOENT && cgu_dir_exists(dfd, rel))
		return limited ? -EOPNOTSUPP : 0;
	return e;
}

static const char *v1_mem(uint64_t v, char *buf, size_t len)
{
	if (v == CG_UNLIMITED)
		snprintf(buf, len, "-1");
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/*
 * Scheduling priority: cpu.shares and cpu.idle (kernel 5.15+). The kernel
 * refuses a shares write while the group is idle (EINVAL from
 * sched_group_set_shares, seen on 6.18), so idle is cleared before the
 * shares are written and set after them. A kernel without cpu.idle is
 * -EOPNOTSUPP only when idle is asked for.
 */
static int apply_cpu_prio(int fd, const char *rel, const struct cg_limits *lim)
{
	uint64_t shares = 1024;
	char v[32];
	int err = 0;

	if (lim->cpu_weight) {
		shares = (uint64_t)lim->cpu_weight * 1024 / 100;
		if (shares < 2)
			shares = 2;	/* the kernel's minimum (MIN_SHARES) */
	}
	snprintf(v, sizeof(v), "%" PRIu64, shares);
	if (!lim->cpu_idle)
		note(&err, put(fd, rel, "cpu.idle", "0", false));
	note(&err, put(fd, rel, "cpu.shares", v, lim->cpu_weight != 0));
	if (lim->cpu_idle)
		note(&err, put(fd, rel, "cpu.idle", "1", true));
	return err;
}

static int apply_cpu(const struct cg_layout *l, const char *rel, const struct cg_limits *lim)
{
	int fd = l->v1_fd[CGC_CPU], e, prio_err;
	uint64_t quota, period, cur_period;
	char v[32];

	if (cg_cpu_normalize(lim, &quota, &period))
		return -EINVAL;
	if (fd < 0)
		return quota == CG_UNLIMITED && !lim->cpu_weight && !lim->cpu_idle ? 0 : -EOPNOTSUPP;
	e = apply_cpu_prio(fd, rel, lim);
	if (e && e != -EOPNOTSUPP)
		return e;
	prio_err = e;
	/*
	 * Changing the period with a quota in place can trip the kernel's
	 * hierarchy check (quota/period of children <= parent's), so drop the
	 * quota first. When the period is unchanged (the usual escalation
	 * step) only the quota is written: no unthrottled window.
	 */
	e = cgu_read_u64(fd, rel, "cpu.cfs_period_us", &cur_period);
	if (e && e != -ENOENT)
		return e;
	if (e == -ENOENT) {
		e = put(fd, rel, "cpu.cfs_quota_us", "-1", quota != CG_UNLIMITED);
		return e ? e : prio_err;
	}
	if (cur_period != period) {
		e = cgu_write(fd, rel, "cpu.cfs_quota_us", "-1");
		if (!e) {
			snprintf(v, sizeof(v), "%" PRIu64, period);
			e = cgu_write(fd, rel, "cpu.cfs_period_us", v);
		}
		if (e)
			return e;
	}
	e = cgu_write(fd, rel, "cpu.cfs_quota_us", v1_mem(quota, v, sizeof(v)));
	return e ? e : prio_err;
}

/*
 * v1 has no memory.high: its soft limit only acts under host-wide pressure
 * (a 64 MiB/s leak kept growing with it, docs/policy.md). A hold is a hard
 * limit instead, at max(hold, usage now) + headroom: never below the usage
 * (which would make the write reclaim or fail with EBUSY), with room for the
 * tenant's own page cache turnover so that it is held, not OOM-killed on the
 * next page. Headroom: 1/16 of the size, at least 16 MiB.
 */
#define V1_HOLD_HEADROOM_MIN	(16ULL << 20)

uint64_t cg_v1_hold_bytes(uint64_t hold, uint64_t usage)
{
	uint64_t base = hold > usage ? hold : usage, room = base / 16;

	if (room < V1_HOLD_HEADROOM_MIN)
		room = V1_HOLD_HEADROOM_MIN;
	return base + room;
}

static int apply_mem(const struct cg_layout *l, const char *rel, const struct cg_limits *lim)
{
	int fd = l->v1_fd[CGC_MEMORY], err = 0;
	uint64_t max = lim->mem_max;
	char v[32];

	if (lim->mem_hold && fd >= 0) {
		uint64_t usage = 0, h;
		int e = cgu_read_u64(fd, rel, "memory.usage_in_bytes", &usage);

		if (e && e != -ENOENT)
			return e;
		h = cg_v1_hold_bytes(lim->mem_hold, usage);
		if (h < max)
			max = h;
	}
	note(&err, put(fd, rel, "memory.soft_limit_in_bytes", v1_mem(lim->mem_high, v, sizeof(v)),
		       lim->mem_high != CG_UNLIMITED));
	/*
	 * limit_in_bytes below the current usage makes the kernel reclaim
	 * first; when it cannot get under it the write fails with EBUSY and
	 * the old limit stays (mm/memcontrol-v1.c mem_cgroup_resize_max).
	 * That is returned as -EBUSY for the caller to escalate. memsw is left
	 * alone: quell never sets it, so it is unlimited and cannot be below.
	 */
	note(&err, put(fd, rel, "memory.limit_in_bytes", v1_mem(max, v, sizeof(v)),
		       max != CG_UNLIMITED));
	return err;
}

/* "8:0 1048576" per device of one blkio.throttle file. */
static int parse_dev_lines(const char *buf, uint32_t (*dev)[2], uint64_t *val, int max, int *n)
{
	const char *p = buf;

	*n = 0;
	while (*p) {
		unsigned ma, mi;
		unsigned long long v;
		int used = 0;

		if (*p == '\n') {
			p++;
			continue;
		}
		if (sscanf(p, "%u:%u %llu%n", &ma, &mi, &v, &used) != 3)
			return -EINVAL;
		if (*n >= max)
			return -E2BIG;
		dev[*n][0] = ma;
		dev[*n][1] = mi;
		val[*n] = v;
		(*n)++;
		p += used;
		if (*p == '\n')
			p++;
		else if (*p)
			return -EINVAL;
	}
	return 0;
}

static const char *const blkio_files[4] = {
	"blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device",
	"blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device",
};

static uint64_t *io_field(struct cg_io_limit *io, int i)
{
	return i == 0 ? &io->rbps : i == 1 ? &io->wbps : i == 2 ? &io->riops : &io->wiops;
}

static int apply_io(const struct cg_layout *l, const char *rel, const struct cg_limits *lim)
{
	struct cg_io_limit want[CGU_MAX_DEVS];
	uint32_t cur[CGU_MAX_DEVS][2];
	uint64_t curv[CGU_MAX_DEVS];
	int fd = l->v1_fd[CGC_BLKIO], nw, err = 0;
	char (*lines)[128];

	nw = cgu_expand_devs(l, lim, want, CGU_MAX_DEVS);
	if (nw < 0)
		return nw;
	if (fd < 0)
		return nw ? -EOPNOTSUPP : 0;
	lines = calloc(2 * CGU_MAX_DEVS, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (int f = 0; f < 4; f++) {
		char buf[4096];
		int nc = 0, nl = 0, e;

		e = cgu_read(fd, rel, blkio_files[f], buf, sizeof(buf));
		if (e == -ENOENT) {
			if (!cgu_dir_exists(fd, rel)) {
				err = -ENOENT;
				break;
			}
			note(&err, nw ? -EOPNOTSUPP : 0);
			continue;
		}
		if (e >= 0 && parse_dev_lines(buf, cur, curv, CGU_MAX_DEVS, &nc))
			nc = 0;
		/* "MAJ:MIN 0" removes the rule: that is v1's "unlimited" */
		for (int i = 0; i < nw; i++) {
			uint64_t v = *io_field(&want[i], f);

			snprintf(lines[nl++], sizeof(lines[0]), "%u:%u %" PRIu64, want[i].major,
				 want[i].minor, v == CG_UNLIMITED ? 0 : v);
		}
		for (int i = 0; i < nc; i++) {
			bool keep = false;

			for (int j = 0; j < nw; j++)
				keep |= want[j].major == cur[i][0] && want[j].minor == cur[i][1];
			if (!keep)
				snprintf(lines[nl++], sizeof(lines[0]), "%u:%u 0", cur[i][0], cur[i][1]);
		}
		if (nl)
			note(&err, cgu_write_lines(fd, rel, blkio_files[f], lines, nl));
	}
	free(lines);
	return err;
}

/*
 * The disk's share under contention: blkio.bfq.weight, which the blkio
 * hierarchy has while the kernel has BFQ, and which binds on the disks
 * that run it (docs/policy.md "An IO weight"). Written back to the
 * default when no weight is asked for, so a released rung lets go;
 * -EOPNOTSUPP only when one is asked for and the file is missing.
 */
static int apply_io_weight(const struct cg_layout *l, const char *rel, uint32_t weight)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", cgu_bfq_weight(weight));
	return put(l->v1_fd[CGC_BLKIO], rel, "blkio.bfq.weight", v, weight != 0);
}

int cg_v1_apply_limits(const struct cg_layout *l, const char *rel, const struct cg_limits *lim)
{
	char v[32];
	int err = 0;

	if (!cgu_dir_exists(any_fd(l), rel))
		return -ENOENT;
	note(&err, apply_cpu(l, rel, lim));
	note(&err, apply_mem(l, rel, lim));
	note(&err, put(l->v1_fd[CGC_PIDS], rel, "pids.max",
		       cgu_fmt_limit(lim->pids_max, v, sizeof(v)), lim->pids_max != CG_UNLIMITED));
	note(&err, apply_io(l, rel, lim));
	note(&err, apply_io_weight(l, rel, lim->io_weight));
	return finish(l, rel, err);
}

static uint64_t v1_mem_val(uint64_t v)
{
	return v >= V1_MEM_UNLIMITED_MIN ? CG_UNLIMITED : v;
}

int cg_v1_read_limits(const struct cg_layout *l, const char *rel, struct cg_limits *lim)
{
	int fd, e, err = 0;
	uint64_t v;

	cg_limits_init(lim);
	if (!cgu_dir_exists(any_fd(l), rel))
		return -ENOENT;
	if ((fd = l->v1_fd[CGC_CPU]) >= 0) {
		e = cgu_read_u64(fd, rel, "cpu.cfs_quota_us", &v);	/* -1 -> CG_UNLIMITED */
		if (!e)
			lim->cpu_quota_us = v;
		note(&err, e);
		e = cgu_read_u64(fd, rel, "cpu.cfs_period_us", &v);
		if (!e)
			lim->cpu_period_us = v;
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_MEMORY]) >= 0) {
		e = cgu_read_u64(fd, rel, "memory.soft_limit_in_bytes", &v);
		if (!e)
			lim->mem_high = v1_mem_val(v);
		note(&err, e);
		e = cgu_read_u64(fd, rel, "memory.limit_in_bytes", &v);
		if (!e)
			lim->mem_max = v1_mem_val(v);
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_PIDS]) >= 0) {
		e = cgu_read_u64(fd, rel, "pids.max", &v);
		if (!e)
			lim->pids_max = v;
		note(&err, e);
	}
	if ((fd = l->v1_fd[CGC_BLKIO]) >= 0) {
		for (int f = 0; f < 4; f++) {
			uint32_t dev[CGU_MAX_DEVS][2];
			uint64_t val[CGU_MAX_DEVS];
			char buf[4096];
			int n = 0;

			e = cgu_read(fd, rel, blkio_files[f], buf, sizeof(buf));
			if (e >= 0)
				e = parse_dev_lines(buf, dev, val, CGU_MAX_DEVS, &n);
			note(&err, e);
			for (int i = 0; i < n; i++) {
				int j;

				for (j = 0; j < lim->nr_io; j++)
					if (lim->io[j].major == dev[i][0] && lim->io[j].minor == dev[i][1])
						break;
				if (j == lim->nr_io) {
					if (j >= CG_IO_MAX_DEVS) {
						note(&err, -E2BIG);
						continue;
					}
					lim->io[j] = (struct cg_io_limit){
						.major = dev[i][0], .minor = dev[i][1],
						.rbps = CG_UNLIMITED, .wbps = CG_UNLIMITED,
						.riops = CG_UNLIMITED, .wiops = CG_UNLIMITED,
					};
					lim->nr_io++;
				}
				*io_field(&lim->io[j], f) = val[i] ? val[i] : CG_UNLIMITED;
			}
		}
	}
	return finish(l, rel, err);
}

int cg_v1_freeze(const struct cg_layout *l, const char *rel, bool frozen)
{
	int fd = l->v1_fd[CGC_FREEZER], e;

	if (fd < 0)
		return -EOPNOTSUPP;
	e = cgu_write(fd, rel, "freezer.state", frozen ? "FROZEN" : "THAWED");
	if (e == -ENOENT && cgu_dir_exists(fd, rel))
		return -EOPNOTSUPP;	/* the root has no freezer.state */
	return e;
}
