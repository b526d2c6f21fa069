/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cg_internal.h - private to collectors/ (cg_*.c, and hostinfo.c for the
 * file helpers): file helpers and the two backends behind include/cgroup.h. Nothing outside collectors/ includes it.
 */
#ifndef QUELL_CG_INTERNAL_H
#define QUELL_CG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* Big enough for memory.stat (~3 KiB on 6.x) and io.stat with many disks. */
#define CGU_BUF		16384
/* Devices a 0:0 IO limit may expand to. */
#define CGU_MAX_DEVS	64

/* v1 controller names by enum cg_ctrl ("cpu", "cpuacct", ...), cg_layout.c */
extern const char *const cg_v1_names[CGC_NR];

/* --- cg_util.c ----------------------------------------------------------- */

/* rel must be relative, without "." / ".." components; "" is the root. */
bool cgu_rel_ok(const char *rel);
/* openat(dfd, "rel/file"); returns fd or -errno (-ENAMETOOLONG). */
int cgu_open(int dfd, const char *rel, const char *file, int flags);
/*
 * Read a whole small file into buf (NUL-terminated). Returns bytes read,
 * -ENOENT if it does not exist (or its cgroup went away: ENODEV), -EFBIG
 * if it does not fit, other -errno.
 */
int cgu_read(int dfd, const char *rel, const char *file, char *buf, size_t len);
/* One write() of s. Returns 0 or -errno (-ENOENT: no such file). */
int cgu_write(int dfd, const char *rel, const char *file, const char *s);
/* Several lines, one write() each (cgroupfs parses one line per write); all
 * are tried, the first error is returned. */
int cgu_write_lines(int dfd, const char *rel, const char *file, char (*lines)[128], int n);
/* True if rel is a directory under dfd. */
bool cgu_dir_exists(int dfd, const char *rel);

/* Strict decimal u64; *end (optional) gets the first unparsed char. 0 / -EINVAL / -ERANGE. */
int cgu_parse_u64(const char *s, const char **end, uint64_t *v);
/* "max", "-1" -> CG_UNLIMITED; otherwise strict decimal; trailing whitespace ok. */
int cgu_parse_limit(const char *s, uint64_t *v);
/* A single-value file: "123\n" (or "max"). 0 / -ENOENT / -EINVAL. */
int cgu_read_u64(int dfd, const char *rel, const char *file, uint64_t *v);
/* "key value" lines: value of key. 0, -ENOENT if absent, -EINVAL if malformed. */
int cgu_keyed(const char *buf, const char *key, uint64_t *v);
/* Is word one of the space-separated words of list ("cpu io memory")? */
bool cgu_keyed_word(const char *list, const char *word);
/* "%llu" or "max" into buf; returns buf. */
const char *cgu_fmt_limit(uint64_t v, char *buf, size_t len);
/*
 * BFQ's weight (1..1000, default 100) for cg_limits.io_weight (v2's scale
 * 1..10000, 0 = the default): 0 -> 100, above 1000 -> 1000.
 */
uint32_t cgu_bfq_weight(uint32_t io_weight);

/*
 * cgu_root_open - a directory fd for a relocatable root: a dup of fd when
 * fd >= 0 (a test's fake tree), else dflt ("/proc", "/sys") opened. The
 * caller closes it in both cases. Returns the fd or -errno.
 */
int cgu_root_open(int fd, const char *dflt);
/*
 * cgu_block_devs - the whole block devices an "all devices" IO limit
 * is written for: <sys>/block/NAME/dev. Skipped: ram* (brd), and any device
 * of size 0 (an unbound loop, an unconfigured zram, an empty drive); bound
 * loop devices and configured zram are included, since a tenant can do IO
 * on them. Partitions are not listed in /sys/block, so never included.
 * Stores up to max (major, minor) pairs sorted; returns how many stored, or
 * -errno. Here and not in hostinfo.c, which lists the same disks for the
 * host's IO view, because the cgroup backends need it and hostinfo.c
 * reads its files through cg_util.c (issue 13, plan R5).
 */
int cgu_block_devs(int sys_fd, uint32_t (*devs)[2], int max);

/* Block devices a 0:0 IO limit means (cgu_block_devs on l->sys_fd). */
int cgu_expand_devs(const struct cg_layout *l, const struct cg_limits *lim,
		    struct cg_io_limit *out, int max);

/* --- backends ------------------------------------------------------------ */

/*
 * Quota and period to write: period 0 -> 100000; a quota under 1000 us is
 * raised to 1000 (the kernel refuses cfs quota < 1 ms, kernel/sched/core.c
 * min_cfs_quota_period). Returns -EINVAL for a period outside [1 ms, 1 s].
 */
int cg_cpu_normalize(const struct cg_limits *lim, uint64_t *quota, uint64_t *period);

int cg_v2_read_usage(const struct cg_layout *l, const char *rel, struct cg_usage *u);
/* PSI and frozen from the unified tree only (hybrid). */
int cg_v2_read_common(const struct cg_layout *l, const char *rel, struct cg_usage *u);
int cg_v2_read_pressure(const struct cg_layout *l, const char *rel, struct cg_usage *u);
int cg_v2_apply_limits(const struct cg_layout *l, const char *rel, const struct cg_limits *lim);
int cg_v2_read_limits(const struct cg_layout *l, const char *rel, struct cg_limits *lim);
int cg_v2_freeze(const struct cg_layout *l, const char *rel, bool frozen);

int cg_v1_read_usage(const struct cg_layout *l, const char *rel, struct cg_usage *u);
int cg_v1_apply_limits(const struct cg_layout *l, const char *rel, const struct cg_limits *lim);
int cg_v1_read_limits(const struct cg_layout *l, const char *rel, struct cg_limits *lim);
int cg_v1_freeze(const struct cg_layout *l, const char *rel, bool frozen);

/*
 * cg_parse_pid_status - from /proc/PID/status text: root = any of the four
 * "Uid:" fields is 0; state = the "State:" letter ('?' if absent).
 * Returns 0 or -EINVAL (no Uid line).
 */
int cg_parse_pid_status(const char *text, bool *root, char *state);

/*
 * cg_parse_where - pick the path out of /proc/PID/cgroup text:
 * "0::/quell/alice" for v2 (want_v2), else the line whose controller list
 * holds "cpu" ("4:cpu,cpuacct:/quell/alice"). Writes it without the
 * leading '/' and without a " (deleted)" suffix. 0, -ENOENT (no such
 * line), -EINVAL (malformed), -ENAMETOOLONG.
 */
int cg_parse_where(const char *text, bool want_v2, char *buf, size_t len);

/* Parsers shared with the tests through cgroup.h's friends (pure, buffer in). */
int cg_v2_parse_io_stat(const char *buf, struct cg_usage *u);
int cg_v1_parse_blkio(const char *buf, uint64_t *rd, uint64_t *wr);
/* v1 memory.limit_in_bytes for a hold: max(hold, usage) + headroom (cg_v1.c). */
uint64_t cg_v1_hold_bytes(uint64_t hold, uint64_t usage);

#endif /* QUELL_CG_INTERNAL_H */
