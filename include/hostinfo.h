/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hostinfo.h - host-wide numbers from /proc and /sys, relative to root fds
 * (proc_fd -1 = "/proc", sys_fd -1 = "/sys") so tests use fake trees.
 */
#ifndef QUELL_HOSTINFO_H
#define QUELL_HOSTINFO_H

#include <stdint.h>

struct host_cpu {
	uint64_t busy_ns;	/* user+nice+system+irq+softirq+steal (guest is inside user) */
	uint64_t idle_ns;	/* idle+iowait */
	uint64_t total_ns;	/* busy + idle */
	int ncpu;		/* "cpuN" lines: online CPUs */
};

struct host_mem {
	uint64_t total;		/* MemTotal, bytes */
	uint64_t available;	/* MemAvailable, bytes */
};

struct host_disk {
	uint64_t rbytes, wbytes;	/* sectors * 512, summed over the given devices */
	uint64_t rios, wios;
};

enum host_valid {
	HOST_LOAD = 1 << 0,
	HOST_CPU = 1 << 1,
	HOST_MEM = 1 << 2,
	HOST_DISK = 1 << 3,
};

struct host_info {
	unsigned valid;		/* enum host_valid */
	double load[3];
	struct host_cpu cpu;
	struct host_mem mem;
	struct host_disk disk;	/* whole disks of cgu_block_devs() (collectors/cg_util.c) */
};

/* Parsers of the files' text. Return 0 or -EINVAL. */
int hostinfo_parse_loadavg(const char *buf, double load[3]);
int hostinfo_parse_meminfo(const char *buf, struct host_mem *m);
int hostinfo_parse_stat(const char *buf, struct host_cpu *c);
/* Sums /proc/diskstats lines whose MAJ:MIN is in devs (all lines if ndevs < 0). */
int hostinfo_parse_diskstats(const char *buf, const uint32_t (*devs)[2], int ndevs,
			     struct host_disk *d);

/* Read everything; sets valid bits for what was read. Returns 0 if anything was, else -errno. */
int hostinfo_read(int proc_fd, int sys_fd, struct host_info *hi);
/* MemTotal from /proc/meminfo, in bytes; 0 or -errno. */
int hostinfo_mem_total(int proc_fd, uint64_t *bytes);
/* Online CPUs from /proc/stat; returns >= 1 or -errno. */
int hostinfo_ncpu(int proc_fd);

#endif /* QUELL_HOSTINFO_H */
