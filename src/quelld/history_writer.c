// SPDX-License-Identifier: GPL-2.0-only
/*
 * history_writer.c - quelld's RRD writer.
 *
 * The tick path (history_tick) only copies raw samples into a batch, once
 * per RRD step, and hands it to one writer thread; all librrd calls happen
 * on that thread, so the daemon's other threads never touch librrd's
 * global state and a slow disk never delays the policy loop. At most
 * HIST_QUEUE batches wait; beyond that a batch is dropped and counted
 * (a gap in the graphs, never a stalled tick). docs/history.md has the
 * measured costs.
 *
 * Each file is checked the first time this run touches it (rrd_info: is it
 * an RRD, same step, same DS set); a corrupt or incompatible file is
 * renamed to <file>.corrupt-<time> and recreated. An update that fails
 * later triggers the same check. A file of an older archive layout (the
 * 9.2 MB one of the first version), or with fewer DS (a metric added to
 * QM_TABLE since, all its DS still ours), is migrated: a new file is created
 * from it (rrd_create_r2's sources prefill what the new archives can hold)
 * and replaces it.
 *
 * Files are created lazily (issue 11 item 5): a tenant gets its file the
 * first step it has any non-zero value, and each batch creates at most
 * HIST_CREATE_PER_S x step files and checks at most HIST_CHECK_PER_S x step
 * existing ones; the rest wait for the next step (counted as deferred). So
 * 2,000 new tenants are spread over minutes instead of one burst of
 * rrd_create calls. Files are 0640, directories 0750 (issue 12 item 3):
 * tenants read their own history through the daemon (`history` command).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "fs.h"
#include "history_writer.h"
#include "log.h"
#include "tenant_name.h"

#define HIST_QUEUE	4	/* batches the writer may lag behind before dropping */
/*
 * Creation and first-touch budgets per second of history time. Creating
 * one 880 KB file costs ~4 ms (docs/history.md), so 5 per second is at
 * most ~2 % of a core; an rrd_info check is ~0.1 ms.
 */
#define HIST_CREATE_PER_S	5
#define HIST_CHECK_PER_S	100
#define HIST_FILE_MODE	0640
#define HIST_DIR_MODE	0750

struct hist_batch {
	struct hist_rec *rec;
	int n;
};

/* Writer-thread state of one file: checked this run, last update time. */
struct hist_known {
	char *name;		/* "" = host */
	int64_t last;
};

/*
 * The dense recent window (issue 11 item 5: spikes at tick resolution): per
 * tenant, the last HIST_RECENT_S seconds of a few per-tick rates, the MAX of
 * the ticks within each second. Lives in the daemon's memory only (main
 * thread), served by the `history` command with "recent": true; the RRD
 * files start at the step (10 s). A tenant gets a window at its first
 * non-zero value.
 *
 * Sized by what happens (issue 15): a window was 300 x (4 + 5 x 4) = 7,264
 * bytes, 73 MB at 10,000 tenants, and most seconds of most tenants are
 * quiet (the rates are 0 or unknown; only memory has a value). The seconds,
 * memory and which quiet rates are unknown are kept for every second; the
 * four rates only in 30 s chunks (484 bytes) allocated at the first non-zero
 * rate among their seconds and freed when that rate has left the window. A
 * window of a quiet tenant is 2,848 bytes (28 MB at 10,000), a tenant busy
 * in every 30 s of the window 7,688.
 */
enum { HR_CPU, HR_INFL, HR_RBPS, HR_WBPS, HR_MEM, HR_NR };
#define HR_RATES	HR_MEM		/* the rates come first: those live in chunks */
#define HR_CHUNK_S	30
#define HR_CHUNKS	(HIST_RECENT_S / HR_CHUNK_S)
_Static_assert(HIST_RECENT_S % HR_CHUNK_S == 0, "whole chunks");

/* The views kept; their history column is the hist_cols[] row of the same key. */
static const enum qv_id recent_qv[HR_NR] = {
	[HR_CPU] = QV_CPU_PCT, [HR_INFL] = QV_INFLICTED, [HR_RBPS] = QV_IO_RBPS,
	[HR_WBPS] = QV_IO_WBPS, [HR_MEM] = QV_MEM_BYTES,
};

struct hr_chunk {
	uint32_t last_busy;		/* latest second with a non-zero rate in this chunk */
	float v[HR_CHUNK_S][HR_RATES];	/* NAN = unknown */
};

