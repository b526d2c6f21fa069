// SPDX-License-Identifier: GPL-2.0-only
/* cmd_view.c - quellctl status, list, show, tenants, ping: read-only views. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "units.h"

/* Commands that take no arguments. */
static int no_args(struct ctl_ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage_error(c, argv[0], "unexpected argument \"%s\"", argv[1]);
	return 0;
}

static int bad_reply(struct ctl_ctx *c, const char *what)
{
	fprintf(c->err, "quellctl: invalid reply from quelld: %s\n", what);
	return CTL_EXIT_DAEMON;
}

int ctl_cmd_status(struct ctl_ctx *c, int argc, char **argv)
{
	struct hview h;
	json_t *resp;
	int ret;

	if ((ret = no_args(c, argc, argv)))
		return ret;
	ret = ctl_call(c, json_pack("{s:s}", "cmd", "status"), &resp);
	if (ret)
		return ret;
	if (c->json) {
		ctl_print_json(c, resp);
	} else if (proto_hview_from_json(json_object_get(resp, "host"), &h)) {
		ret = bad_reply(c, "\"host\"");
	} else {
		ctl_print_status(c->out, &h);
		ctl_print_status_extra(c->out, resp);
	}
	json_decref(resp);
	return ret;
}

int ctl_cmd_ping(struct ctl_ctx *c, int argc, char **argv)
{
	json_t *resp, *who;
	char up[32];
	double upt;
	int ret;

	if ((ret = no_args(c, argc, argv)))
		return ret;
	ret = ctl_call(c, json_pack("{s:s}", "cmd", "ping"), &resp);
	if (ret)
		return ret;
	if (c->json) {
		ctl_print_json(c, resp);
	} else {
		upt = json_number_value(json_object_get(resp, "uptime_s"));
		units_fmt_duration_ms(upt > 0 ? (uint64_t)(upt * 1000) : 0, up, sizeof(up));
		fprintf(c->out, "quelld %s, pid %lld, up %s\n",
			json_string_value(json_object_get(resp, "version")) ?: "?",
			(long long)json_integer_value(json_object_get(resp, "pid")), up);
		/* who quelld takes us for decides what else works (docs/protocol.md) */
		who = json_object_get(resp, "caller");
		if (json_is_object(who))
			fprintf(c->out, "you:   uid %lld, %s%s%s\n",
				(long long)json_integer_value(json_object_get(who, "uid")),
				json_string_value(json_object_get(who, "class")) ?: "?",
				json_is_string(json_object_get(who, "tenant")) ? " " : "",
				json_string_value(json_object_get(who, "tenant")) ?: "");
	}
	json_decref(resp);
	return ret;
}

/* The reply's "tenants" array as tviews; returns count or -EBADMSG / -ENOMEM. */
static int decode_tenants(json_t *arr, struct tview **out)
{
	struct tview *t;
	size_t n;

	*out = NULL;
	if (!json_is_array(arr))
		return -EBADMSG;
	n = json_array_size(arr);
	t = calloc(n ? n : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (proto_tview_from_json(json_array_get(arr, i), &t[i])) {
			free(t);
			return -EBADMSG;
		}
	}
	*out = t;
	return (int)n;
}

int ctl_cmd_list(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_list_opts o;
	struct tview *t;
	json_t *resp, *arr;
	char err[256], *line = NULL, **raw;
	size_t llen = 0;
	int ret, n, *idx;

	if (ctl_list_parse_args(argc, argv, &o, err, sizeof(err)))
		return ctl_usage_error(c, argv[0], "%s", err);
	/*
	 * quelld sorts and cuts (the same proto_sort_index()), so JSON for a
	 * pipe is its reply as it came: at 10,000 tenants parsing 13.8 MB with
	 * jansson cost ~0.65 s, this nothing (docs/performance.md). A daemon
	 * without "sorted" in its reply gets the old path: sorted here.
	 */
	raw = c->json && !isatty(fileno(c->out)) ? &line : NULL;
	ret = ctl_call_raw(c, json_pack("{s:s,s:s,s:b,s:i}", "cmd", "snapshot",
					"sort", proto_sort_name((enum proto_sort)o.sort),
					"reverse", o.reverse, "top", o.top),
			   "sorted", raw, &llen, &resp);
	if (ret)
		return ret;
	if (line) {
		line[llen] = '\n';	/* over the NUL */
		fwrite(line, 1, llen + 1, c->out);	/* as ctl_print_json(): a closed pipe is the reader's choice */
		ret = CTL_EXIT_OK;
		free(line);
		return ret;
	}
	arr = json_object_get(resp, "tenants");
	n = decode_tenants(arr, &t);
	if (n < 0) {
		json_decref(resp);
		return bad_reply(c, "\"tenants\"");
	}
	idx = malloc(((size_t)n + 1) * sizeof(*idx));
	if (!idx) {
		free(t);
		json_decref(resp);
		return bad_reply(c, "out of memory");
	}
	ctl_sort_index(t, n, &o, idx);
	if (o.top && o.top < n)
		n = o.top;
	if (c->json) {
		/* the daemon's objects, in the order and number asked for */
		json_t *sorted = json_array();

		for (int i = 0; i < n; i++)
			json_array_append(sorted, json_array_get(arr, (size_t)idx[i]));
		json_object_set_new(resp, "tenants", sorted);
		ctl_print_json(c, resp);
	} else {
		struct tview *s = calloc((size_t)n + 1, sizeof(*s));

		if (s) {
			for (int i = 0; i < n; i++)
				s[i] = t[idx[i]];
			ctl_print_list(c->out, s, n);
			free(s);
		}
	}
	free(idx);
	free(t);
	json_decref(resp);
	return CTL_EXIT_OK;
}

