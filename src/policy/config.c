// SPDX-License-Identifier: GPL-2.0-only
/*
 * config.c - quell.conf: embedded defaults, then an INI file parsed by inih.
 *
 * inih (Debian's 55) has no line number in the handler, so we feed it
 * through ini_parse_stream() with our own line reader that counts lines:
 * every message is "file:line: message". The whole file is parsed into a
 * heap copy of struct quell_config and copied over *cfg only on success, so
 * a bad file on SIGHUP keeps the running configuration.
 *
 * inih calls the handler only for key = value lines, so section headers
 * (unknown sections, duplicate [tenant:X], bad tenant names) are checked
 * by a small pre-scan of the text; the earliest error of both passes wins.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"
#include "log.h"
#include "tenant_name.h"
#include "units.h"

#define CONFIG_MAX_BYTES	(4 << 20)
#define CONFIG_MAX_LINE		(64 * 1024)

void config_defaults(struct quell_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tick_ms = 1000;
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "/run/quell/quell.sock");
	cfg->socket_mode = 0666;	/* every tenant may connect; authz.c decides per request */
	snprintf(cfg->socket_group, sizeof(cfg->socket_group), "root");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/quell");
	cfg->log_level = LOG_INFO;
	cfg->bpf = BPF_AUTO;
	cfg->max_tenants = 16384;
	snprintf(cfg->cgroup_root, sizeof(cfg->cgroup_root), "/sys/fs/cgroup");
	snprintf(cfg->proc_root, sizeof(cfg->proc_root), "/proc");
	cfg->client_timeout_ms = 60000;
	cfg->client_max_per_uid = 32;
	cfg->lazy_reads = true;

	cfg->tenant_mode = TENANT_USERS;
	cfg->min_uid = 1000;
	cfg->max_uid = 60000;
	snprintf(cfg->exclude[0], sizeof(cfg->exclude[0]), "nobody");
	cfg->nr_exclude = 1;
	snprintf(cfg->parent, sizeof(cfg->parent), "user.slice");
	snprintf(cfg->managed, sizeof(cfg->managed), "quell");
	cfg->place = true;
	cfg->sweep_ms = 10000;

	limits_init(&cfg->limits);
	cfg->nr_overrides = 0;

	cfg->history = true;
	snprintf(cfg->rrd_dir, sizeof(cfg->rrd_dir), "/var/lib/quell/rrd");
	cfg->rrd_step_s = 10;
	cfg->rrdcached[0] = '\0';

	snprintf(cfg->events_path, sizeof(cfg->events_path), "/var/lib/quell/events.jsonl");
	cfg->events_max_bytes = 10 << 20;
	cfg->events_keep = 5;

	cfg->metrics_listen[0] = '\0';

	cfg->web = false;
	snprintf(cfg->web_secret_file, sizeof(cfg->web_secret_file), "/var/lib/quell/web.secret");
	cfg->web_link_ttl_ms = 7 * 24 * 3600 * 1000ULL;
	cfg->notify_timeout_ms = 10000;
	cfg->notify_window_ms = 60000;
	cfg->notify_max_per_tenant = 5;
	cfg->notify_max_running = 4;

	policy_config_init(&cfg->policy);
}

/* What a tenant name may be: the one rule, include/tenant_name.h. */
bool config_tenant_name_ok(const char *name)
{
	return tenant_name_ok(name);
}

struct pctx {
	struct quell_config *cfg;
	const char *name;
	/* reader */
	const char *text;
	size_t pos;
	int lineno;
	bool bol;
	/* first handler error */
	int err_line;
	char err[512];
	/* explicit keys, for derived defaults */
	bool rrd_dir_set, events_set, exclude_set, web_secret_set;
	int uid_line;
	/* the line of each [rule:NAME]'s first key: policy_config_finish's errors name a rule */
	struct {
		char name[POLICY_RULE_NAME_MAX];
		int line;
	} rule_line[POLICY_MAX_RULES];
	int nr_rule_lines;
};

static void rule_line_note(struct pctx *c, const char *rule)
{
	for (int i = 0; i < c->nr_rule_lines; i++)
		if (!strcmp(c->rule_line[i].name, rule))
			return;
	/* policy_parse_kv accepted it: a valid name, at most POLICY_MAX_RULES of them */
	if (c->nr_rule_lines >= POLICY_MAX_RULES || strlen(rule) >= POLICY_RULE_NAME_MAX)
		return;
	strcpy(c->rule_line[c->nr_rule_lines].name, rule);
	c->rule_line[c->nr_rule_lines++].line = c->lineno;
}

/* The line of the rule an error "[rule:NAME]: ..." is about, 0 if none. */
static int rule_line_of(const struct pctx *c, const char *msg)
{
	const char *end;

	if (strncmp(msg, "[rule:", 6) || !(end = strchr(msg, ']')))
		return 0;
	for (int i = 0; i < c->nr_rule_lines; i++)
		if (strlen(c->rule_line[i].name) == (size_t)(end - msg - 6) &&
		    !strncmp(c->rule_line[i].name, msg + 6, (size_t)(end - msg - 6)))
			return c->rule_line[i].line;
	return 0;
}

