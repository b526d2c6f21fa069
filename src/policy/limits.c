// SPDX-License-Identifier: GPL-2.0-only
/*
 * limits.c - static per-tenant limits: parse "key = value", merge defaults
 * with overrides, convert to struct cg_limits, print back.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tenant_limits.h"
#include "units.h"

#define CPU_PERIOD_US	100000ULL
/* the kernel refuses cpu.max / cfs_quota_us below 1 ms */
#define CPU_QUOTA_MIN_US	1000ULL

void limits_init(struct tenant_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->cpu_pct = INFINITY;
	l->mem_high = CG_UNLIMITED;
	l->mem_max = CG_UNLIMITED;
	l->nproc = CG_UNLIMITED;
	l->io_rbps = CG_UNLIMITED;
	l->io_wbps = CG_UNLIMITED;
	l->io_riops = CG_UNLIMITED;
	l->io_wiops = CG_UNLIMITED;
	l->cpu_weight = CG_UNLIMITED;
	l->cpu_idle = CG_UNLIMITED;
	l->mem_hold = CG_UNLIMITED;
	l->io_weight = CG_UNLIMITED;
}

enum val_kind { V_PCT, V_SIZE, V_RATE, V_COUNT, V_WEIGHT, V_BOOL };

static const struct {
	const char *key;
	enum val_kind kind;
	uint32_t bits;
} lkeys[] = {
	{ "cpu", V_PCT, LIM_CPU },
	{ "mem", V_SIZE, LIM_MEM_MAX },
	{ "mem_max", V_SIZE, LIM_MEM_MAX },
	{ "mem_high", V_SIZE, LIM_MEM_HIGH },
	{ "nproc", V_COUNT, LIM_NPROC },
	{ "io", V_RATE, LIM_IO_RBPS | LIM_IO_WBPS },
	{ "io_read", V_RATE, LIM_IO_RBPS },
	{ "io_write", V_RATE, LIM_IO_WBPS },
	{ "iops", V_COUNT, LIM_IO_RIOPS | LIM_IO_WIOPS },
	{ "riops", V_COUNT, LIM_IO_RIOPS },
	{ "wiops", V_COUNT, LIM_IO_WIOPS },
	{ "mem_hold", V_SIZE, LIM_MEM_HOLD },
	{ "cpu_weight", V_WEIGHT, LIM_CPU_WEIGHT },
	{ "cpu_idle", V_BOOL, LIM_CPU_IDLE },
	{ "io_weight", V_WEIGHT, LIM_IO_WEIGHT },
};

static int parse_u64_limit(enum val_kind kind, const char *val, uint64_t *out)
{
	char tmp[64];
	size_t n = strlen(val);

	if (!strcasecmp(val, "unlimited") || !strcasecmp(val, "max") || !strcasecmp(val, "none")) {
		*out = CG_UNLIMITED;
		return 0;
	}
	if (kind == V_COUNT)
		return units_parse_count(val, out);
	/* rates may say so: "10M/s" */
	if (kind == V_RATE && n > 2 && n < sizeof(tmp) && !strcmp(val + n - 2, "/s")) {
		memcpy(tmp, val, n - 2);
		tmp[n - 2] = '\0';
		val = tmp;
	}
	return units_parse_size(val, out);
}

/*
 * "50%" (or "12.5%") of the memory the tenants share, in hundredths of a
 * percent. 0 % would stop the tenant and more than 100 % is no limit at
 * all: both refused, as is anything that is not a number before the '%'.
 */
static int parse_share(const char *key, const char *val, uint16_t *out, char *err,
		       size_t errlen)
{
	size_t n = strlen(val);
	double pct;
	int ret;

	ret = n > 1 && val[n - 1] == '%' ? units_parse_percent(val, &pct) : -EINVAL;
	if (ret == -EINVAL || (!ret && !isfinite(pct))) {
		snprintf(err, errlen, "%s: bad value \"%s\": expected a share such as 50%% of the "
			 "memory the tenants share (above 0%%, at most 100%%)", key, val);
		return -EINVAL;
	}
	if (ret || pct * 100.0 < 0.5 || pct > 100.0) {
		snprintf(err, errlen, "%s: share \"%s\" is out of range: above 0%% and at most "
			 "100%% of the memory the tenants share (or \"unlimited\")", key, val);
		return -ERANGE;
	}
	*out = (uint16_t)(pct * 100.0 + 0.5);
	return 0;
}

