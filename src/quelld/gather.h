/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gather.h - the tick's first stage (src/quelld/gather.c).
 */
#ifndef QUELL_GATHER_H
#define QUELL_GATHER_H

#include <stdint.h>

struct daemon;

/*
 * tick_gather - who the tenants are (discovery: every tick in cgroups mode,
 * every sweep_ms in users mode, where getpwent can be slow), where their
 * processes are (placement sweep every sweep_ms, else the work a budget left),
 * then one sample per tenant and the rates (gather_tick). mono_ns: the
 * tick's start (CLOCK_MONOTONIC).
 */
void tick_gather(struct daemon *d, uint64_t mono_ns);

#endif /* QUELL_GATHER_H */
