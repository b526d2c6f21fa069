// SPDX-License-Identifier: GPL-2.0-only
/*
 * cg_ops.c - include/cgroup.h: create, remove, attach, where, list,
 * freeze, kill, and the dispatch of usage/limits to the v1 or v2 backend.
 *
 * Hybrid hosts (v1 controllers + unified/): the controllers come from v1,
 * the cgroup id, PSI, cgroup.kill and cgroup.freeze from unified/, so
 * every tenant directory exists in both.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cg_internal.h"

/* v2 controllers quell enables for its children (cgroup.subtree_control). */
static const char *const v2_ctrls[] = { "cpu", "memory", "io", "pids" };

/*
 * The distinct hierarchies of l, unified first. A "cpu,cpuacct" mount is
 * reachable as both cpu and cpuacct: it is listed once.
 */
static int hierarchies(const struct cg_layout *l, int fds[CGC_NR + 1])
{
	struct stat seen[CGC_NR + 1];
	int n = 0;

	if (l->v2_fd >= 0 && !fstat(l->v2_fd, &seen[n]))
		fds[n++] = l->v2_fd;
	if (l->mode == CG_MODE_V2)
		return n;
	for (int c = 0; c < CGC_NR; c++) {
		struct stat st;
		int i;

		if (l->v1_fd[c] < 0 || fstat(l->v1_fd[c], &st))
			continue;
		for (i = 0; i < n; i++)
			if (seen[i].st_dev == st.st_dev && seen[i].st_ino == st.st_ino)
				break;
		if (i < n)
			continue;
		seen[n] = st;
		fds[n++] = l->v1_fd[c];
	}
	return n;
}

/* The hierarchy whose cgroup.procs / children are authoritative. */
static int primary_fd(const struct cg_layout *l)
{
	if (l->mode != CG_MODE_V1 && l->v2_fd >= 0)
		return l->v2_fd;
	for (int c = 0; c < CGC_NR; c++)
		if (l->v1_fd[c] >= 0)
			return l->v1_fd[c];
	return -1;
}

static bool rel_valid(const char *rel, bool root_ok)
{
	return rel && cgu_rel_ok(rel) && (root_ok || rel[0]);
}

bool cg_exists(const struct cg_layout *l, const char *rel)
{
	return rel_valid(rel, true) && cgu_dir_exists(primary_fd(l), rel);
}

/* one child directory, as dir_walk() hands it over */
struct cg_child {
	const char *name;
	uint64_t id;		/* inode number; with ids, the cgroup id (see below) */
};

/*
 * dir_walk - cb(child, arg) for each child directory of rel under dfd, dot
 * names skipped: the one directory walk of this file (removal, the pids of
 * a subtree, the children lists). An entry readdir gives no type for
 * (DT_UNKNOWN) is fstatat()ed, and skipped when it is no directory or has
 * vanished since the readdir (normal). ids: child.id must be the cgroup id.
 * On cgroup2 a directory entry's d_ino is the kernfs node id, the number
 * stat() puts in st_ino and BPF's cgroup id (fs/kernfs/dir.c
 * kernfs_fop_readdir emits kernfs_ino()): the ids of 10,000 children come
 * with the readdir, where a fstatat() per child cost 8 % of quelld's
 * samples at 10,000 tenants (docs/performance.md). Other file systems (the
 * unit tests' fake trees, a bind mount) get the fstatat().
 * Stops at cb's first non-zero return. Returns the number of calls that
 * returned 0, cb's negative return, or -errno when rel cannot be opened.
 */
