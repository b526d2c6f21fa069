/* SPDX-License-Identifier: GPL-2.0-only */
/* log.h - one logger: stderr (foreground) or syslog, with a level. */
#ifndef QUELL_LOG_H
#define QUELL_LOG_H

#include <syslog.h>

void log_init(const char *ident, int to_syslog, int level);	/* level: LOG_ERR..LOG_DEBUG */
void log_set_level(int level);
int log_level_parse(const char *s);	/* "err", "warning", "info", "debug" -> LOG_*; -1 bad */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* QUELL_LOG_H */
