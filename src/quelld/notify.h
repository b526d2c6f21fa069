/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * notify.h - systemd service notification (sd_notify) for quelld's
 * Type=notify unit. Outside systemd (no $NOTIFY_SOCKET) every call is a
 * cheap no-op, so the daemon calls them unconditionally.
 *
 * All return 1 when the message was sent, 0 when not running under systemd
 * (or the watchdog is off), -errno on failure. Failures are not fatal:
 * callers may ignore them.
 */
#ifndef QUELL_NOTIFY_H
#define QUELL_NOTIFY_H

#include <stdint.h>

/* READY=1 plus a STATUS line: call once the socket is open and the first tick is done. */
int notify_ready(const char *status);
/* RELOADING=1 at the start of a SIGHUP reload; notify_ready() again when done. */
int notify_reloading(void);
/* STOPPING=1 at the start of a clean shutdown. */
int notify_stopping(void);
/* STATUS=... (printf format), shown by systemctl status. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* WATCHDOG=1: call every tick when notify_watchdog_usec() said the watchdog is on. */
int notify_watchdog(void);
/* Watchdog interval requested by the unit (WatchdogSec=) in *usec; 1 on, 0 off. */
int notify_watchdog_usec(uint64_t *usec);

#endif /* QUELL_NOTIFY_H */
