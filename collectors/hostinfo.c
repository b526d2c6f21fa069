// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostinfo.c - load, memory, CPU and disk totals of the host, and the list
 * of whole block devices that an "every device" IO limit is written for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_internal.h"
#include "clock.h"
#include "hostinfo.h"
#include "procfs.h"

int hostinfo_parse_loadavg(const char *buf, double load[3])
{
	double a, b, c;

	/* "0.52 0.58 0.59 1/389 12345" */
	if (!buf || sscanf(buf, "%lf %lf %lf", &a, &b, &c) != 3 || a < 0 || b < 0 || c < 0)
		return -EINVAL;
	load[0] = a;
	load[1] = b;
	load[2] = c;
	return 0;
}

static int meminfo_kb(const char *buf, const char *key, uint64_t *bytes)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			const char *q = p + klen + 1, *end;
			uint64_t kb;

			while (*q == ' ')
				q++;
			if (cgu_parse_u64(q, &end, &kb) || kb > UINT64_MAX / 1024)
				return -EINVAL;
			*bytes = kb * 1024;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int hostinfo_parse_meminfo(const char *buf, struct host_mem *m)
{
	struct host_mem t;

	if (!buf || meminfo_kb(buf, "MemTotal", &t.total) ||
	    meminfo_kb(buf, "MemAvailable", &t.available))
		return -EINVAL;	/* MemAvailable exists since 3.14 */
	*m = t;
	return 0;
}

int hostinfo_parse_stat(const char *buf, struct host_cpu *c)
{
	uint64_t v[10] = { 0 };
	const char *p, *end;
	int n = 0, ncpu = 0;
	long hz;

	if (!buf || strncmp(buf, "cpu ", 4))
		return -EINVAL;
	p = buf + 4;
	while (n < 10) {
		while (*p == ' ')
			p++;
		if (*p == '\n' || !*p)
			break;
		if (cgu_parse_u64(p, &end, &v[n]))
			return -EINVAL;
		p = end;
		n++;
	}
	if (n < 4)		/* user nice system idle are always there */
		return -EINVAL;
	for (p = strchr(buf, '\n'); p; p = strchr(p, '\n')) {
		p++;
		if (!strncmp(p, "cpu", 3) && p[3] >= '0' && p[3] <= '9')
			ncpu++;
	}
	hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	/* jiffies -> ns; user already includes guest, nice includes guest_nice */
	c->busy_ns = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * (1000000000ULL / (uint64_t)hz);
	c->idle_ns = (v[3] + v[4]) * (1000000000ULL / (uint64_t)hz);
	c->total_ns = c->busy_ns + c->idle_ns;
	c->ncpu = ncpu ? ncpu : 1;
	return 0;
}

static bool dev_wanted(const uint32_t (*devs)[2], int ndevs, uint32_t ma, uint32_t mi)
{
	if (ndevs < 0)
		return true;
	for (int i = 0; i < ndevs; i++)
		if (devs[i][0] == ma && devs[i][1] == mi)
			return true;
	return false;
}

int hostinfo_parse_diskstats(const char *buf, const uint32_t (*devs)[2], int ndevs,
			     struct host_disk *d)
{
	struct host_disk t = { 0 };
	const char *p = buf;