/* ini_reader over a string that counts lines (fgets semantics). */
static char *reader(char *str, int num, void *stream)
{
	struct pctx *c = stream;
	int i = 0;

	if (!c->text[c->pos] || num < 2)
		return NULL;
	if (c->bol)
		c->lineno++;
	while (i < num - 1 && c->text[c->pos]) {
		char ch = c->text[c->pos++];

		str[i++] = ch;
		if (ch == '\n')
			break;
	}
	str[i] = '\0';
	c->bol = i > 0 && str[i - 1] == '\n';
	return str;
}

static int fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->err_line) {
		c->err_line = c->lineno;
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	return 0;	/* inih: error on this line */
}

static int set_str(struct pctx *c, const char *key, const char *val, char *dst, size_t len)
{
	if (strlen(val) >= len)
		return fail(c, "%s: value too long (at most %zu characters)", key, len - 1);
	memcpy(dst, val, strlen(val) + 1);
	return 1;
}

static int set_path(struct pctx *c, const char *key, const char *val, char *dst, size_t len)
{
	if (val[0] != '/')
		return fail(c, "%s: \"%s\" is not an absolute path", key, val);
	return set_str(c, key, val, dst, len);
}

static int set_bool(struct pctx *c, const char *key, const char *val, bool *dst)
{
	if (units_parse_bool(val, dst))
		return fail(c, "%s: bad value \"%s\": expected yes or no", key, val);
	return 1;
}

static int set_dur(struct pctx *c, const char *key, const char *val, uint64_t min_ms,
		   uint64_t max_ms, uint64_t *dst)
{
	char a[32], b[32];
	uint64_t ms;

	if (units_parse_duration_ms(val, &ms))
		return fail(c, "%s: bad value \"%s\": expected a duration such as 1s, 500ms, 10m", key, val);
	if (ms < min_ms || ms > max_ms)
		return fail(c, "%s: %s is out of range (%s to %s)", key, val,
			    units_fmt_duration_ms(min_ms, a, sizeof(a)),
			    units_fmt_duration_ms(max_ms, b, sizeof(b)));
	*dst = ms;
	return 1;
}

static int set_u64(struct pctx *c, const char *key, const char *val, uint64_t min, uint64_t max,
		   uint64_t *dst)
{
	uint64_t v;

	if (units_parse_count(val, &v))
		return fail(c, "%s: bad value \"%s\": expected a number", key, val);
	if (v < min || v > max)
		return fail(c, "%s: %s is out of range (%llu to %llu)", key, val,
			    (unsigned long long)min, (unsigned long long)max);
	*dst = v;
	return 1;
}

static int add_exclude(struct pctx *c, const char *val)
{
	char buf[1024], *save = NULL, *tok;

	if (!c->exclude_set) {
		/* the first exclude line replaces the default list */
		c->cfg->nr_exclude = 0;
		c->exclude_set = true;
	}
	if (set_str(c, "exclude", val, buf, sizeof(buf)) == 0)
		return 0;
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (!config_tenant_name_ok(tok))
			return fail(c, "exclude: \"%s\" is not a valid user name", tok);
		if (c->cfg->nr_exclude >= QUELL_MAX_EXCLUDE)
			return fail(c, "exclude: more than %d names", QUELL_MAX_EXCLUDE);
		snprintf(c->cfg->exclude[c->cfg->nr_exclude++], QUELL_NAME_MAX, "%s", tok);
	}
	return 1;
}

static int key_daemon(struct pctx *c, const char *k, const char *v)
{
	struct quell_config *cfg = c->cfg;
	uint64_t n;

	if (!strcmp(k, "tick"))
		return set_dur(c, k, v, 100, 60000, &cfg->tick_ms);
	if (!strcmp(k, "socket")) {
		if (v[0] != '/')
			return fail(c, "socket: \"%s\" is not an absolute path", v);
		return set_str(c, k, v, cfg->socket_path, sizeof(cfg->socket_path));
	}
	if (!strcmp(k, "socket_mode")) {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(v, &end, 8);
		if (errno || *end || !*v || v[0] == '-' || v[0] == '+' || m > 0777)
			return fail(c, "socket_mode: bad value \"%s\": expected an octal mode such as 0660", v);
		cfg->socket_mode = (mode_t)m;
		return 1;
	}
	if (!strcmp(k, "socket_group"))
		return set_str(c, k, v, cfg->socket_group, sizeof(cfg->socket_group));
	if (!strcmp(k, "admin_group") || !strcmp(k, "readonly_group")) {
		if (*v && !config_tenant_name_ok(v))
			return fail(c, "%s: \"%s\" is not a valid group name", k, v);
		return set_str(c, k, v, k[0] == 'a' ? cfg->admin_group : cfg->readonly_group,
			       sizeof(cfg->admin_group));
	}
	if (!strcmp(k, "state_dir"))
		return set_path(c, k, v, cfg->state_dir, sizeof(cfg->state_dir));
	if (!strcmp(k, "log_level")) {
		int l = log_level_parse(v);

		if (l < 0)
			return fail(c, "log_level: bad value \"%s\": expected err, warning, notice, info or debug", v);
		cfg->log_level = l;
		return 1;
	}
	if (!strcmp(k, "bpf")) {
		bool b;

		if (!strcasecmp(v, "auto"))
			cfg->bpf = BPF_AUTO;
		else if (!units_parse_bool(v, &b))
			cfg->bpf = b ? BPF_ON : BPF_OFF;
		else
			return fail(c, "bpf: bad value \"%s\": expected auto, on or off", v);
		return 1;
	}
	if (!strcmp(k, "max_tenants")) {
		if (!set_u64(c, k, v, 1, 1 << 22, &n))
			return 0;
		cfg->max_tenants = (uint32_t)n;
		return 1;
	}
	if (!strcmp(k, "cgroup_root"))
		return set_path(c, k, v, cfg->cgroup_root, sizeof(cfg->cgroup_root));
	if (!strcmp(k, "proc_root"))
		return set_path(c, k, v, cfg->proc_root, sizeof(cfg->proc_root));
	if (!strcmp(k, "client_timeout"))
		return set_dur(c, k, v, 1000, 3600000, &cfg->client_timeout_ms);
	if (!strcmp(k, "lazy_reads"))
		return set_bool(c, k, v, &cfg->lazy_reads);
	if (!strcmp(k, "client_max_per_uid")) {
		if (!set_u64(c, k, v, 1, 1024, &n))
			return 0;
		cfg->client_max_per_uid = (int)n;
		return 1;
	}
	return fail(c, "unknown key \"%s\" in [daemon]", k);
}

