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
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
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
	cfg->socket_mode = 0660;
	snprintf(cfg->socket_group, sizeof(cfg->socket_group), "root");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/quell");
	cfg->log_level = LOG_INFO;
	cfg->bpf = BPF_AUTO;
	cfg->max_tenants = 16384;
	snprintf(cfg->cgroup_root, sizeof(cfg->cgroup_root), "/sys/fs/cgroup");
	snprintf(cfg->proc_root, sizeof(cfg->proc_root), "/proc");

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
	bool rrd_dir_set, events_set, exclude_set;
	int uid_line;
};

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

static int key_metrics(struct pctx *c, const char *k, const char *v)
{
	if (!strcmp(k, "listen")) {
		const char *colon = strrchr(v, ':');

		if (*v && (!colon || !colon[1]))
			return fail(c, "listen: \"%s\" is not ADDRESS:PORT (e.g. 127.0.0.1:9477)", v);
		return set_str(c, k, v, c->cfg->metrics_listen, sizeof(c->cfg->metrics_listen));
	}
	return fail(c, "unknown key \"%s\" in [metrics]", k);
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
	if (!strcmp(section, "policy") || !strncmp(section, "rule:", 5)) {
		ret = policy_parse_kv(&c->cfg->policy, section, key, value, err, sizeof(err));
		if (ret == -ENOENT && !*err)
			return fail(c, "unknown key \"%s\" in [%s]", key, section);
		if (ret)
			return fail(c, "%s", *err ? err : strerror(-ret));
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

	ret = policy_config_finish(&tmp->policy, perr, sizeof(perr));
	if (ret) {
		snprintf(err, errlen, "%s: %s", name, *perr ? perr : strerror(-ret));
		ret = -EINVAL;
		goto out;
	}
	*cfg = *tmp;
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
