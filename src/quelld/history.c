// SPDX-License-Identifier: GPL-2.0-only
/*
 * history.c - quelld's RRD writer.
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
 * later triggers the same check.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "history.h"
#include "log.h"

#define HIST_QUEUE	4	/* batches the writer may lag behind before dropping */

struct hist_batch {
	struct hist_rec *rec;
	int n;
};

/* Writer-thread state of one file: checked this run, last update time. */
struct hist_known {
	char *name;		/* "" = host */
	int64_t last;
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
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *rrd_msg(void)
{
	return rrd_test_error() ? rrd_get_error() : "unknown librrd error";
}

/* ---- one file ---- */

static int file_create(const char *path, const struct hist_schema *s, int64_t t, char *err,
		       size_t errlen)
{
	const char *argv[HIST_MAX_DS + HIST_MAX_RRA];
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
	if (rrd_create_r(path, (unsigned long)s->step_s, (time_t)(t - 1), argc, argv)) {
		snprintf(err, errlen, "create %s: %s", path, rrd_msg());
		rrd_clear_error();
		unlink(path);
		return -EIO;
	}
	return 0;
}

/*
 * file_check - is path an RRD with this schema? Returns 0 with *last set,
 * -ENOENT (missing), -EBADMSG (not an RRD / unreadable), -EMEDIUMTYPE
 * (different step or DS set), with the reason in err.
 */
static int file_check(const char *path, const struct hist_schema *s, int64_t *last, char *err,
		      size_t errlen)
{
	rrd_info_t *info, *i;
	unsigned long step = 0;
	int nds = 0, bad = 0;
	struct stat sb;

	if (stat(path, &sb))
		return -errno;
	rrd_clear_error();
	info = rrd_info_r(path);
	if (!info) {
		snprintf(err, errlen, "%s: %s", path, rrd_msg());
		rrd_clear_error();
		return -EBADMSG;
	}
	*last = 0;
	for (i = info; i; i = i->next) {
		char name[HIST_DS_NAME_MAX + 1];

		if (!strcmp(i->key, "step"))
			step = i->value.u_cnt;
		else if (!strcmp(i->key, "last_update"))
			*last = (int64_t)i->value.u_cnt;
		else if (sscanf(i->key, "ds[%20[^]]].index", name) == 1 &&
			 strstr(i->key, "].index")) {
			nds++;
			if (hist_schema_find(s, name) < 0)
				bad = 1;
		}
	}
	rrd_info_free(info);
	if (step != s->step_s || nds != s->nds || bad) {
		snprintf(err, errlen, "%s: step %lu, %d DS: does not match the schema (step %" PRIu64
			 ", %d DS)", path, step, nds, s->step_s, s->nds);
		return -EMEDIUMTYPE;
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

static int do_update(struct history *h, const char *path, const char *line)
{
	rrd_clear_error();
	if (h->cached) {
		const char *v[1] = { line };

		return rrdc_update(path, 1, v) ? -EIO : 0;
	}
	return rrd_update_r(path, NULL, 1, &line) ? -EIO : 0;
}

/* One record: ensure the file (first touch this run), update it. Returns 0 or -errno. */
static int write_rec(struct history *h, const struct hist_rec *r)
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
		ret = hist_file_ensure(path, s, r->t, &last, err, sizeof(err));
		if (ret < 0) {
			log_err("history: %s", err);
			return ret;
		}
		if (ret == 2) {
			h->st.recreated++;
			if (h->cached)
				rrdc_forget(path);
		}
		k = known_add(h, r->name, last);
		if (!k)
			return -ENOMEM;
	}
	if (r->t <= k->last)	/* same second, or the clock went back: rrdtool refuses */
		return 0;
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
			h->st.recreated += ret == 2;
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

		t0 = now_ns();
		for (int i = 0; i < b.n; i++) {
			if (write_rec(h, &b.rec[i]))
				nerr++;
			else
				nok++;
		}
		dt = now_ns() - t0;
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

static int mkdir_p(const char *path)
{
	char tmp[4400];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
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
	ret = mkdir_p(sub);
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

int history_tick(struct daemon *d, time_t now)
{
	struct history *h = d->hist;
	struct hist_batch b;
	uint64_t t0, dt;
	int64_t slot;

	if (!h)
		return 0;
	slot = (int64_t)now / (int64_t)h->step;
	if (slot == h->last_slot)
		return 0;
	h->last_slot = slot;
	t0 = now_ns();

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
	dt = now_ns() - t0;
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
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	pthread_cond_destroy(&h->done_cv);
	free(h);
	d->hist = NULL;
}
