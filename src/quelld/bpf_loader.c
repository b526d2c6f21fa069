// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf_loader.c - the one file that sees the skeleton and libbpf
 * (docs/hacking.md, style 2). Implements src/quelld/bpf_loader.h.
 *
 * Lifecycle (libbpf-bootstrap): open -> rodata + map sizes + autoload of
 * one twin per hook -> load -> attach, one cleanup path. tp_btf is tried
 * first; if the kernel refuses it (no BTF-typed tracepoints, verifier
 * differences) the object is reopened with the raw_tp twins.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "log.h"
#include "procfs.h"
#include "quell.skel.h"

#define QBPF_MAX_LINKS		64
#define QBPF_DEF_TENANTS	4096
/* per-task map is preallocated: ~72 bytes an entry; cap what pid_max asks for */
#define QBPF_MAX_TASKS_CAP	(1u << 18)
#define TRACEFS			"/sys/kernel/tracing"
#define BPFFS			"/sys/fs/bpf"
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC		0xcafe4a11
#endif
#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC		0x74726163
#endif

struct qbpf {
	struct quell_bpf *skel;
	struct bpf_link *links[QBPF_MAX_LINKS];
	struct bpf_program *progs[QBPF_MAX_LINKS];	/* what links[i] attaches */
	int nlinks;
	bool raw_tp;
	int ncpus;
	struct ring_buffer *rb;
	int (*ev_cb)(const struct quell_event *e, void *arg);
	void *ev_arg;
	char hooks[1024];
	uint64_t min_key, max_key;	/* uid mode: the keys the BPF side accounts */
	int proc_fd;			/* qbpf_opts.proc_fd, or our own open of /proc */
	bool own_proc_fd;
	/*
	 * qbpf_read_acct's table, kept from tick to tick: sized for the acct
	 * map (max_tenants, 16,384 by default: 2.2 MB), a calloc per tick was
	 * an mmap, page faults and an munmap every second whatever the number
	 * of tenants (docs/performance.md, "Fixed cost at rest").
	 */
	struct acct_sum *sums;
	int sums_max;
	uint64_t crowd[QUELL_WAIT_CROWD];	/* the wait alarm's crowd, as in its map */
	int crowd_n;
};

/* libbpf messages go to the daemon's logger (src/common/log.c). */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];
	int prio = level == LIBBPF_WARN ? LOG_WARNING :
		   level == LIBBPF_INFO ? LOG_INFO : LOG_DEBUG;
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;	/* verifier logs are huge; QUELL_BPF_DEBUG not worth it yet */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* libbpf's own messages already start with "libbpf: " */
	log_msg(prio, "%s%s", strncmp(buf, "libbpf: ", 8) ? "libbpf: " : "", buf);
	return 0;
}

/* --- probes -------------------------------------------------------------- */

/* A trivial program; returns 1 if the kernel loads it, 0 if not. */
static bool probe_load(enum bpf_prog_type type, const struct bpf_prog_load_opts *opts)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(type, NULL, "GPL", insns, 2, opts);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* tp_btf: a BPF_PROG_TYPE_TRACING program attached to btf_trace_sched_switch loads */
static bool probe_tp_btf(void)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	int id = libbpf_find_vmlinux_btf_id("sched_switch", BPF_TRACE_RAW_TP);

	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	return probe_load(BPF_PROG_TYPE_TRACING, &opts);
}

static bool tracefs_has(const char *cat, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), TRACEFS "/events/%s/%s", cat, name);
	return access(p, F_OK) == 0;
}

int qbpf_probe(struct qbpf_features *f)
{
	memset(f, 0, sizeof(*f));
	libbpf_set_print(libbpf_print);
	f->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	f->tp_btf = f->btf && probe_tp_btf();
	f->raw_tp = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) == 1;
	/* the PMU exists only with CONFIG_KPROBES; quell never needs it */
	f->kprobe = access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0;
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	f->syscall_tps = tracefs_has("syscalls", "sys_exit_setuid") &&
			 tracefs_has("syscalls", "sys_exit_setresuid");
	return 0;
}

