// SPDX-License-Identifier: GPL-2.0-only
/*
 * history_cost.c - cost of the RRD history with N tenants (issue 6):
 * bytes per tenant file, creation time, and per step the tick-path cost
 * (history_tick: copy into a batch) and the writer's cost (the batch
 * written by the writer thread), with direct writes or through rrdcached.
 *
 *   history_cost DIR NTENANTS NSTEPS [RRDCACHED_ADDR]
 *
 * Simulated time: step s is written at T0 + 10 s; the disk work is real.
 * Built and run by tests/bench/history_cost.sh.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon.h"
#include "history_writer.h"

static uint64_t ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct history_stats st;
	struct daemon *d;
	uint64_t t0, sum_enq = 0, max_enq = 0, sum_batch = 0, max_batch = 0;
	int n, steps;
	int64_t base;
	struct stat sb;
	char path[4096];

	if (argc < 4) {
		fprintf(stderr, "usage: %s DIR NTENANTS NSTEPS [RRDCACHED_ADDR]\n", argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	steps = atoi(argv[3]);
	d = calloc(1, sizeof(*d));
	if (!d || registry_init(&d->reg))
		return 1;
	d->cfg.history = true;
	d->cfg.rrd_step_s = 10;
	snprintf(d->cfg.rrd_dir, sizeof(d->cfg.rrd_dir), "%s", argv[1]);
	if (argc > 4)
		snprintf(d->cfg.rrdcached, sizeof(d->cfg.rrdcached), "%s", argv[4]);
	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "tenant%05d", i);
		if (!registry_add(&d->reg, name, (uint32_t)(10000 + i), (uint64_t)(10000 + i)))
			return 1;
	}
	if (history_open(d))
		return 1;
	history_get_stats(d, &st);
	base = (int64_t)time(NULL) / 60 * 60 - 3600;

	for (int s = 0; s <= steps; s++) {
		for (int i = 0; i < d->reg.nr; i++) {
			struct tenant *t = d->reg.t[i];

			memset(&t->cur, 0, sizeof(t->cur));
			for (int k = 0; k < hist_tenant_nqm; k++)
				qm_set(&t->cur, hist_tenant_qm[k],
				       (uint64_t)s * 1000000ULL * (uint64_t)(k + 1) + (uint64_t)i,
				       QM_SRC_BPF);
		}
		d->host.cpu_pct = 50;
		t0 = ns();
		history_tick(d, (time_t)(base + 10 * s));
		t0 = ns() - t0;
		history_flush(d);
		history_get_stats(d, &st);
		if (s == 0) {
			printf("create: %d files in %.2f s (%.2f ms per file)\n", n + 1,
			       (double)st.last_batch_ns / 1e9, (double)st.last_batch_ns / 1e6 / (n + 1));
			continue;
		}
		sum_enq += t0;
		max_enq = t0 > max_enq ? t0 : max_enq;
		sum_batch += st.last_batch_ns;
		max_batch = st.last_batch_ns > max_batch ? st.last_batch_ns : max_batch;
	}
	history_get_stats(d, &st);
	history_close(d);
	hist_path(argv[1], "tenant00000", path, sizeof(path));
	stat(path, &sb);
	printf("mode: %s\n", argc > 4 ? "rrdcached" : "direct");
	printf("file: %lld bytes per tenant (%lld KiB on disk)\n", (long long)sb.st_size,
	       (long long)sb.st_blocks / 2);
	printf("tick path (history_tick, %d tenants): mean %.1f us, max %.1f us\n", n,
	       steps ? (double)sum_enq / steps / 1e3 : 0, (double)max_enq / 1e3);
	printf("writer per step (%d updates): mean %.1f ms, max %.1f ms (%.1f us per update)\n",
	       n + 1, steps ? (double)sum_batch / steps / 1e6 : 0, (double)max_batch / 1e6,
	       steps ? (double)sum_batch / steps / 1e3 / (n + 1) : 0);
	printf("updates %" PRIu64 ", errors %" PRIu64 ", dropped %" PRIu64 "\n", st.updates,
	       st.errors, st.dropped);
	registry_free(&d->reg);
	free(d);
	return st.errors ? 1 : 0;
}