int limits_parse_kv(struct tenant_limits *l, const char *key, const char *val,
		    char *err, size_t errlen)
{
	const char *what;
	double pct = 0;
	uint64_t v = 0;
	uint16_t share = 0;
	int ret;

	for (size_t i = 0; i < sizeof(lkeys) / sizeof(lkeys[0]); i++) {
		uint32_t b = lkeys[i].bits;

		if (strcmp(key, lkeys[i].key))
			continue;
		switch (lkeys[i].kind) {
		case V_PCT:
			ret = units_parse_percent(val, &pct);
			if (!ret && pct <= 0) {
				snprintf(err, errlen, "%s: must be above 0%% (or \"unlimited\")", key);
				return -ERANGE;
			}
			what = "a percentage such as 50% or \"unlimited\"";
			break;
		case V_SIZE:
			if ((b & (LIM_MEM_MAX | LIM_MEM_HIGH)) && strchr(val, '%')) {
				ret = parse_share(key, val, &share, err, errlen);
				if (ret)
					return ret;
				v = CG_UNLIMITED;	/* limits_resolve() sets the bytes */
				break;
			}
			ret = parse_u64_limit(lkeys[i].kind, val, &v);
			what = b & (LIM_MEM_MAX | LIM_MEM_HIGH) ?
			       "a size such as 512M, 1G, a share such as 50% or \"unlimited\"" :
			       "a size such as 512M, 1G or \"unlimited\"";
			break;
		case V_RATE:
			ret = parse_u64_limit(lkeys[i].kind, val, &v);
			what = "a rate in bytes/s such as 10M or \"unlimited\"";
			break;
		case V_WEIGHT:
			/* cgroup v2's scale: 1..10000, 100 = the default */
			ret = parse_u64_limit(V_COUNT, val, &v);
			if (!ret && v != CG_UNLIMITED && (v < 1 || v > 10000))
				ret = -ERANGE;
			what = "a weight from 1 to 10000 (100 = default) or \"unlimited\"";
			break;
		case V_BOOL: {
			bool yes;

			/* "no" is the default priority: stored as "not in force" */
			ret = units_parse_bool(val, &yes) ? -EINVAL : 0;
			v = !ret && yes ? 1 : CG_UNLIMITED;
			what = "yes or no";
			break;
		}
		default:
			ret = parse_u64_limit(lkeys[i].kind, val, &v);
			what = "a count such as 100, 5k or \"unlimited\"";
			break;
		}
		if (ret == -ERANGE) {
			snprintf(err, errlen, "%s: value \"%s\" is out of range", key, val);
			return ret;
		}
		if (ret) {
			snprintf(err, errlen, "%s: bad value \"%s\": expected %s", key, val, what);
			return -EINVAL;
		}
		if (lkeys[i].kind != V_PCT && lkeys[i].kind != V_BOOL && v == 0 && !share) {
			snprintf(err, errlen, "%s: 0 would stop the tenant; use a positive value or \"unlimited\"", key);
			return -ERANGE;
		}
		if (b & LIM_CPU)
			l->cpu_pct = pct;
		if (b & LIM_MEM_HIGH) {
			l->mem_high = v;
			l->mem_high_pct = share;
		}
		if (b & LIM_MEM_MAX) {
			l->mem_max = v;
			l->mem_max_pct = share;
		}
		if (b & LIM_NPROC)
			l->nproc = v;
		if (b & LIM_IO_RBPS)
			l->io_rbps = v;
		if (b & LIM_IO_WBPS)
			l->io_wbps = v;
		if (b & LIM_IO_RIOPS)
			l->io_riops = v;
		if (b & LIM_IO_WIOPS)
			l->io_wiops = v;
		if (b & LIM_MEM_HOLD)
			l->mem_hold = v;
		if (b & LIM_CPU_WEIGHT)
			l->cpu_weight = v;
		if (b & LIM_CPU_IDLE)
			l->cpu_idle = v;
		if (b & LIM_IO_WEIGHT)
			l->io_weight = v;
		l->set |= b;
		return 0;
	}
	snprintf(err, errlen, "unknown limit \"%s\" (known: cpu, mem, mem_high, mem_max, mem_hold, nproc, io, io_read, io_write, iops, riops, wiops, cpu_weight, cpu_idle, io_weight)", key);
	return -ENOENT;
}