static void print_procs(struct ctl_ctx *c, json_t *procs)
{
	static const char *const head[] = { "PID", "COMM", "CPU%", "RSS", "THREADS" };
	static const bool right[] = { true, false, true, true, true };
	struct ctl_table tb;
	size_t i;
	json_t *p;

	if (!json_is_array(procs) || !json_array_size(procs))
		return;
	ctl_table_init(&tb, 5, head, right);
	json_array_foreach(procs, i, p) {
		struct pview pv;
		char a[16], b[32], d[32], e[16];
		const char *row[5];

		if (proto_pview_from_json(p, &pv))
			continue;
		snprintf(a, sizeof(a), "%d", pv.pid);
		snprintf(e, sizeof(e), "%d", pv.threads);
		row[0] = a;
		row[1] = pv.comm;
		row[2] = ctl_fmt_num(pv.cpu_pct, b, sizeof(b));
		row[3] = units_fmt_size(pv.rss_bytes, d, sizeof(d));
		row[4] = e;
		ctl_table_add(&tb, row);
	}
	fputc('\n', c->out);
	ctl_table_print(c->out, &tb);
	ctl_table_free(&tb);
}

int ctl_cmd_show(struct ctl_ctx *c, int argc, char **argv)
{
	struct tview t;
	json_t *resp, *tj;
	int ret;

	if (argc < 2)
		return ctl_usage_error(c, argv[0], "which tenant?");
	if (argc > 2)
		return ctl_usage_error(c, argv[0], "unexpected argument \"%s\"", argv[2]);
	ret = ctl_call(c, json_pack("{s:s,s:s}", "cmd", "tenant", "name", argv[1]), &resp);
	if (ret)
		return ret;
	tj = json_object_get(resp, "tenant");
	if (c->json) {
		ctl_print_json(c, resp);
	} else if (proto_tview_from_json(tj, &t)) {
		ret = bad_reply(c, "\"tenant\"");
	} else {
		json_t *uw = json_object_get(tj, "limits_unwritten");
		const char *e = json_string_value(json_object_get(uw, "error"));
		json_int_t n = json_integer_value(json_object_get(uw, "tries"));

		ctl_print_show(c->out, &t);
		/* the limits above are quell's; the kernel refused them (v1: EBUSY) */
		if (json_is_object(uw))
			fprintf(c->out, "limits:     not in force: writing them failed %lld time%s "
				"(%s), the cgroup keeps what it had (quellctl limits %s)\n",
				(long long)n, n == 1 ? "" : "s", e ? e : "?", t.name);
		print_procs(c, json_object_get(tj, "procs"));
		if (json_array_size(json_object_get(tj, "events"))) {
			fprintf(c->out, "\nrecent events:\n");
			ctl_print_events(c->out, json_object_get(tj, "events"));
		}
	}
	json_decref(resp);
	return ret;
}

int ctl_cmd_tenants(struct ctl_ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "TENANT", "UID", "STATE", "NPROC", "CGROUP" };
	static const bool right[] = { false, true, false, true, false };
	struct ctl_table tb;
	json_t *resp, *arr, *e;
	size_t i;
	int ret;

	if ((ret = no_args(c, argc, argv)))
		return ret;
	ret = ctl_call(c, json_pack("{s:s}", "cmd", "tenants"), &resp);
	if (ret)
		return ret;
	arr = json_object_get(resp, "tenants");
	if (c->json) {
		ctl_print_json(c, resp);
		json_decref(resp);
		return CTL_EXIT_OK;
	}
	if (!json_is_array(arr)) {
		json_decref(resp);
		return bad_reply(c, "\"tenants\"");
	}
	ctl_table_init(&tb, 5, head, right);
	json_array_foreach(arr, i, e) {
		char uid[24] = "-", np[24] = "-";
		const char *row[5];
		json_t *u = json_object_get(e, "uid"), *p = json_object_get(e, "nproc");

		if (json_is_integer(u))
			snprintf(uid, sizeof(uid), "%lld", (long long)json_integer_value(u));
		if (json_is_number(p))
			snprintf(np, sizeof(np), "%.0f", json_number_value(p));
		row[0] = json_string_value(json_object_get(e, "name"));
		row[1] = uid;
		row[2] = json_string_value(json_object_get(e, "state"));
		row[3] = np;
		row[4] = json_string_value(json_object_get(e, "cgroup"));
		if (row[4] && !*row[4])
			row[4] = NULL;	/* not placed (yet) */
		ctl_table_add(&tb, row);
	}
	ctl_table_print(c->out, &tb);
	ctl_table_free(&tb);
	json_decref(resp);
	return CTL_EXIT_OK;
}