static int mount_if_missing(const char *dir, long magic, const char *type)
{
	struct statfs st;

	if (statfs(dir, &st) == 0 && (long)st.f_type == magic)
		return 0;
	if (mount(type, dir, type, 0, NULL) && errno != EBUSY)
		return -errno;
	log_info("mounted %s on %s", type, dir);
	return 0;
}

int qbpf_mount_fs(void)
{
	int err = mount_if_missing(BPFFS, BPF_FS_MAGIC, "bpf");

	if (err)
		return err;
	return mount_if_missing(TRACEFS, TRACEFS_MAGIC, "tracefs");
}

int qbpf_enable_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

/* --- load ---------------------------------------------------------------- */

static uint32_t default_max_tasks(const struct qbpf *b)
{
	unsigned long v = 32768;
	char buf[32];
	ssize_t n = -1;
	int fd = openat(b->proc_fd, "sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%lu", &v) != 1)
			v = 32768;
	}
	return v > QBPF_MAX_TASKS_CAP ? QBPF_MAX_TASKS_CAP : (uint32_t)v;
}

static bool is_unused_twin(const struct qbpf *b, const char *sec)
{
	if (!strncmp(sec, "tp_btf/", 7))
		return b->raw_tp;
	if (!strncmp(sec, "raw_tp/", 7))
		return !b->raw_tp;
	return false;
}

/*
 * Decide autoload for every program: one twin of each tp_btf/raw_tp pair,
 * nothing whose tracepoint this kernel lacks, no syscall hooks without events.
 */
static void select_programs(struct qbpf *b, const struct qbpf_opts *o, const struct btf *vmlinux)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, b->skel->obj) {
		const char *sec = bpf_program__section_name(p);
		const char *name = strrchr(sec, '/') + 1;
		bool on = true;
		char tn[128], cat[64];

		if (is_unused_twin(b, sec)) {
			on = false;
		} else if (!strncmp(sec, "tp_btf/", 7) || !strncmp(sec, "raw_tp/", 7)) {
			snprintf(tn, sizeof(tn), "btf_trace_%s", name);
			on = btf__find_by_name_kind(vmlinux, tn, BTF_KIND_TYPEDEF) > 0;
		} else if (!strncmp(sec, "tracepoint/", 11)) {
			snprintf(cat, sizeof(cat), "%.*s", (int)(name - 1 - (sec + 11)), sec + 11);
			on = tracefs_has(cat, name);
			if (!strcmp(cat, "syscalls") && !o->events)
				on = false;
		}
		bpf_program__set_autoload(p, on);
	}
}

/* After attach: "name" per attached hook, "-name" per hook off or failed. */
static void hooks_build(struct qbpf *b)
{
	struct bpf_program *p;
	size_t n = 0;
	int i;

	b->hooks[0] = '\0';
	bpf_object__for_each_program(p, b->skel->obj) {
		const char *sec = bpf_program__section_name(p);
		const char *name = strrchr(sec, '/') + 1;
		bool on = false;

		/* the unused twin is not a hook of its own; enter/exit pairs show once */
		if (is_unused_twin(b, sec) || !strncmp(name, "sys_enter_", 10))
			continue;
		for (i = 0; i < b->nlinks; i++)
			on |= b->progs[i] == p;
		if (n < sizeof(b->hooks))
			n += snprintf(b->hooks + n, sizeof(b->hooks) - n, "%s%s%s", n ? " " : "",
				      on ? "" : "-", name);
	}
}

