/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lve.h - CloudLinux LVE limits (/etc/container/ve.cfg) read from a buffer
 * and rendered as quell.conf sections, for `quellctl import-lve`
 * (docs/migrating-from-lve.md). Pure: no file, no passwd lookup (the caller
 * passes a uid -> name function), so tests feed literal ve.cfg text.
 *
 * ve.cfg is XML: <lveconfig> holding <defaults>, <lve id="UID"> and
 * <package id="NAME">, each with <cpu limit=""/> <ncpu/> <pmem/> <mem/> <io/>
 * <iops/> <nproc/> <other maxentryprocs=""/>. Units as LVE writes them:
 * pmem/mem (VMEM) in 4 KiB pages, io in KB/s, iops and nproc as counts,
 * cpu as "100%" (SPEED, % of one core), "2ghz" (SPEED in Hz) or a bare
 * number (the pre-SPEED CPU limit: % of the whole server, capped by ncpu
 * cores). 0 means unlimited in every field.
 */
#ifndef QUELL_LVE_H
#define QUELL_LVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum lve_field {
	LVE_CPU,
	LVE_NCPU,
	LVE_PMEM,
	LVE_VMEM,
	LVE_IO,
	LVE_IOPS,
	LVE_NPROC,
	LVE_EP,
	LVE_NFIELDS,
};

enum lve_cpu_unit {
	LVE_CPU_LEGACY,		/* bare number: % of all the server's cores */
	LVE_CPU_PCT,		/* "150%": SPEED, % of one core */
	LVE_CPU_HZ,		/* "2ghz", "2400mhz": SPEED in Hz */
};

struct lve_limits {
	uint32_t set;			/* 1 << enum lve_field: fields given */
	uint64_t v[LVE_NFIELDS];	/* as written (pages, KB/s, counts); not LVE_CPU */
	int line[LVE_NFIELDS];		/* where each was given */
	enum lve_cpu_unit cpu_unit;
	double cpu;			/* LEGACY/PCT: percent, HZ: hertz */
};

enum lve_kind {
	LVE_KIND_ID,		/* <lve id="UID">: one user */
	LVE_KIND_PACKAGE,	/* <package id="NAME">: a hosting plan */
};

struct lve_entry {
	enum lve_kind kind;
	uint32_t id;			/* LVE_KIND_ID: the uid */
	char pkg[128];			/* LVE_KIND_PACKAGE: the name, entities decoded */
	int line;
	struct lve_limits lim;
};

/* Something in the file that is skipped, said in the output. */
struct lve_note {
	int line;
	char text[160];
};

struct lve_cfg {
	bool has_defaults;
	int defaults_line;
	struct lve_limits defaults;
	struct lve_entry *ent;
	int nent, cap;
	struct lve_note *notes;
	int nnotes, ncap;
};

/*
 * lve_parse - parse ve.cfg text buf[0..len) (need not be NUL-terminated)
 * into c (initialised here; lve_free() it even on error). Returns 0,
 * -EINVAL with "line N: ..." in err for bad input, -ENOMEM.
 */
int lve_parse(const char *buf, size_t len, struct lve_cfg *c, char *err, size_t errlen);
void lve_free(struct lve_cfg *c);

/* uid -> user name into buf; returns 0, or -ENOENT when no user has it. */
typedef int (*lve_uid_name_fn)(uint32_t uid, char *buf, size_t len, void *arg);

struct lve_render_opts {
	const char *source;		/* file name for the header comment */
	int cpus;			/* cores of the LVE server (legacy CPU); 0 unknown */
	bool cpus_assumed;		/* cpus is this host's count, not given by the admin */
	double core_mhz;		/* core clock of the LVE server (SPEED in Hz); 0 unknown */
	lve_uid_name_fn uid_name;
	void *arg;
};

/*
 * lve_render - print quell.conf sections for c: defaults -> [limits], each
 * <lve id> -> [tenant:NAME], packages and whatever has no quell equivalent
 * as comments that say why. Returns 0 or -EIO when f failed.
 */
int lve_render(FILE *f, const struct lve_cfg *c, const struct lve_render_opts *o);

#endif /* QUELL_LVE_H */
