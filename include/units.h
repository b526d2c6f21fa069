/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * units.h - parsing and printing of the human units used in the config,
 * on the command line and in the socket API: sizes ("1G", "512M", "4096"),
 * rates ("10M" = bytes/s), durations ("10s", "5m", "1h", "2d", "250ms"),
 * percentages ("50%", "250%"). Pure functions, tested in tests/unit.
 * All parsers return 0 or -EINVAL / -ERANGE and never touch *out on error.
 */
#ifndef QUELL_UNITS_H
#define QUELL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "unlimited", "max", "none" parse as UINT64_MAX in the size/percent parsers. */
int units_parse_size(const char *s, uint64_t *out);	/* K/M/G/T are powers of 1024 */
int units_parse_count(const char *s, uint64_t *out);	/* plain number, k = 1000 */
int units_parse_duration_ms(const char *s, uint64_t *out);	/* bare number = seconds */
int units_parse_percent(const char *s, double *out);	/* "50%" or "50" -> 50.0; max -> INFINITY */
int units_parse_bool(const char *s, bool *out);		/* yes/no/true/false/on/off/1/0 */
/* Non-empty and only 0-9 (pids, epoch seconds). */
bool units_all_digits(const char *s);

/*
 * units_parse_when - "-1h" / "-30m" (relative to now), "EPOCH" (seconds),
 * "YYYY-MM-DD HH:MM[:SS]" / "YYYY-MM-DD" (local time), "now".
 * Returns 0 with *out in epoch seconds, -EINVAL.
 */
int units_parse_when(const char *s, time_t now, int64_t *out);

/* "1.5G", "512K", "12B"; "-" for NAN/negative. Returns buf. */
char *units_fmt_size(double bytes, char *buf, size_t len);
/*
 * units_fmt_exact_size - an exact, re-parsable size: the biggest binary unit
 * (K to P) that divides it, "1G" for 1073741824, "1536" for 1536. Returns buf.
 */
char *units_fmt_exact_size(uint64_t bytes, char *buf, size_t len);
/* "2h03m", "45s", "120ms" */
char *units_fmt_duration_ms(uint64_t ms, char *buf, size_t len);

#endif /* QUELL_UNITS_H */
