/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * backoff.h - when act.c tries again a limit write that failed, and when it
 * says so again (src/quelld/act.c apply(), docs/policy.md "A default memory
 * share"). Pure: literal values in, a yes or no out
 * (tests/unit/test_backoff.c).
 *
 * Times are CLOCK_MONOTONIC milliseconds truncated to 32 bits (a tenant
 * keeps two of them): differences are taken modulo 2^32, right for any
 * interval under 49 days, and a failing write is tried at least every
 * BACKOFF_MAX_MS.
 */
#ifndef QUELL_BACKOFF_H
#define QUELL_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define BACKOFF_BASE_MS		1000u	/* the first retry, then doubling */
#define BACKOFF_MAX_MS		60000u	/* the cap */
#define BACKOFF_WARN_MS		60000u	/* the same error is logged again after this */

/* Wait after the fails-th failure in a row of the same write (fails >= 1). */
uint32_t backoff_delay_ms(unsigned fails);
/*
 * Try again the write that failed fails times in a row, the last at
 * last_ms, now? Yes when its delay has passed (less 1/16: ticks drift by a
 * few ms), or when fits (the obstacle of the last failure is gone: the
 * tenant's memory is back under the limit that was refused with EBUSY) and
 * a base delay has passed. Always yes when fails is 0.
 */
bool backoff_due(unsigned fails, uint32_t last_ms, uint32_t now_ms, bool fits);
/*
 * Log this failure (err, a -errno) at warning level? Yes when it starts a
 * run of failures (failing: the previous write failed too, with prev_err),
 * when the error changed, or when the last warning (warned_ms) is
 * BACKOFF_WARN_MS old.
 */
bool backoff_warn(bool failing, int prev_err, int err, uint32_t warned_ms, uint32_t now_ms);

#endif /* QUELL_BACKOFF_H */
