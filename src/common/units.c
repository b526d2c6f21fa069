// SPDX-License-Identifier: GPL-2.0-only
/*
 * units.c - human units: sizes, counts, durations, percentages, booleans.
 *
 * Parsers are strict: no leading/trailing blanks, no sign, no hex, no
 * "nan"/"inf" (strtod would take all of those), so a typo in the config is
 * an error rather than a surprising limit. *out is written only on success.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"

static bool is_unlimited(const char *s)
{
	return !strcasecmp(s, "unlimited") || !strcasecmp(s, "max") || !strcasecmp(s, "none");
}

/*
 * parse_decimal - "123" or "123.456" at *sp; advances *sp past the digits.
 * ip gets the integer part, frac the first 9 fractional digits scaled to
 * 1e9 (so "1.5" -> ip 1, frac 500000000). Returns 0, -EINVAL (no digits),
 * -ERANGE (integer part over 2^64).
 */
static int parse_decimal(const char **sp, uint64_t *ip, uint64_t *frac)
{
	const char *s = *sp;
	uint64_t i = 0, f = 0, scale = 100000000;
	int ndig = 0;

	while (*s >= '0' && *s <= '9') {
		if (__builtin_mul_overflow(i, 10, &i) || __builtin_add_overflow(i, (uint64_t)(*s - '0'), &i))
			return -ERANGE;
		s++;
		ndig++;
	}
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			f += (uint64_t)(*s - '0') * scale;
			scale /= 10;
			s++;
			ndig++;
		}
	}
	if (!ndig)
		return -EINVAL;
	*sp = s;
	*ip = i;
	*frac = f;
	return 0;
}

/* ip.frac * mult, rounded down; -ERANGE on overflow. */
static int scale_mult(uint64_t ip, uint64_t frac, uint64_t mult, uint64_t *out)
{
	uint64_t v, fpart;

	if (__builtin_mul_overflow(ip, mult, &v))
		return -ERANGE;
	fpart = (uint64_t)(((unsigned __int128)frac * mult) / 1000000000u);
	if (__builtin_add_overflow(v, fpart, &v))
		return -ERANGE;
	*out = v;
	return 0;
}

/* A suffix letter (either case) and what it multiplies by. */
struct unit {
	const char *letters;
	uint64_t mult;
};

/* sizes: binary, and a B or iB may follow ("1G", "1GB", "1GiB") */
static const struct unit size_units[] = {
	{ "kK", 1ULL << 10 }, { "mM", 1ULL << 20 }, { "gG", 1ULL << 30 }, { "tT", 1ULL << 40 },
	{ "pP", 1ULL << 50 }, { NULL, 0 },
};

/* counts: decimal, the letter alone */
static const struct unit count_units[] = {
	{ "kK", 1000 }, { "mM", 1000000 }, { "gG", 1000000000 }, { NULL, 0 },
};

/*
 * parse_scaled - a decimal number and at most one suffix of units. bytes
 * adds what only sizes take: "unlimited" (UINT64_MAX, which a number then
 * may not reach), a trailing "B" ("12B") or, after a suffix, "B" / "iB", and
 * a fraction without a suffix, rounded down ("1.5" -> 1). A count takes a
 * fraction only with a suffix ("1.5" is refused, "1.0" is 1, "1.5k" is 1500,
 * "0.0001k" rounds down to 0). tests/unit/test_units.c holds these edges.
 */
static int parse_scaled(const char *s, const struct unit *units, bool bytes, uint64_t *out)
{
	uint64_t ip, frac, mult = 1, v;
	const char *p = s;
	int ret;

	if (!s || !*s)
		return -EINVAL;
	if (bytes && is_unlimited(s)) {
		*out = UINT64_MAX;
		return 0;
	}
	ret = parse_decimal(&p, &ip, &frac);
	if (ret)
		return ret;
	for (const struct unit *u = units; *p && u->letters; u++) {
		if (strchr(u->letters, *p)) {
			mult = u->mult;
			p++;
			break;
		}
	}
	if (bytes) {
		if (mult != 1 && *p == 'i' && (p[1] == 'B' || p[1] == 'b'))
			p += 2;
		else if (*p == 'B' || *p == 'b')
			p++;
	}
	if (*p)
		return -EINVAL;
	if (!bytes && mult == 1 && frac)
		return -EINVAL;
	ret = scale_mult(ip, frac, mult, &v);
	if (ret)
		return ret;
	if (bytes && v == UINT64_MAX)
		return -ERANGE;	/* UINT64_MAX is "unlimited"; a number must not alias it */
	*out = v;
	return 0;
}

