// SPDX-License-Identifier: GPL-2.0-only
/* test_config.c - quell.conf: defaults, every key, every error path with its exact message. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static struct quell_config *new_cfg(void)
{
	struct quell_config *c = malloc(sizeof(*c));

	assert_non_null(c);
	return c;
}

static void test_defaults(void **state)
{
	struct quell_config *c = new_cfg(), *d = new_cfg();
	char err[512] = "";

	config_defaults(c);
	assert_true(c->tick_ms == 1000);
	assert_string_equal(c->socket_path, "/run/quell/quell.sock");
	assert_int_equal(c->socket_mode, 0666);
	assert_string_equal(c->socket_group, "root");
	assert_string_equal(c->state_dir, "/var/lib/quell");
	assert_int_equal(c->log_level, LOG_INFO);
	assert_int_equal(c->bpf, BPF_AUTO);
	assert_int_equal(c->max_tenants, 16384);
	assert_string_equal(c->cgroup_root, "/sys/fs/cgroup");
	assert_string_equal(c->notify_command, "");	/* off */
	assert_string_equal(c->notify_user, "");
	assert_true(c->notify_timeout_ms == 10000 && c->notify_window_ms == 60000);
	assert_true(c->notify_max_per_tenant == 5 && c->notify_max_running == 4);
	assert_string_equal(c->proc_root, "/proc");
	assert_int_equal(c->tenant_mode, TENANT_USERS);
	assert_int_equal(c->min_uid, 1000);
	assert_int_equal(c->max_uid, 60000);
	assert_int_equal(c->nr_exclude, 1);
	assert_string_equal(c->exclude[0], "nobody");
	assert_string_equal(c->parent, "user.slice");
	assert_string_equal(c->managed, "quell");
	assert_true(c->place);
	assert_true(c->sweep_ms == 10000);
	assert_int_equal(c->limits.set, 0);
	assert_int_equal(c->nr_overrides, 0);
	assert_true(c->history);
	assert_string_equal(c->rrd_dir, "/var/lib/quell/rrd");
	assert_true(c->rrd_step_s == 10);
	assert_string_equal(c->rrdcached, "");
	assert_string_equal(c->events_path, "/var/lib/quell/events.jsonl");
	assert_true(c->events_max_bytes == 10 << 20);
	assert_int_equal(c->events_keep, 5);
	assert_string_equal(c->metrics_listen, "");
	assert_string_equal(c->metrics_token_file, "");
	assert_false(c->web);
	assert_string_equal(c->web_token_file, "");
	assert_string_equal(c->web_secret_file, "/var/lib/quell/web.secret");
	assert_string_equal(c->admin_group, "");
	assert_string_equal(c->readonly_group, "");
	assert_true(c->policy.nr_rules > 0);	/* embedded rules from the policy engine */

	/* an empty (or comment-only) file is the defaults */
	memset(d, 0xAA, sizeof(*d));
	assert_int_equal(config_load_string("; nothing\n# here\n", "empty.conf", d, err, sizeof(err)), 0);
	assert_memory_equal(c, d, offsetof(struct quell_config, policy));
	assert_int_equal(d->policy.nr_rules, c->policy.nr_rules);
	config_free(c);
	config_free(d);
	free(c);
	free(d);
}

static const char full_conf[] =
	"# every key, none at its default\n"
	"[daemon]\n"
	"tick = 500ms\n"
	"socket = /tmp/q.sock\n"
	"socket_mode = 0600\n"
	"socket_group = adm\n"
	"admin_group = support\n"
	"readonly_group = monitor\n"
	"client_timeout = 90s\n"
	"client_max_per_uid = 8\n"
	"lazy_reads = no\n"
	"state_dir = /srv/quell\n"
	"log_level = debug\n"
	"bpf = off\n"
	"max_tenants = 1024\n"
	"cgroup_root = /tmp/cg\n"
	"proc_root = /tmp/proc\n"
	"\n"
	"[tenants]\n"
	"mode = cgroups\n"
	"min_uid = 2000\n"
	"max_uid = 3000\n"
	"exclude = backup, www-data\n"
	"exclude = 2500\n"
	"parent = /system.slice/hosting\n"
	"managed = qq\n"
	"place = no\n"
	"sweep = 1m\n"
	"\n"
	"[limits]\n"
	"cpu = 100%\n"
	"mem = 2G\n"
	"nproc = 200\n"
	"\n"
	"[tenant:alice]\n"
	"cpu = 300%   ; she pays more\n"
	"mem_high = 3G\n"
	"\n"
	"[tenant:ops]\n"
	"exempt = yes\n"
	"\n"
	"[history]\n"
	"enabled = no\n"
	"dir = /data/rrd\n"
	"step = 5s\n"
	"rrdcached = unix:/run/rrdcached.sock\n"
	"\n"
	"[events]\n"
	"log = /var/log/quell.jsonl\n"
	"max_size = 1M\n"
	"keep = 2\n"
	"\n"
	"[metrics]\n"
	"listen = 127.0.0.1:9477\n"
	"token_file = /etc/quell/metrics.token\n"
	"\n"
	"[web]\n"
	"enabled = yes\n"
	"token_file = /etc/quell/web.token\n"
	"secret_file = /etc/quell/web.secret\n"
	"link_ttl = 2d\n"
	"url = https://panel.example.com:9477/\n"
	"[notify]\n"
	"command = /usr/local/lib/quell/notify-mail\n"
	"user = nobody\n"
	"timeout = 3s\n"
	"window = 5m\n"
	"max_per_tenant = 2\n"
	"max_running = 8\n"
	"\n"
	"[policy]\n"
	"dry_run = yes\n";

