// SPDX-License-Identifier: GPL-2.0-only
/*
 * record.c - the tick's record stage: each call only reads the registry
 * that gather filled and act updated, and queues or publishes it (the RRD
 * writer runs on its own thread, src/quelld/history_writer.c).
 */
#include <time.h>

#include "daemon.h"
#include "history_writer.h"
#include "kernel_events.h"
#include "metrics_http.h"
#include "notify_cmd.h"
#include "record.h"

void tick_record(struct daemon *d, uint64_t mono_ns)
{
	uint64_t now_ms = mono_ns / 1000000;

	kernel_events_tick(d, now_ms);
	notify_cmd_tick(d, now_ms);	/* timeouts, summaries of closed windows */
	if (d->hist)
		history_tick(d, time(NULL));
	if (d->http)
		metrics_http_publish(d);
}
