// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_control.c - quellctl commands that act: place, where, limits, set,
 * throttle, release, freeze, kill, and the audit log reader, events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "tenant_limits.h"
#include "units.h"

int ctl_set_parse_args(int argc, char **argv, json_t **limits, char *err, size_t errlen)
{
	struct tenant_limits scratch;
	json_t *o;

	*limits = NULL;
	if (argc < 3) {
		snprintf(err, errlen, "%s", argc < 2 ? "which tenant?" : "nothing to set (key=value...)");
		return -EINVAL;
	}
	limits_init(&scratch);
	o = json_object();
	if (!o)
		return -ENOMEM;
	for (int i = 2; i < argc; i++) {
		char key[32], lerr[256];
		const char *eq = strchr(argv[i], '=');
		size_t kl = eq ? (size_t)(eq - argv[i]) : 0;

		if (!eq || !kl || kl >= sizeof(key) || !eq[1]) {
			snprintf(err, errlen, "\"%s\": expected key=value, e.g. cpu=50%% mem=1G", argv[i]);
			json_decref(o);
			return -EINVAL;
		}
		memcpy(key, argv[i], kl);
		key[kl] = '\0';
		/* check here so a typo is a usage error, not a round trip; "default"
		 * (back to the configuration's value) is checked against a real value */
		if (limits_parse_kv(&scratch, key, strcmp(eq + 1, "default") ? eq + 1 : "unlimited",
				    lerr, sizeof(lerr))) {
			snprintf(err, errlen, "%s", lerr);
			json_decref(o);
			return -EINVAL;
		}
		json_object_set_new(o, key, json_string(eq + 1));
	}
	*limits = o;
	return 0;
}

int ctl_parse_for(int argc, char **argv, int64_t *secs, char *err, size_t errlen)
{
	*secs = 0;
	for (int i = 2; i < argc; i++) {
		const char *v;
		uint64_t ms;
		int r = ctl_opt_value(argc, argv, &i, "--for", &v);

		if (r < 0) {
			snprintf(err, errlen, "--for needs a duration (10m, 1h)");
			return -EINVAL;
		}
		if (!r) {
			snprintf(err, errlen, "unexpected argument \"%s\"", argv[i]);
			return -EINVAL;
		}
		if (units_parse_duration_ms(v, &ms) || ms < 1000 || ms / 1000 > INT32_MAX) {
			snprintf(err, errlen, "--for: bad duration \"%s\" (1s or more: 30s, 10m, 1h)", v);
			return -EINVAL;
		}
		*secs = (int64_t)((ms + 999) / 1000);
	}
	return 0;
}

static int need_tenant(struct ctl_ctx *c, int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-')
		return ctl_usage_error(c, argv[0], "which tenant?");
	return 0;
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : dflt;
}

static void place_text(FILE *out, const char *pid, json_t *resp)
{
	fprintf(out, "pid %s: %s tenant %s, cgroup %s\n", pid,
		json_is_false(json_object_get(resp, "moved")) ? "already in" : "moved to",
		str_or(resp, "tenant", "-"), str_or(resp, "cgroup", "-"));
}

static void where_text(FILE *out, const char *pid, json_t *resp)
{
	fprintf(out, "pid %s: cgroup %s, tenant %s\n", pid,
		str_or(resp, "cgroup", "-"), str_or(resp, "tenant", "(none)"));
}

/* `place PID`, `where PID`: the command with the pid, its reply as JSON or text */
static int pid_cmd(struct ctl_ctx *c, int argc, char **argv,
		   void (*text)(FILE *out, const char *pid, json_t *resp))
{
	json_t *resp;
	int pid, ret;

	if (argc != 2)
		return ctl_usage_error(c, argv[0], argc < 2 ? "which pid?" : "one pid only");
	if (ctl_parse_pid(argv[1], &pid))
		return ctl_usage_error(c, argv[0], "\"%s\" is not a pid", argv[1]);
	ret = ctl_call(c, json_pack("{s:s,s:i}", "cmd", argv[0], "pid", pid), &resp);
	if (ret)
		return ret;
	if (c->json)
		ctl_print_json(c, resp);
	else
		text(c->out, argv[1], resp);
	json_decref(resp);
	return CTL_EXIT_OK;
}

int ctl_cmd_place(struct ctl_ctx *c, int argc, char **argv)
{
	return pid_cmd(c, argc, argv, place_text);
}

int ctl_cmd_where(struct ctl_ctx *c, int argc, char **argv)
{
	return pid_cmd(c, argc, argv, where_text);
}