static void test_every_key(void **state)
{
	struct quell_config *c = new_cfg();
	struct tenant_limits l;
	char err[512] = "";

	assert_int_equal(config_load_string(full_conf, "full.conf", c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(c->tick_ms == 500);
	assert_string_equal(c->socket_path, "/tmp/q.sock");
	assert_int_equal(c->socket_mode, 0600);
	assert_string_equal(c->socket_group, "adm");
	assert_string_equal(c->admin_group, "support");
	assert_string_equal(c->readonly_group, "monitor");
	assert_true(c->client_timeout_ms == 90000 && c->client_max_per_uid == 8);
	assert_false(c->lazy_reads);
	assert_string_equal(c->metrics_token_file, "/etc/quell/metrics.token");
	assert_string_equal(c->state_dir, "/srv/quell");
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_int_equal(c->bpf, BPF_OFF);
	assert_int_equal(c->max_tenants, 1024);
	assert_string_equal(c->cgroup_root, "/tmp/cg");
	assert_string_equal(c->proc_root, "/tmp/proc");
	assert_int_equal(c->tenant_mode, TENANT_CGROUPS);
	assert_int_equal(c->min_uid, 2000);
	assert_int_equal(c->max_uid, 3000);
	assert_int_equal(c->nr_exclude, 3);	/* replaced the default "nobody" */
	assert_string_equal(c->exclude[0], "backup");
	assert_string_equal(c->exclude[1], "www-data");
	assert_string_equal(c->exclude[2], "2500");
	assert_string_equal(c->parent, "system.slice/hosting");
	assert_string_equal(c->managed, "qq");
	assert_false(c->place);
	assert_true(c->sweep_ms == 60000);
	assert_true(c->limits.cpu_pct == 100.0 && c->limits.mem_max == 2ULL << 30);
	assert_true(c->limits.nproc == 200);
	assert_int_equal(c->nr_overrides, 2);
	assert_false(c->history);
	assert_string_equal(c->rrd_dir, "/data/rrd");
	assert_true(c->rrd_step_s == 5);
	assert_string_equal(c->rrdcached, "unix:/run/rrdcached.sock");
	assert_string_equal(c->events_path, "/var/log/quell.jsonl");
	assert_true(c->events_max_bytes == 1 << 20);
	assert_int_equal(c->events_keep, 2);
	assert_string_equal(c->metrics_listen, "127.0.0.1:9477");
	assert_true(c->web);
	assert_string_equal(c->web_token_file, "/etc/quell/web.token");
	assert_string_equal(c->web_secret_file, "/etc/quell/web.secret");
	assert_true(c->web_link_ttl_ms == 2 * 24 * 3600 * 1000ULL);
	assert_string_equal(c->web_url, "https://panel.example.com:9477/");
	assert_string_equal(c->notify_command, "/usr/local/lib/quell/notify-mail");
	assert_string_equal(c->notify_user, "nobody");
	assert_true(c->notify_timeout_ms == 3000 && c->notify_window_ms == 300000);
	assert_int_equal(c->notify_max_per_tenant, 2);
	assert_int_equal(c->notify_max_running, 8);
	assert_true(c->policy.dry_run);

	/* overrides merge over the defaults; inline comment stripped */
	config_tenant_limits(c, "alice", &l);
	assert_true(l.cpu_pct == 300.0);
	assert_true(l.mem_high == 3ULL << 30);
	assert_true(l.mem_max == 2ULL << 30);
	assert_true(l.nproc == 200);
	config_tenant_limits(c, "bob", &l);
	assert_true(l.cpu_pct == 100.0 && l.mem_high == CG_UNLIMITED);
	assert_true(config_tenant_exempt(c, "ops"));
	assert_false(config_tenant_exempt(c, "alice"));
	assert_false(config_tenant_exempt(c, "nobody-here"));

	/* exclusion: range, names, numeric entries, root */
	assert_true(config_uid_excluded(c, 1999, "x"));
	assert_false(config_uid_excluded(c, 2001, "x"));
	assert_true(config_uid_excluded(c, 2001, "www-data"));
	assert_true(config_uid_excluded(c, 2500, "carol"));
	assert_true(config_uid_excluded(c, 3001, "x"));
	c->min_uid = 0;
	assert_true(config_uid_excluded(c, 0, "root"));
	config_free(c);
	free(c);
}

static void test_derived_paths(void **state)
{
	struct quell_config *c = new_cfg();
	char err[512];

	assert_int_equal(config_load_string("[daemon]\nstate_dir = /srv/q\n", "d.conf", c, err,
					    sizeof(err)), 0);
	assert_string_equal(c->rrd_dir, "/srv/q/rrd");
	assert_string_equal(c->events_path, "/srv/q/events.jsonl");
	free(c);
}

/* Each bad file: the exact "name:line: message". */
static void test_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[daemon]\nfoo = 1\n", "t.conf:2: unknown key \"foo\" in [daemon]" },
		{ "[daemon]\ntick = soon\n",
		  "t.conf:2: tick: bad value \"soon\": expected a duration such as 1s, 500ms, 10m" },
		{ "[daemon]\ntick = 10ms\n", "t.conf:2: tick: 10ms is out of range (100ms to 1m00s)" },
		{ "[daemon]\nsocket = quell.sock\n", "t.conf:2: socket: \"quell.sock\" is not an absolute path" },
		{ "[daemon]\nsocket_mode = 0999\n",
		  "t.conf:2: socket_mode: bad value \"0999\": expected an octal mode such as 0660" },
		{ "[daemon]\nlog_level = loud\n",
		  "t.conf:2: log_level: bad value \"loud\": expected err, warning, notice, info or debug" },
		{ "[daemon]\nbpf = sometimes\n",
		  "t.conf:2: bpf: bad value \"sometimes\": expected auto, on or off" },
		{ "[daemon]\nmax_tenants = 0\n", "t.conf:2: max_tenants: 0 is out of range (1 to 4194304)" },
		{ "[daemon]\nstate_dir = var/lib\n", "t.conf:2: state_dir: \"var/lib\" is not an absolute path" },
		{ "[daemon]\nsocket_group = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  "t.conf:2: socket_group: value too long (at most 31 characters)" },
		{ "[tenants]\nmode = vms\n", "t.conf:2: mode: bad value \"vms\": expected users or cgroups" },
		{ "[tenants]\nmin_uid = -1\n", "t.conf:2: min_uid: bad value \"-1\": expected a number" },
		{ "[tenants]\nmin_uid = 5000\nmax_uid = 4000\n", "t.conf:3: min_uid (5000) is above max_uid (4000)" },
		{ "[tenants]\nexclude = ok, ../etc\n", "t.conf:2: exclude: \"../etc\" is not a valid user name" },
		{ "[tenants]\nparent = a/../b\n", "t.conf:2: parent: \"a/../b\" is not a cgroup path below the root" },
		{ "[tenants]\nmanaged = a/b\n", "t.conf:2: managed: \"a/b\" is not a valid cgroup name" },
		{ "[tenants]\nplace = perhaps\n", "t.conf:2: place: bad value \"perhaps\": expected yes or no" },
		{ "[limits]\ncpu = lots\n",
		  "t.conf:2: cpu: bad value \"lots\": expected a percentage such as 50% or \"unlimited\"" },
		{ "[limits]\ndisk = 1G\n", "t.conf:2: unknown key \"disk\" in [limits]" },
		{ "[tenant:alice]\nexempt = sure\n", "t.conf:2: exempt: bad value \"sure\": expected yes or no" },
		{ "[tenant:alice]\nswap = 1G\n", "t.conf:2: unknown key \"swap\" in [tenant:alice]" },
		{ "[tenant:alice]\ncpu = 50%\n[tenant:bob]\n\n[tenant:alice]\nmem = 1G\n",
		  "t.conf:5: duplicate section [tenant:alice] (first at line 1)" },
		{ "[tenant:alice]\n[tenant:alice]\n", "t.conf:2: duplicate section [tenant:alice] (first at line 1)" },
		{ "[tenant:../../etc]\ncpu = 1%\n",
		  "t.conf:1: bad tenant name \"../../etc\" (a user or cgroup name: no '/', '..', blanks or control characters, under 64 characters)" },
		{ "[tenant:]\n",
		  "t.conf:1: bad tenant name \"\" (a user or cgroup name: no '/', '..', blanks or control characters, under 64 characters)" },
		{ "[history]\nstep = 1500ms\n", "t.conf:2: step: 1500ms is not a whole number of seconds" },
		{ "[history]\ndir = rrd\n", "t.conf:2: dir: \"rrd\" is not an absolute path" },
		{ "[events]\nmax_size = 1K\n", "t.conf:2: max_size: 1K is below the minimum of 4K" },
		{ "[events]\nmax_size = huge\n", "t.conf:2: max_size: bad value \"huge\": expected a size such as 10M" },
		{ "[events]\nkeep = 5000\n", "t.conf:2: keep: 5000 is out of range (0 to 1000)" },
		{ "[daemon]\nadmin_group = a b\n",
		  "t.conf:2: admin_group: \"a b\" is not a valid group name" },
		{ "[daemon]\nreadonly_group = x:y\n",
		  "t.conf:2: readonly_group: \"x:y\" is not a valid group name" },
		{ "[metrics]\ntoken_file = token\n",
		  "t.conf:2: token_file: \"token\" is not an absolute path" },
		{ "[metrics]\nlisten = 9477\n", "t.conf:2: listen: \"9477\" is not ADDRESS:PORT (e.g. 127.0.0.1:9477)" },
		{ "[notify]\ncommand = notify.sh\n", "t.conf:2: command: \"notify.sh\" is not an absolute path" },
		{ "[notify]\ncommand = /bin/mail -s hi root\n",
		  "t.conf:2: command: \"/bin/mail -s hi root\": one absolute path, no arguments (write a script for those)" },
		{ "[notify]\nuser = a/b\n", "t.conf:2: user: \"a/b\" is not a valid user name" },
		{ "[notify]\ntimeout = 10ms\n", "t.conf:2: timeout: 10ms is out of range (100ms to 1h00m)" },
		{ "[notify]\nmax_per_tenant = 0\n", "t.conf:2: max_per_tenant: 0 is out of range (1 to 1000)" },
		{ "[notify]\nmax_running = 65\n", "t.conf:2: max_running: 65 is out of range (1 to 64)" },
		{ "[notify]\nshell = yes\n", "t.conf:2: unknown key \"shell\" in [notify]" },
		{ "[daemon]\ntick = 1s\n\n[mystery]\n", "t.conf:4: unknown section [mystery]" },
		{ "[mystery]\nx = 1\n", "t.conf:1: unknown section [mystery]" },
		{ "tick = 1s\n", "t.conf:1: \"tick\" outside any section" },
		{ "[daemon]\nthis line has no equals sign\n",
		  "t.conf:2: syntax error (expected \"key = value\" or \"[section]\")" },
		{ "[daemon\ntick = 1s\n", "t.conf:1: syntax error (expected \"key = value\" or \"[section]\")" },
		{ "[policy]\nfrobnicate = yes\n",
		  "t.conf:2: unknown key \"frobnicate\" in [policy] (known: enabled, dry_run, release_on_exit, default_rules, forget, saturation, throttle_limits, throttle_for, alarm_forks, alarm_wait, wait_alarm)" },
		/* incomplete rule: policy_config_finish, at the rule's first key (the fuzz found none) */
		{ "[daemon]\ntick = 1s\n[rule:mine]\nmetric = cpu_pct\n",
		  "t.conf:4: [rule:mine]: missing key \"above\"" },
		{ "[rule:fork-storm]\nsteps = nproc=50\nalarm = yes\n",
		  "t.conf:2: [rule:fork-storm]: alarm = yes needs metric = forks_s and a gentle first step (cpu_idle or cpu_weight)" },
		/* gentle, but for the disk: the alarm's burst is the CPU's */
		{ "[rule:fork-storm]\nsteps = io_weight=1, nproc=50\nalarm = yes\n",
		  "t.conf:2: [rule:fork-storm]: alarm = yes needs metric = forks_s and a gentle first step (cpu_idle or cpu_weight)" },
		/* the earliest error wins, whichever pass found it */
		{ "[daemon]\nbogus = 1\n[nowhere]\n", "t.conf:2: unknown key \"bogus\" in [daemon]" },
	};
	struct quell_config *c = new_cfg(), *before = new_cfg();
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_defaults(c);
		c->tick_ms = 4242;	/* a running config that must survive */
		*before = *c;
		err[0] = '\0';
		assert_int_equal(config_load_string(cases[i].text, "t.conf", c, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].msg);
		/* failure leaves cfg untouched */
		assert_memory_equal(c, before, sizeof(*c));
	}
	free(c);
	free(before);
}