static int key_tenants(struct pctx *c, const char *k, const char *v)
{
	struct quell_config *cfg = c->cfg;
	uint64_t n;

	if (!strcmp(k, "mode")) {
		if (!strcmp(v, "users"))
			cfg->tenant_mode = TENANT_USERS;
		else if (!strcmp(v, "cgroups"))
			cfg->tenant_mode = TENANT_CGROUPS;
		else
			return fail(c, "mode: bad value \"%s\": expected users or cgroups", v);
		return 1;
	}
	if (!strcmp(k, "min_uid") || !strcmp(k, "max_uid")) {
		if (!set_u64(c, k, v, 0, UINT32_MAX - 1, &n))
			return 0;
		if (k[1] == 'i')
			cfg->min_uid = (uint32_t)n;
		else
			cfg->max_uid = (uint32_t)n;
		c->uid_line = c->lineno;	/* checked against each other at the end */
		return 1;
	}
	if (!strcmp(k, "exclude"))
		return add_exclude(c, v);
	if (!strcmp(k, "parent")) {
		/* relative to the v2 root; a leading '/' is tolerated */
		while (*v == '/')
			v++;
		if (!*v || strstr(v, "..") || strchr(v, '\n'))
			return fail(c, "parent: \"%s\" is not a cgroup path below the root", v);
		return set_str(c, k, v, cfg->parent, sizeof(cfg->parent));
	}
	if (!strcmp(k, "managed")) {
		if (!config_tenant_name_ok(v))
			return fail(c, "managed: \"%s\" is not a valid cgroup name", v);
		return set_str(c, k, v, cfg->managed, sizeof(cfg->managed));
	}
	if (!strcmp(k, "place"))
		return set_bool(c, k, v, &cfg->place);
	if (!strcmp(k, "sweep"))
		return set_dur(c, k, v, 1000, 24 * 3600 * 1000ULL, &cfg->sweep_ms);
	return fail(c, "unknown key \"%s\" in [tenants]", k);
}

static int key_limits(struct pctx *c, struct tenant_limits *l, const char *sect, const char *k,
		      const char *v)
{
	char err[256];
	int ret = limits_parse_kv(l, k, v, err, sizeof(err));

	if (ret == -ENOENT)
		return fail(c, "unknown key \"%s\" in [%s]", k, sect);
	if (ret)
		return fail(c, "%s", err);
	return 1;
}

static struct tenant_override *override_get(struct pctx *c, const char *name)
{
	struct quell_config *cfg = c->cfg;
	struct tenant_override *o;

	for (int i = 0; i < cfg->nr_overrides; i++)
		if (!strcmp(cfg->overrides[i].name, name))
			return &cfg->overrides[i];
	if (cfg->nr_overrides >= QUELL_MAX_OVERRIDES)
		return NULL;
	o = &cfg->overrides[cfg->nr_overrides++];
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	limits_init(&o->lim);
	return o;
}

static int key_tenant(struct pctx *c, const char *sect, const char *k, const char *v)
{
	const char *name = sect + strlen("tenant:");
	struct tenant_override *o;

	/* the pre-scan already reported bad names; do not create them */
	if (!config_tenant_name_ok(name))
		return fail(c, "bad tenant name \"%s\"", name);
	o = override_get(c, name);
	if (!o)
		return fail(c, "more than %d [tenant:NAME] sections", QUELL_MAX_OVERRIDES);
	if (!strcmp(k, "exempt"))
		return set_bool(c, k, v, &o->exempt);
	return key_limits(c, &o->lim, sect, k, v);
}

static int key_history(struct pctx *c, const char *k, const char *v)
{
	struct quell_config *cfg = c->cfg;
	uint64_t ms;

	if (!strcmp(k, "enabled"))
		return set_bool(c, k, v, &cfg->history);
	if (!strcmp(k, "dir")) {
		c->rrd_dir_set = true;
		return set_path(c, k, v, cfg->rrd_dir, sizeof(cfg->rrd_dir));
	}
	if (!strcmp(k, "step")) {
		if (!set_dur(c, k, v, 1000, 3600 * 1000, &ms))
			return 0;
		if (ms % 1000)
			return fail(c, "step: %s is not a whole number of seconds", v);
		cfg->rrd_step_s = ms / 1000;
		return 1;
	}
	if (!strcmp(k, "rrdcached"))
		return set_str(c, k, v, cfg->rrdcached, sizeof(cfg->rrdcached));
	return fail(c, "unknown key \"%s\" in [history]", k);
}

