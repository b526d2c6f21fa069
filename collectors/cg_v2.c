// SPDX-License-Identifier: GPL-2.0-only
/*
 * cg_v2.c - cgroup v2 backend (Documentation/admin-guide/cgroup-v2.rst).
 * Also serves hybrid hosts for what only the unified tree has: PSI,
 * cgroup.events "frozen", cgroup.freeze.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"
#include "psi.h"

/* Keep the first real error; ENOENT of an optional file is not one. */
static void note(int *err, int e)
{
	if (e < 0 && e != -ENOENT && !*err)
		*err = e;
}

static int finish(int dfd, const char *rel, int err)
{
	/* the cgroup went away under us: that is ENOENT, whatever else failed */
	if (!cgu_dir_exists(dfd, rel))
		return -ENOENT;
	return err;
}

/* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device, summed. */
int cg_v2_parse_io_stat(const char *buf, struct cg_usage *u)
{
	uint64_t rb = 0, wb = 0, ro = 0, wo = 0;
	const char *p = buf;

	while (*p) {
		unsigned ma, mi;
		int n = 0;

		if (*p == '\n') {
			p++;
			continue;
		}
		if (sscanf(p, "%u:%u%n", &ma, &mi, &n) != 2)
			return -EINVAL;
		p += n;
		while (*p == ' ') {
			char key[32];
			const char *eq, *end, *tok_end;
			uint64_t v;
			size_t klen;

			p++;
			/*
			 * "254:0 \n": a device whose blkg exists (io.max was written
			 * for it) but that saw no IO yet; 6.1 prints its name alone.
			 * Failing here cost the tenant every cgroup counter.
			 */
			if (*p == '\n' || !*p)
				break;
			eq = strchr(p, '=');
			if (!eq || (size_t)(eq - p) >= sizeof(key) || memchr(p, '\n', (size_t)(eq - p)))
				return -EINVAL;
			klen = (size_t)(eq - p);
			memcpy(key, p, klen);
			key[klen] = '\0';
			/* io.cost adds "cost.vrate=100.00" etc.; only the counters matter */
			tok_end = eq + 1 + strcspn(eq + 1, " \n");
			if (cgu_parse_u64(eq + 1, &end, &v) || end != tok_end) {
				if (!strcmp(key, "rbytes") || !strcmp(key, "wbytes") ||
				    !strcmp(key, "rios") || !strcmp(key, "wios"))
					return -EINVAL;
				v = 0;
				end = tok_end;
			}
			if (!strcmp(key, "rbytes"))
				rb += v;
			else if (!strcmp(key, "wbytes"))
				wb += v;
			else if (!strcmp(key, "rios"))
				ro += v;
			else if (!strcmp(key, "wios"))
				wo += v;
			p = end;
		}
		if (*p == '\n')
			p++;
		else if (*p)
			return -EINVAL;
	}
	u->io_rbytes = rb;
	u->io_wbytes = wb;
	u->io_rops = ro;
	u->io_wops = wo;
	u->valid |= CGU_IO;
	return 0;
}

static int read_psi(int dfd, const char *rel, const char *file, struct psi_stats *ps)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", file) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return psi_read_at(dfd, path, ps);
}

/*
 * Reads that count missing files: an optional file, or the whole cgroup
 * gone meanwhile, which only finish() can tell apart.
 */
static int rd(int dfd, const char *rel, const char *file, char *buf, size_t len, int *missing)
{
	int e = cgu_read(dfd, rel, file, buf, len);

	*missing += e == -ENOENT;
	return e;
}

static int rd_u64(int dfd, const char *rel, const char *file, uint64_t *v, int *missing)
{
	int e = cgu_read_u64(dfd, rel, file, v);

	*missing += e == -ENOENT;
	return e;
}

static int rd_psi(int dfd, const char *rel, const char *file, struct psi_stats *ps,
		  int *missing)
{
	int e = read_psi(dfd, rel, file, ps);

	*missing += e == -ENOENT;
	return e;
}