static int dir_walk(int dfd, const char *rel, bool ids,
		    int (*cb)(const struct cg_child *c, void *arg), void *arg)
{
	int fd, n = 0, ret = 0;
	bool kernfs_ids = false;
	struct statfs sfs;
	struct dirent *de;
	DIR *d;

	fd = cgu_open(dfd, rel, NULL, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	if (ids)
		kernfs_ids = !fstatfs(fd, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		struct cg_child c = { de->d_name, (uint64_t)de->d_ino };
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (de->d_type == DT_UNKNOWN || (ids && (!kernfs_ids || !c.id))) {
			if (fstatat(fd, de->d_name, &st, 0) || !S_ISDIR(st.st_mode))
				continue;
			c.id = (uint64_t)st.st_ino;
		}
		ret = cb(&c, arg);
		if (ret)
			break;
		n++;
	}
	closedir(d);
	return ret < 0 ? ret : n;
}

/* v2: enable our controllers in dir's subtree_control (only those it has). */
static int enable_ctrls(int dfd, const char *dir)
{
	char avail[512], on[512];
	int err = 0;

	if (cgu_read(dfd, dir, "cgroup.controllers", avail, sizeof(avail)) < 0)
		return 0;
	if (cgu_read(dfd, dir, "cgroup.subtree_control", on, sizeof(on)) < 0)
		on[0] = '\0';
	for (size_t i = 0; i < sizeof(v2_ctrls) / sizeof(v2_ctrls[0]); i++) {
		char plus[16];
		int e;

		if (!cgu_keyed_word(avail, v2_ctrls[i]) || cgu_keyed_word(on, v2_ctrls[i]))
			continue;
		snprintf(plus, sizeof(plus), "+%s", v2_ctrls[i]);
		/* one per write: a refused one must not take the others with it */
		e = cgu_write(dfd, dir, "cgroup.subtree_control", plus);
		if (e && !err)
			err = e;
	}
	return err;
}

/* mkdir -p rel under dfd; on v2 (enable) also set up each parent's subtree_control. */
static int mkdirs(int dfd, const char *rel, bool enable)
{
	char path[4096];
	size_t len = strlen(rel);
	int err = 0;

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, rel, len + 1);
	for (size_t i = 0; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (enable) {
			/* the parent of this component: "" is the hierarchy root */
			char *slash = strrchr(path, '/');
			int e;

			if (slash)
				*slash = '\0';
			e = enable_ctrls(dfd, slash ? path : "");
			if (slash)
				*slash = '/';
			if (e && !err)
				err = e;
		}
		if (mkdirat(dfd, path, 0755) && errno != EEXIST)
			return -errno;
		if (i < len)
			path[i] = '/';
	}
	return err;
}

int cg_create(const struct cg_layout *l, const char *rel)
{
	int fds[CGC_NR + 1], n, err = 0;

	if (!rel_valid(rel, false))
		return -EINVAL;
	n = hierarchies(l, fds);
	if (!n)
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		bool v2 = fds[i] == l->v2_fd && l->mode == CG_MODE_V2;
		int e = mkdirs(fds[i], rel, v2);

		if (e && !err)
			err = e;
	}
	return err;
}

/* Does rel hold processes (in this hierarchy)? */
static bool populated(int dfd, const char *rel, bool v2)
{
	char buf[64];
	uint64_t v;
	int n;

	/* v2 "populated" covers descendants too */
	if (v2 && cgu_read(dfd, rel, "cgroup.events", buf, sizeof(buf)) >= 0 &&
	    !cgu_keyed(buf, "populated", &v))
		return v != 0;
	n = cgu_read(dfd, rel, "cgroup.procs", buf, sizeof(buf));
	return n == -EFBIG || (n > 0 && buf[0] >= '0' && buf[0] <= '9');
}

/* Remove regular files of a plain directory (fake trees only: cgroupfs never gets here). */
static void unlink_files(int dfd, const char *rel)
{
	int fd = cgu_open(dfd, rel, NULL, O_RDONLY | O_DIRECTORY);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_type == DT_REG)
			unlinkat(fd, de->d_name, 0);
	closedir(d);
}

struct rm_walk {
	int dfd;
	const char *rel;
	int depth, err;		/* err: the first error of a child's removal */
};

static int rm_tree(int dfd, const char *rel, int depth);

static int rm_child(const struct cg_child *c, void *arg)
{
	struct rm_walk *w = arg;
	char child[4096];
	int e;

	if (snprintf(child, sizeof(child), "%s/%s", w->rel, c->name) >= (int)sizeof(child))
		return 0;
	e = rm_tree(w->dfd, child, w->depth + 1);
	if (e && e != -ENOENT && !w->err)
		w->err = e;
	return 0;
}

/* rmdir rel and its child cgroups, deepest first. */
static int rm_tree(int dfd, const char *rel, int depth)
{
	struct rm_walk w = { dfd, rel, depth, 0 };
	int ret;

	if (depth > 64)
		return -ELOOP;
	ret = dir_walk(dfd, rel, false, rm_child, &w);
	if (ret < 0)
		return ret;
	if (w.err)
		return w.err;
	if (!unlinkat(dfd, rel, AT_REMOVEDIR))
		return 0;
	if (errno == ENOTEMPTY) {
		/* cgroupfs says EBUSY for a busy cgroup; ENOTEMPTY is a fake tree */
		unlink_files(dfd, rel);
		if (!unlinkat(dfd, rel, AT_REMOVEDIR))
			return 0;
	}
	return -errno;
}