void limits_apply_defaults(struct tenant_limits *l)
{
	if (!(l->set & LIM_NPROC)) {
		l->nproc = LIMITS_DEFAULT_NPROC;
		l->set |= LIM_NPROC;
	}
	if (!(l->set & LIM_MEM_MAX)) {
		l->mem_max = CG_UNLIMITED;
		l->mem_max_pct = LIMITS_DEFAULT_MEM_PCT;
		l->set |= LIM_MEM_MAX;
	}
}

uint64_t limits_share_base(uint64_t mem_total, uint64_t root_limit)
{
	if (mem_total == CG_UNLIMITED)
		mem_total = 0;
	if (root_limit == CG_UNLIMITED)
		root_limit = 0;
	if (!mem_total || !root_limit)
		return mem_total ? mem_total : root_limit;
	return root_limit < mem_total ? root_limit : mem_total;
}

#define SHARE_PAGE	4096ULL

/* bytes = min(bytes, pct of base); pct dropped when the bytes bind */
static void resolve_one(uint64_t *bytes, uint16_t *pct, uint64_t base)
{
	uint64_t v;

	if (!*pct || !base)
		return;
	/* base / 10000 * pct loses < 10000 bytes; base * pct overflows past 1.8 PB */
	v = base / 10000 * *pct + base % 10000 * *pct / 10000;
	v &= ~(SHARE_PAGE - 1);
	if (!v)
		v = SHARE_PAGE;	/* 0 would stop the tenant, and means nothing to the kernel */
	if (v < *bytes)
		*bytes = v;
	else
		*pct = 0;
}

void limits_resolve(struct tenant_limits *l, uint64_t base)
{
	if (l->set & LIM_MEM_MAX)
		resolve_one(&l->mem_max, &l->mem_max_pct, base);
	if (l->set & LIM_MEM_HIGH)
		resolve_one(&l->mem_high, &l->mem_high_pct, base);
}

void limits_merge(struct tenant_limits *dst, const struct tenant_limits *over)
{
	uint32_t s = over->set;

	if (s & LIM_CPU)
		dst->cpu_pct = over->cpu_pct;
	if (s & LIM_MEM_HIGH) {
		dst->mem_high = over->mem_high;
		dst->mem_high_pct = over->mem_high_pct;
	}
	if (s & LIM_MEM_MAX) {
		dst->mem_max = over->mem_max;
		dst->mem_max_pct = over->mem_max_pct;
	}
	if (s & LIM_NPROC)
		dst->nproc = over->nproc;
	if (s & LIM_IO_RBPS)
		dst->io_rbps = over->io_rbps;
	if (s & LIM_IO_WBPS)
		dst->io_wbps = over->io_wbps;
	if (s & LIM_IO_RIOPS)
		dst->io_riops = over->io_riops;
	if (s & LIM_IO_WIOPS)
		dst->io_wiops = over->io_wiops;
	if (s & LIM_MEM_HOLD)
		dst->mem_hold = over->mem_hold;
	if (s & LIM_CPU_WEIGHT)
		dst->cpu_weight = over->cpu_weight;
	if (s & LIM_CPU_IDLE)
		dst->cpu_idle = over->cpu_idle;
	if (s & LIM_IO_WEIGHT)
		dst->io_weight = over->io_weight;
	dst->set |= s;
}

void limits_to_cg(const struct tenant_limits *l, const uint32_t (*devs)[2], int ndevs,
		  struct cg_limits *out)
{
	const uint32_t io_bits = LIM_IO_RBPS | LIM_IO_WBPS | LIM_IO_RIOPS | LIM_IO_WIOPS;

	/* same as cg_limits_init(), kept local so libquell needs no cgroup backend */
	memset(out, 0, sizeof(*out));
	out->cpu_quota_us = CG_UNLIMITED;
	out->cpu_period_us = CPU_PERIOD_US;
	out->mem_high = l->mem_high;
	out->mem_max = l->mem_max;
	out->pids_max = l->nproc;
	out->mem_hold = l->mem_hold == CG_UNLIMITED ? 0 : l->mem_hold;
	out->cpu_weight = l->cpu_weight == CG_UNLIMITED ? 0 : (uint32_t)l->cpu_weight;
	out->cpu_idle = l->cpu_idle == 1;
	out->io_weight = l->io_weight == CG_UNLIMITED ? 0 : (uint32_t)l->io_weight;