/* cpu, memory and io.pressure: the files a quiet tenant still has read (src/quelld/quiet.h) */
static int read_pressure(const struct cg_layout *l, const char *rel, struct cg_usage *u,
			 int *missing)
{
	struct psi_stats ps;
	int e, err = 0;

	e = rd_psi(l->v2_fd, rel, "cpu.pressure", &ps, missing);
	if (!e) {
		u->psi_cpu_some_us = ps.some.total_us;
		u->valid |= CGU_PSI_CPU;
	}
	note(&err, e == -EOPNOTSUPP ? 0 : e);
	e = rd_psi(l->v2_fd, rel, "memory.pressure", &ps, missing);
	if (!e) {
		u->psi_mem_some_us = ps.some.total_us;
		u->psi_mem_full_us = ps.full.total_us;
		u->valid |= CGU_PSI_MEM;
	}
	note(&err, e == -EOPNOTSUPP ? 0 : e);
	e = rd_psi(l->v2_fd, rel, "io.pressure", &ps, missing);
	if (!e) {
		u->psi_io_some_us = ps.some.total_us;
		u->psi_io_full_us = ps.full.total_us;
		u->valid |= CGU_PSI_IO;
	}
	note(&err, e == -EOPNOTSUPP ? 0 : e);
	return err;
}

static int read_common(const struct cg_layout *l, const char *rel, struct cg_usage *u,
		       int *missing)
{
	char buf[512];
	uint64_t v;
	int e, err = read_pressure(l, rel, u, missing);

	/* cgroup.events "frozen" (5.2+) is the state reached, cgroup.freeze only the wish */
	e = rd(l->v2_fd, rel, "cgroup.events", buf, sizeof(buf), missing);
	if (e >= 0) {
		e = cgu_keyed(buf, "frozen", &v);
		if (!e) {
			u->frozen = u->frozen || v;
			u->valid |= CGU_FROZEN;
		}
	}
	note(&err, e);
	return err;
}

int cg_v2_read_common(const struct cg_layout *l, const char *rel, struct cg_usage *u)
{
	int missing = 0, err;

	if (l->v2_fd < 0)
		return -EOPNOTSUPP;
	if (!cgu_dir_exists(l->v2_fd, rel))
		return -ENOENT;
	err = read_common(l, rel, u, &missing);
	return finish(l->v2_fd, rel, err);
}

int cg_v2_read_pressure(const struct cg_layout *l, const char *rel, struct cg_usage *u)
{
	int missing = 0, err;

	if (l->v2_fd < 0)
		return -EOPNOTSUPP;
	err = read_pressure(l, rel, u, &missing);
	/* all three missing: the cgroup may be gone (PSI off has the files, they fail) */
	if (missing == 3 && !cgu_dir_exists(l->v2_fd, rel))
		return -ENOENT;
	return err;
}

int cg_v2_read_usage(const struct cg_layout *l, const char *rel, struct cg_usage *u)
{
	int dfd = l->v2_fd, e, err = 0, missing = 0;
	char buf[CGU_BUF];	/* 16 KiB of stack, not a malloc per tenant per tick */
	uint64_t a, b;

	if (dfd < 0)
		return -EOPNOTSUPP;
	/*
	 * cpu.stat: usage_usec is core (rstat), throttling needs the cpu
	 * controller. Every v2 cgroup has it, so its absence is the cgroup's:
	 * that, and a file missing later, is when the directory is looked at.
	 * A stat of it before and after every read was 4 of the ~52 system
	 * calls per tenant per tick.
	 */
	e = rd(dfd, rel, "cpu.stat", buf, CGU_BUF, &missing);
	if (e == -ENOENT && !cgu_dir_exists(dfd, rel))
		return -ENOENT;
	if (e >= 0) {
		e = cgu_keyed(buf, "usage_usec", &a);
		if (!e) {
			u->cpu_ns = a * 1000;
			u->valid |= CGU_CPU;
		}
		note(&err, e);
		if (!(e = cgu_keyed(buf, "nr_throttled", &a)) &&
		    !(e = cgu_keyed(buf, "throttled_usec", &b))) {
			u->cpu_throttled = a;
			u->cpu_throttled_ns = b * 1000;
			u->valid |= CGU_THROTTLE;
		}
	}
	note(&err, e);

	e = rd_u64(dfd, rel, "memory.current", &a, &missing);
	if (!e) {
		u->mem_bytes = a;
		u->valid |= CGU_MEM;
	}
	note(&err, e);
	/* memory.peak: 5.19+ */
	e = rd_u64(dfd, rel, "memory.peak", &a, &missing);
	if (!e) {
		u->mem_peak = a;
		u->valid |= CGU_MEM_PEAK;
	}
	note(&err, e);
	e = rd(dfd, rel, "memory.events", buf, CGU_BUF, &missing);
	if (e >= 0) {
		if (!(e = cgu_keyed(buf, "high", &a)) && !(e = cgu_keyed(buf, "max", &b))) {
			u->mem_high_events = a;
			u->mem_max_events = b;
			u->valid |= CGU_MEM_EVENTS;
		}
		note(&err, e);
		e = cgu_keyed(buf, "oom_kill", &a);
		if (!e) {
			u->oom_kills = a;
			u->valid |= CGU_OOM;
		}
	}
	note(&err, e);
	e = rd(dfd, rel, "memory.stat", buf, CGU_BUF, &missing);
	if (e >= 0) {
		e = cgu_keyed(buf, "pgfault", &a);
		if (!e) {
			u->pgfaults = a;
			u->valid |= CGU_PGFAULT;
		}
		/* page cache evicted and read again: theft (docs/policy.md) */
		if (!cgu_keyed(buf, "workingset_refault_file", &a)) {
			u->refaults = a;
			u->valid |= CGU_REFAULT;
		}
	}
	note(&err, e);

	e = rd(dfd, rel, "io.stat", buf, CGU_BUF, &missing);
	if (e >= 0)
		e = cg_v2_parse_io_stat(buf, u);
	note(&err, e);

	e = rd_u64(dfd, rel, "pids.current", &a, &missing);
	if (!e) {
		u->pids_current = a;
		u->valid |= CGU_PIDS;
	}
	note(&err, e);
	e = rd(dfd, rel, "pids.events", buf, CGU_BUF, &missing);
	if (e >= 0) {
		e = cgu_keyed(buf, "max", &a);
		if (!e) {
			u->pids_max_events = a;
			u->valid |= CGU_PIDS_EVENTS;
		}
	}
	note(&err, e);

	e = read_common(l, rel, u, &missing);
	note(&err, e);
	return missing ? finish(dfd, rel, err) : err;
}