static int open_and_load(struct qbpf *b, const struct qbpf_opts *o, const struct btf *vmlinux,
			 char *err, size_t errlen)
{
	uint32_t tasks = o->max_tasks ? o->max_tasks : default_max_tasks(b);
	int ret;

	b->skel = quell_bpf__open();
	if (!b->skel) {
		ret = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(-ret));
		return ret;
	}
	b->skel->rodata->key_mode = o->key_mode;
	b->skel->rodata->cg_level = o->cg_level;
	b->skel->rodata->events_exec = o->events && o->events_exec;
	if (o->key_mode == QUELL_KEY_UID && (o->min_uid || o->max_uid)) {
		b->skel->rodata->min_key = b->min_key = o->min_uid;
		b->skel->rodata->max_key = b->max_key = o->max_uid;
	}
	ret = bpf_map__set_max_entries(b->skel->maps.acct,
				       o->max_tenants ? o->max_tenants : QBPF_DEF_TENANTS);
	/* a tenant's cgroup in up to two blkcg hierarchies (v1 blkio, v2) */
	if (!ret)
		ret = bpf_map__set_max_entries(b->skel->maps.cgkey,
					       2 * (o->max_tenants ? o->max_tenants :
						    QBPF_DEF_TENANTS));
	if (!ret)
		ret = bpf_map__set_max_entries(b->skel->maps.oom_last,
					       o->max_tenants ? o->max_tenants : QBPF_DEF_TENANTS);
	if (!ret)
		ret = bpf_map__set_max_entries(b->skel->maps.evict,
					       o->max_tenants ? o->max_tenants : QBPF_DEF_TENANTS);
	if (!ret)
		ret = bpf_map__set_max_entries(b->skel->maps.memcg_key,
					       o->max_tenants ? o->max_tenants : QBPF_DEF_TENANTS);
	if (!ret)
		ret = bpf_map__set_max_entries(b->skel->maps.fork_win,
					       o->max_tenants ? o->max_tenants : QBPF_DEF_TENANTS);
	/*
	 * The tp_btf twin keeps per-task state in task storage ("tstate"), so
	 * the pid-keyed hash is only used by the raw_tp twin; a preallocated
	 * hash of pid_max entries is ~20 MB we need not pin otherwise.
	 */
	if (!ret)
		ret = bpf_map__set_max_entries(b->skel->maps.tasks, b->raw_tp ? tasks : 1);
	if (ret) {
		snprintf(err, errlen, "set map sizes: %s", strerror(-ret));
		return ret;
	}
	select_programs(b, o, vmlinux);
	ret = quell_bpf__load(b->skel);
	if (ret) {
		snprintf(err, errlen, "load BPF (%s): %s", b->raw_tp ? "raw_tp" : "tp_btf",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

static int attach_all(struct qbpf *b, char *err, size_t errlen)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, b->skel->obj) {
		const char *sec = bpf_program__section_name(p);
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		if (b->nlinks == QBPF_MAX_LINKS) {
			snprintf(err, errlen, "too many programs");
			return -E2BIG;
		}
		l = bpf_program__attach(p);
		if (!l) {
			int ret = -errno;

			/* without sched_switch there is no accounting to speak of */
			if (strstr(sec, "/sched_switch")) {
				snprintf(err, errlen, "attach %s: %s", sec, strerror(-ret));
				return ret;
			}
			log_warn("bpf: attach %s: %s (hook off)", sec, strerror(-ret));
			continue;
		}
		b->progs[b->nlinks] = p;
		b->links[b->nlinks++] = l;
	}
	return 0;
}

static int rb_event(void *ctx, void *data, size_t len)
{
	struct qbpf *b = ctx;
	struct quell_event e;

	if (len < sizeof(e) || !b->ev_cb)
		return 0;
	memcpy(&e, data, sizeof(e));
	return b->ev_cb(&e, b->ev_arg);
}

static void qbpf_unload(struct qbpf *b)
{
	int i;

	ring_buffer__free(b->rb);
	b->rb = NULL;
	for (i = 0; i < b->nlinks; i++)
		bpf_link__destroy(b->links[i]);
	b->nlinks = 0;
	quell_bpf__destroy(b->skel);
	b->skel = NULL;
}