/*
 * [metrics] listen: what metrics_http_start() can bind, checked at parse
 * time, so `quelld -t` refuses a bad address instead of the daemon running
 * without /metrics (issue 11 item 9: 999.999.999.999:99999 was accepted).
 */
static void test_metrics_listen(void **state)
{
	static const char *const good[] = {
		"", "127.0.0.1:9477", "0.0.0.0:0", "*:9477", "localhost:65535", ":9477",
		"[::1]:9477", "[::]:80", "[fe80::1]:1",
	};
	static const struct { const char *v, *msg; } bad[] = {
		{ "999.999.999.999:99999", "t.conf:2: listen: \"999.999.999.999\" is not a numeric IPv4 "
		  "address, [IPv6 address], localhost or *" },
		{ "999.999.999.999:9477", "t.conf:2: listen: \"999.999.999.999\" is not a numeric IPv4 "
		  "address, [IPv6 address], localhost or *" },
		{ "127.0.0.1:99999", "t.conf:2: listen: port \"99999\" is not a number from 0 to 65535" },
		{ "127.0.0.1:65536", "t.conf:2: listen: port \"65536\" is not a number from 0 to 65535" },
		{ "127.0.0.1:-1", "t.conf:2: listen: port \"-1\" is not a number from 0 to 65535" },
		{ "127.0.0.1:80x", "t.conf:2: listen: port \"80x\" is not a number from 0 to 65535" },
		{ "127.0.0.1:000000080", "t.conf:2: listen: port \"000000080\" is not a number from 0 to 65535" },
		{ "metrics.example.com:80", "t.conf:2: listen: \"metrics.example.com\" is not a numeric "
		  "IPv4 address, [IPv6 address], localhost or *" },
		{ "1.2.3:80", "t.conf:2: listen: \"1.2.3\" is not a numeric IPv4 address, [IPv6 address], "
		  "localhost or *" },
		{ "[1.2.3.4]:80", "t.conf:2: listen: \"1.2.3.4\" is not a numeric IPv4 address, "
		  "[IPv6 address], localhost or *" },
		{ "[::1:80", "t.conf:2: listen: \"[::1:80\" is not ADDRESS:PORT (e.g. 127.0.0.1:9477)" },
		{ "::1:80", "t.conf:2: listen: \"::1:80\": an IPv6 address needs brackets ([::1]:9477)" },
		{ "[::1]", "t.conf:2: listen: \"[::1]\" is not ADDRESS:PORT (e.g. 127.0.0.1:9477)" },
		{ "127.0.0.1:", "t.conf:2: listen: \"127.0.0.1:\" is not ADDRESS:PORT (e.g. 127.0.0.1:9477)" },
		{ "9477", "t.conf:2: listen: \"9477\" is not ADDRESS:PORT (e.g. 127.0.0.1:9477)" },
	};
	struct quell_config *c = new_cfg();
	char text[256], err[512];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[metrics]\nlisten = %s\n", good[i]);
		err[0] = '\0';
		assert_int_equal(config_load_string(text, "t.conf", c, err, sizeof(err)), 0);
		assert_string_equal(c->metrics_listen, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[metrics]\nlisten = %s\n", bad[i].v);
		err[0] = '\0';
		assert_int_equal(config_load_string(text, "t.conf", c, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
	}
	free(c);
}

/* Reload: config_diff of two literal configurations, and what needs a restart. */
static uint64_t diff_of(const char *a, const char *b)
{
	struct quell_config *ca = new_cfg(), *cb = new_cfg();
	char err[512] = "";
	uint64_t m;

	assert_int_equal(config_load_string(a, "a.conf", ca, err, sizeof(err)), 0);
	assert_int_equal(config_load_string(b, "b.conf", cb, err, sizeof(err)), 0);
	m = config_diff(ca, cb);
	assert_true(m == config_diff(cb, ca));	/* symmetric */
	free(ca);
	free(cb);
	return m;
}

static void test_config_diff(void **state)
{
	static const struct { const char *a, *b; uint64_t mask; } cases[] = {
		{ "", "", 0 },
		{ "", "[daemon]\ntick = 1s\n", 0 },	/* the default, spelled out */
		{ "", "[daemon]\ntick = 2s\n", CK_BIT(CK_TICK) },
		{ "", "[daemon]\nlog_level = debug\n", CK_BIT(CK_LOG_LEVEL) },
		{ "", "[daemon]\nsocket = /tmp/q.sock\n", CK_BIT(CK_SOCKET) },
		/* a longer value overwritten by a shorter one: the bytes after the NUL differ */
		{ "[daemon]\nsocket = /tmp/q.sock\n",
		  "[daemon]\nsocket = /tmp/a/much/longer/name.sock\nsocket = /tmp/q.sock\n", 0 },
		{ "", "[daemon]\nsocket_mode = 0600\nsocket_group = adm\n",
		  CK_BIT(CK_SOCKET_MODE) | CK_BIT(CK_SOCKET_GROUP) },
		/* the [history] dir and [events] log follow state_dir when not given */
		{ "", "[daemon]\nstate_dir = /srv/q\n",
		  CK_BIT(CK_STATE_DIR) | CK_BIT(CK_HISTORY_DIR) | CK_BIT(CK_EVENTS_LOG) |
		  CK_BIT(CK_WEB_SECRET) },
		{ "", "[daemon]\nstate_dir = /srv/q\n[history]\ndir = /var/lib/quell/rrd\n"
		  "[events]\nlog = /var/lib/quell/events.jsonl\n"
		  "[web]\nsecret_file = /var/lib/quell/web.secret\n", CK_BIT(CK_STATE_DIR) },
		{ "", "[daemon]\nproc_root = /tmp/p\ncgroup_root = /tmp/c\nbpf = off\nmax_tenants = 9\n",
		  CK_BIT(CK_PROC_ROOT) | CK_BIT(CK_CGROUP_ROOT) | CK_BIT(CK_BPF) | CK_BIT(CK_MAX_TENANTS) },
		{ "", "[tenants]\nmode = cgroups\nparent = a.slice\nmanaged = qq\nplace = no\n",
		  CK_BIT(CK_MODE) | CK_BIT(CK_PARENT) | CK_BIT(CK_MANAGED) | CK_BIT(CK_PLACE) },
		{ "", "[tenants]\nmin_uid = 2000\nmax_uid = 3000\nsweep = 5s\n",
		  CK_BIT(CK_MIN_UID) | CK_BIT(CK_MAX_UID) | CK_BIT(CK_SWEEP) },
		{ "[tenants]\nexclude = nobody, bob\n", "[tenants]\nexclude = nobody\n", CK_BIT(CK_EXCLUDE) },
		{ "[tenants]\nexclude = bob, nobody\n", "[tenants]\nexclude = nobody, bob\n",
		  CK_BIT(CK_EXCLUDE) },	/* order is compared too: harmless, it is live */
		{ "", "[limits]\ncpu = 50%\n", CK_BIT(CK_LIMITS) },
		{ "[tenant:bob]\nmem = 1G\n", "[tenant:bob]\nmem = 2G\n", CK_BIT(CK_TENANT_OVERRIDES) },
		{ "[tenant:bob]\nexempt = no\n", "[tenant:bob]\nexempt = yes\n",
		  CK_BIT(CK_TENANT_OVERRIDES) },
		{ "", "[history]\nenabled = no\n", CK_BIT(CK_HISTORY_ENABLED) },
		{ "", "[history]\nstep = 5s\nrrdcached = unix:/run/r.sock\n",
		  CK_BIT(CK_HISTORY_STEP) | CK_BIT(CK_HISTORY_RRDCACHED) },
		{ "", "[events]\nmax_size = 1M\nkeep = 2\n",
		  CK_BIT(CK_EVENTS_MAX_SIZE) | CK_BIT(CK_EVENTS_KEEP) },
		{ "", "[metrics]\nlisten = 127.0.0.1:9477\n", CK_BIT(CK_METRICS_LISTEN) },
		{ "", "[metrics]\ntoken_file = /etc/quell/t\n", CK_BIT(CK_METRICS_TOKEN) },
		{ "", "[web]\nenabled = yes\ntoken_file = /etc/quell/w\n",
		  CK_BIT(CK_WEB_ENABLED) | CK_BIT(CK_WEB_TOKEN) },
		{ "", "[web]\nlink_ttl = 1h\nurl = http://h:1/\n",
		  CK_BIT(CK_WEB_LINK_TTL) | CK_BIT(CK_WEB_URL) },
		/* an empty secret_file is the default, which follows state_dir */
		{ "", "[web]\nsecret_file =\n", 0 },
		{ "", "[daemon]\nstate_dir = /srv/q\n[web]\nsecret_file =\n",
		  CK_BIT(CK_STATE_DIR) | CK_BIT(CK_HISTORY_DIR) | CK_BIT(CK_EVENTS_LOG) |
		  CK_BIT(CK_WEB_SECRET) },
		{ "", "[daemon]\nclient_timeout = 5s\nclient_max_per_uid = 4\n",
		  CK_BIT(CK_CLIENT_TIMEOUT) | CK_BIT(CK_CLIENT_MAX_PER_UID) },
		{ "", "[daemon]\nlazy_reads = no\n", CK_BIT(CK_LAZY_READS) },
		{ "", "[daemon]\nadmin_group = support\nreadonly_group = monitor\n",
		  CK_BIT(CK_ADMIN_GROUP) | CK_BIT(CK_READONLY_GROUP) },
		{ "", "[notify]\ncommand = /bin/true\nuser = nobody\n",
		  CK_BIT(CK_NOTIFY_COMMAND) | CK_BIT(CK_NOTIFY_USER) },
		{ "[notify]\ncommand = /bin/true\n", "[notify]\ncommand =\n", CK_BIT(CK_NOTIFY_COMMAND) },
		{ "", "[notify]\ntimeout = 1s\nwindow = 10s\nmax_per_tenant = 1\nmax_running = 1\n",
		  CK_BIT(CK_NOTIFY_TIMEOUT) | CK_BIT(CK_NOTIFY_WINDOW) |
		  CK_BIT(CK_NOTIFY_MAX_PER_TENANT) | CK_BIT(CK_NOTIFY_MAX_RUNNING) },
		{ "", "[policy]\ndry_run = yes\n", CK_BIT(CK_POLICY) },
		{ "", "[rule:cpu-hog]\nabove = 95\n", CK_BIT(CK_POLICY) },
	};
	struct quell_config *a = new_cfg(), *b = new_cfg();
	char err[512] = "", buf[512];
	uint64_t m, all;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = diff_of(cases[i].a, cases[i].b);
		if (m != cases[i].mask)
			fail_msg("case %zu: diff %#llx, want %#llx (%s)", i, (unsigned long long)m,
				 (unsigned long long)cases[i].mask, config_keys_fmt(m, buf, sizeof(buf)));
	}

	/* every key at once: each differs, nothing falls outside the table */
	config_defaults(a);
	assert_int_equal(config_load_string(full_conf, "b.conf", b, err, sizeof(err)), 0);
	all = config_diff(a, b);
	assert_true(all == (CK_BIT(CK_NR) - 1 - CK_BIT(CK_OTHER)));
	/* keeping every key's old value gives the old config back, byte for byte */
	config_keep_keys(b, a, all);
	assert_true(config_diff(a, b) == 0);
	assert_memory_equal(a, b, sizeof(*a));

	/* what needs a restart, and how the warning names it */
	m = CK_BIT(CK_TICK) | CK_BIT(CK_SOCKET) | CK_BIT(CK_MANAGED) | CK_BIT(CK_METRICS_LISTEN);
	assert_true(config_restart_keys(m) == (CK_BIT(CK_SOCKET) | CK_BIT(CK_MANAGED)));
	assert_string_equal(config_keys_fmt(config_restart_keys(m), buf, sizeof(buf)),
			    "[daemon] socket, [tenants] managed");
	assert_string_equal(config_keys_fmt(0, buf, sizeof(buf)), "");
	assert_true(config_key_live(CK_ADMIN_GROUP) && config_key_live(CK_METRICS_TOKEN));
	assert_true(config_key_live(CK_NOTIFY_COMMAND) && config_key_live(CK_NOTIFY_USER) &&
		    config_key_live(CK_NOTIFY_MAX_RUNNING));
	assert_true(config_key_live(CK_EXCLUDE) && config_key_live(CK_HISTORY_DIR) &&
		    config_key_live(CK_POLICY) && config_key_live(CK_MIN_UID));
	assert_false(config_key_live(CK_SOCKET_GROUP) || config_key_live(CK_PROC_ROOT) ||
		     config_key_live(CK_OTHER));
	assert_string_equal(config_key_name(CK_EVENTS_KEEP), "[events] keep");
	free(a);
	free(b);
}

/* inih's default 200-byte line limit must not cut long values. */
static void test_long_line(void **state)
{
	struct quell_config *c = new_cfg();
	char text[4096], err[512];
	size_t off;

	off = (size_t)snprintf(text, sizeof(text), "[tenants]\nexclude = ");
	for (int i = 0; i < 60; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%suser%02d", i ? ", " : "", i);
	snprintf(text + off, sizeof(text) - off, "\n[daemon]\nbogus = 1\n");
	assert_true(strlen(text) > 500);
	assert_int_equal(config_load_string(text, "long.conf", c, err, sizeof(err)), -EINVAL);
	/* line counting still right after the long line */
	assert_string_equal(err, "long.conf:4: unknown key \"bogus\" in [daemon]");
	text[off] = '\0';
	assert_int_equal(config_load_string(text, "long.conf", c, err, sizeof(err)), 0);
	assert_int_equal(c->nr_exclude, 60);
	assert_string_equal(c->exclude[59], "user59");
	free(c);
}

static void test_tenant_names(void **state)
{
	assert_true(config_tenant_name_ok("alice"));
	assert_true(config_tenant_name_ok("user-1000.slice"));
	assert_true(config_tenant_name_ok("web_01$"));
	assert_false(config_tenant_name_ok(""));
	assert_false(config_tenant_name_ok(NULL));
	assert_false(config_tenant_name_ok("."));
	assert_false(config_tenant_name_ok(".."));
	assert_false(config_tenant_name_ok("a/b"));
	assert_false(config_tenant_name_ok("-rf"));
	assert_false(config_tenant_name_ok("tab\there"));
	assert_false(config_tenant_name_ok("bell\a"));
	assert_false(config_tenant_name_ok("sp ace"));
	assert_false(config_tenant_name_ok("caf\xc3\xa9"));
	assert_true(config_tenant_name_ok("a234567890123456789012345678901234567890123456789012345678901234" + 1));
	assert_false(config_tenant_name_ok("a234567890123456789012345678901234567890123456789012345678901234"));
}

static void test_load_file(void **state)
{
	struct quell_config *c = new_cfg(), *before = new_cfg();
	char path[] = "/tmp/quell-cfg-XXXXXX", err[512], want[600];
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("[daemon]\r\ntick = 2s\r\n[limits]\nnproc = 50\n", f);
	fclose(f);
	assert_int_equal(config_load(path, c, err, sizeof(err)), 0);
	assert_true(c->tick_ms == 2000);	/* CRLF tolerated */
	assert_true(c->limits.nproc == 50);

	f = fopen(path, "w");
	fputs("[daemon]\ntick = 2s\n\n[limits]\nnproc = zero\n", f);
	fclose(f);
	*before = *c;
	assert_int_equal(config_load(path, c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:5: nproc: bad value \"zero\": expected a count such as 100, 5k or \"unlimited\"", path);
	assert_string_equal(err, want);
	assert_memory_equal(c, before, sizeof(*c));

	unlink(path);
	assert_int_equal(config_load(path, c, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_memory_equal(c, before, sizeof(*c));
	free(c);
	free(before);
}

/*
 * docs/quell.conf documents every key with its default, commented out:
 * as shipped it is the defaults; with every ";key = value" uncommented it
 * must still parse and still be the defaults.
 */
static void test_documented_config(void **state)
{
	struct quell_config *d = new_cfg(), *c = new_cfg();
	char err[512], *text, *out;
	size_t n = 0, o = 0;
	FILE *f = fopen("docs/quell.conf", "r");

	if (!f)
		f = fopen("../../docs/quell.conf", "r");
	if (!f) {
		skip();
		return;
	}
	text = calloc(1, 65536);
	out = calloc(1, 65536);
	n = fread(text, 1, 65535, f);
	fclose(f);
	config_defaults(d);
	assert_int_equal(config_load_string(text, "docs/quell.conf", c, err, sizeof(err)), 0);
	assert_memory_equal(c, d, offsetof(struct quell_config, policy));

	for (size_t i = 0; i < n; i++) {
		bool bol = i == 0 || text[i - 1] == '\n';

		/* ";key" and ";[section]" lines are documentation of real keys */
		if (bol && text[i] == ';' && i + 1 < n && text[i + 1] != ' ' && text[i + 1] != '\n')
			continue;
		out[o++] = text[i];
	}
	assert_int_equal(config_load_string(out, "uncommented", c, err, sizeof(err)), 0);
	assert_true(c->tick_ms == d->tick_ms);
	assert_string_equal(c->socket_path, d->socket_path);
	assert_int_equal(c->socket_mode, d->socket_mode);
	assert_string_equal(c->socket_group, d->socket_group);
	assert_string_equal(c->state_dir, d->state_dir);
	assert_int_equal(c->log_level, d->log_level);
	assert_int_equal(c->bpf, d->bpf);
	assert_int_equal(c->max_tenants, d->max_tenants);
	assert_string_equal(c->cgroup_root, d->cgroup_root);
	assert_string_equal(c->proc_root, d->proc_root);
	assert_int_equal(c->tenant_mode, d->tenant_mode);
	assert_int_equal(c->min_uid, d->min_uid);
	assert_int_equal(c->max_uid, d->max_uid);
	assert_int_equal(c->nr_exclude, 1);
	assert_string_equal(c->exclude[0], "nobody");
	assert_string_equal(c->parent, d->parent);
	assert_string_equal(c->managed, d->managed);
	assert_int_equal(c->place, d->place);
	assert_true(c->sweep_ms == d->sweep_ms);
	assert_true(isinf(c->limits.cpu_pct));
	assert_true(c->limits.mem_max == CG_UNLIMITED && c->limits.mem_high == CG_UNLIMITED);
	/* the documented nproc is the default cap the enforcer applies (issue 14) */
	assert_true(c->limits.nproc == LIMITS_DEFAULT_NPROC && c->limits.io_rbps == CG_UNLIMITED);
	assert_true(c->limits.io_wiops == CG_UNLIMITED);
	assert_int_equal(c->history, d->history);
	assert_string_equal(c->rrd_dir, d->rrd_dir);
	assert_true(c->rrd_step_s == d->rrd_step_s);
	assert_string_equal(c->rrdcached, d->rrdcached);
	assert_string_equal(c->events_path, d->events_path);
	assert_true(c->events_max_bytes == d->events_max_bytes);
	assert_int_equal(c->events_keep, d->events_keep);
	assert_string_equal(c->metrics_listen, d->metrics_listen);
	assert_int_equal(c->policy.enabled, d->policy.enabled);
	assert_int_equal(c->policy.dry_run, d->policy.dry_run);
	assert_int_equal(c->policy.nr_rules, d->policy.nr_rules);
	assert_true(c->policy.forget_ms == d->policy.forget_ms);
	assert_true(c->policy.manual_ms == d->policy.manual_ms);
	/* the example override */
	assert_int_equal(c->nr_overrides, 1);
	assert_string_equal(c->overrides[0].name, "alice");
	assert_true(c->overrides[0].lim.cpu_pct == 200.0);
	free(text);
	free(out);
	free(c);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_derived_paths),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_config_diff),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_tenant_names),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_documented_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
