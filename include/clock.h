/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * clock.h - the three clocks quell reads: monotonic nanoseconds (ticks,
 * windows, timeouts), wall seconds and wall milliseconds (audit lines,
 * manual action expiry, RRD timestamps). Common layer: every program and
 * layer may use it; nothing else defines a clock (docs/hacking.md).
 */
#ifndef QUELL_CLOCK_H
#define QUELL_CLOCK_H

#include <stdint.h>

uint64_t clock_mono_ns(void);
uint64_t clock_real_s(void);
uint64_t clock_real_ms(void);
/* ms from now until due_ns (monotonic), rounded up: an epoll timeout; 0 when past */
int clock_ms_until(uint64_t due_ns);

#endif