struct hist_recent {
	char name[QUELL_NAME_MAX];
	uint32_t sec[HIST_RECENT_S];	/* epoch second a slot holds; 0 = empty */
	float mem[HIST_RECENT_S];	/* NAN = unknown */
	uint8_t unknown[HIST_RECENT_S];	/* without a chunk: bit k, rate k unknown (else 0) */
	struct hr_chunk *c[HR_CHUNKS];	/* NULL: every second of these 30 slots was quiet */
};

struct history {
	char dir[4096];
	char cached_addr[256];
	bool cached;
	uint64_t step;
	int64_t last_slot;
	struct hist_schema ts, hs;

	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv, done_cv;
	struct hist_batch q[HIST_QUEUE];
	int qhead, qlen;
	bool busy, stop;
	struct history_stats st;

	/* writer thread only */
	struct hist_known *known;
	size_t known_cap, known_n;
	/*
	 * Idle tenants found without a file, by a 64-bit hash of the name (0
	 * empty): only this writer creates the files, so such a tenant stays
	 * without one until it uses something and is not looked for again. An
	 * access() per idle tenant per step was 7-15 % of quelld's samples at
	 * 10,000 tenants; 8 bytes a tenant here, where a known entry (name
	 * copied) would be ~80 (docs/performance.md).
	 */
	uint64_t *absent;
	size_t absent_cap, absent_n;

	/* main thread only: recent windows, open addressing by name */
	struct hist_recent **recent;
	size_t recent_cap, recent_n;
};

static const char *rrd_msg(void)
{
	return rrd_test_error() ? rrd_get_error() : "unknown librrd error";
}

/* ---- one file ---- */

/* Not world-readable (issue 12 item 3); group-readable for gid when set. */
static int file_private(const char *path, mode_t mode, gid_t gid)
{
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid))
		return -errno;
	return chmod(path, mode) ? -errno : 0;
}

/* Create path (from the data of source when not NULL), mode 0640. */
static int file_create_from(const char *path, const struct hist_schema *s, int64_t t,
			    const char *source, char *err, size_t errlen)
{
	const char *argv[HIST_MAX_DS + HIST_MAX_RRA];
	const char *sources[2] = { source, NULL };
	char ds[HIST_MAX_DS][64];
	int argc = 0;

	for (int i = 0; i < s->nds; i++) {
		snprintf(ds[i], sizeof(ds[i]), "DS:%s:%s:%" PRIu64 ":0:U", s->ds[i].name,
			 s->ds[i].type == HIST_DS_DERIVE ? "DERIVE" : "GAUGE", s->heartbeat_s);
		argv[argc++] = ds[i];
	}
	for (int i = 0; i < s->nrra; i++)
		argv[argc++] = s->rra[i];
	rrd_clear_error();
	if (rrd_create_r2(path, (unsigned long)s->step_s, (time_t)(t - 1), 0,
			  source ? sources : NULL, NULL, argc, argv)) {
		snprintf(err, errlen, "create %s: %s", path, rrd_msg());
		rrd_clear_error();
		unlink(path);
		return -EIO;
	}
	file_private(path, HIST_FILE_MODE, (gid_t)-1);
	return 0;
}

static int file_create(const char *path, const struct hist_schema *s, int64_t t, char *err,
		       size_t errlen)
{
	return file_create_from(path, s, t, NULL, err, errlen);
}

/*
 * file_check - is path an RRD with this schema? Returns 0 with *last set,
 * -ENOENT (missing), -EBADMSG (not an RRD / unreadable), -EMEDIUMTYPE
 * (different step or DS set), -ESTALE (same step and DS, other archives:
 * an older layout, *last set), with the reason in err. A world-readable
 * file of an older version is made private on the way.
 */
