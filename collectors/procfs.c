// SPDX-License-Identifier: GPL-2.0-only
/*
 * procfs.c - processes from a proc root fd: stat, status, schedstat.
 * A pid that exits mid-read is normal (-ENOENT / skipped), never an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_internal.h"
#include "procfs.h"
#include "units.h"

/*
 * status is ~1.5 KiB on 6.x but grows with Groups: (a user in many groups)
 * and Mems_allowed on big NUMA boxes; 16 KiB holds ~2000 groups.
 */
#define STATUS_MAX	16384

uint64_t procfs_ticks_to_ns(uint64_t ticks)
{
	static uint64_t ns_per_tick;

	if (!ns_per_tick) {
		long hz = sysconf(_SC_CLK_TCK);

		ns_per_tick = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
	}
	return ticks * ns_per_tick;
}

int procfs_parse_stat(const char *buf, struct proc_info *pi)
{
	const char *open, *close_, *p, *end;
	uint64_t f[19];
	char state;
	size_t n;
	long pid;

	/* "1234 (comm with ) inside) S 1 ..." : comm ends at the LAST ')' */
	if (!buf)
		return -EINVAL;
	open = strchr(buf, '(');
	close_ = strrchr(buf, ')');
	if (!open || !close_ || close_ < open || sscanf(buf, "%ld", &pid) != 1 || pid <= 0)
		return -EINVAL;
	n = (size_t)(close_ - open - 1);
	if (n >= sizeof(pi->comm))
		n = sizeof(pi->comm) - 1;
	p = close_ + 1;
	if (p[0] != ' ' || !p[1] || p[2] != ' ')
		return -EINVAL;
	state = p[1];
	p += 3;
	/* fields 4..22: ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime; some can be negative. Later fields unused. */
	for (int i = 0; i < 19; i++) {
		long long sv;

		while (*p == ' ')
			p++;
		if (*p == '-') {
			if (sscanf(p, "%lld", &sv) != 1)
				return -EINVAL;
			f[i] = 0;
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
			continue;
		}
		if (cgu_parse_u64(p, &end, &f[i]))
			return -EINVAL;
		p = end;
	}
	pi->pid = (pid_t)pid;
	memcpy(pi->comm, open + 1, n);
	pi->comm[n] = '\0';
	pi->state = state;
	pi->ppid = (pid_t)f[0];
	pi->cpu_ns = procfs_ticks_to_ns(f[10] + f[11]);
	pi->threads = (int)f[16];
	pi->start_ticks = f[18];
	return 0;
}