int qbpf_load(const struct qbpf_opts *o, struct qbpf **out, char *err, size_t errlen)
{
	const char *env = getenv("QUELL_BPF_FORCE_RAW_TP");
	struct btf *vmlinux = NULL;
	struct qbpf *b;
	int ret;

	*out = NULL;
	snprintf(err, errlen, "no error");
	if (o->key_mode != QUELL_KEY_UID && o->key_mode != QUELL_KEY_CGROUP) {
		snprintf(err, errlen, "bad key_mode %u", o->key_mode);
		return -EINVAL;
	}
	libbpf_set_print(libbpf_print);
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->max_key = UINT64_MAX;
	b->proc_fd = o->proc_fd;
	if (b->proc_fd < 0) {
		b->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (b->proc_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "/proc: %s", strerror(-ret));
			goto fail;
		}
		b->own_proc_fd = true;
	}
	b->ncpus = libbpf_num_possible_cpus();
	if (b->ncpus <= 0) {
		ret = b->ncpus ? b->ncpus : -EINVAL;
		snprintf(err, errlen, "possible CPUs: %s", strerror(-ret));
		goto fail;
	}
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		ret = -errno;
		snprintf(err, errlen, "kernel BTF (/sys/kernel/btf/vmlinux) needed for CO-RE: %s",
			 strerror(-ret));
		goto fail;
	}
	b->raw_tp = o->force_raw_tp || (env && !strcmp(env, "1")) || !probe_tp_btf();
	ret = open_and_load(b, o, vmlinux, err, errlen);
	if (ret && !b->raw_tp) {
		log_warn("bpf: %s; retrying with raw_tp", err);
		qbpf_unload(b);
		b->raw_tp = true;
		ret = open_and_load(b, o, vmlinux, err, errlen);
	}
	if (ret)
		goto fail;
	ret = attach_all(b, err, errlen);
	if (ret)
		goto fail;
	hooks_build(b);
	/* placement's events (o->events), and the fork alarm's (qbpf_set_alarm) at any time */
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), rb_event, b, NULL);
	if (!b->rb) {
		ret = -errno;
		snprintf(err, errlen, "ring buffer: %s", strerror(-ret));
		goto fail;
	}
	btf__free(vmlinux);
	*out = b;
	return 0;
fail:
	btf__free(vmlinux);
	qbpf_destroy(b);
	return ret;
}

void qbpf_destroy(struct qbpf *b)
{
	if (!b)
		return;
	qbpf_unload(b);
	if (b->own_proc_fd)
		close(b->proc_fd);
	free(b->sums);
	free(b);
}

const char *qbpf_variant(const struct qbpf *b)
{
	return b->raw_tp ? "raw_tp" : "tp_btf";
}

const char *qbpf_hooks(const struct qbpf *b)
{
	return b->hooks;
}

/* --- reading ------------------------------------------------------------- */

bool qbpf_key_covered(const struct qbpf *b, uint64_t key)
{
	return key >= b->min_key && key <= b->max_key;
}

struct acct_sum {
	uint64_t key;
	struct quell_acct a;
};

