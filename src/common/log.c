// SPDX-License-Identifier: GPL-2.0-only
/*
 * log.c - stderr with timestamps in the foreground, syslog otherwise.
 * One line per message; a trailing '\n' in fmt is tolerated.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static struct {
	const char *ident;
	int to_syslog;
	int level;
} lg = { "quell", 0, LOG_INFO };

void log_init(const char *ident, int to_syslog, int level)
{
	if (lg.to_syslog)
		closelog();
	lg.ident = ident ? ident : "quell";
	lg.to_syslog = to_syslog;
	lg.level = level;
	if (to_syslog)
		openlog(lg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	lg.level = level;
}

static const struct {
	const char *name;
	int prio;
} levels[] = {
	{ "emerg", LOG_EMERG },
	{ "alert", LOG_ALERT },
	{ "crit", LOG_CRIT },
	{ "err", LOG_ERR },
	{ "error", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "warn", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

int log_level_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcasecmp(s, levels[i].name))
			return levels[i].prio;
	return -1;
}

static const char *level_name(int prio)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].prio == prio)
			return levels[i].name;
	return "?";
}

void log_msg(int prio, const char *fmt, ...)
{
	char msg[1024];
	size_t n;
	va_list ap;

	if (prio > lg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';

	if (lg.to_syslog) {
		syslog(prio, "%s", msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char tbuf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
		/* one fprintf per line so concurrent threads do not interleave */
		fprintf(stderr, "%s.%03ld %s[%d]: %s: %s\n", tbuf, ts.tv_nsec / 1000000, lg.ident,
			(int)getpid(), level_name(prio), msg);
	}
}