static int key_events(struct pctx *c, const char *k, const char *v)
{
	struct quell_config *cfg = c->cfg;
	uint64_t n;

	if (!strcmp(k, "log")) {
		c->events_set = true;
		return set_path(c, k, v, cfg->events_path, sizeof(cfg->events_path));
	}
	if (!strcmp(k, "max_size")) {
		if (units_parse_size(v, &n) || n == UINT64_MAX)
			return fail(c, "max_size: bad value \"%s\": expected a size such as 10M", v);
		if (n < 4096)
			return fail(c, "max_size: %s is below the minimum of 4K", v);
		cfg->events_max_bytes = n;
		return 1;
	}
	if (!strcmp(k, "keep")) {
		if (!set_u64(c, k, v, 0, 1000, &n))
			return 0;
		cfg->events_keep = (int)n;
		return 1;
	}
	return fail(c, "unknown key \"%s\" in [events]", k);
}

/*
 * check_listen - [metrics] listen is what metrics_http_start() can bind:
 * "ADDR:PORT" with ADDR a numeric IPv4 address, "[IPv6]", "localhost", "*"
 * or empty (loopback), PORT 0..65535 (0: any free port). Checked here so
 * `quelld -t` and SIGHUP refuse a bad value: before, 999.999.999.999:99999
 * passed and the daemon ran without /metrics (issue 11 item 9).
 */
static int check_listen(struct pctx *c, const char *v)
{
	const char *colon = strrchr(v, ':'), *port;
	unsigned char addr[sizeof(struct in6_addr)];
	char host[64];
	size_t hl, pl;
	bool v6 = v[0] == '[';
	unsigned long p = 0;

	if (!*v)
		return 1;	/* off */
	if (!colon || !colon[1] || (v6 && (colon - v < 2 || colon[-1] != ']')))
		return fail(c, "listen: \"%s\" is not ADDRESS:PORT (e.g. 127.0.0.1:9477)", v);
	hl = (size_t)(colon - v) - (v6 ? 2 : 0);
	if (!v6 && memchr(v, ':', hl))
		return fail(c, "listen: \"%s\": an IPv6 address needs brackets ([::1]:9477)", v);
	snprintf(host, sizeof(host), "%.*s", (int)(hl < sizeof(host) ? hl : sizeof(host) - 1),
		 v + (v6 ? 1 : 0));
	if (hl >= sizeof(host) ||
	    (v6 ? inet_pton(AF_INET6, host, addr) != 1 :
	     hl && strcmp(host, "localhost") && strcmp(host, "*") && inet_pton(AF_INET, host, addr) != 1))
		return fail(c, "listen: \"%s\" is not a numeric IPv4 address, [IPv6 address], "
			    "localhost or *", host);
	port = colon + 1;
	pl = strlen(port);
	for (size_t i = 0; i < pl; i++)
		p = p * 10 + (unsigned long)(port[i] - '0');
	if (pl > 5 || strspn(port, "0123456789") != pl || p > 65535)
		return fail(c, "listen: port \"%s\" is not a number from 0 to 65535", port);
	return 1;
}

static int key_metrics(struct pctx *c, const char *k, const char *v)
{
	if (!strcmp(k, "listen")) {
		if (!check_listen(c, v))
			return 0;
		return set_str(c, k, v, c->cfg->metrics_listen, sizeof(c->cfg->metrics_listen));
	}
	if (!strcmp(k, "token_file") && !*v) {
		c->cfg->metrics_token_file[0] = '\0';
		return 1;
	}
	if (!strcmp(k, "token_file"))
		return set_path(c, k, v, c->cfg->metrics_token_file,
				sizeof(c->cfg->metrics_token_file));
	return fail(c, "unknown key \"%s\" in [metrics]", k);
}