int cg_remove(const struct cg_layout *l, const char *rel)
{
	int fds[CGC_NR + 1], n, found = 0, err = 0;

	if (!rel_valid(rel, false))
		return -EINVAL;
	n = hierarchies(l, fds);
	/* nothing is removed while any hierarchy still holds processes */
	for (int i = 0; i < n; i++)
		if (cgu_dir_exists(fds[i], rel) && populated(fds[i], rel, fds[i] == l->v2_fd))
			return -EBUSY;
	for (int i = 0; i < n; i++) {
		int e;

		if (!cgu_dir_exists(fds[i], rel))
			continue;
		found++;
		e = rm_tree(fds[i], rel, 0);
		if (e && e != -ENOENT && !err)
			err = e;
	}
	if (!found)
		return -ENOENT;
	return err;
}

int cg_attach(const struct cg_layout *l, const char *rel, pid_t pid)
{
	int fds[CGC_NR + 1], n, err = 0;
	char v[24];

	if (!rel_valid(rel, true) || pid < 0)
		return -EINVAL;
	n = hierarchies(l, fds);
	if (!n)
		return -ENOENT;
	snprintf(v, sizeof(v), "%d", (int)pid);
	/*
	 * v1 first, unified last. A process that forks while it is being moved
	 * gives each child the cgroups of the moment: written unified first
	 * (as before), a child forked between two writes was in the tenant's
	 * unified cgroup and outside its v1 ones, outside its cpu, memory,
	 * pids, blkio and freezer limits, and it looked placed to everything
	 * that reads only the unified line (t_placement_storm: 78 of 1,500
	 * children of one storm, still so after 5 s of 2 s sweeps). With
	 * unified last, and written only when every v1 write worked, "in rel in
	 * unified" means "in rel everywhere" for whatever cg_attach did;
	 * cg_placed() still checks every line, for what others did.
	 */
	for (int i = 0; i < n; i++) {
		int e;

		if (fds[i] == l->v2_fd && l->mode != CG_MODE_V2 && n > 1)
			continue;
		e = cgu_write(fds[i], rel, "cgroup.procs", v);
		if (e == -ESRCH)
			return -ESRCH;	/* gone: nothing more to do */
		if (e && !err)
			err = e;
	}
	if (err || l->v2_fd < 0 || l->mode == CG_MODE_V2 || n == 1)
		return err;
	return cgu_write(l->v2_fd, rel, "cgroup.procs", v);
}

static int open_proc(const struct cg_layout *l)
{
	int fd;

	if (l->proc_fd >= 0)
		return l->proc_fd;
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cg_parse_where(const char *text, bool want_v2, char *buf, size_t len)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *c1 = strchr(p, ':'), *c2, *path, *end;
		bool match = false;
		size_t n;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			return -EINVAL;
		if (want_v2) {
			match = c2 == c1 + 1 && p[0] == '0' && c1 == p + 1;
		} else {
			for (const char *t = c1 + 1; t < c2; ) {
				size_t tl = strcspn(t, ",:");

				match |= tl == 3 && !strncmp(t, "cpu", 3);
				t += tl + (t[tl] == ',');
			}
		}
		if (!match)
			continue;
		path = c2 + 1;
		end = strchr(path, '\n');
		n = end ? (size_t)(end - path) : strlen(path);
		if (n >= 10 && !strncmp(path + n - 10, " (deleted)", 10))
			n -= 10;
		while (n && *path == '/') {
			path++;
			n--;
		}
		if (n >= len)
			return -ENAMETOOLONG;
		memcpy(buf, path, n);
		buf[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* /proc/PID/cgroup into text; bytes or -errno (-ENOENT: exited) */
static int read_pid_cgroup(const struct cg_layout *l, pid_t pid, char *text, size_t len)
{
	char rel[24];
	int pfd, n;

	pfd = open_proc(l);
	if (pfd < 0)
		return pfd;
	snprintf(rel, sizeof(rel), "%d", (int)pid);
	n = cgu_read(pfd, rel, "cgroup", text, len);
	if (pfd != l->proc_fd)
		close(pfd);
	return n == -ESRCH ? -ENOENT : n;
}

int cg_where(const struct cg_layout *l, pid_t pid, char *buf, size_t len)
{
	char text[4096];
	int n;

	if (pid <= 0 || !buf || !len)
		return -EINVAL;
	n = read_pid_cgroup(l, pid, text, sizeof(text));
	if (n < 0)
		return n;
	return cg_parse_where(text, l->mode != CG_MODE_V1 && l->v2_fd >= 0, buf, len);
}

unsigned int cg_hier_mask(const struct cg_layout *l)
{
	unsigned int m = 0;

	if (l->v2_fd >= 0 && l->mode != CG_MODE_V1)
		m |= CG_HIER_V2;
	if (l->mode == CG_MODE_V2)
		return m;
	for (int c = 0; c < CGC_NR; c++)
		if (l->v1_fd[c] >= 0)
			m |= 1u << c;
	return m;
}

/* Is path (a /proc/PID/cgroup path, leading '/') rel or below it? */
static bool path_in(const char *path, size_t n, const char *rel)
{
	size_t rl = strlen(rel);

	if (n >= 10 && !strncmp(path + n - 10, " (deleted)", 10))
		n -= 10;
	while (n && *path == '/') {
		path++;
		n--;
	}
	return n >= rl && !strncmp(path, rel, rl) && (n == rl || path[rl] == '/');
}

int cg_parse_placed(const char *text, unsigned int want, const char *rel)
{
	unsigned int in = 0;

	if (!text || !rel || !want)
		return -EINVAL;
	for (const char *p = text; *p; ) {
		const char *eol = strchr(p, '\n'), *c1 = strchr(p, ':'), *c2, *path;
		unsigned int bits = 0;

		if (!eol)
			eol = p + strlen(p);
		if (!c1 || c1 >= eol || !(c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1))))
			return -EINVAL;
		path = c2 + 1;
		if (c2 == c1 + 1 && c1 == p + 1 && p[0] == '0') {
			bits = CG_HIER_V2;
		} else {
			for (const char *t = c1 + 1; t < c2; ) {
				size_t tl = strcspn(t, ",:");

				for (int c = 0; c < CGC_NR; c++)
					if (strlen(cg_v1_names[c]) == tl && !strncmp(t, cg_v1_names[c], tl))
						bits |= 1u << c;
				t += tl + (t[tl] == ',');
			}
		}
		if ((bits & want) && path_in(path, (size_t)(eol - path), rel))
			in |= bits & want;
		p = *eol ? eol + 1 : eol;
	}
	if (in == want)
		return CG_INSIDE;
	return in ? CG_PARTIAL : CG_OUTSIDE;
}