static void acct_add(struct quell_acct *dst, const struct quell_acct *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;
	size_t i;

	for (i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

int qbpf_pend_merge(const struct quell_cpu_cur *c1, const struct quell_cpu_cur *c2,
		    uint64_t gen1, struct qbpf_pend_add add[2])
{
	int n = 0;

	if (c1->pend_gen == c2->pend_gen) {
		/* no flush between the two reads: acct has none of c2's slot */
		if (c2->pend_set)
			add[n++] = (struct qbpf_pend_add){ c2->pend_key, &c2->pend };
		return n;
	}
	/*
	 * Flushes happened meanwhile. c1's slot is in acct if its flush
	 * (number c1->pend_gen + 1) is stamped in the entry read; if not, add
	 * it as c1 saw it (never more than the flush brings later). c2's slot
	 * began after the flush before c2, so acct, read before c2, lacks it.
	 * Slots that came and went between c1 and c2 and missed the read were
	 * in no earlier read either: late, never counted twice.
	 */
	if (c1->pend_set && gen1 <= c1->pend_gen)
		add[n++] = (struct qbpf_pend_add){ c1->pend_key, &c1->pend };
	if (c2->pend_set)
		add[n++] = (struct qbpf_pend_add){ c2->pend_key, &c2->pend };
	return n;
}

/*
 * Sum the per-CPU copies of one key into out->a; remember, per CPU, the
 * flush stamp of the entry of the key c1 saw pending there (gen1[], for
 * qbpf_pend_merge).
 */
static void sum_cpus(struct acct_sum *out, uint64_t key, const struct quell_acct_cpu *percpu,
		     int ncpus, const struct quell_cpu_cur *c1, uint64_t *gen1)
{
	int c;

	memset(out, 0, sizeof(*out));
	out->key = key;
	for (c = 0; c < ncpus; c++) {
		acct_add(&out->a, &percpu[c].a);
		if (c1[c].pend_set && c1[c].pend_key == key)
			gen1[c] = percpu[c].gen;
	}
}

/* Read every key with bpf_map_get_next_key; returns keys read or -errno. */
static int read_iter(struct qbpf *b, int fd, struct acct_sum *out, int max,
		     const struct quell_cpu_cur *c1, uint64_t *gen1)
{
	struct quell_acct_cpu *vals = calloc(b->ncpus, sizeof(*vals));
	uint64_t key, next;
	void *prev = NULL;
	int n = 0;

	if (!vals)
		return -ENOMEM;
	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;	/* deleted meanwhile (qbpf_forget) */
		sum_cpus(&out[n++], key, vals, b->ncpus, c1, gen1);
	}
	free(vals);
	return n;
}

/*
 * Batch lookup (5.6+): one syscall per 256 keys instead of two per key.
 * Returns keys read, or -errno to make the caller fall back to iteration.
 */
static int read_batch(struct qbpf *b, int fd, struct acct_sum *out, int max,
		      const struct quell_cpu_cur *c1, uint64_t *gen1)
{
	uint32_t chunk = 256, count, i;
	uint64_t in_batch, out_batch, *keys;
	struct quell_acct_cpu *vals;
	bool first = true;
	int n = 0, ret = 0;

	keys = calloc(chunk, sizeof(*keys));
	vals = calloc((size_t)chunk * b->ncpus, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = chunk;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, vals,
					   &count, NULL);
		ret = ret < 0 ? -errno : 0;
		if (ret && ret != -ENOENT)
			goto out;
		for (i = 0; i < count && n < max; i++)
			sum_cpus(&out[n++], keys[i], &vals[(size_t)i * b->ncpus], b->ncpus, c1,
				 gen1);
		if (ret == -ENOENT || n >= max) {
			ret = 0;
			break;
		}
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return ret ? ret : n;
}

/*
 * Every CPU's cpu_cur, read again (up to 8 times) while a copy caught a
 * flush of the pending slot halfway (pend_gen != pend_gen_end). A CPU still
 * torn after that is taken as just after that flush: its new slot empty
 * (pend_set 0) and pend_gen the flush's number, so qbpf_pend_merge() adds
 * the other copy's slot only if the acct entry read lacks that flush.
 */
static int read_cpu_cur(struct qbpf *b, struct quell_cpu_cur *cur)
{
	uint32_t zero = 0;
	int c, try, torn = 0;

	for (try = 0; try < 8; try++) {
		if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.cpu_cur), &zero, cur))
			return -errno;
		for (c = 0, torn = 0; c < b->ncpus; c++)
			torn += cur[c].pend_gen != cur[c].pend_gen_end;
		if (!torn)
			return 0;
	}
	for (c = 0; c < b->ncpus; c++) {
		if (cur[c].pend_gen != cur[c].pend_gen_end) {
			cur[c].pend_set = 0;
			cur[c].pend_gen = cur[c].pend_gen_end;
		}
	}
	return 0;
}

/* When cur's task was switched in, on CLOCK_MONOTONIC (the BPF side's clock_off). */
static uint64_t cur_start_mono(const struct quell_cpu_cur *cur)
{
	return cur->start_ns + cur->clock_off;	/* modulo 2^64, as the BPF side subtracted */
}