/* --- limits --------------------------------------------------------------- */

/*
 * Write a limit file. A missing file in an existing cgroup means the
 * controller is not enabled there: fine when asking for "unlimited",
 * -EOPNOTSUPP otherwise.
 */
static int put(int dfd, const char *rel, const char *file, const char *val, bool limited)
{
	int e = cgu_write(dfd, rel, file, val);

	if (e == -ENOENT) {
		if (!cgu_dir_exists(dfd, rel))
			return -ENOENT;
		return limited ? -EOPNOTSUPP : 0;
	}
	return e;
}

int cg_cpu_normalize(const struct cg_limits *lim, uint64_t *quota, uint64_t *period)
{
	*period = lim->cpu_period_us ? lim->cpu_period_us : 100000;
	if (*period < 1000 || *period > 1000000)
		return -EINVAL;
	*quota = lim->cpu_quota_us;
	if (*quota != CG_UNLIMITED && *quota < 1000)
		*quota = 1000;
	return 0;
}

static int parse_io_max(const char *buf, struct cg_io_limit *io, int max, int *n);

static bool in_set(const struct cg_io_limit *set, int n, uint32_t ma, uint32_t mi)
{
	for (int i = 0; i < n; i++)
		if (set[i].major == ma && set[i].minor == mi)
			return true;
	return false;
}

/*
 * The hold on v2: memory.high at max(hold, usage now). The hold comes from
 * the tick's sample; a leak grows past it before the write (16 MiB under
 * qemu's TCG in t_policy_mem_refault), and memory.high below the usage would
 * make the write reclaim what the tenant has: the hold only stops growth,
 * as on v1 (cg_v1.c cg_v1_hold_bytes). No headroom: over memory.high the
 * kernel throttles the allocator, it does not OOM-kill it.
 */
static uint64_t hold_bytes(int dfd, const char *rel, uint64_t hold)
{
	uint64_t usage;

	if (cgu_read_u64(dfd, rel, "memory.current", &usage) || usage <= hold)
		return hold;
	return usage;
}

