/* SPDX-License-Identifier: GPL-2.0-only */
/* placement.h - placement counters and latency (uid change -> in cgroup). */
#ifndef QUELL_PLACEMENT_H
#define QUELL_PLACEMENT_H

#include <stdint.h>

#define PLACEMENT_LAT_RING	4096

struct placement_stats {
	uint64_t events;		/* ring buffer events seen */
	uint64_t moved_event;		/* processes moved by the fast path */
	uint64_t moved_sweep;		/* processes moved by sweeps */
	uint64_t sweeps;
	uint64_t half_placed;		/* of the moved: were in the tenant's cgroup in some hierarchies only */
	uint64_t budget_cuts;		/* event rounds stopped at their budget, work left for the next */
	uint64_t walks_dropped;		/* unfinished children walks left to the sweep (no room) */
	uint64_t lat_ns[PLACEMENT_LAT_RING];	/* last fast-path latencies */
	uint32_t lat_next, lat_nr;
};

const struct placement_stats *placement_stats(void);
/* Percentiles of the recorded fast-path latencies; -ENODATA if none yet. */
int placement_latency(double *p50_us, double *p99_us, double *max_us);

#endif /* QUELL_PLACEMENT_H */
