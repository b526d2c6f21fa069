// SPDX-License-Identifier: GPL-2.0-only
/*
 * notify.c - thin sd_notify wrappers (libsystemd); see src/quelld/notify.h.
 * libsystemd does the protocol (datagram to $NOTIFY_SOCKET, abstract
 * sockets, credentials); this file only fixes the messages quelld sends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "notify.h"

int notify_ready(const char *status)
{
	if (status && *status)
		return sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	return sd_notify(0, "READY=1");
}

int notify_reloading(void)
{
	/* MONOTONIC_USEC is what systemd >= 253 wants with RELOADING=1; older ones ignore it */
	return sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
			  (unsigned long long)(clock_mono_ns() / 1000));
}

int notify_stopping(void)
{
	return sd_notify(0, "STOPPING=1");
}

int notify_status(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sd_notifyf(0, "STATUS=%s", msg);
}

int notify_watchdog(void)
{
	return sd_notify(0, "WATCHDOG=1");
}

int notify_watchdog_usec(uint64_t *usec)
{
	uint64_t u = 0;
	int ret = sd_watchdog_enabled(0, &u);

	if (ret > 0 && usec)
		*usec = u;
	return ret;
}
