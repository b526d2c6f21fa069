// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_reply.c - human output for replies that have no struct view: audit
 * events and limits. Pure (FILE * in, JSON in), tested in tests/unit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "units.h"

/* "cpu=85.2" / "limit=cpu=50%" style rendering of one JSON value. */
static void fmt_scalar(char *buf, size_t len, json_t *v)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.4g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, len, "yes");
	else if (json_is_false(v))
		snprintf(buf, len, "no");
	else if (json_is_null(v))
		snprintf(buf, len, "-");
	else {
		char *s = json_dumps(v, JSON_COMPACT);

		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
	}
}

static size_t append(char *buf, size_t len, size_t off, const char *k, const char *v)
{
	if (off >= len)
		return off;
	return off + (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", k, v);
}

/* Keys of an event that the DETAILS cell leaves out: in other columns or noise. */
static bool detail_hidden(json_t *ev, const char *k, json_t *v)
{
	static const char *const never[] = { "time", "tenant", "action", "rule", "time_ms", "cgroup" };

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (!strcmp(k, never[i]))
			return true;
	/* defaults say nothing: level 0, result 0, not a dry run, empty text */
	if ((!strcmp(k, "level") || !strcmp(k, "result")) && json_is_integer(v) &&
	    !json_integer_value(v))
		return true;
	if (!strcmp(k, "dry_run") && !json_is_true(v))
		return true;
	if (json_is_string(v) && !*json_string_value(v))
		return true;
	/* limits_text says the same as the limits object, shorter */
	if (!strcmp(k, "limits") && json_object_get(ev, "limits_text"))
		return true;
	return false;
}

void ctl_fmt_event_details(json_t *ev, char *buf, size_t len)
{
	const char *k, *k2;
	json_t *v, *v2;
	size_t off = 0;
	char s[128];

	buf[0] = '\0';
	json_object_foreach(ev, k, v) {
		if (detail_hidden(ev, k, v))
			continue;
		if (!strcmp(k, "limits_text")) {
			off = append(buf, len, off, "limits", json_string_value(v));
			continue;
		}
		if (json_is_object(v)) {
			/* evidence: its metric values, flat */
			json_object_foreach(v, k2, v2) {
				if (detail_hidden(v, k2, v2))
					continue;
				fmt_scalar(s, sizeof(s), v2);
				off = append(buf, len, off, k2, s);
			}
		} else {
			fmt_scalar(s, sizeof(s), v);
			off = append(buf, len, off, k, s);
		}
	}
	if (off >= len && len)
		buf[len - 1] = '\0';
}

void ctl_print_events(FILE *f, json_t *events)
{
	static const char *const head[] = { "TIME", "TENANT", "ACTION", "RULE", "DETAILS" };
	struct ctl_table tb;
	json_t *ev;
	size_t i;

	ctl_table_init(&tb, 5, head, NULL);
	json_array_foreach(events, i, ev) {
		char when[32] = "-", det[512];
		const char *row[5];
		json_t *t = json_object_get(ev, "time");

		if (!json_is_object(ev))
			continue;
		if (json_is_number(t)) {
			time_t tt = (time_t)json_number_value(t);
			struct tm tm;

			if (localtime_r(&tt, &tm))
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		}
		ctl_fmt_event_details(ev, det, sizeof(det));
		row[0] = when;
		row[1] = json_string_value(json_object_get(ev, "tenant"));
		row[2] = json_string_value(json_object_get(ev, "action"));
		row[3] = json_string_value(json_object_get(ev, "rule"));
		row[4] = *det ? det : NULL;
		ctl_table_add(&tb, row);
	}
	ctl_table_print(f, &tb);
	ctl_table_free(&tb);
}

/* One limits object: null = unlimited; units chosen from the key. */
/* A memory limit's share ("mem_max_pct": 50 beside "mem_max"), or NULL. */
static json_t *share_of(json_t *o, const char *k)
{
	char pk[64];
	json_t *p;

	if ((size_t)snprintf(pk, sizeof(pk), "%s_pct", k) >= sizeof(pk))
		return NULL;
	p = json_object_get(o, pk);
	return json_is_number(p) ? p : NULL;
}

void ctl_fmt_limits_obj(json_t *o, char *buf, size_t len)
{
	const char *k;
	json_t *v, *pct;
	size_t off = 0;
	char s[64];

	buf[0] = '\0';
	json_object_foreach(o, k, v) {
		size_t kl = strlen(k);

		if (kl > 4 && !strcmp(k + kl - 4, "_pct") && strncmp(k, "cpu", 3)) {
			char base[64];

			/* a share is said with its limit: mem_max=50%, or 256M (50%) once in bytes */
			snprintf(base, sizeof(base), "%.*s", (int)(kl - 4), k);
			if (json_object_get(o, base))
				continue;
			snprintf(s, sizeof(s), "%g%%", json_number_value(v));
		} else if (!strncmp(k, "mem", 3) && (pct = share_of(o, k))) {
			if (json_is_number(v)) {
				units_fmt_size(json_number_value(v), s, sizeof(s));
				snprintf(s + strlen(s), sizeof(s) - strlen(s), " (%g%%)",
					 json_number_value(pct));
			} else {
				snprintf(s, sizeof(s), "%g%%", json_number_value(pct));
			}
		} else if (json_is_null(v)) {
			snprintf(s, sizeof(s), "unlimited");
		} else if (json_is_number(v) && !strncmp(k, "cpu", 3)) {
			snprintf(s, sizeof(s), "%g%%", json_number_value(v));
		} else if (json_is_number(v) && (!strncmp(k, "mem", 3) || strstr(k, "bps"))) {
			units_fmt_size(json_number_value(v), s, sizeof(s));
			if (strstr(k, "bps"))
				strncat(s, "/s", sizeof(s) - strlen(s) - 1);
		} else if (json_is_object(v) || json_is_array(v)) {
			continue;
		} else {
			fmt_scalar(s, sizeof(s), v);
		}
		off = append(buf, len, off, k, s);
	}
	if (off >= len && len)
		buf[len - 1] = '\0';
}

void ctl_print_limits(FILE *f, const char *name, json_t *lim)
{
	const char *k;
	json_t *v;
	char buf[1024];
	bool nested = false;

	fprintf(f, "tenant:     %s\n", name);
	/* {"static":{...},"dynamic":{...},...} or one flat object */
	json_object_foreach(lim, k, v) {
		if (json_is_object(v)) {
			char label[32];

			ctl_fmt_limits_obj(v, buf, sizeof(buf));
			snprintf(label, sizeof(label), "%s:", k);
			fprintf(f, "%-11s %s\n", label, *buf ? buf : "(none)");
			nested = true;
		}
	}
	json_object_foreach(lim, k, v) {
		char s[256], label[40];

		/* the *_text keys repeat the objects above */
		if (json_is_object(v) || !strcmp(k, "tenant") ||
		    (nested && strlen(k) > 5 && !strcmp(k + strlen(k) - 5, "_text")))
			continue;
		if (!nested) {
			ctl_fmt_limits_obj(lim, buf, sizeof(buf));
			fprintf(f, "limits:     %s\n", buf);
			break;
		}
		if (json_is_number(v) && strstr(k, "until")) {
			time_t tt = (time_t)json_number_value(v);
			struct tm tm;

			localtime_r(&tt, &tm);
			strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
		} else {
			fmt_scalar(s, sizeof(s), v);
		}
		snprintf(label, sizeof(label), "%s:", k);
		fprintf(f, "%-11s %s\n", label, s);
	}
}