int cg_placed(const struct cg_layout *l, pid_t pid, const char *rel)
{
	char text[4096];
	unsigned int want = cg_hier_mask(l);
	int n;

	if (pid <= 0 || !rel_valid(rel, true))
		return -EINVAL;
	if (!want)
		return -ENOENT;
	n = read_pid_cgroup(l, pid, text, sizeof(text));
	if (n < 0)
		return n;
	return cg_parse_placed(text, want, rel);
}

/*
 * procs_read - the pids in rel's cgroup.procs under dfd: stores up to max
 * (pids may be NULL), returns how many there are, or -errno (-ENOENT also
 * when the cgroup went away while it was read).
 */
static int procs_read(int dfd, const char *rel, pid_t *pids, int max)
{
	int fd, count = 0;
	long v;
	FILE *f;

	fd = cgu_open(dfd, rel, "cgroup.procs", O_RDONLY);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	/* one pid per line; can be long, so streamed */
	while (fscanf(f, "%ld", &v) == 1) {
		if (count < max && pids)
			pids[count] = (pid_t)v;
		count++;
	}
	if (ferror(f) && !count) {
		fclose(f);
		return -ENOENT;	/* ENODEV: removed while reading */
	}
	fclose(f);
	return count;
}

int cg_procs(const struct cg_layout *l, const char *rel, pid_t *pids, int max)
{
	if (!rel_valid(rel, true))
		return -EINVAL;
	return procs_read(primary_fd(l), rel, pids, max);
}

/* a caller's callback, for dir_walk() */
struct child_cb {
	int (*by_name)(const char *name, void *arg);
	int (*by_id)(const char *name, uint64_t id, void *arg);
	void *arg;
};

static int child_call(const struct cg_child *c, void *arg)
{
	const struct child_cb *cc = arg;

	return cc->by_name ? cc->by_name(c->name, cc->arg) : cc->by_id(c->name, c->id, cc->arg);
}

/*
 * subdirs - cb(name, arg) for each child directory of rel under dfd (dot
 * names skipped). Returns the number of calls, cb's first non-zero return
 * (negative as is), or -errno when rel cannot be opened.
 */
static int subdirs(int dfd, const char *rel, int (*cb)(const char *name, void *arg), void *arg)
{
	struct child_cb cc = { cb, NULL, arg };

	return dir_walk(dfd, rel, false, child_call, &cc);
}