	if (isfinite(l->cpu_pct) && l->cpu_pct > 0) {
		double q = l->cpu_pct / 100.0 * (double)CPU_PERIOD_US;

		out->cpu_quota_us = q < CPU_QUOTA_MIN_US ? CPU_QUOTA_MIN_US : (uint64_t)(q + 0.5);
	}

	if (!(l->set & io_bits))
		return;
	if (ndevs <= 0 || !devs) {
		/* 0:0 = every block device, expanded by the backend */
		out->io[0] = (struct cg_io_limit){ 0, 0, l->io_rbps, l->io_wbps,
						   l->io_riops, l->io_wiops };
		out->nr_io = 1;
		return;
	}
	for (int i = 0; i < ndevs && i < CG_IO_MAX_DEVS; i++) {
		out->io[i] = (struct cg_io_limit){ devs[i][0], devs[i][1], l->io_rbps, l->io_wbps,
						   l->io_riops, l->io_wiops };
		out->nr_io = i + 1;
	}
}

/* Exact (re-parsable) size, or "unlimited". */
static void fmt_exact_size(uint64_t v, char *buf, size_t len)
{
	if (v == CG_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else
		units_fmt_exact_size(v, buf, len);
}

/* A memory limit: its share while not resolved into bytes (limits_resolve), else the size. */
static void fmt_mem(uint64_t v, uint16_t pct, char *buf, size_t len)
{
	if (pct && v == CG_UNLIMITED)
		snprintf(buf, len, "%g%%", pct / 100.0);
	else
		fmt_exact_size(v, buf, len);
}

static void fmt_count(uint64_t v, char *buf, size_t len)
{
	if (v == CG_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

char *limits_fmt(const struct tenant_limits *l, char *buf, size_t len)
{
	size_t off = 0;
	char v[32], v2[32];

	if (!len)
		return buf;
	buf[0] = '\0';
#define ADD(...) do { \
		if (off < len) \
			off += (size_t)snprintf(buf + off, len - off, "%s", off ? " " : ""); \
		if (off < len) \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__); \
	} while (0)

	if (l->set & LIM_CPU) {
		if (isfinite(l->cpu_pct))
			ADD("cpu=%g%%", l->cpu_pct);
		else
			ADD("cpu=unlimited");
	}
	if (l->set & LIM_MEM_HIGH) {
		fmt_mem(l->mem_high, l->mem_high_pct, v, sizeof(v));
		ADD("mem_high=%s", v);
	}
	if (l->set & LIM_MEM_MAX) {
		fmt_mem(l->mem_max, l->mem_max_pct, v, sizeof(v));
		ADD("mem=%s", v);
	}
	if (l->set & LIM_MEM_HOLD) {
		fmt_exact_size(l->mem_hold, v, sizeof(v));
		ADD("mem_hold=%s", v);
	}
	if (l->set & LIM_NPROC) {
		fmt_count(l->nproc, v, sizeof(v));
		ADD("nproc=%s", v);
	}
	if (l->set & LIM_CPU_WEIGHT) {
		fmt_count(l->cpu_weight, v, sizeof(v));
		ADD("cpu_weight=%s", v);
	}
	if (l->set & LIM_CPU_IDLE)
		ADD("cpu_idle=%s", l->cpu_idle == 1 ? "yes" : "no");
	if (l->set & LIM_IO_WEIGHT) {
		fmt_count(l->io_weight, v, sizeof(v));
		ADD("io_weight=%s", v);
	}
	fmt_exact_size(l->io_rbps, v, sizeof(v));
	fmt_exact_size(l->io_wbps, v2, sizeof(v2));
	if ((l->set & LIM_IO_RBPS) && (l->set & LIM_IO_WBPS) && l->io_rbps == l->io_wbps) {
		ADD("io=%s", v);
	} else {
		if (l->set & LIM_IO_RBPS)
			ADD("io_read=%s", v);
		if (l->set & LIM_IO_WBPS)
			ADD("io_write=%s", v2);
	}
	fmt_count(l->io_riops, v, sizeof(v));
	fmt_count(l->io_wiops, v2, sizeof(v2));
	if ((l->set & LIM_IO_RIOPS) && (l->set & LIM_IO_WIOPS) && l->io_riops == l->io_wiops) {
		ADD("iops=%s", v);
	} else {
		if (l->set & LIM_IO_RIOPS)
			ADD("riops=%s", v);
		if (l->set & LIM_IO_WIOPS)
			ADD("wiops=%s", v2);
	}
#undef ADD
	if (off >= len)
		buf[len - 1] = '\0';
	return buf;
}