static int file_check(const char *path, const struct hist_schema *s, int64_t *last, char *err,
		      size_t errlen)
{
	rrd_info_t *info, *i;
	unsigned long step = 0;
	int nds = 0, bad = 0, nrra = 0, rra_bad = 0;
	char cf[HIST_MAX_RRA][16] = { { 0 } };
	unsigned long long pdp[HIST_MAX_RRA] = { 0 }, rows[HIST_MAX_RRA] = { 0 };
	struct stat sb;

	if (stat(path, &sb))
		return -errno;
	if (sb.st_mode & 0007)
		file_private(path, HIST_FILE_MODE, (gid_t)-1);
	rrd_clear_error();
	info = rrd_info_r(path);
	if (!info) {
		snprintf(err, errlen, "%s: %s", path, rrd_msg());
		rrd_clear_error();
		return -EBADMSG;
	}
	*last = 0;
	for (i = info; i; i = i->next) {
		char name[HIST_DS_NAME_MAX + 1], field[32];
		int r;

		if (!strcmp(i->key, "step")) {
			step = i->value.u_cnt;
		} else if (!strcmp(i->key, "last_update")) {
			*last = (int64_t)i->value.u_cnt;
		} else if (sscanf(i->key, "ds[%20[^]]].index", name) == 1 &&
			   strstr(i->key, "].index")) {
			nds++;
			if (hist_schema_find(s, name) < 0)
				bad = 1;
		} else if (sscanf(i->key, "rra[%d].%31s", &r, field) == 2 && r >= 0) {
			if (r >= HIST_MAX_RRA) {
				rra_bad = 1;
				continue;
			}
			if (r + 1 > nrra)
				nrra = r + 1;
			if (!strcmp(field, "cf") && i->type == RD_I_STR)
				snprintf(cf[r], sizeof(cf[r]), "%s", i->value.u_str);
			else if (!strcmp(field, "rows"))
				rows[r] = i->value.u_cnt;
			else if (!strcmp(field, "pdp_per_row"))
				pdp[r] = i->value.u_cnt;
		}
	}
	rrd_info_free(info);
	if (step != s->step_s || nds > s->nds || bad) {
		snprintf(err, errlen, "%s: step %lu, %d DS: does not match the schema (step %" PRIu64
			 ", %d DS)", path, step, nds, s->step_s, s->nds);
		return -EMEDIUMTYPE;
	}
	if (nds < s->nds) {
		/* every DS it has is one of ours: a metric was added to the schema
		 * (mem_inflicted, issue 14); migrated with its data, the new DS unknown */
		snprintf(err, errlen, "%s: %d DS of an older schema (now %d)", path, nds, s->nds);
		return -ESTALE;
	}
	rra_bad |= nrra != s->nrra;
	for (int r = 0; r < nrra && !rra_bad; r++) {
		char want[HIST_RRA_LEN + 128];

		snprintf(want, sizeof(want), "RRA:%.15s:0.5:%llu:%llu", cf[r], pdp[r], rows[r]);
		rra_bad = strcmp(want, s->rra[r]) != 0;
	}
	if (rra_bad) {
		snprintf(err, errlen, "%s: %d archives of an older layout (now %d)", path, nrra,
			 s->nrra);
		return -ESTALE;
	}
	return 0;
}

/*
 * file_migrate - replace path (an older layout, last update *last) by a file
 * of schema s prefilled with its data. Returns 0 or -errno with err set.
 */