int units_parse_size(const char *s, uint64_t *out)
{
	return parse_scaled(s, size_units, true, out);
}

int units_parse_count(const char *s, uint64_t *out)
{
	return parse_scaled(s, count_units, false, out);
}

static const struct {
	const char *name;
	uint64_t ms;
} dur_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "sec", 1000 },
	{ "m", 60 * 1000 },
	{ "min", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 24 * 3600 * 1000ULL },
	{ "w", 7 * 24 * 3600 * 1000ULL },
};

/* A bare number is seconds; otherwise a sequence such as "1h30m" or "250ms". */
int units_parse_duration_ms(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t total = 0;
	int parts = 0;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		uint64_t ip, frac, v, mult = 0;
		size_t best = 0;
		int ret = parse_decimal(&p, &ip, &frac);

		if (ret)
			return ret;
		if (!*p) {
			if (parts)
				return -EINVAL;	/* "1h30": ambiguous tail */
			mult = 1000;
		} else {
			/* longest unit name that matches ("ms" before "m") */
			for (size_t i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]); i++) {
				size_t n = strlen(dur_units[i].name);

				if (!strncmp(p, dur_units[i].name, n) && n > best &&
				    !(p[n] >= 'a' && p[n] <= 'z')) {
					best = n;
					mult = dur_units[i].ms;
				}
			}
			if (!best)
				return -EINVAL;
			p += best;
		}
		ret = scale_mult(ip, frac, mult, &v);
		if (ret)
			return ret;
		if (__builtin_add_overflow(total, v, &total))
			return -ERANGE;
		parts++;
	}
	*out = total;
	return 0;
}

int units_parse_percent(const char *s, double *out)
{
	uint64_t ip, frac;
	const char *p = s;
	int ret;

	if (!s || !*s)
		return -EINVAL;
	if (is_unlimited(s)) {
		*out = INFINITY;
		return 0;
	}
	ret = parse_decimal(&p, &ip, &frac);
	if (ret)
		return ret;
	if (*p == '%')
		p++;
	if (*p)
		return -EINVAL;
	/* 1e9 % is 10 million cores: anything above is a typo */
	if (ip > 1000000000)
		return -ERANGE;
	*out = (double)ip + (double)frac / 1e9;
	return 0;
}

int units_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "y" };
	static const char *const no[] = { "no", "false", "off", "0", "n" };

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

char *units_fmt_size(double bytes, char *buf, size_t len)
{
	static const char sfx[] = "BKMGTPE";
	int u = 0;

	if (!len)
		return buf;
	if (isnan(bytes) || bytes < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (isinf(bytes)) {
		snprintf(buf, len, "max");
		return buf;
	}
	/* 1023.96K would print as "1024.0K": move up a unit before rounding does */
	while (bytes >= 1023.95 && u < (int)sizeof(sfx) - 2) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0fB", bytes);
	else if (bytes >= 99.95 || fabs(bytes - round(bytes)) < 0.05)
		snprintf(buf, len, "%.0f%c", bytes, sfx[u]);
	else
		snprintf(buf, len, "%.1f%c", bytes, sfx[u]);
	return buf;
}

char *units_fmt_duration_ms(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (!len)
		return buf;
	if (ms < 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (s < 60 && ms % 1000)
		snprintf(buf, len, "%.1fs", (double)ms / 1000);
	else if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	return buf;
}

bool units_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int units_parse_when(const char *s, time_t now, int64_t *out)
{
	static const char *const fmts[] = {
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
		"%Y-%m-%d",
	};
	uint64_t ms;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (s[0] == '-') {
		/* "-1h": relative; a bare "-90" is 90 seconds ago */
		if (units_parse_duration_ms(s + 1, &ms) || ms / 1000 > (uint64_t)now)
			return -EINVAL;
		*out = (int64_t)now - (int64_t)(ms / 1000);
		return 0;
	}
	if (units_all_digits(s)) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || *end || v > (unsigned long long)INT64_MAX)
			return -EINVAL;
		*out = (int64_t)v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		const char *end;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (!end || *end)
			continue;
		tm.tm_isdst = -1;	/* local time, whatever DST says */
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		*out = t;
		return 0;
	}
	return -EINVAL;
}

char *units_fmt_exact_size(uint64_t bytes, char *buf, size_t len)
{
	static const char sfx[] = "KMGTP";
	int u = -1;

	while (bytes && bytes % 1024 == 0 && u < (int)sizeof(sfx) - 2) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, sfx[u]);
	return buf;
}