/* CPU time of cur's task since it was switched in (see qbpf_read_acct). */
static uint64_t running_ns(const struct qbpf *b, const struct quell_cpu_cur *cur, uint64_t now_ns)
{
	uint64_t sum, start = cur_start_mono(cur);
	struct proc_info pi;
	char path[32], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%u/schedstat", cur->pid);
	fd = openat(b->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* exited meanwhile: one slice late, never ahead */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (procfs_parse_schedstat(buf, &pi) || pi.run_ns <= cur->sum_exec_ns)
		return 0;
	/* a reused tid would show someone else's total: cap at the slice */
	sum = pi.run_ns - cur->sum_exec_ns;
	return sum < now_ns - start ? sum : now_ns - start;
}

/* The entry of key in sums[0..*n), appended (zero) if missing; NULL if sums is full. */
static struct acct_sum *sum_find(struct acct_sum *sums, int *n, int max, uint64_t key)
{
	int i;

	for (i = 0; i < *n && sums[i].key != key; i++)
		;
	if (i < *n)
		return &sums[i];
	if (*n >= max)
		return NULL;
	memset(&sums[*n], 0, sizeof(sums[*n]));
	sums[*n].key = key;
	return &sums[(*n)++];
}

int qbpf_read_acct(struct qbpf *b, uint64_t now_ns,
		   int (*cb)(uint64_t key, const struct quell_acct *a, void *arg), void *arg)
{
	int fd = bpf_map__fd(b->skel->maps.acct);
	int nacct = bpf_map__max_entries(b->skel->maps.acct);
	/* room for what the map holds plus, per CPU, a running and two pending keys */
	int max = nacct + 3 * b->ncpus;
	struct quell_cpu_cur *c1 = NULL, *c2 = NULL;
	struct acct_sum *sums, *s;
	uint64_t *gen1 = NULL;
	int n, i, c, k, ret;

	/* every entry is written whole (sum_cpus, sum_find) before it is read */
	if (b->sums_max < max) {
		sums = realloc(b->sums, (size_t)max * sizeof(*sums));
		if (!sums)
			return -ENOMEM;
		b->sums = sums;
		b->sums_max = max;
	}
	sums = b->sums;
	c1 = calloc(b->ncpus, sizeof(*c1));
	c2 = calloc(b->ncpus, sizeof(*c2));
	gen1 = calloc(b->ncpus, sizeof(*gen1));
	if (!c1 || !c2 || !gen1) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * cpu_cur before and after the acct read. Pending slots: see
	 * qbpf_pend_merge(). The in-progress slice: a CPU whose current slice
	 * did not change meanwhile has that slice in neither acct nor a
	 * pending slot, so adding it is exact. A CPU that switched meanwhile
	 * gets nothing added this time (at most one slice late, never doubled).
	 * The in-progress part is the running task's sum_exec_runtime now
	 * (<proc>/<tid>/schedstat) minus its value at switch-in, the same
	 * measure the BPF side charges at switch-out. schedstat shows the
	 * value of the last update_curr() (tick), never more than the
	 * switch-out will charge, so the counter never steps back (a rate
	 * computed from a step back looks like a restart). Unreadable (the
	 * task exited): nothing added, the switch-out brings it next time.
	 */
	ret = read_cpu_cur(b, c1);
	if (ret)
		goto out;
	n = read_batch(b, fd, sums, nacct, c1, gen1);
	if (n < 0) {
		memset(gen1, 0, b->ncpus * sizeof(*gen1));
		n = read_iter(b, fd, sums, nacct, c1, gen1);
	}
	if (n < 0) {
		ret = n;
		goto out;
	}
	ret = read_cpu_cur(b, c2);
	if (ret)
		goto out;
	/*
	 * A full acct map: a key it does not hold is unknown to BPF (its
	 * flushes fail) and gather falls back to cgroupfs for it. Its pending
	 * slot or running slice alone would report a few ms that the next read
	 * no longer has: a counter stepping back, and the tenant's source
	 * flipping between bpf and cgroup (t_robust_maps). Only keys the map
	 * holds get them then.
	 */
	if (n >= nacct)
		max = n;
	for (c = 0; c < b->ncpus; c++) {
		struct qbpf_pend_add add[2];
		int na = qbpf_pend_merge(&c1[c], &c2[c], gen1[c], add);

		for (k = 0; k < na; k++) {
			s = sum_find(sums, &n, max, add[k].key);
			if (s)
				acct_add(&s->a, add[k].a);
		}
		if (c2[c].key == QUELL_KEY_NONE || c2[c].key == QUELL_KEY_OTHER || !c2[c].start_ns ||
		    c1[c].start_ns != c2[c].start_ns || now_ns <= cur_start_mono(&c2[c]))
			continue;
		/* running since before its first switch-out: maybe in no map yet */
		s = sum_find(sums, &n, max, c2[c].key);
		if (s)
			s->a.cpu_ns += running_ns(b, &c2[c], now_ns);
	}
	for (i = 0; i < n; i++) {
		ret = cb(sums[i].key, &sums[i].a, arg);
		if (ret < 0)
			goto out;
	}
	ret = n;
out:
	free(c1);
	free(c2);
	free(gen1);
	return ret;
}

int qbpf_forget(struct qbpf *b, uint64_t key)
{
	/* a later tenant with the same key must not inherit the last OOM victim */
	bpf_map_delete_elem(bpf_map__fd(b->skel->maps.oom_last), &key);
	bpf_map_delete_elem(bpf_map__fd(b->skel->maps.evict), &key);
	if (bpf_map_delete_elem(bpf_map__fd(b->skel->maps.acct), &key))
		return -errno;
	return 0;
}

int qbpf_oom_last(struct qbpf *b, uint64_t key, struct quell_oom *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.oom_last), &key, out))
		return -errno;
	out->comm[sizeof(out->comm) - 1] = '\0';
	return 0;
}

