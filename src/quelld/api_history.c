// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_history.c - the `history` socket command: one tenant's RRD series,
 * read by quelld for callers who may not read the files (0640 root, issue
 * 12 item 3). The same reader and JSON as `quellctl --json history`
 * (hist_history_json in src/history/fetch.c); the work per request is
 * bounded there (one file, at most HIST_REPLY_ROWS_MAX rows).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_cmds.h"
#include "daemon.h"
#include "history_writer.h"

/* An optional non-negative integer field; def when absent. */
static int req_epoch(json_t *req, const char *key, int64_t def, int64_t *out, char *err,
		     size_t len)
{
	json_t *j = json_object_get(req, key);

	*out = def;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0) {
		snprintf(err, len, "bad \"%s\": epoch seconds", key);
		return -EINVAL;
	}
	*out = json_integer_value(j);
	return 0;
}

int api_cmd_history(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	const char *tenant = json_string_value(json_object_get(req, "tenant"));
	json_t *jmax = json_object_get(req, "max"), *jrec = json_object_get(req, "recent");
	json_t *series;
	int64_t until, since, step;
	char dir[4096];
	int ret;

	if (!tenant || !*tenant) {
		snprintf(err, len, "missing \"tenant\" (a string)");
		return -EINVAL;
	}
	if ((jmax && !json_is_boolean(jmax)) || (jrec && !json_is_boolean(jrec))) {
		snprintf(err, len, "bad \"%s\": true or false",
			 jmax && !json_is_boolean(jmax) ? "max" : "recent");
		return -EINVAL;
	}
	ret = req_epoch(req, "until", (int64_t)time(NULL), &until, err, len);
	if (!ret)
		ret = req_epoch(req, "since", until - 6 * 3600, &since, err, len);
	if (!ret)
		ret = req_epoch(req, "step", 0, &step, err, len);
	if (ret)
		return ret;
	if (json_is_true(jrec)) {
		if (since >= until) {
			snprintf(err, len, "bad period: since < until");
			return -EINVAL;
		}
		ret = history_recent_json(d, tenant, since, until, &series);
		if (ret == -ENOENT)
			snprintf(err, len, "no recent usage of %.64s", tenant);
		else if (ret == -ENODEV)
			snprintf(err, len, "history is disabled ([history] enabled = no)");
		if (ret)
			return ret;
		goto reply;
	}
	if (history_get_dir(d, dir, sizeof(dir))) {
		snprintf(err, len, "history is disabled ([history] enabled = no)");
		return -ENODEV;
	}
	ret = hist_history_json(dir, tenant, json_is_true(jmax), since, until, (uint64_t)step,
				&series, err, len);
	if (ret)
		return ret;
reply:
	ret = json_object_update(resp, series) ? -ENOMEM : 0;
	json_decref(series);
	return ret;
}
