/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * record.h - the tick's last stage (src/quelld/record.c): what this tick
 * measured and did, written where it is read later. Never changes a tenant.
 */
#ifndef QUELL_RECORD_H
#define QUELL_RECORD_H

#include <stdint.h>

struct daemon;

/*
 * tick_record - after act, so what is recorded includes this tick's
 * actions: the kernel's own actions into the audit log, [notify] command
 * timeouts, the RRD batch, the Prometheus snapshot. mono_ns: the tick's
 * start (CLOCK_MONOTONIC).
 */
void tick_record(struct daemon *d, uint64_t mono_ns);

#endif /* QUELL_RECORD_H */