int qbpf_map_cgroup(struct qbpf *b, uint64_t cgid, uint64_t key)
{
	if (!cgid || key == QUELL_KEY_NONE || key == QUELL_KEY_OTHER)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.cgkey), &cgid, &key, BPF_ANY))
		return -errno;
	return 0;
}

/* Delete every entry of hash fd whose __u64 value is key; returns how many. */
static int unmap_value(int fd, uint64_t key)
{
	uint64_t id, next, val, del[16];
	void *prev = NULL;
	int n = 0, nd = 0, i;

	/*
	 * Deleting the current key restarts get_next_key from the first one
	 * (the key is gone), so collect first, delete after: at most a few
	 * ids per tenant.
	 */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		id = next;
		prev = &id;
		if (!bpf_map_lookup_elem(fd, &id, &val) && val == key && nd < 16)
			del[nd++] = id;
	}
	for (i = 0; i < nd; i++)
		if (!bpf_map_delete_elem(fd, &del[i]))
			n++;
	return n;
}

int qbpf_map_memcg(struct qbpf *b, uint64_t memcg_id, uint64_t key)
{
	int fd = bpf_map__fd(b->skel->maps.memcg_key);

	if (!memcg_id || key == QUELL_KEY_NONE || key == QUELL_KEY_OTHER)
		return -EINVAL;
	unmap_value(fd, key);	/* one memory cgroup per tenant: a new directory, a new id */
	if (bpf_map_update_elem(fd, &memcg_id, &key, BPF_ANY))
		return -errno;
	return 0;
}

int qbpf_read_evict(struct qbpf *b,
		    int (*cb)(uint64_t key, const struct quell_evict *e, void *arg), void *arg)
{
	int fd = bpf_map__fd(b->skel->maps.evict), n = 0, ret = 0;
	struct quell_evict *v = calloc(b->ncpus, sizeof(*v)), sum;
	uint64_t key, next;
	void *prev = NULL;

	if (!v)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v))
			continue;	/* deleted meanwhile (qbpf_forget) */
		memset(&sum, 0, sizeof(sum));
		for (int c = 0; c < b->ncpus; c++) {
			sum.inflicted_pages += v[c].inflicted_pages;
			sum.suffered_pages += v[c].suffered_pages;
		}
		n++;
		ret = cb(key, &sum, arg);
		if (ret)
			break;
	}
	free(v);
	return ret < 0 ? ret : n;
}