static const char *status_field(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int procfs_parse_status(const char *buf, struct proc_info *pi)
{
	const char *v;
	uint64_t uid, ppid, thr, rss = 0;

	if (!buf)
		return -EINVAL;
	/* Uid: real effective saved fs */
	v = status_field(buf, "Uid");
	if (!v || cgu_parse_u64(v, NULL, &uid) || uid > UINT32_MAX)
		return -EINVAL;
	v = status_field(buf, "PPid");
	if (!v || cgu_parse_u64(v, NULL, &ppid))
		return -EINVAL;
	v = status_field(buf, "Threads");
	if (!v || cgu_parse_u64(v, NULL, &thr))
		return -EINVAL;
	/* VmRSS is absent for kernel threads and zombies */
	v = status_field(buf, "VmRSS");
	if (v && (cgu_parse_u64(v, NULL, &rss) || rss > UINT64_MAX / 1024))
		return -EINVAL;
	pi->uid = (uid_t)uid;
	pi->ppid = (pid_t)ppid;
	pi->threads = (int)thr;
	pi->rss_bytes = rss * 1024;
	return 0;
}

int procfs_parse_schedstat(const char *buf, struct proc_info *pi)
{
	unsigned long long run, delay, slices;

	/* "run_ns wait_ns timeslices\n" (CONFIG_SCHED_INFO) */
	if (!buf || sscanf(buf, "%llu %llu %llu", &run, &delay, &slices) != 3)
		return -EINVAL;
	pi->run_ns = run;
	pi->run_delay_ns = delay;
	pi->has_run_delay = true;
	return 0;
}

static int proc_root(int proc_fd)
{
	int fd;

	if (proc_fd >= 0)
		return proc_fd;
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int pid_file(int pfd, pid_t pid, const char *file, char *buf, size_t len)
{
	char rel[32];
	int n;

	snprintf(rel, sizeof(rel), "%d", (int)pid);
	n = cgu_read(pfd, rel, file, buf, len);
	/* a process exiting between readdir and read: ENOENT or ESRCH */
	if (n == -ESRCH)
		return -ENOENT;
	return n < 0 ? n : 0;
}

static int read_pid_fd(int pfd, pid_t pid, struct proc_info *pi)
{
	char buf[STATUS_MAX];
	int err;

	memset(pi, 0, sizeof(*pi));
	err = pid_file(pfd, pid, "stat", buf, sizeof(buf));
	if (!err)
		err = procfs_parse_stat(buf, pi);
	if (!err)
		err = pid_file(pfd, pid, "status", buf, sizeof(buf));
	if (!err)
		err = procfs_parse_status(buf, pi);
	if (err)
		return err;
	/* schedstat needs CONFIG_SCHED_INFO; optional */
	if (!pid_file(pfd, pid, "schedstat", buf, sizeof(buf)))
		procfs_parse_schedstat(buf, pi);
	return 0;
}

int procfs_read_pid(int proc_fd, pid_t pid, struct proc_info *pi)
{
	int pfd = proc_root(proc_fd), err;

	if (pfd < 0)
		return pfd;
	if (pid <= 0)
		err = -EINVAL;
	else
		err = read_pid_fd(pfd, pid, pi);
	if (pfd != proc_fd)
		close(pfd);
	return err;
}

int procfs_pid_uid(int proc_fd, pid_t pid, uid_t *uid)
{
	struct proc_info pi;
	char buf[STATUS_MAX];
	int pfd = proc_root(proc_fd), err;

	if (pfd < 0)
		return pfd;
	err = pid_file(pfd, pid, "status", buf, sizeof(buf));
	if (!err)
		err = procfs_parse_status(buf, &pi);
	if (!err)
		*uid = pi.uid;
	if (pfd != proc_fd)
		close(pfd);
	return err;
}

/* Walk numeric entries; fn gets the pid, sets *skip for a vanished one, non-zero stops. */
static int walk(int proc_fd, int (*fn)(int pfd, pid_t pid, void *arg, bool *skip), void *arg)
{
	int pfd = proc_root(proc_fd), dfd, n = 0, ret = 0;
	struct dirent *de;
	DIR *d;

	if (pfd < 0)
		return pfd;
	dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		ret = -errno;
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	while ((de = readdir(d))) {
		bool skip = false;
		int r;

		if (!units_all_digits(de->d_name))
			continue;
		r = fn(pfd, (pid_t)atoi(de->d_name), arg, &skip);
		if (skip)	/* exited meanwhile */
			continue;
		if (r) {
			ret = r;
			break;
		}
		n++;
	}
	closedir(d);
	if (!ret)
		ret = n;
out:
	if (pfd != proc_fd)
		close(pfd);
	return ret;
}

struct foreach_ctx {
	int (*cb)(const struct proc_info *pi, void *arg);
	void *arg;
};

static int foreach_one(int pfd, pid_t pid, void *arg, bool *skip)
{
	struct foreach_ctx *c = arg;
	struct proc_info pi;
	int err = read_pid_fd(pfd, pid, &pi);

	/* gone, unreadable or garbled: skipped, one bad entry never stops a sweep */
	if (err) {
		*skip = true;
		return 0;
	}
	return c->cb(&pi, c->arg);
}

int procfs_foreach(int proc_fd, int (*cb)(const struct proc_info *pi, void *arg), void *arg)
{
	struct foreach_ctx c = { cb, arg };

	if (!cb)
		return -EINVAL;
	return walk(proc_fd, foreach_one, &c);
}

struct uid_ctx {
	uid_t uid;
	pid_t *pids;
	int max, n;
};

static int uid_one(int pfd, pid_t pid, void *arg, bool *skip)
{
	struct uid_ctx *c = arg;
	struct proc_info pi;
	char buf[STATUS_MAX];
	int err = pid_file(pfd, pid, "status", buf, sizeof(buf));

	if (!err)
		err = procfs_parse_status(buf, &pi);
	if (err) {
		*skip = true;	/* gone or garbled */
		return 0;
	}
	if (pi.uid == c->uid) {
		if (c->n < c->max)
			c->pids[c->n] = pid;
		c->n++;
	}
	return 0;
}

int procfs_pids_of_uid(int proc_fd, uid_t uid, pid_t *pids, int max)
{
	struct uid_ctx c = { uid, pids, max < 0 ? 0 : max, 0 };
	int r = walk(proc_fd, uid_one, &c);

	return r < 0 ? r : c.n;
}