	if (!buf)
		return -EINVAL;
	/* " 254  0 vda 1234 0 5678 ... ": reads, merged, sectors, ms, writes, merged, sectors */
	while (*p) {
		unsigned ma, mi;
		unsigned long long rd, rm, rs, rt, wr, wm, ws;
		char name[64];
		const char *nl = strchr(p, '\n');

		if (sscanf(p, "%u %u %63s %llu %llu %llu %llu %llu %llu %llu", &ma, &mi, name,
			   &rd, &rm, &rs, &rt, &wr, &wm, &ws) != 10)
			return -EINVAL;
		if (dev_wanted(devs, ndevs, ma, mi)) {
			t.rios += rd;
			t.rbytes += rs * 512;
			t.wios += wr;
			t.wbytes += ws * 512;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	*d = t;
	return 0;
}

static int read_at(int dfd, const char *file, char *buf, size_t len)
{
	int n = cgu_read(dfd, "", file, buf, len);

	return n < 0 ? n : 0;
}

/* /proc/NAME under proc_fd's root into a new buffer of len bytes (*out; free it) */
static int read_proc(int proc_fd, const char *name, size_t len, char **out)
{
	char *buf = malloc(len);
	int fd = cgu_root_open(proc_fd, "/proc"), err;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return fd < 0 ? fd : -ENOMEM;
	}
	err = read_at(fd, name, buf, len);
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

int hostinfo_ncpu(int proc_fd)
{
	struct host_cpu c;
	char *buf;
	int err = read_proc(proc_fd, "stat", CGU_BUF * 4, &buf);

	if (err)
		return err;
	err = hostinfo_parse_stat(buf, &c);
	free(buf);
	return err ? err : c.ncpu;
}

int hostinfo_mem_total(int proc_fd, uint64_t *bytes)
{
	struct host_mem m;
	char *buf;
	int err = read_proc(proc_fd, "meminfo", CGU_BUF, &buf);

	if (err)
		return err;
	err = hostinfo_parse_meminfo(buf, &m);
	if (!err)
		*bytes = m.total;
	free(buf);
	return err;
}

/*
 * The disk list costs two sysfs reads per /sys/block entry (~0.6 ms a tick
 * in this VM, where an open+read+close of a sysfs file is ~30 us); disks
 * come and go rarely, so the real /sys is re-read every 10 s only. A fake
 * root (tests) is never cached.
 */
static int block_devs_cached(int sys_fd, uint32_t (*devs)[2])
{
	static uint32_t cache[CGU_MAX_DEVS][2];
	static int ncache = -1;
	static uint64_t when;
	uint64_t now;

	if (sys_fd >= 0)
		return cgu_block_devs(sys_fd, devs, CGU_MAX_DEVS);
	now = clock_mono_ns() / 1000000000ULL;
	if (ncache < 0 || now - when >= 10) {
		ncache = cgu_block_devs(-1, cache, CGU_MAX_DEVS);
		when = now;
	}
	if (ncache > 0)
		memcpy(devs, cache, (size_t)ncache * sizeof(cache[0]));
	return ncache;
}

int hostinfo_read(int proc_fd, int sys_fd, struct host_info *hi)
{
	uint32_t devs[CGU_MAX_DEVS][2];
	char *buf = malloc(CGU_BUF * 4);
	int fd, nd, err = 0;

	memset(hi, 0, sizeof(*hi));
	if (!buf)
		return -ENOMEM;
	fd = cgu_root_open(proc_fd, "/proc");
	if (fd < 0) {
		free(buf);
		return fd;
	}
	if (!(err = read_at(fd, "loadavg", buf, CGU_BUF)) &&
	    !(err = hostinfo_parse_loadavg(buf, hi->load)))
		hi->valid |= HOST_LOAD;
	if (!(err = read_at(fd, "meminfo", buf, CGU_BUF)) &&
	    !(err = hostinfo_parse_meminfo(buf, &hi->mem)))
		hi->valid |= HOST_MEM;
	/* /proc/stat grows with CPUs and interrupts: ~40 KiB on 64 CPUs */
	if (!(err = read_at(fd, "stat", buf, CGU_BUF * 4)) &&
	    !(err = hostinfo_parse_stat(buf, &hi->cpu)))
		hi->valid |= HOST_CPU;
	nd = block_devs_cached(sys_fd, devs);
	if (nd >= 0 && !(err = read_at(fd, "diskstats", buf, CGU_BUF * 4)) &&
	    !(err = hostinfo_parse_diskstats(buf, (const uint32_t (*)[2])devs, nd, &hi->disk)))
		hi->valid |= HOST_DISK;
	close(fd);
	free(buf);
	return hi->valid ? 0 : (err ? err : -ENOENT);
}