int cg_children(const struct cg_layout *l, const char *rel,
		int (*cb)(const char *name, void *arg), void *arg)
{
	if (!rel_valid(rel, true) || !cb)
		return -EINVAL;
	return subdirs(primary_fd(l), rel, cb, arg);
}

/* the ids come with the readdir on cgroup2: dir_walk() says why */
int cg_children_ids(const struct cg_layout *l, const char *rel,
		    int (*cb)(const char *name, uint64_t id, void *arg), void *arg)
{
	struct child_cb cc = { NULL, cb, arg };

	if (!rel_valid(rel, true) || !cb)
		return -EINVAL;
	if (l->v2_fd < 0)
		return -EOPNOTSUPP;
	return dir_walk(l->v2_fd, rel, true, child_call, &cc);
}

/*
 * The watch is on the directory's inode: mkdir(2) / rmdir(2) / rename(2) of
 * a child send IN_CREATE / IN_DELETE / IN_MOVED_* to it from the VFS, on
 * cgroupfs as anywhere (kernel 6.18, checked on this host). cgroupfs does not
 * move the parent's mtime, so a stat() of the parent cannot replace it.
 * A mkdir through another mount of the hierarchy (another superblock, a
 * cgroup namespace) is not seen: callers keep a periodic readdir.
 */
#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
			 IN_MOVE_SELF | IN_ONLYDIR)

int cg_watch_open(const struct cg_layout *l, const char *rel)
{
	char path[64];
	int dfd, ifd, e;

	if (!rel_valid(rel, true))
		return -EINVAL;
	if (l->v2_fd < 0)
		return -EOPNOTSUPP;
	dfd = cgu_open(l->v2_fd, rel, NULL, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return dfd;
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0) {
		e = -errno;
		close(dfd);
		return e;
	}
	/* inotify takes a path; the fd's magic link names exactly the directory opened */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	e = inotify_add_watch(ifd, path, WATCH_MASK) < 0 ? -errno : 0;
	close(dfd);
	if (e) {
		close(ifd);
		return e;
	}
	return ifd;
}

int cg_watch_read(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int ret = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return ret;
			return -errno;
		}
		if (n == 0)
			return ret;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW |
					IN_UNMOUNT))
				ret = CG_WATCH_LOST;
			else if (ret != CG_WATCH_LOST)
				ret = CG_WATCH_CHANGED;
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* child directory names, strdup'ed, gathered over several hierarchies */
struct name_list {
	char **names;
	int nr, cap;
};

