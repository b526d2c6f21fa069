/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tenant_limits.h - a tenant's static limits (LVE parity): CPU, memory, IO, nproc.
 * Parsed from the config ([limits] defaults, [tenant:NAME] overrides), from
 * `quellctl set NAME cpu=50% mem=1G io=10M iops=500 nproc=100` and from the
 * socket API; turned into struct cg_limits for the cgroup backends.
 */
#ifndef QUELL_TENANT_LIMITS_H
#define QUELL_TENANT_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

enum limit_bit {
	LIM_CPU = 1 << 0,
	LIM_MEM_HIGH = 1 << 1,
	LIM_MEM_MAX = 1 << 2,
	LIM_NPROC = 1 << 3,
	LIM_IO_RBPS = 1 << 4,
	LIM_IO_WBPS = 1 << 5,
	LIM_IO_RIOPS = 1 << 6,
	LIM_IO_WIOPS = 1 << 7,
	LIM_CPU_WEIGHT = 1 << 8,
	LIM_CPU_IDLE = 1 << 9,
	LIM_MEM_HOLD = 1 << 10,
	LIM_IO_WEIGHT = 1 << 11,
};

/*
 * The "gentle" kinds: they lower the tenant's scheduling priority and cap
 * nothing, so they cost a busy tenant nothing while the box is otherwise
 * idle (docs/policy.md, "The gentle rung"). LIM_GENTLE_CPU are the CPU's:
 * a tenant on them waits behind its neighbours by the rung's doing.
 */
#define LIM_GENTLE_CPU	(LIM_CPU_WEIGHT | LIM_CPU_IDLE)
#define LIM_GENTLE	(LIM_GENTLE_CPU | LIM_IO_WEIGHT)

struct tenant_limits {
	uint32_t set;		/* enum limit_bit: which fields were given */
	/*
	 * A memory limit given as a share ("mem = 50%") of the memory the
	 * tenants share (limits_share_base): hundredths of a percent, 1..10000,
	 * 0 = none. The limit is then min(mem_max, share of the base):
	 * mem_max stays CG_UNLIMITED until limits_resolve() fills it in from
	 * this tick's base (decide.c), so a base that changes at run time
	 * changes the limit. In the padding after set: the struct keeps its size.
	 */
	uint16_t mem_high_pct, mem_max_pct;
	double cpu_pct;		/* % of one core, may exceed 100; INFINITY = unlimited */
	uint64_t mem_high;	/* bytes, CG_UNLIMITED = none */
	uint64_t mem_max;
	uint64_t nproc;
	uint64_t io_rbps, io_wbps;	/* bytes/s on every block device */
	uint64_t io_riops, io_wiops;
	/*
	 * The four below follow the same rule as the fields above (smaller is
	 * stricter, CG_UNLIMITED = not in force), so policy_limits_stricter()
	 * and the persisted state treat them like any other limit.
	 */
	uint64_t cpu_weight;	/* cgroup v2 cpu.weight scale 1..10000 (100 = default) */
	uint64_t cpu_idle;	/* 1 = SCHED_IDLE-like group (cpu.idle = 1) */
	uint64_t mem_hold;	/* bytes: hold the tenant at this size (v2 memory.high,
				 * v1 limit_in_bytes at max(hold, usage) + headroom) */
	uint64_t io_weight;	/* the IO twin of cpu_weight, 1..10000 (100 = default):
				 * BFQ's weight and v2 io.weight (docs/policy.md) */
};

/* Everything unlimited, nothing set. */
void limits_init(struct tenant_limits *l);
/*
 * limits_parse_kv - one "key = value". Keys: cpu, mem (= mem_max), mem_high,
 * mem_max, mem_hold, nproc, io (read and write bytes/s), io_read, io_write,
 * iops (both), riops, wiops, cpu_weight (1..10000), cpu_idle (yes/no),
 * io_weight (1..10000).
 * mem, mem_max and mem_high also take a share "N%" (0 < N <= 100, two
 * decimals) of the memory the tenants share.
 * Returns 0, -ENOENT for an unknown key, -EINVAL / -ERANGE for a bad value,
 * with a message in err.
 */
int limits_parse_kv(struct tenant_limits *l, const char *key, const char *val,
		    char *err, size_t errlen);
/*
 * Every tenant's process cap unless its limits say otherwise (`nproc =
 * unlimited` switches it off). pids.max counts threads. A burst of 1,000
 * processes must be stopped before it completes (issue 14) and pid_max is
 * 32768 on a stock kernel with few CPUs, so one tenant may take 1/64 of it;
 * php-fpm pools rarely run more than 50 children, LVE's default NPROC is 100.
 */
#define LIMITS_DEFAULT_NPROC	512
/*
 * Every tenant's memory limit unless its limits say otherwise (`mem =
 * unlimited` switches it off): half of the memory the tenants share, in
 * hundredths of a percent. A leak fills a 1 GiB box in ~6 s and then
 * evicts half of a neighbour's page cache within a second, faster than any
 * rule can act (tests/bench/b_web.sh mem kind, docs/policy.md "A default
 * memory share"): only a limit in force before the box fills protects the
 * neighbour. LVE gives every tenant a default PMEM the same way.
 */
#define LIMITS_DEFAULT_MEM_PCT	5000
/* Fill in the defaults for what l does not set (nproc, mem). */
void limits_apply_defaults(struct tenant_limits *l);
/*
 * limits_share_base - the memory the tenants share: min(mem_total, the
 * managed root's limit); either 0 or CG_UNLIMITED = unknown / none.
 * Returns bytes, 0 when neither is known.
 */
uint64_t limits_share_base(uint64_t mem_total, uint64_t root_limit);
/*
 * limits_resolve - turn the shares of l into bytes of base (limits_share_base;
 * 0 = unknown: a share then limits nothing): mem_max = min(mem_max, share),
 * rounded down to a 4 KiB page (what the kernel keeps and reads back). The
 * share stays set when it is the binding one. Call it on a copy: the bytes
 * are this base's only.
 */
void limits_resolve(struct tenant_limits *l, uint64_t base);
/* Fields set in over replace those of dst. */
void limits_merge(struct tenant_limits *dst, const struct tenant_limits *over);
/*
 * limits_to_cg - the cgroup form. devs/ndevs: block devices the IO limits
 * are written for (v1 and v2 both need one line per device).
 */
void limits_to_cg(const struct tenant_limits *l, const uint32_t (*devs)[2], int ndevs,
		  struct cg_limits *out);
/* "cpu=50% mem=1G nproc=100" (only what is set); returns buf. */
char *limits_fmt(const struct tenant_limits *l, char *buf, size_t len);

#endif /* QUELL_TENANT_LIMITS_H */