static int file_migrate(const char *path, const struct hist_schema *s, int64_t last, char *err,
			size_t errlen)
{
	char tmp[4200];
	int ret;

	snprintf(tmp, sizeof(tmp), "%s.migrating", path);
	unlink(tmp);
	ret = file_create_from(tmp, s, last + 1, path, err, errlen);
	if (ret)
		return ret;
	if (rename(tmp, path)) {
		ret = -errno;
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	return 0;
}

int hist_file_ensure(const char *path, const struct hist_schema *s, int64_t t, int64_t *last,
		     char *err, size_t errlen)
{
	char aside[4200], why[512] = "";
	int ret = file_check(path, s, last, why, sizeof(why));

	if (!ret)
		return 0;
	if (ret == -ESTALE) {
		int64_t old_last = *last;

		ret = file_migrate(path, s, old_last, err, errlen);
		if (!ret) {
			log_info("history: %s: %s; migrated to the current layout", path, why);
			return 3;
		}
		log_err("history: %s: migration failed: %s; setting it aside", path, err);
		ret = -EMEDIUMTYPE;
	}
	*last = t - 1;
	if (ret == -ENOENT) {
		ret = file_create(path, s, t, err, errlen);
		return ret ? ret : 1;
	}
	if (ret != -EBADMSG && ret != -EMEDIUMTYPE) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	snprintf(aside, sizeof(aside), "%s.corrupt-%" PRId64, path, t);
	if (rename(path, aside)) {
		snprintf(err, errlen, "%s; cannot set it aside: %s", why, strerror(errno));
		return -errno;
	}
	log_err("history: %s; set aside as %s and recreated", why, aside);
	ret = file_create(path, s, t, err, errlen);
	return ret ? ret : 2;
}

/* ---- the writer thread ---- */

static struct hist_known *known_get(struct history *h, const char *name)
{
	size_t hash = 5381, i;

	if (h->known_n * 2 >= h->known_cap) {
		size_t nc = h->known_cap ? 2 * h->known_cap : 1024;
		struct hist_known *nk = calloc(nc, sizeof(*nk));

		if (!nk)
			return NULL;
		for (size_t j = 0; j < h->known_cap; j++) {
			struct hist_known *k = &h->known[j];
			size_t hh = 5381;

			if (!k->name)
				continue;
			for (const char *p = k->name; *p; p++)
				hh = hh * 33 + (unsigned char)*p;
			for (i = hh & (nc - 1); nk[i].name; i = (i + 1) & (nc - 1))
				;
			nk[i] = *k;
		}
		free(h->known);
		h->known = nk;
		h->known_cap = nc;
	}
	for (const char *p = name; *p; p++)
		hash = hash * 33 + (unsigned char)*p;
	for (i = hash & (h->known_cap - 1); h->known[i].name; i = (i + 1) & (h->known_cap - 1))
		if (!strcmp(h->known[i].name, name))
			return &h->known[i];
	return NULL;
}

static struct hist_known *known_add(struct history *h, const char *name, int64_t last)
{
	size_t hash = 5381, i;

	if (!h->known_cap)
		return NULL;
	for (const char *p = name; *p; p++)
		hash = hash * 33 + (unsigned char)*p;
	for (i = hash & (h->known_cap - 1); h->known[i].name; i = (i + 1) & (h->known_cap - 1))
		;
	h->known[i].name = strdup(name);
	if (!h->known[i].name)
		return NULL;
	h->known[i].last = last;
	h->known_n++;
	return &h->known[i];
}

static uint64_t absent_hash(const char *name)
{
	uint64_t x = tenant_name_hash(name);

	return x ? x : 1;	/* 0 marks an empty slot */
}

/* Slot of x in the absent set, or of the empty slot where it would go. */
static size_t absent_slot(const struct history *h, uint64_t x)
{
	size_t i = (size_t)(x ^ (x >> 29)) & (h->absent_cap - 1);

	while (h->absent[i] && h->absent[i] != x)
		i = (i + 1) & (h->absent_cap - 1);
	return i;
}

static bool absent_has(const struct history *h, uint64_t x)
{
	return h->absent_cap && h->absent[absent_slot(h, x)] == x;
}

/* Remember x; on ENOMEM it is simply looked for again next time. */
static void absent_put(struct history *h, uint64_t x)
{
	if ((h->absent_n + 1) * 4 >= h->absent_cap * 3) {	/* load <= 3/4 */
		size_t nc = h->absent_cap ? 2 * h->absent_cap : 1024;
		uint64_t *old = h->absent, *n = calloc(nc, sizeof(*n));
		size_t oc = h->absent_cap;

		if (!n)
			return;
		h->absent = n;
		h->absent_cap = nc;
		for (size_t j = 0; j < oc; j++)
			if (old[j])
				h->absent[absent_slot(h, old[j])] = old[j];
		free(old);
	}
	h->absent[absent_slot(h, x)] = x;
	h->absent_n++;
}

/* x got a file: drop it from the set (backward-shift deletion keeps probing right). */
static void absent_del(struct history *h, uint64_t x)
{
	size_t i, j, m = h->absent_cap - 1;

	if (!absent_has(h, x))
		return;
	i = absent_slot(h, x);
	h->absent[i] = 0;
	h->absent_n--;
	for (j = (i + 1) & m; h->absent[j]; j = (j + 1) & m) {
		uint64_t y = h->absent[j];

		h->absent[j] = 0;
		h->absent[absent_slot(h, y)] = y;
	}
}

static int do_update(struct history *h, const char *path, const char *line)
{
	rrd_clear_error();
	if (h->cached) {
		const char *v[1] = { line };

		return rrdc_update(path, 1, v) ? -EIO : 0;
	}
	return rrd_update_r(path, NULL, 1, &line) ? -EIO : 0;
}

/* Per-batch allowance of first touches (HIST_CHECK_PER_S) and creations. */
struct hist_budget {
	int64_t checks, creates;
};

/* Any known non-zero value: the tenant has used something. */
static bool rec_has_usage(const struct hist_rec *r)
{
	for (int i = 0; i < hist_tenant_nqm; i++)
		if ((r->valid & (1ULL << i)) && r->u[i])
			return true;
	return false;
}

/*
 * write_rec - one record: the first touch this run checks (or lazily
 * creates) the file within the batch's budget, then the update. Returns 0
 * (written), 1 (skipped: idle tenant without a file, budget spent, or an
 * update at or before the file's last), -errno.
 */
static int write_rec(struct history *h, const struct hist_rec *r, struct hist_budget *b)
{
	const struct hist_schema *s = r->name[0] ? &h->ts : &h->hs;
	char path[4400], line[1024], err[1024];
	struct hist_known *k;
	int64_t last;
	int ret;

	ret = hist_path(h->dir, r->name, path, sizeof(path));
	if (ret) {
		log_warn("history: tenant name %s: %s", r->name, strerror(-ret));
		return ret;
	}
	k = known_get(h, r->name);
	if (!k) {
		uint64_t ah = absent_hash(r->name);
		bool usage = rec_has_usage(r), exists;

		if (r->name[0] && !usage && absent_has(h, ah)) {
			h->st.idle++;
			return 1;
		}
		exists = !access(path, F_OK);
		if (!exists && r->name[0] && !usage) {
			h->st.idle++;
			absent_put(h, ah);
			return 1;
		}
		absent_del(h, ah);
		/* host.rrd is one file: never held back */
		if (r->name[0] && (exists ? b->checks <= 0 : b->creates <= 0)) {
			h->st.deferred++;
			return 1;
		}
		ret = hist_file_ensure(path, s, r->t, &last, err, sizeof(err));
		if (ret < 0) {
			log_err("history: %s", err);
			return ret;
		}
		b->checks -= exists;
		b->creates -= ret > 0;
		h->st.created += ret == 1;
		h->st.recreated += ret == 2;
		h->st.migrated += ret == 3;
		if (ret >= 2 && h->cached)
			rrdc_forget(path);
		k = known_add(h, r->name, last);
		if (!k)
			return -ENOMEM;
	}
	if (r->t <= k->last)	/* same second, or the clock went back: rrdtool refuses */
		return 1;
	ret = hist_update_line(r, line, sizeof(line));
	if (ret < 0)
		return ret;
	ret = do_update(h, path, line);
	if (ret) {
		/* corrupt or deleted under us? check, set aside / recreate, retry once */
		snprintf(err, sizeof(err), "%s", rrd_msg());
		ret = hist_file_ensure(path, s, r->t, &last, err + strlen(err),
				       sizeof(err) - strlen(err));
		if (ret > 0) {
			h->st.created += ret == 1;
			h->st.recreated += ret == 2;
			h->st.migrated += ret == 3;
			if (h->cached)
				rrdc_forget(path);
			ret = do_update(h, path, line);
		} else if (!ret) {
			ret = -EIO;	/* file is fine: a transient or ordering error */
		}
		if (ret) {
			log_warn("history: update %s: %s", path, err);
			rrd_clear_error();
			return ret;
		}
	}
	k->last = r->t;
	return 0;
}

static void *writer_main(void *arg)
{
	struct history *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		struct hist_batch b;
		struct hist_budget bud;
		uint64_t t0, dt;
		int nerr = 0, nok = 0;

		while (!h->qlen && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (!h->qlen)
			break;
		b = h->q[h->qhead];
		h->qhead = (h->qhead + 1) % HIST_QUEUE;
		h->qlen--;
		h->busy = true;
		pthread_mutex_unlock(&h->mu);

		t0 = clock_mono_ns();
		bud.checks = HIST_CHECK_PER_S * (int64_t)h->step;
		bud.creates = HIST_CREATE_PER_S * (int64_t)h->step;
		for (int i = 0; i < b.n; i++) {
			int ret = write_rec(h, &b.rec[i], &bud);

			nerr += ret < 0;
			nok += ret == 0;
		}
		dt = clock_mono_ns() - t0;
		free(b.rec);

		pthread_mutex_lock(&h->mu);
		h->busy = false;
		h->st.updates += (uint64_t)nok;
		h->st.errors += (uint64_t)nerr;
		h->st.last_batch_ns = dt;
		if (dt > h->st.max_batch_ns)
			h->st.max_batch_ns = dt;
		pthread_cond_broadcast(&h->done_cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

int history_open(struct daemon *d)
{
	const struct quell_config *c = &d->cfg;
	struct history *h;
	char sub[4200];
	int ret;

	d->hist = NULL;
	if (!c->history)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (c->rrd_dir[0])
		snprintf(h->dir, sizeof(h->dir), "%s", c->rrd_dir);
	else
		snprintf(h->dir, sizeof(h->dir), "%s/rrd", c->state_dir);
	h->step = c->rrd_step_s ? c->rrd_step_s : 10;
	h->last_slot = -1;
	ret = hist_schema_tenant(h->step, &h->ts);
	if (!ret)
		ret = hist_schema_host(h->step, &h->hs);
	if (ret) {
		log_err("history: step %" PRIu64 " s: must be 1..3600", h->step);
		free(h);
		return ret;
	}
	snprintf(sub, sizeof(sub), "%s/" HIST_TENANT_DIR, h->dir);
	ret = fs_mkdir_p(sub, HIST_DIR_MODE, HIST_DIR_MODE);
	/* directories of an older version were 0755: close them */
	if (!ret)
		ret = file_private(h->dir, HIST_DIR_MODE, (gid_t)-1);
	if (!ret)
		ret = file_private(sub, HIST_DIR_MODE, (gid_t)-1);
	if (ret) {
		log_err("history: %s: %s", sub, strerror(-ret));
		free(h);
		return ret;
	}
	/* rrdcached resolves relative names against its own cwd: hand it absolute ones */
	if (h->dir[0] != '/') {
		char abs[4096];

		if (realpath(h->dir, abs))
			snprintf(h->dir, sizeof(h->dir), "%s", abs);
	}
	if (c->rrdcached[0]) {
		snprintf(h->cached_addr, sizeof(h->cached_addr), "%s", c->rrdcached);
		rrd_clear_error();
		if (rrdc_connect(h->cached_addr) || !rrdc_is_connected(h->cached_addr)) {
			log_warn("history: rrdcached %s: %s; writing files directly", h->cached_addr,
				 rrd_msg());
			rrd_clear_error();
		} else {
			h->cached = true;
			/* the `history` command's reads flush the file first, like quellctl's */
			hist_read_set_rrdcached(h->cached_addr);
		}
	}
	h->st.rrdcached = h->cached;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_cond_init(&h->done_cv, NULL);
	ret = -pthread_create(&h->thr, NULL, writer_main, h);
	if (ret) {
		log_err("history: writer thread: %s", strerror(-ret));
		if (h->cached)
			rrdc_disconnect();
		free(h);
		return ret;
	}
	h->thr_started = true;
	d->hist = h;
	log_info("history: %s, step %" PRIu64 " s, %s", h->dir, h->step,
		 h->cached ? h->cached_addr : "direct writes");
	return 0;
}

static size_t name_hash(const char *name)
{
	size_t hash = 5381;

	for (const char *p = name; *p; p++)
		hash = hash * 33 + (unsigned char)*p;
	return hash;
}

/* The window of name; with add, created when missing. NULL: none / no memory. */
static struct hist_recent *recent_get(struct history *h, const char *name, bool add)
{
	size_t i;

	if (add && h->recent_n * 2 >= h->recent_cap) {
		size_t nc = h->recent_cap ? 2 * h->recent_cap : 256;
		struct hist_recent **nr = calloc(nc, sizeof(*nr));

		if (!nr)
			return NULL;
		for (size_t j = 0; j < h->recent_cap; j++) {
			if (!h->recent[j])
				continue;
			for (i = name_hash(h->recent[j]->name) & (nc - 1); nr[i]; i = (i + 1) & (nc - 1))
				;
			nr[i] = h->recent[j];
		}
		free(h->recent);
		h->recent = nr;
		h->recent_cap = nc;
	}
	if (!h->recent_cap)
		return NULL;
	for (i = name_hash(name) & (h->recent_cap - 1); h->recent[i];
	     i = (i + 1) & (h->recent_cap - 1))
		if (!strcmp(h->recent[i]->name, name))
			return h->recent[i];
	if (!add)
		return NULL;
	h->recent[i] = calloc(1, sizeof(**h->recent));
	if (!h->recent[i])
		return NULL;
	snprintf(h->recent[i]->name, sizeof(h->recent[i]->name), "%s", name);
	h->recent_n++;
	return h->recent[i];
}

/* A chunk for the slots of c, filled with what the quiet seconds held. NULL: no memory. */
static struct hr_chunk *chunk_new(const struct hist_recent *r, int c)
{
	struct hr_chunk *ch = malloc(sizeof(*ch));

	if (!ch)
		return NULL;
	ch->last_busy = 0;
	for (int i = 0; i < HR_CHUNK_S; i++)
		for (int k = 0; k < HR_RATES; k++)
			ch->v[i][k] = r->unknown[c * HR_CHUNK_S + i] & (1u << k) ? NAN : 0.0f;
	return ch;
}

/* One tick of one tenant into its window: the MAX of the ticks of a second. */
static void recent_record(struct history *h, const struct tenant *t, time_t now)
{
	double x[HR_NR];
	struct hist_recent *r = recent_get(h, t->name, false);
	size_t slot = (size_t)now % HIST_RECENT_S;
	int c = (int)(slot / HR_CHUNK_S), i = (int)(slot % HR_CHUNK_S);
	bool busy = false, rate_busy = false;
	struct hr_chunk *ch;

	for (int k = 0; k < HR_NR; k++) {
		x[k] = qv_get(&t->view, recent_qv[k]);
		busy |= isfinite(x[k]) && x[k] > 0;
		if (k < HR_RATES)
			rate_busy |= isfinite(x[k]) && x[k] != 0;
	}
	if (!r && !busy)
		return;		/* idle and never seen busy: no window */
	if (!r)
		r = recent_get(h, t->name, true);
	if (!r)
		return;
	ch = r->c[c];
	if (r->sec[slot] != (uint32_t)now) {
		r->sec[slot] = (uint32_t)now;
		r->mem[slot] = NAN;
		r->unknown[slot] = (1u << HR_RATES) - 1;
		/* the chunk's last non-zero rate has left the window: its seconds are quiet */
		if (ch && (uint32_t)now - ch->last_busy >= HIST_RECENT_S && !rate_busy) {
			free(ch);
			r->c[c] = ch = NULL;
		}
		if (ch)
			for (int k = 0; k < HR_RATES; k++)
				ch->v[i][k] = NAN;
	}
	if (rate_busy && !ch) {
		ch = r->c[c] = chunk_new(r, c);
		if (!ch)
			return;
	}
	for (int k = 0; k < HR_RATES; k++) {
		if (!isfinite(x[k]))
			continue;
		r->unknown[slot] &= (uint8_t)~(1u << k);
		if (ch && (isnan(ch->v[i][k]) || x[k] > ch->v[i][k]))
			ch->v[i][k] = (float)x[k];
	}
	if (ch && rate_busy)
		ch->last_busy = (uint32_t)now;
	if (isfinite(x[HR_MEM]) && (isnan(r->mem[slot]) || x[HR_MEM] > r->mem[slot]))
		r->mem[slot] = (float)x[HR_MEM];
}

/* Value k of the second in slot (which holds it), NAN unknown. */
static double recent_value(const struct hist_recent *r, size_t slot, int k)
{
	const struct hr_chunk *ch = r->c[slot / HR_CHUNK_S];

	if (k == HR_MEM)
		return r->mem[slot];
	if (ch)
		return ch->v[slot % HR_CHUNK_S][k];
	return r->unknown[slot] & (1u << k) ? NAN : 0;
}

static void recent_free(struct hist_recent *r)
{
	if (!r)
		return;
	for (int c = 0; c < HR_CHUNKS; c++)
		free(r->c[c]);
	free(r);
}

int history_recent_json(struct daemon *d, const char *tenant, int64_t since, int64_t until,
			json_t **out)
{
	struct history *h = d->hist;
	struct hist_recent *r;
	json_t *j, *rows;

	*out = NULL;
	if (!h)
		return -ENODEV;
	r = recent_get(h, tenant, false);
	if (!r)
		return -ENOENT;
	if (since < until - HIST_RECENT_S)
		since = until - HIST_RECENT_S;
	j = json_pack("{s:s, s:s, s:I, s:i, s:[]}", "tenant", tenant, "cf", "MAX", "start",
		      (json_int_t)since, "step", 1, "rows");
	if (!j)
		return -ENOMEM;
	rows = json_object_get(j, "rows");
	/*
	 * Row t holds the ticks stamped t (time(NULL) at the tick, whose rates
	 * cover the tick before it), as an RRD update stamped t lands in the
	 * row ending at t.
	 */
	for (int64_t t = since + 1; t <= until; t++) {
		size_t slot = (size_t)t % HIST_RECENT_S;
		bool have = t > 0 && r->sec[slot] == (uint32_t)t;
		json_t *row = json_pack("{s:I}", "time", (json_int_t)t);

		for (int c = 0; c < hist_ncols; c++) {
			double v = NAN;

			for (int k = 0; have && k < HR_NR; k++)
				if (!strcmp(hist_cols[c].key, qv_desc[recent_qv[k]].key))
					v = recent_value(r, slot, k);
			json_object_set_new(row, hist_cols[c].key,
					    isfinite(v) ? json_real(v) : json_null());
		}
		json_array_append_new(rows, row);
	}
	*out = j;
	return 0;
}

int history_tick(struct daemon *d, time_t now)
{
	struct history *h = d->hist;
	struct hist_batch b;
	uint64_t t0, dt;
	int64_t slot;

	if (!h)
		return 0;
	for (int i = 0; i < d->reg.nr; i++) {
		const struct tenant *t = d->reg.t[i];

		if (t->cur.valid && t->name[0])
			recent_record(h, t, now);
	}
	slot = (int64_t)now / (int64_t)h->step;
	if (slot == h->last_slot)
		return 0;
	h->last_slot = slot;
	t0 = clock_mono_ns();

	pthread_mutex_lock(&h->mu);
	h->st.batches++;
	if (h->qlen == HIST_QUEUE) {
		h->st.dropped++;
		pthread_mutex_unlock(&h->mu);
		log_warn("history: writer %d steps behind; this step is not recorded", HIST_QUEUE);
		return -EAGAIN;
	}
	pthread_mutex_unlock(&h->mu);

	b.n = 0;
	b.rec = malloc(sizeof(*b.rec) * (size_t)(d->reg.nr + 1));
	if (!b.rec)
		return -ENOMEM;
	for (int i = 0; i < d->reg.nr; i++) {
		const struct tenant *t = d->reg.t[i];

		if (!t->cur.valid || !t->name[0])
			continue;
		hist_rec_from_sample(&b.rec[b.n++], t->name, (int64_t)now, &t->cur);
	}
	hist_rec_from_hview(&b.rec[b.n++], (int64_t)now, &d->host);

	pthread_mutex_lock(&h->mu);
	h->q[(h->qhead + h->qlen) % HIST_QUEUE] = b;
	h->qlen++;
	dt = clock_mono_ns() - t0;
	h->st.last_enqueue_ns = dt;
	if (dt > h->st.max_enqueue_ns)
		h->st.max_enqueue_ns = dt;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

int history_flush(struct daemon *d)
{
	struct history *h = d->hist;

	if (!h)
		return -ENODEV;
	pthread_mutex_lock(&h->mu);
	while (h->qlen || h->busy)
		pthread_cond_wait(&h->done_cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

int history_get_dir(struct daemon *d, char *out, size_t len)
{
	struct history *h = d->hist;

	if (!h)
		return -ENODEV;
	snprintf(out, len, "%s", h->dir);
	return 0;
}

int history_get_stats(struct daemon *d, struct history_stats *out)
{
	struct history *h = d->hist;

	if (!h)
		return -ENODEV;
	pthread_mutex_lock(&h->mu);
	*out = h->st;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

void history_close(struct daemon *d)
{
	struct history *h = d ? d->hist : NULL;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	if (h->thr_started)
		pthread_join(h->thr, NULL);	/* the writer drains the queue first */
	if (h->cached)
		rrdc_disconnect();
	for (size_t i = 0; i < h->known_cap; i++)
		free(h->known[i].name);
	free(h->known);
	free(h->absent);
	for (size_t i = 0; i < h->recent_cap; i++)
		recent_free(h->recent[i]);
	free(h->recent);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	pthread_cond_destroy(&h->done_cv);
	free(h);
	d->hist = NULL;
}