static int apply_io(const struct cg_layout *l, const char *rel, const struct cg_limits *lim)
{
	struct cg_io_limit want[CGU_MAX_DEVS], cur[CGU_MAX_DEVS];
	char (*lines)[128];
	char buf[4096], r[24], w[24], ri[24], wi[24];
	int nw, nc = 0, nl = 0, e;

	nw = cgu_expand_devs(l, lim, want, CGU_MAX_DEVS);
	if (nw < 0)
		return nw;
	/* devices limited now but not any more go back to max */
	e = cgu_read(l->v2_fd, rel, "io.max", buf, sizeof(buf));
	if (e == -ENOENT) {
		if (!cgu_dir_exists(l->v2_fd, rel))
			return -ENOENT;
		return nw ? -EOPNOTSUPP : 0;
	}
	if (e < 0)
		return e;
	if (parse_io_max(buf, cur, CGU_MAX_DEVS, &nc))
		nc = 0;
	lines = calloc((size_t)(nw + nc) + 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (int i = 0; i < nw; i++)
		snprintf(lines[nl++], sizeof(lines[0]), "%u:%u rbps=%s wbps=%s riops=%s wiops=%s",
			 want[i].major, want[i].minor,
			 cgu_fmt_limit(want[i].rbps, r, sizeof(r)),
			 cgu_fmt_limit(want[i].wbps, w, sizeof(w)),
			 cgu_fmt_limit(want[i].riops, ri, sizeof(ri)),
			 cgu_fmt_limit(want[i].wiops, wi, sizeof(wi)));
	for (int i = 0; i < nc; i++)
		if (!in_set(want, nw, cur[i].major, cur[i].minor))
			snprintf(lines[nl++], sizeof(lines[0]),
				 "%u:%u rbps=max wbps=max riops=max wiops=max",
				 cur[i].major, cur[i].minor);
	e = nl ? cgu_write_lines(l->v2_fd, rel, "io.max", lines, nl) : 0;
	free(lines);
	return e;
}

/*
 * The disk's share under contention (docs/policy.md "An IO weight"):
 * io.weight ("default N", 1..10000) for io.cost, io.bfq.weight (1..1000)
 * for BFQ. Each is there only while its policy is in the kernel; both are
 * written when present, back to the default when no weight is asked for.
 * -EOPNOTSUPP only when a weight is asked for and neither file exists.
 */
static int apply_io_weight(int dfd, const char *rel, uint32_t weight)
{
	char v[32];
	int e1, e2;

	snprintf(v, sizeof(v), "default %u", weight ? weight : 100);
	e1 = cgu_write(dfd, rel, "io.weight", v);
	snprintf(v, sizeof(v), "%u", cgu_bfq_weight(weight));
	e2 = cgu_write(dfd, rel, "io.bfq.weight", v);
	if (e1 == -ENOENT && e2 == -ENOENT)
		return cgu_dir_exists(dfd, rel) ? (weight ? -EOPNOTSUPP : 0) : -ENOENT;
	if (e1 < 0 && e1 != -ENOENT)
		return e1;
	return e2 == -ENOENT ? 0 : e2;
}

int cg_v2_apply_limits(const struct cg_layout *l, const char *rel, const struct cg_limits *lim)
{
	uint64_t quota, period, high;
	char v[64], q[24];
	int dfd = l->v2_fd, err = 0, e;

	if (dfd < 0)
		return -EOPNOTSUPP;
	if (!cgu_dir_exists(dfd, rel))
		return -ENOENT;
	if (cg_cpu_normalize(lim, &quota, &period))
		return -EINVAL;

	snprintf(v, sizeof(v), "%s %" PRIu64, cgu_fmt_limit(quota, q, sizeof(q)), period);
	note(&err, put(dfd, rel, "cpu.max", v, quota != CG_UNLIMITED));
	/*
	 * Priority: as on v1 (cg_v1.c apply_cpu_prio) the kernel refuses a
	 * weight write while the group is idle, so idle goes last when set and
	 * first when cleared.
	 */
	snprintf(v, sizeof(v), "%u", lim->cpu_weight ? lim->cpu_weight : 100);
	if (!lim->cpu_idle)
		note(&err, put(dfd, rel, "cpu.idle", "0", false));
	note(&err, put(dfd, rel, "cpu.weight", v, lim->cpu_weight != 0));
	if (lim->cpu_idle)
		note(&err, put(dfd, rel, "cpu.idle", "1", true));
	/* high before max: a tightening reclaims gently before the hard wall */
	high = lim->mem_high;
	if (lim->mem_hold) {
		uint64_t hold = hold_bytes(dfd, rel, lim->mem_hold);

		if (hold < high)
			high = hold;	/* memory.high binds on v2: the hold is that */
	}
	note(&err, put(dfd, rel, "memory.high", cgu_fmt_limit(high, v, sizeof(v)),
		       high != CG_UNLIMITED));
	note(&err, put(dfd, rel, "memory.max", cgu_fmt_limit(lim->mem_max, v, sizeof(v)),
		       lim->mem_max != CG_UNLIMITED));
	note(&err, put(dfd, rel, "pids.max", cgu_fmt_limit(lim->pids_max, v, sizeof(v)),
		       lim->pids_max != CG_UNLIMITED));
	e = apply_io(l, rel, lim);
	note(&err, e == -ENOENT && cgu_dir_exists(dfd, rel) ? -EOPNOTSUPP : e);
	note(&err, apply_io_weight(dfd, rel, lim->io_weight));
	return finish(dfd, rel, err);
}

/* "8:0 rbps=1048576 wbps=max riops=max wiops=max" lines. */
static int parse_io_max(const char *buf, struct cg_io_limit *io, int max, int *n)
{
	const char *p = buf;

	*n = 0;
	while (*p) {
		char k[4][8], val[4][24];
		struct cg_io_limit x = { 0 };
		unsigned ma, mi;
		int got, used = 0;

		if (*p == '\n') {
			p++;
			continue;
		}
		got = sscanf(p, "%u:%u %7[a-z]=%23s %7[a-z]=%23s %7[a-z]=%23s %7[a-z]=%23s%n",
			     &ma, &mi, k[0], val[0], k[1], val[1], k[2], val[2], k[3], val[3],
			     &used);
		if (got != 10)
			return -EINVAL;
		x.major = ma;
		x.minor = mi;
		for (int i = 0; i < 4; i++) {
			uint64_t *dst = !strcmp(k[i], "rbps") ? &x.rbps :
					!strcmp(k[i], "wbps") ? &x.wbps :
					!strcmp(k[i], "riops") ? &x.riops :
					!strcmp(k[i], "wiops") ? &x.wiops : NULL;

			if (!dst || cgu_parse_limit(val[i], dst))
				return -EINVAL;
		}
		if (*n >= max)
			return -E2BIG;
		io[(*n)++] = x;
		p += used;
		p += strcspn(p, "\n");	/* later kernels may append keys */
	}
	return 0;
}

int cg_v2_read_limits(const struct cg_layout *l, const char *rel, struct cg_limits *lim)
{
	struct cg_io_limit io[CGU_MAX_DEVS];
	char buf[4096], qs[24];
	uint64_t v, period;
	int dfd = l->v2_fd, err = 0, e, n = 0;

	cg_limits_init(lim);
	if (dfd < 0)
		return -EOPNOTSUPP;
	if (!cgu_dir_exists(dfd, rel))
		return -ENOENT;
	e = cgu_read(dfd, rel, "cpu.max", buf, sizeof(buf));
	if (e >= 0) {
		/* "max 100000" or "50000 100000" */
		if (sscanf(buf, "%23s %" SCNu64, qs, &period) != 2 || cgu_parse_limit(qs, &v)) {
			e = -EINVAL;
		} else {
			lim->cpu_quota_us = v;
			lim->cpu_period_us = period;
		}
	}
	note(&err, e);
	e = cgu_read_u64(dfd, rel, "memory.high", &v);
	if (!e)
		lim->mem_high = v;
	note(&err, e);
	e = cgu_read_u64(dfd, rel, "memory.max", &v);
	if (!e)
		lim->mem_max = v;
	note(&err, e);
	e = cgu_read_u64(dfd, rel, "pids.max", &v);
	if (!e)
		lim->pids_max = v;
	note(&err, e);
	e = cgu_read(dfd, rel, "io.max", buf, sizeof(buf));
	if (e >= 0)
		e = parse_io_max(buf, io, CGU_MAX_DEVS, &n);
	if (!e) {
		if (n > CG_IO_MAX_DEVS) {
			e = -E2BIG;
			n = CG_IO_MAX_DEVS;
		}
		memcpy(lim->io, io, (size_t)n * sizeof(io[0]));
		lim->nr_io = n;
	}
	note(&err, e);
	return finish(dfd, rel, err);
}

int cg_v2_freeze(const struct cg_layout *l, const char *rel, bool frozen)
{
	int e;

	if (l->v2_fd < 0)
		return -EOPNOTSUPP;
	e = cgu_write(l->v2_fd, rel, "cgroup.freeze", frozen ? "1" : "0");
	if (e == -ENOENT && cgu_dir_exists(l->v2_fd, rel))
		return -EOPNOTSUPP;	/* before 5.2, or the root */
	return e;
}
