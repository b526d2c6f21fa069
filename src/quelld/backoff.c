// SPDX-License-Identifier: GPL-2.0-only
/*
 * backoff.c - the retry and log decisions for a failed limit write
 * (src/quelld/backoff.h).
 *
 * Why 1 s doubling to 60 s: a v1 memory.limit_in_bytes under the tenant's
 * usage makes the kernel reclaim inside the write, in quelld's tick, before
 * it fails with EBUSY (mm/memcontrol-v1.c mem_cgroup_resize_max); retried
 * every tick that was a warning and a reclaim pass a second for as long as
 * the tenant stayed above (tests/integration/t_mem_share_busy.sh). Doubling
 * gives up quickly on a cause that lasts (5 tries in the first 15 s, then
 * one a minute), the cap bounds how long a limit that could now be written
 * waits when nothing tells quelld so, and the memory case has a quicker
 * way back: act.c passes fits when the usage it gathered this tick is under
 * the refused limit, so a tenant that frees its memory gets its share on
 * the next tick after a second, not after up to a minute.
 */
#include "backoff.h"

uint32_t backoff_delay_ms(unsigned fails)
{
	if (fails <= 1)
		return BACKOFF_BASE_MS;
	if (fails > 7)		/* 2^6 s = 64 s > the cap already */
		return BACKOFF_MAX_MS;
	return BACKOFF_BASE_MS << (fails - 1) < BACKOFF_MAX_MS ? BACKOFF_BASE_MS << (fails - 1) :
								 BACKOFF_MAX_MS;
}

bool backoff_due(unsigned fails, uint32_t last_ms, uint32_t now_ms, bool fits)
{
	uint32_t since = now_ms - last_ms, wait;

	if (!fails)
		return true;
	wait = fits ? BACKOFF_BASE_MS : backoff_delay_ms(fails);
	return since >= wait - wait / 16;
}

bool backoff_warn(bool failing, int prev_err, int err, uint32_t warned_ms, uint32_t now_ms)
{
	return !failing || err != prev_err || (uint32_t)(now_ms - warned_ms) >= BACKOFF_WARN_MS;
}