static int name_add(const char *name, void *arg)
{
	struct name_list *nl = arg;

	if (nl->nr == nl->cap) {
		int nc = nl->cap ? nl->cap * 2 : 64;
		char **n = realloc(nl->names, sizeof(*n) * nc);

		if (!n)
			return -ENOMEM;
		nl->names = n;
		nl->cap = nc;
	}
	if (!(nl->names[nl->nr] = strdup(name)))
		return -ENOMEM;
	nl->nr++;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cg_children_all(const struct cg_layout *l, const char *rel,
		    int (*cb)(const char *name, void *arg), void *arg)
{
	int fds[CGC_NR + 1], n, found = 0, calls = 0, ret = 0;
	struct name_list nl = { 0 };

	if (!rel_valid(rel, true) || !cb)
		return -EINVAL;
	n = hierarchies(l, fds);
	for (int i = 0; i < n && !ret; i++) {
		int e = subdirs(fds[i], rel, name_add, &nl);

		if (e >= 0)
			found++;
		else if (e != -ENOENT)
			ret = e;
	}
	if (!ret && !found)
		ret = -ENOENT;
	if (!ret && nl.nr)
		qsort(nl.names, nl.nr, sizeof(nl.names[0]), cmp_name);
	for (int i = 0; i < nl.nr && !ret; i++) {
		if (i && !strcmp(nl.names[i], nl.names[i - 1]))
			continue;
		ret = cb(nl.names[i], arg);
		calls++;
	}
	for (int i = 0; i < nl.nr; i++)
		free(nl.names[i]);
	free(nl.names);
	return ret < 0 ? ret : ret ? ret : calls;
}

int cg_read_usage(const struct cg_layout *l, const char *rel, struct cg_usage *u)
{
	int err;

	memset(u, 0, sizeof(*u));
	if (!rel_valid(rel, true))
		return -EINVAL;
	switch (l->mode) {
	case CG_MODE_V2:
		return cg_v2_read_usage(l, rel, u);
	case CG_MODE_V1:
		return cg_v1_read_usage(l, rel, u);
	case CG_MODE_HYBRID:
		err = cg_v1_read_usage(l, rel, u);
		if (err == -ENOENT)
			return err;
		/* PSI and frozen from unified/; missing there is not an error */
		{
			int e = cg_v2_read_common(l, rel, u);

			if (e && e != -ENOENT && !err)
				err = e;
		}
		return err;
	default:
		return -EOPNOTSUPP;
	}
}

int cg_read_pressure(const struct cg_layout *l, const char *rel, struct cg_usage *u)
{
	memset(u, 0, sizeof(*u));
	if (!rel_valid(rel, true))
		return -EINVAL;
	if (l->mode != CG_MODE_V2 && l->mode != CG_MODE_HYBRID)
		return -EOPNOTSUPP;
	return cg_v2_read_pressure(l, rel, u);
}

int cg_apply_limits(const struct cg_layout *l, const char *rel, const struct cg_limits *lim)
{
	if (!rel_valid(rel, false) || !lim)
		return -EINVAL;
	switch (l->mode) {
	case CG_MODE_V2:
		return cg_v2_apply_limits(l, rel, lim);
	case CG_MODE_V1:
	case CG_MODE_HYBRID:
		return cg_v1_apply_limits(l, rel, lim);
	default:
		return -EOPNOTSUPP;
	}
}

int cg_read_limits(const struct cg_layout *l, const char *rel, struct cg_limits *lim)
{
	if (!rel_valid(rel, true) || !lim)
		return -EINVAL;
	switch (l->mode) {
	case CG_MODE_V2:
		return cg_v2_read_limits(l, rel, lim);
	case CG_MODE_V1:
	case CG_MODE_HYBRID:
		return cg_v1_read_limits(l, rel, lim);
	default:
		cg_limits_init(lim);
		return -EOPNOTSUPP;
	}
}

int cg_freeze(const struct cg_layout *l, const char *rel, bool frozen)
{
	int e;

	if (!rel_valid(rel, false))
		return -EINVAL;
	switch (l->mode) {
	case CG_MODE_V2:
		return cg_v2_freeze(l, rel, frozen);
	case CG_MODE_HYBRID:
		/* the v2 freezer (5.2+) works on unified/ without any controller */
		e = cg_v2_freeze(l, rel, frozen);
		if (e == -EOPNOTSUPP || (e == -ENOENT && l->v1_fd[CGC_FREEZER] >= 0))
			return cg_v1_freeze(l, rel, frozen);
		/* thaw the v1 freezer too, in case anything froze it there */
		if (!e && !frozen && l->v1_fd[CGC_FREEZER] >= 0)
			cg_v1_freeze(l, rel, false);
		return e;
	case CG_MODE_V1:
		return cg_v1_freeze(l, rel, frozen);
	default:
		return -EOPNOTSUPP;
	}
}

int cg_frozen(const struct cg_layout *l, const char *rel)
{
	char buf[512];
	uint64_t v;
	int e;

	if (!rel_valid(rel, false))
		return -EINVAL;
	if (!cg_exists(l, rel))
		return -ENOENT;
	if (l->v2_fd >= 0) {
		/* cgroup.freeze is the wish (own), cgroup.events "frozen" the state (ancestors too) */
		e = cgu_read_u64(l->v2_fd, rel, "cgroup.freeze", &v);
		if (!e && v)
			return 1;
		e = cgu_read(l->v2_fd, rel, "cgroup.events", buf, sizeof(buf));
		if (e >= 0 && !cgu_keyed(buf, "frozen", &v) && v)
			return 1;
	}
	if (l->mode != CG_MODE_V2 && l->v1_fd[CGC_FREEZER] >= 0) {
		/* FREEZING and FROZEN both stop whatever enters; a frozen parent shows here too */
		e = cgu_read(l->v1_fd[CGC_FREEZER], rel, "freezer.state", buf, sizeof(buf));
		if (e >= 0 && strncmp(buf, "THAWED", 6))
			return 1;
	}
	return 0;
}

int cg_parse_pid_status(const char *text, bool *root, char *state)
{
	const char *u = strstr(text, "\nUid:"), *s = strstr(text, "\nState:");
	unsigned long ids[4];

	if (!strncmp(text, "Uid:", 4))
		u = text - 1;
	if (!strncmp(text, "State:", 6))
		s = text - 1;
	if (!u || sscanf(u + 5, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) != 4)
		return -EINVAL;
	*root = !ids[0] || !ids[1] || !ids[2] || !ids[3];
	*state = '?';
	if (s)
		sscanf(s + 7, " %c", state);
	return 0;
}

/*
 * Is pid root's? Any of its real, effective, saved or fs uids 0 counts: a
 * tenant's process that ran a setuid-root program (su, passwd) is acting
 * as root until it exits. 1 root, 0 not, -ENOENT gone or a zombie.
 */
static int pid_root(int pfd, pid_t pid)
{
	char rel[24], buf[2048], state;
	bool root;
	int n;

	snprintf(rel, sizeof(rel), "%d", (int)pid);
	n = cgu_read(pfd, rel, "status", buf, sizeof(buf));
	if (n == -ESRCH)
		return -ENOENT;
	if (n < 0)
		return n;
	if (cg_parse_pid_status(buf, &root, &state))
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ENOENT;
	return root;
}

struct pids_walk {
	int dfd;
	const char *rel;
	pid_t *pids;
	int max, count, depth;
};

static int subtree_pids(int dfd, const char *rel, pid_t *pids, int max, int depth);

static int pids_child(const struct cg_child *c, void *arg)
{
	struct pids_walk *w = arg;
	char sub[512];
	int n;

	if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", w->rel, c->name) >= sizeof(sub))
		return 0;
	n = subtree_pids(w->dfd, sub, w->pids + (w->count < w->max ? w->count : w->max),
			 w->count < w->max ? w->max - w->count : 0, w->depth + 1);
	if (n > 0)
		w->count += n;
	return 0;
}

/*
 * Processes of rel and of every cgroup below it in the hierarchy dfd (what
 * cgroup.kill would kill). Stores up to max; returns how many there are
 * (may exceed max) or -errno.
 */
static int subtree_pids(int dfd, const char *rel, pid_t *pids, int max, int depth)
{
	struct pids_walk w = { dfd, rel, pids, max, 0, depth };

	if (depth > 32)
		return 0;
	w.count = procs_read(dfd, rel, pids, max);
	if (w.count < 0)
		return w.count;
	/* rel removed meanwhile (the walk fails): its processes were counted */
	dir_walk(dfd, rel, false, pids_child, &w);
	return w.count;
}

/*
 * SIGKILL one process unless it is root's. The pidfd pins the process:
 * the status read after pidfd_open() is its own as long as it is still
 * alive afterwards (a live process keeps its pid), which the signal-0
 * probe checks; the kill then goes to that process, never to a recycled
 * pid. Returns 1 signalled, 0 gone, 2 spared (root's, or unreadable).
 */
static int kill_pid(int pfd, pid_t pid)
{
	int fd = (int)pidfd_open(pid, 0), root, ret = 0;
	struct pollfd exited;

	if (fd < 0)
		return 0;	/* ESRCH: gone */
	/* a pidfd polls readable once its process has exited (zombies too) */
	exited = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&exited, 1, 0) > 0) {
		close(fd);
		return 0;
	}
	root = pid_root(pfd, pid);
	if (pidfd_send_signal(fd, 0, NULL, 0))
		ret = 0;	/* died: what we read may be a newcomer's */
	else if (root == -ENOENT)
		ret = 0;	/* a zombie */
	else if (root != 0)
		ret = 2;
	else
		ret = pidfd_send_signal(fd, SIGKILL, NULL, 0) ? 0 : 1;
	close(fd);
	return ret;
}