static int key_web(struct pctx *c, const char *k, const char *v)
{
	struct quell_config *cfg = c->cfg;

	if (!strcmp(k, "enabled"))
		return set_bool(c, k, v, &cfg->web);
	if (!strcmp(k, "token_file") && !*v) {
		cfg->web_token_file[0] = '\0';
		return 1;
	}
	if (!strcmp(k, "token_file"))
		return set_path(c, k, v, cfg->web_token_file, sizeof(cfg->web_token_file));
	if (!strcmp(k, "secret_file") && !*v) {
		c->web_secret_set = false;	/* empty: back to <state_dir>/web.secret */
		return 1;
	}
	if (!strcmp(k, "secret_file")) {
		c->web_secret_set = true;
		return set_path(c, k, v, cfg->web_secret_file, sizeof(cfg->web_secret_file));
	}
	/* a link is a capability: a year at most, so a leaked one dies some day */
	if (!strcmp(k, "link_ttl"))
		return set_dur(c, k, v, 60000, 366 * 24 * 3600 * 1000ULL, &cfg->web_link_ttl_ms);
	if (!strcmp(k, "url")) {
		if (*v && strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return fail(c, "url: \"%s\" does not start with http:// or https://", v);
		if (strpbrk(v, " \t\"'<>#"))
			return fail(c, "url: \"%s\" has a blank, quote, angle bracket or #", v);
		return set_str(c, k, v, cfg->web_url, sizeof(cfg->web_url));
	}
	return fail(c, "unknown key \"%s\" in [web]", k);
}

static int key_notify(struct pctx *c, const char *k, const char *v)
{
	struct quell_config *cfg = c->cfg;
	uint64_t n;

	if (!strcmp(k, "command")) {
		/* one executable, no arguments, no shell: a shell is the admin's script */
		if (!*v) {
			cfg->notify_command[0] = '\0';
			return 1;
		}
		if (strpbrk(v, " \t"))
			return fail(c, "command: \"%s\": one absolute path, no arguments (write a "
				    "script for those)", v);
		return set_path(c, k, v, cfg->notify_command, sizeof(cfg->notify_command));
	}
	if (!strcmp(k, "user")) {
		if (*v && !config_tenant_name_ok(v))
			return fail(c, "user: \"%s\" is not a valid user name", v);
		return set_str(c, k, v, cfg->notify_user, sizeof(cfg->notify_user));
	}
	if (!strcmp(k, "timeout"))
		return set_dur(c, k, v, 100, 3600 * 1000, &cfg->notify_timeout_ms);
	if (!strcmp(k, "window"))
		return set_dur(c, k, v, 1000, 24 * 3600 * 1000ULL, &cfg->notify_window_ms);
	if (!strcmp(k, "max_per_tenant")) {
		if (!set_u64(c, k, v, 1, 1000, &n))
			return 0;
		cfg->notify_max_per_tenant = (uint32_t)n;
		return 1;
	}
	if (!strcmp(k, "max_running")) {
		if (!set_u64(c, k, v, 1, 64, &n))	/* NOTIFY_MAX_RUNNING */
			return 0;
		cfg->notify_max_running = (uint32_t)n;
		return 1;
	}
	return fail(c, "unknown key \"%s\" in [notify]", k);
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct pctx *c = user;
	char err[256] = "";
	int ret;

	if (c->err_line)
		return 0;
	if (!strcmp(section, "daemon"))
		return key_daemon(c, key, value);
	if (!strcmp(section, "tenants"))
		return key_tenants(c, key, value);
	if (!strcmp(section, "limits"))
		return key_limits(c, &c->cfg->limits, section, key, value);
	if (!strncmp(section, "tenant:", 7))
		return key_tenant(c, section, key, value);
	if (!strcmp(section, "history"))
		return key_history(c, key, value);
	if (!strcmp(section, "events"))
		return key_events(c, key, value);
	if (!strcmp(section, "metrics"))
		return key_metrics(c, key, value);
	if (!strcmp(section, "web"))
		return key_web(c, key, value);
	if (!strcmp(section, "notify"))
		return key_notify(c, key, value);
	if (!strcmp(section, "policy") || !strncmp(section, "rule:", 5)) {
		ret = policy_parse_kv(&c->cfg->policy, section, key, value, err, sizeof(err));
		if (ret == -ENOENT && !*err)
			return fail(c, "unknown key \"%s\" in [%s]", key, section);
		if (ret)
			return fail(c, "%s", *err ? err : strerror(-ret));
		if (!strncmp(section, "rule:", 5))
			rule_line_note(c, section + 5);
		return 1;
	}
	if (!*section)
		return fail(c, "\"%s\" outside any section", key);
	return fail(c, "unknown section [%s]", section);
}

static bool section_known(const char *s)
{
	static const char *const plain[] = {
		"daemon", "tenants", "limits", "history", "events", "metrics", "policy",
		"web", "notify",
	};

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(s, plain[i]))
			return true;
	return !strncmp(s, "tenant:", 7) || !strncmp(s, "rule:", 5);
}

/*
 * prescan - section headers only: unknown sections (even empty ones),
 * [tenant:NAME] validity and duplicates. Returns the line of the first
 * problem (message in err) or 0.
 */