static int print_limits_reply(struct ctl_ctx *c, const char *name, json_t *resp)
{
	json_t *lim = json_object_get(resp, "limits");

	if (c->json) {
		ctl_print_json(c, resp);
	} else if (!json_is_object(lim)) {
		fprintf(c->err, "quellctl: invalid reply from quelld: \"limits\"\n");
		return CTL_EXIT_DAEMON;
	} else {
		ctl_print_limits(c->out, name, lim);
	}
	return CTL_EXIT_OK;
}

int ctl_cmd_limits(struct ctl_ctx *c, int argc, char **argv)
{
	json_t *resp;
	int ret;

	if ((ret = need_tenant(c, argc, argv)))
		return ret;
	if (argc > 2)
		return ctl_usage_error(c, argv[0], "unexpected argument \"%s\"", argv[2]);
	ret = ctl_call(c, json_pack("{s:s,s:s}", "cmd", "limits", "name", argv[1]), &resp);
	if (ret)
		return ret;
	ret = print_limits_reply(c, argv[1], resp);
	json_decref(resp);
	return ret;
}

int ctl_cmd_set(struct ctl_ctx *c, int argc, char **argv)
{
	json_t *lim, *resp;
	char err[512];
	int ret;

	if (ctl_set_parse_args(argc, argv, &lim, err, sizeof(err)))
		return ctl_usage_error(c, argv[0], "%s", err);
	ret = ctl_call(c, json_pack("{s:s,s:s,s:o}", "cmd", "set", "name", argv[1], "limits", lim),
		       &resp);
	if (ret)
		return ret;
	ret = print_limits_reply(c, argv[1], resp);
	json_decref(resp);
	return ret;
}

static void print_state(struct ctl_ctx *c, const char *name, json_t *resp)
{
	json_t *st = json_object_get(resp, "state");
	json_t *until = json_object_get(resp, "until");
	const char *rule = NULL;
	char s[256], lim[512] = "";

	if (c->json) {
		ctl_print_json(c, resp);
		return;
	}
	if (json_is_object(st)) {
		/* {"state":"throttled","rule":"manual","until":EPOCH,"dynamic":{limits}} */
		until = json_object_get(st, "until");
		rule = json_string_value(json_object_get(st, "rule"));
		if (json_is_object(json_object_get(st, "dynamic")))
			ctl_fmt_limits_obj(json_object_get(st, "dynamic"), lim, sizeof(lim));
		st = json_object_get(st, "state");
	}
	snprintf(s, sizeof(s), "%s", json_is_string(st) ? json_string_value(st) : "done");
	fprintf(c->out, "%s: %s", name, s);
	if (rule && *rule)
		fprintf(c->out, " (rule %s)", rule);
	if (*lim)
		fprintf(c->out, ", %s", lim);
	if (json_is_number(until) && json_number_value(until) > 0) {
		time_t t = (time_t)json_number_value(until);
		struct tm tm;
		char when[32];

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(c->out, " until %s", when);
	}
	fputc('\n', c->out);
}

/* throttle / freeze: TENANT [--for D]; release: TENANT. */
static int action_cmd(struct ctl_ctx *c, int argc, char **argv, bool has_for)
{
	json_t *req, *resp;
	char err[256];
	int64_t secs = 0;
	int ret;

	if ((ret = need_tenant(c, argc, argv)))
		return ret;
	if (has_for) {
		if (ctl_parse_for(argc, argv, &secs, err, sizeof(err)))
			return ctl_usage_error(c, argv[0], "%s", err);
	} else if (argc > 2) {
		return ctl_usage_error(c, argv[0], "unexpected argument \"%s\"", argv[2]);
	}
	req = json_pack("{s:s,s:s}", "cmd", argv[0], "name", argv[1]);
	if (req && secs)
		json_object_set_new(req, "for", json_integer(secs));
	ret = ctl_call(c, req, &resp);
	if (ret)
		return ret;
	print_state(c, argv[1], resp);
	json_decref(resp);
	return CTL_EXIT_OK;
}

int ctl_cmd_throttle(struct ctl_ctx *c, int argc, char **argv)
{
	return action_cmd(c, argc, argv, true);
}

int ctl_cmd_freeze(struct ctl_ctx *c, int argc, char **argv)
{
	return action_cmd(c, argc, argv, true);
}

int ctl_cmd_release(struct ctl_ctx *c, int argc, char **argv)
{
	return action_cmd(c, argc, argv, false);
}