int qbpf_unmap_cgroup(struct qbpf *b, uint64_t cgid)
{
	if (bpf_map_delete_elem(bpf_map__fd(b->skel->maps.cgkey), &cgid))
		return -errno;
	return 0;
}

int qbpf_unmap_key(struct qbpf *b, uint64_t key)
{
	/* the memory cgroup too (who evicts whom), not counted in the return */
	unmap_value(bpf_map__fd(b->skel->maps.memcg_key), key);
	return unmap_value(bpf_map__fd(b->skel->maps.cgkey), key);
}

int qbpf_read_stats(struct qbpf *b, uint64_t stats[QUELL_STAT_NR])
{
	int fd = bpf_map__fd(b->skel->maps.stats);
	uint64_t *v = calloc(b->ncpus, sizeof(*v));
	uint32_t i;
	int c;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < QUELL_STAT_NR; i++) {
		stats[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v)) {
			int ret = -errno;

			free(v);
			return ret;
		}
		for (c = 0; c < b->ncpus; c++)
			stats[i] += v[c];
	}
	free(v);
	return 0;
}

int qbpf_acct_fill(struct qbpf *b, uint32_t *used, uint32_t *max)
{
	int fd = bpf_map__fd(b->skel->maps.acct);
	uint64_t key, next;
	void *prev = NULL;
	uint32_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	*used = n;
	*max = bpf_map__max_entries(b->skel->maps.acct);
	return 0;
}

int qbpf_prog_stats(struct qbpf *b, struct qbpf_prog_stat *out, int max)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, b->skel->obj) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || n >= max)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(p));
		out[n].run_ns = info.run_time_ns;
		out[n].run_cnt = info.run_cnt;
		n++;
	}
	return n;
}

int qbpf_set_alarm(struct qbpf *b, uint64_t forks, bool wait_alarm, uint64_t wait_ns)
{
	if (!b || !b->skel || !b->skel->bss)
		return -EINVAL;
	/* the order the BPF side reads them: a burst is judged only once alarm_forks is set */
	b->skel->bss->alarm_wait_ns = wait_ns;
	b->skel->bss->wait_alarm = wait_alarm;
	b->skel->bss->alarm_forks = forks;
	return 0;
}

static bool key_in(uint64_t key, const uint64_t *keys, int n)
{
	for (int i = 0; i < n; i++)
		if (keys[i] == key)
			return true;
	return false;
}

int qbpf_set_wait_crowd(struct qbpf *b, const uint64_t *keys, int n)
{
	uint8_t one = 1;
	int fd, ret = 0;

	if (!b || !b->skel || n < 0 || n > QUELL_WAIT_CROWD)
		return -EINVAL;
	fd = bpf_map__fd(b->skel->maps.wait_crowd);
	/* only the changes: the crowd of one tick is mostly the last one's */
	for (int i = 0; i < b->crowd_n; i++)
		if (!key_in(b->crowd[i], keys, n) && bpf_map_delete_elem(fd, &b->crowd[i]) &&
		    errno != ENOENT)
			ret = -errno;
	for (int i = 0; i < n; i++)
		if (!key_in(keys[i], b->crowd, b->crowd_n) &&
		    bpf_map_update_elem(fd, &keys[i], &one, BPF_ANY))
			ret = -errno;
	memcpy(b->crowd, keys, (size_t)n * sizeof(*keys));
	b->crowd_n = n;
	return ret;
}

int qbpf_events_fd(struct qbpf *b)
{
	return b->rb ? ring_buffer__epoll_fd(b->rb) : -1;
}

int qbpf_events_consume(struct qbpf *b, int (*cb)(const struct quell_event *e, void *arg),
			void *arg)
{
	int ret;

	if (!b->rb)
		return 0;	/* no ring buffer: nothing to drain */
	b->ev_cb = cb;
	b->ev_arg = arg;
	ret = ring_buffer__consume(b->rb);
	b->ev_cb = NULL;
	return ret;
}