/*
 * Without cgroup.kill, or with root's processes inside: SIGKILL every
 * process of the subtree but root's, until only root's are left, bounded.
 * 0 all gone, -EPERM only root's left, -EAGAIN some survived.
 */
static int kill_loop(const struct cg_layout *l, const char *rel, int pfd)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	bool v1_freezer = l->v1_fd[CGC_FREEZER] >= 0 && l->mode != CG_MODE_V2;
	int ret = -EAGAIN, max = 4096;
	pid_t *pids = malloc(sizeof(*pids) * (size_t)max);

	if (!pids)
		return -ENOMEM;
	for (int round = 0; round < 100; round++) {	/* ~1 s */
		int n = subtree_pids(primary_fd(l), rel, pids, max, 0), alive = 0, spared = 0;

		if (n < 0) {
			ret = n;
			break;
		}
		/* freeze so a fork bomb cannot outrun us, signal, then thaw so it dies */
		if (v1_freezer)
			cg_v1_freeze(l, rel, true);
		for (int i = 0; i < n && i < max; i++) {
			int k = kill_pid(pfd, pids[i]);

			alive += k == 1;
			spared += k == 2;
		}
		if (v1_freezer)
			cg_v1_freeze(l, rel, false);
		if (!alive && n <= max) {
			ret = spared ? -EPERM : 0;
			break;
		}
		nanosleep(&tick, NULL);
	}
	free(pids);
	return ret;
}