int ctl_cmd_kill(struct ctl_ctx *c, int argc, char **argv)
{
	bool yes = false;
	int ret;

	if ((ret = need_tenant(c, argc, argv)))
		return ret;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--yes") || !strcmp(argv[i], "-y"))
			yes = true;
		else
			return ctl_usage_error(c, argv[0], "unexpected argument \"%s\"", argv[i]);
	}
	if (!yes) {
		char line[16];

		if (!isatty(STDIN_FILENO))
			return ctl_usage_error(c, argv[0], "refusing to kill every process of \"%s\" without --yes",
					       argv[1]);
		fprintf(c->err, "kill every process of tenant %s? [y/N] ", argv[1]);
		fflush(c->err);
		if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y')) {
			fprintf(c->err, "not killed\n");
			return CTL_EXIT_USAGE;
		}
	}
	return action_cmd(c, 2, argv, false);
}

int ctl_events_parse_args(int argc, char **argv, time_t now, json_t **req, char *err, size_t errlen)
{
	json_t *r = json_pack("{s:s}", "cmd", "events");

	*req = NULL;
	if (!r)
		return -ENOMEM;
	for (int i = 1; i < argc; i++) {
		const char *v;
		int64_t since;
		int n, k;

		if ((k = ctl_opt_value(argc, argv, &i, "--tenant", &v))) {
			if (k < 0 || !*v) {
				snprintf(err, errlen, "--tenant needs a name");
				goto fail;
			}
			json_object_set_new(r, "tenant", json_string(v));
		} else if ((k = ctl_opt_value(argc, argv, &i, "--since", &v))) {
			if (k < 0) {
				snprintf(err, errlen, "--since needs a time");
				goto fail;
			}
			if (units_parse_when(v, now, &since)) {
				snprintf(err, errlen, "--since: bad time \"%s\" (-1h, EPOCH, \"YYYY-MM-DD HH:MM\")", v);
				goto fail;
			}
			json_object_set_new(r, "since", json_integer(since));
		} else if ((k = ctl_opt_value(argc, argv, &i, "--limit", &v))) {
			if (k < 0) {
				snprintf(err, errlen, "--limit needs a number");
				goto fail;
			}
			if (ctl_parse_pid(v, &n)) {
				snprintf(err, errlen, "--limit: \"%s\" is not a positive number", v);
				goto fail;
			}
			json_object_set_new(r, "limit", json_integer(n));
		} else {
			snprintf(err, errlen, "unexpected argument \"%s\"", argv[i]);
			goto fail;
		}
	}
	*req = r;
	return 0;
fail:
	json_decref(r);
	return -EINVAL;
}

int ctl_cmd_events(struct ctl_ctx *c, int argc, char **argv)
{
	json_t *req, *resp, *ev;
	char err[256];
	int ret;

	if (ctl_events_parse_args(argc, argv, c->now ? c->now : time(NULL), &req, err, sizeof(err)))
		return ctl_usage_error(c, argv[0], "%s", err);
	ret = ctl_call(c, req, &resp);
	if (ret)
		return ret;
	ev = json_object_get(resp, "events");
	if (c->json) {
		ctl_print_json(c, resp);
	} else if (!json_is_array(ev)) {
		fprintf(c->err, "quellctl: invalid reply from quelld: \"events\"\n");
		ret = CTL_EXIT_DAEMON;
	} else {
		ctl_print_events(c->out, ev);
	}
	json_decref(resp);
	return ret;
}

/* quellctl web-link [TENANT]: quelld signs a link to the customer page (docs/web.md) */
int ctl_cmd_web_link(struct ctl_ctx *c, int argc, char **argv)
{
	json_t *req, *resp;
	int ret;

	if (ctl_wants_help(argc, argv)) {
		ctl_cmd_usage(c->out, c->cmd);
		return CTL_EXIT_OK;
	}
	if (argc > 2)
		return ctl_usage_error(c, argv[0], "at most one TENANT");
	req = json_pack("{s:s}", "cmd", "web_link");
	/* a tenant names nobody: quelld knows who it is (SO_PEERCRED) */
	if (argc == 2)
		json_object_set_new(req, "tenant", json_string(argv[1]));
	ret = ctl_call(c, req, &resp);
	if (ret)
		return ret;
	if (c->json) {
		ctl_print_json(c, resp);
	} else {
		const char *url = json_string_value(json_object_get(resp, "url"));
		json_int_t exp = json_integer_value(json_object_get(resp, "expires"));
		char when[64] = "?";
		time_t t = (time_t)exp;
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		if (!url) {
			fprintf(c->err, "quellctl: invalid reply from quelld: \"url\"\n");
			ret = CTL_EXIT_DAEMON;
		} else {
			fprintf(c->out, "%s\n(valid until %s; anyone with this link sees %s's usage)\n",
				url, when, json_string_value(json_object_get(resp, "tenant")));
		}
	}
	json_decref(resp);
	return ret;
}
