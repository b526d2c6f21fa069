/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * psi.h - pressure stall information, per cgroup (cpu/memory/io.pressure)
 * and host-wide (/proc/pressure/{cpu,memory,io}).
 *
 * Format (kernel/sched/psi.c, since 4.20; "full" for cpu since 5.13):
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 * total is cumulative stall time in microseconds.
 */
#ifndef QUELL_PSI_H
#define QUELL_PSI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct psi_line {
	double avg10, avg60, avg300;	/* % of wall time stalled */
	uint64_t total_us;
};

struct psi_stats {
	struct psi_line some, full;
	bool has_some, has_full;
};

enum psi_res {
	PSI_CPU,
	PSI_MEM,
	PSI_IO,
	PSI_NR
};

/* File name of a resource: "cpu.pressure" style stem "cpu" / "memory" / "io". */
const char *psi_res_name(enum psi_res r);

/*
 * psi_parse - parse the text of a pressure file. Unknown line kinds are
 * ignored (forward compatible). Returns 0, or -EINVAL when a some/full line
 * is malformed or no "some" line is present.
 */
int psi_parse(const char *buf, struct psi_stats *out);
/* Same, from a stream (reads to EOF). 0 / -EINVAL / -EIO. */
int psi_parse_file(FILE *f, struct psi_stats *out);
/*
 * psi_read_at - read dfd/path (e.g. "quell/alice/cpu.pressure").
 * Returns 0, -ENOENT (no file / cgroup gone), -EOPNOTSUPP (psi=0 on the
 * kernel command line: the file exists but reading fails), -EINVAL.
 */
int psi_read_at(int dfd, const char *path, struct psi_stats *out);
/* Host-wide pressure: <proc_fd>/pressure/<res>. proc_fd -1 = "/proc". Same returns. */
int psi_read_host(int proc_fd, enum psi_res r, struct psi_stats *out);

#endif /* QUELL_PSI_H */