static int prescan(const char *text, char *err, size_t errlen)
{
	char (*seen)[QUELL_NAME_MAX] = NULL;
	int *seen_line = NULL, nseen = 0, line = 0, ret = 0;
	const char *p = text;

	while (*p && !ret) {
		const char *eol = strchr(p, '\n'), *end, *s;
		char name[256];
		size_t n;

		if (!eol)
			eol = p + strlen(p);
		line++;
		s = p;
		p = *eol ? eol + 1 : eol;
		if (line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
			s += 3;	/* UTF-8 BOM, as inih allows */
		while (s < eol && isspace((unsigned char)*s))
			s++;
		if (s >= eol || *s != '[')
			continue;
		end = memchr(s, ']', (size_t)(eol - s));
		if (!end)
			continue;	/* inih reports the syntax error */
		s++;
		while (s < end && isspace((unsigned char)*s))
			s++;
		n = (size_t)(end - s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (n >= sizeof(name)) {
			snprintf(err, errlen, "section name too long");
			ret = line;
			break;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		if (!section_known(name)) {
			snprintf(err, errlen, "unknown section [%s]", name);
			ret = line;
		} else if (!strncmp(name, "tenant:", 7)) {
			const char *tn = name + 7;

			if (!config_tenant_name_ok(tn)) {
				snprintf(err, errlen, "bad tenant name \"%s\" (a user or cgroup name: no '/', '..', blanks or control characters, under %d characters)",
					 tn, QUELL_NAME_MAX);
				ret = line;
				break;
			}
			for (int i = 0; i < nseen; i++) {
				if (!strcmp(seen[i], tn)) {
					snprintf(err, errlen, "duplicate section [tenant:%s] (first at line %d)",
						 tn, seen_line[i]);
					ret = line;
					break;
				}
			}
			if (ret)
				break;
			if (nseen >= QUELL_MAX_OVERRIDES) {
				snprintf(err, errlen, "more than %d [tenant:NAME] sections", QUELL_MAX_OVERRIDES);
				ret = line;
				break;
			}
			if (!seen) {
				seen = calloc(QUELL_MAX_OVERRIDES, sizeof(*seen));
				seen_line = calloc(QUELL_MAX_OVERRIDES, sizeof(*seen_line));
				if (!seen || !seen_line) {
					snprintf(err, errlen, "out of memory");
					ret = -ENOMEM;
					break;
				}
			}
			memcpy(seen[nseen], tn, strlen(tn) + 1);	/* name_ok: < QUELL_NAME_MAX */
			seen_line[nseen++] = line;
		}
	}
	free(seen);
	free(seen_line);
	return ret;
}

int config_load_string(const char *text, const char *name, struct quell_config *cfg,
		       char *err, size_t errlen)
{
	struct quell_config *tmp;
	struct pctx c;
	char perr[512] = "";
	int pline, iline, ret = 0;

	if (!text || !cfg)
		return -EINVAL;
	if (!name)
		name = "<config>";
	tmp = malloc(sizeof(*tmp));
	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	config_defaults(tmp);

	pline = prescan(text, perr, sizeof(perr));
	if (pline == -ENOMEM) {
		snprintf(err, errlen, "%s: out of memory", name);
		ret = -ENOMEM;
		goto out;
	}

	memset(&c, 0, sizeof(c));
	c.cfg = tmp;
	c.name = name;
	c.text = text;
	c.bol = true;
	/* long lines (rule steps) need a heap buffer that can grow */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CONFIG_MAX_LINE;
	ini_stop_on_first_error = true;
	iline = ini_parse_stream(reader, &c, handler, &c);
	if (iline < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		ret = -ENOMEM;
		goto out;
	}

	if (pline > 0 && (!iline || pline <= iline)) {
		snprintf(err, errlen, "%s:%d: %s", name, pline, perr);
		ret = -EINVAL;
	} else if (iline > 0) {
		if (c.err_line)
			snprintf(err, errlen, "%s:%d: %s", name, c.err_line, c.err);
		else
			snprintf(err, errlen, "%s:%d: syntax error (expected \"key = value\" or \"[section]\")",
				 name, iline);
		ret = -EINVAL;
	}
	if (ret)
		goto out;

	if (tmp->min_uid > tmp->max_uid) {
		snprintf(err, errlen, "%s:%d: min_uid (%u) is above max_uid (%u)", name, c.uid_line,
			 tmp->min_uid, tmp->max_uid);
		ret = -EINVAL;
		goto out;
	}
	/* derived defaults follow state_dir unless given */
	if (!c.rrd_dir_set)
		snprintf(tmp->rrd_dir, sizeof(tmp->rrd_dir), "%.250s/rrd", tmp->state_dir);
	if (!c.events_set)
		snprintf(tmp->events_path, sizeof(tmp->events_path), "%.240s/events.jsonl",
			 tmp->state_dir);
	if (!c.web_secret_set)
		snprintf(tmp->web_secret_file, sizeof(tmp->web_secret_file), "%.240s/web.secret",
			 tmp->state_dir);

	ret = policy_config_finish(&tmp->policy, perr, sizeof(perr));
	if (ret && (pline = rule_line_of(&c, perr)) > 0) {
		/* at the rule's first key: an editor jumps there */
		snprintf(err, errlen, "%s:%d: %s", name, pline, perr);
		ret = -EINVAL;
		goto out;
	}
	if (ret) {
		snprintf(err, errlen, "%s: %s", name, *perr ? perr : strerror(-ret));
		ret = -EINVAL;
		goto out;
	}
	/* memcpy, padding included: config_diff's CK_OTHER check compares whole structs */
	memcpy(cfg, tmp, sizeof(*tmp));
	free(tmp);
	return 0;
out:
	policy_config_free(&tmp->policy);
	free(tmp);
	return ret;
}

int config_load(const char *path, struct quell_config *cfg, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	} else if (n > CONFIG_MAX_BYTES) {
		ret = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
	} else if (memchr(buf, '\0', n)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: contains a NUL byte (not a text file?)", path);
	} else {
		buf[n] = '\0';
		ret = config_load_string(buf, path, cfg, err, errlen);
	}
	fclose(f);
	free(buf);
	return ret;
}

void config_free(struct quell_config *cfg)
{
	policy_config_free(&cfg->policy);
}

bool config_uid_excluded(const struct quell_config *cfg, uint32_t uid, const char *name)
{
	char num[16];

	/* root is never a tenant, whatever min_uid says */
	if (uid == 0 || uid < cfg->min_uid || uid > cfg->max_uid)
		return true;
	snprintf(num, sizeof(num), "%u", uid);
	for (int i = 0; i < cfg->nr_exclude; i++) {
		if (name && !strcmp(cfg->exclude[i], name))
			return true;
		if (!strcmp(cfg->exclude[i], num))
			return true;
	}
	return false;
}

static const struct tenant_override *override_find(const struct quell_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nr_overrides; i++)
		if (!strcmp(cfg->overrides[i].name, name))
			return &cfg->overrides[i];
	return NULL;
}

void config_tenant_limits(const struct quell_config *cfg, const char *name,
			  struct tenant_limits *out)
{
	const struct tenant_override *o = name ? override_find(cfg, name) : NULL;

	*out = cfg->limits;
	if (o)
		limits_merge(out, &o->lim);
}

bool config_tenant_exempt(const struct quell_config *cfg, const char *name)
{
	const struct tenant_override *o = name ? override_find(cfg, name) : NULL;

	return o && o->exempt;
}

/* ---- reload: which keys differ, which apply live ---- */

enum ck_kind {
	CKK_MEM,	/* compare the bytes */
	CKK_STR,	/* a NUL-terminated string in a char array */
	CKK_EXCLUDE,	/* exclude[] with nr_exclude */
	CKK_OVERRIDES,	/* overrides[] with nr_overrides */
};

#define CKF(field)	offsetof(struct quell_config, field), sizeof(((struct quell_config *)0)->field)

/*
 * Live: quelld applies it on SIGHUP (daemon_reconfigure in src/quelld/daemon.c).
 * Restart: the value is built into something opened once at start: the
 * socket (bound, its mode and group set at bind), the state file path, the
 * BPF object (map size, uid range in rodata, tenant key mode and level),
 * the cgroupfs / procfs root fds, the managed subtree, placement's ring
 * buffer (loaded only when place = yes).
 */
static const struct ck_desc {
	const char *name;
	size_t off, len;
	enum ck_kind kind;
	bool live;
} config_keys[CK_NR] = {
	[CK_TICK] = { "[daemon] tick", CKF(tick_ms), CKK_MEM, true },
	[CK_SOCKET] = { "[daemon] socket", CKF(socket_path), CKK_STR, false },
	[CK_SOCKET_MODE] = { "[daemon] socket_mode", CKF(socket_mode), CKK_MEM, false },
	[CK_SOCKET_GROUP] = { "[daemon] socket_group", CKF(socket_group), CKK_STR, false },
	/* authz.c drops its membership cache when these change */
	[CK_ADMIN_GROUP] = { "[daemon] admin_group", CKF(admin_group), CKK_STR, true },
	[CK_READONLY_GROUP] = { "[daemon] readonly_group", CKF(readonly_group), CKK_STR, true },
	/* api.c takes them when it opens the socket */
	[CK_CLIENT_TIMEOUT] = { "[daemon] client_timeout", CKF(client_timeout_ms), CKK_MEM, false },
	[CK_CLIENT_MAX_PER_UID] = { "[daemon] client_max_per_uid", CKF(client_max_per_uid),
				    CKK_MEM, false },
	/* gather.c reads it at every tick */
	[CK_LAZY_READS] = { "[daemon] lazy_reads", CKF(lazy_reads), CKK_MEM, true },
	[CK_STATE_DIR] = { "[daemon] state_dir", CKF(state_dir), CKK_STR, false },
	[CK_LOG_LEVEL] = { "[daemon] log_level", CKF(log_level), CKK_MEM, true },
	[CK_BPF] = { "[daemon] bpf", CKF(bpf), CKK_MEM, false },
	[CK_MAX_TENANTS] = { "[daemon] max_tenants", CKF(max_tenants), CKK_MEM, false },
	[CK_CGROUP_ROOT] = { "[daemon] cgroup_root", CKF(cgroup_root), CKK_STR, false },
	[CK_PROC_ROOT] = { "[daemon] proc_root", CKF(proc_root), CKK_STR, false },
	[CK_MODE] = { "[tenants] mode", CKF(tenant_mode), CKK_MEM, false },
	[CK_MIN_UID] = { "[tenants] min_uid", CKF(min_uid), CKK_MEM, true },
	[CK_MAX_UID] = { "[tenants] max_uid", CKF(max_uid), CKK_MEM, true },
	[CK_EXCLUDE] = { "[tenants] exclude", CKF(exclude), CKK_EXCLUDE, true },
	[CK_PARENT] = { "[tenants] parent", CKF(parent), CKK_STR, false },
	[CK_MANAGED] = { "[tenants] managed", CKF(managed), CKK_STR, false },
	[CK_PLACE] = { "[tenants] place", CKF(place), CKK_MEM, false },
	[CK_SWEEP] = { "[tenants] sweep", CKF(sweep_ms), CKK_MEM, true },
	[CK_LIMITS] = { "[limits]", CKF(limits), CKK_MEM, true },
	[CK_TENANT_OVERRIDES] = { "[tenant:NAME]", CKF(overrides), CKK_OVERRIDES, true },
	[CK_HISTORY_ENABLED] = { "[history] enabled", CKF(history), CKK_MEM, true },
	[CK_HISTORY_DIR] = { "[history] dir", CKF(rrd_dir), CKK_STR, true },
	[CK_HISTORY_STEP] = { "[history] step", CKF(rrd_step_s), CKK_MEM, true },
	[CK_HISTORY_RRDCACHED] = { "[history] rrdcached", CKF(rrdcached), CKK_STR, true },
	[CK_EVENTS_LOG] = { "[events] log", CKF(events_path), CKK_STR, true },
	[CK_EVENTS_MAX_SIZE] = { "[events] max_size", CKF(events_max_bytes), CKK_MEM, true },
	[CK_EVENTS_KEEP] = { "[events] keep", CKF(events_keep), CKK_MEM, true },
	[CK_METRICS_LISTEN] = { "[metrics] listen", CKF(metrics_listen), CKK_STR, true },
	/* metrics_http.c reads the token file at every request */
	[CK_METRICS_TOKEN] = { "[metrics] token_file", CKF(metrics_token_file), CKK_STR, true },
	/* web.c takes them when the listener starts (the HTTP thread never reads d->cfg) */
	[CK_WEB_ENABLED] = { "[web] enabled", CKF(web), CKK_MEM, false },
	[CK_WEB_TOKEN] = { "[web] token_file", CKF(web_token_file), CKK_STR, false },
	[CK_WEB_SECRET] = { "[web] secret_file", CKF(web_secret_file), CKK_STR, false },
	/* read by the web_link command on the loop at each request */
	[CK_WEB_LINK_TTL] = { "[web] link_ttl", CKF(web_link_ttl_ms), CKK_MEM, true },
	[CK_WEB_URL] = { "[web] url", CKF(web_url), CKK_STR, true },
	/* notify_cmd.c reads them at each action and tick; reload re-resolves the user */
	[CK_NOTIFY_COMMAND] = { "[notify] command", CKF(notify_command), CKK_STR, true },
	[CK_NOTIFY_USER] = { "[notify] user", CKF(notify_user), CKK_STR, true },
	[CK_NOTIFY_TIMEOUT] = { "[notify] timeout", CKF(notify_timeout_ms), CKK_MEM, true },
	[CK_NOTIFY_WINDOW] = { "[notify] window", CKF(notify_window_ms), CKK_MEM, true },
	[CK_NOTIFY_MAX_PER_TENANT] = { "[notify] max_per_tenant", CKF(notify_max_per_tenant),
				       CKK_MEM, true },
	[CK_NOTIFY_MAX_RUNNING] = { "[notify] max_running", CKF(notify_max_running), CKK_MEM,
				    true },
	[CK_POLICY] = { "[policy], [rule:NAME]", CKF(policy), CKK_MEM, true },
	/* a field without a row: the swap installs it, but nobody said how it applies */
	[CK_OTHER] = { "a setting config_diff does not know (src/policy/config.c config_keys[])",
		       0, 0, CKK_MEM, false },
};

static bool ck_equal(const struct ck_desc *k, const struct quell_config *a,
		     const struct quell_config *b)
{
	const char *pa = (const char *)a + k->off, *pb = (const char *)b + k->off;

	switch (k->kind) {
	case CKK_STR:
		return !strncmp(pa, pb, k->len);
	case CKK_EXCLUDE:
		if (a->nr_exclude != b->nr_exclude)
			return false;
		for (int i = 0; i < a->nr_exclude; i++)
			if (strcmp(a->exclude[i], b->exclude[i]))
				return false;
		return true;
	case CKK_OVERRIDES:
		if (a->nr_overrides != b->nr_overrides)
			return false;
		for (int i = 0; i < a->nr_overrides; i++) {
			const struct tenant_override *x = &a->overrides[i], *y = &b->overrides[i];

			if (strcmp(x->name, y->name) || x->exempt != y->exempt ||
			    memcmp(&x->lim, &y->lim, sizeof(x->lim)))
				return false;
		}
		return true;
	case CKK_MEM:
		break;
	}
	return !memcmp(pa, pb, k->len);
}

static void ck_copy(const struct ck_desc *k, struct quell_config *dst,
		    const struct quell_config *src)
{
	memcpy((char *)dst + k->off, (const char *)src + k->off, k->len);
	if (k->kind == CKK_EXCLUDE)
		dst->nr_exclude = src->nr_exclude;
	else if (k->kind == CKK_OVERRIDES)
		dst->nr_overrides = src->nr_overrides;
}

uint64_t config_diff(const struct quell_config *a, const struct quell_config *b)
{
	struct quell_config *rest;
	uint64_t mask = 0;

	for (int k = 0; k < CK_NR; k++)
		if (config_keys[k].len && !ck_equal(&config_keys[k], a, b))
			mask |= CK_BIT(k);
	/*
	 * Everything else: b with every known field (and the counts) taken from
	 * a must be a byte for byte. Both come from config_load_string (zeroed,
	 * then memcpy'd whole), so padding compares equal. Heap copy: the
	 * struct is ~150 KB.
	 */
	rest = malloc(sizeof(*rest));
	if (!rest)
		return mask | CK_BIT(CK_OTHER);
	memcpy(rest, b, sizeof(*rest));
	config_keep_keys(rest, a, CK_BIT(CK_NR) - 1);
	if (memcmp(rest, a, sizeof(*rest)))
		mask |= CK_BIT(CK_OTHER);
	free(rest);
	return mask;
}

void config_keep_keys(struct quell_config *dst, const struct quell_config *src, uint64_t mask)
{
	for (int k = 0; k < CK_NR; k++)
		if ((mask & CK_BIT(k)) && config_keys[k].len)
			ck_copy(&config_keys[k], dst, src);
}

const char *config_key_name(enum config_key k)
{
	return k >= 0 && k < CK_NR ? config_keys[k].name : "?";
}

bool config_key_live(enum config_key k)
{
	return k >= 0 && k < CK_NR && config_keys[k].live;
}

uint64_t config_restart_keys(uint64_t mask)
{
	uint64_t r = 0;

	for (int k = 0; k < CK_NR; k++)
		if ((mask & CK_BIT(k)) && !config_keys[k].live)
			r |= CK_BIT(k);
	return r;
}

char *config_keys_fmt(uint64_t mask, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (int k = 0; k < CK_NR && o < len; k++)
		if (mask & CK_BIT(k))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
					      config_keys[k].name);
	return buf;
}