/* Does the subtree hold a process of root's? 1 yes (or too many to check), 0 no, -errno. */
static int subtree_has_root(const struct cg_layout *l, const char *rel, int pfd)
{
	int max = 1 << 16, n, ret = 0;	/* 256 KiB, for this call only */
	pid_t *pids = malloc(sizeof(*pids) * (size_t)max);

	if (!pids)
		return -ENOMEM;
	n = subtree_pids(primary_fd(l), rel, pids, max, 0);
	if (n < 0)
		ret = n;
	else if (n > max)
		ret = 1;	/* cannot vouch for the rest: take the careful path */
	for (int i = 0; i < n && i < max && !ret; i++) {
		int r = pid_root(pfd, pids[i]);

		ret = r == 1 || (r < 0 && r != -ENOENT);	/* unreadable: whose is it? */
	}
	free(pids);
	return ret;
}

int cg_kill(const struct cg_layout *l, const char *rel)
{
	int e, pfd, root;

	if (!rel_valid(rel, false))
		return -EINVAL;
	if (l->mode == CG_MODE_NONE)
		return -EOPNOTSUPP;
	pfd = open_proc(l);
	if (pfd < 0)
		return pfd;
	/*
	 * cgroup.kill (5.14+) kills the whole subtree atomically, forks included,
	 * but it kills root's processes too (sshd's session process, anything
	 * root moved in): only when there is none, else the per-pid loop that
	 * skips them. Only root can move a process in between the check and
	 * the write; a tenant's process becomes root's only through a setuid
	 * program, in that window. The check costs one status read per process:
	 * 1,000 processes took 74-149 ms against 44 ms for cgroup.kill alone,
	 * and 176-277 ms through the loop with one root's process among them
	 * (2 vCPUs, load average 15-35, an ad-hoc harness around cg_kill).
	 */
	root = subtree_has_root(l, rel, pfd);
	if (root < 0 && root != -ENOENT) {
		e = root;
		goto out;
	}
	if (root != 1 && l->v2_fd >= 0) {
		e = cgu_write(l->v2_fd, rel, "cgroup.kill", "1");
		if (e != -ENOENT)
			goto out;
		if (l->mode == CG_MODE_V2 && !cgu_dir_exists(l->v2_fd, rel)) {
			e = -ENOENT;
			goto out;
		}
	}
	e = kill_loop(l, rel, pfd);
out:
	if (pfd != l->proc_fd)
		close(pfd);
	return e;
}

int cg_id(const struct cg_layout *l, const char *rel, uint64_t *id)
{
	struct stat st;

	if (!rel_valid(rel, true) || !id)
		return -EINVAL;
	if (l->v2_fd < 0)
		return -EOPNOTSUPP;
	if (fstatat(l->v2_fd, rel[0] ? rel : ".", &st, 0))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = (uint64_t)st.st_ino;
	return 0;
}

int cg_memcg_id(const struct cg_layout *l, const char *rel, uint64_t *id)
{
	int fd = l->v1_fd[CGC_MEMORY] >= 0 ? l->v1_fd[CGC_MEMORY] :
		 l->v2_fd >= 0 && (l->mode == CG_MODE_V2 || l->v2_has[CGC_MEMORY]) ? l->v2_fd : -1;
	struct stat st;

	if (!rel_valid(rel, true) || !id)
		return -EINVAL;
	if (fd < 0)
		return -EOPNOTSUPP;
	if (fstatat(fd, rel[0] ? rel : ".", &st, 0))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = (uint64_t)st.st_ino;
	return 0;
}

int cg_ids(const struct cg_layout *l, const char *rel, uint64_t *ids, int max)
{
	int fds[2], nfd = 0, n = 0, i;
	struct stat st;

	if (!rel_valid(rel, true) || !ids || max < 0)
		return -EINVAL;
	if (l->v1_fd[CGC_BLKIO] >= 0)
		fds[nfd++] = l->v1_fd[CGC_BLKIO];
	if (l->v2_fd >= 0 && (l->mode == CG_MODE_V2 || l->v2_has[CGC_BLKIO]))
		fds[nfd++] = l->v2_fd;
	for (i = 0; i < nfd && n < max; i++) {
		if (fstatat(fds[i], rel[0] ? rel : ".", &st, 0)) {
			if (errno == ENOENT)
				continue;	/* not created in this one (yet) */
			return -errno;
		}
		if (S_ISDIR(st.st_mode))
			ids[n++] = (uint64_t)st.st_ino;
	}
	return n;
}
