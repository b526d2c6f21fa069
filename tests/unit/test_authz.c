// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_authz.c - the socket's authorization model (src/quelld/authz.c) with
 * literal inputs: every caller class x every command x no / own / another
 * tenant against a table written out by hand from docs/protocol.md ("Who
 * may do what"); the class precedence; the request scoping and the reply
 * filter of a tenant's view on literal JSON replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>

#include "api_cmds.h"
#include "authz.h"
#include "daemon.h"

static const struct authz_caller callers[] = {
	{ .cls = AUTHZ_ROOT, .uid = 0 },
	{ .cls = AUTHZ_ADMIN, .uid = 5000 },
	{ .cls = AUTHZ_READONLY, .uid = 5001 },
	{ .cls = AUTHZ_TENANT, .uid = 1001, .tenant = "alice" },
	{ .cls = AUTHZ_NONE, .uid = 7777 },
};

/*
 * Per class, per command: the verdict with no target, target "alice" (the
 * tenant caller's own) and target "bob" (another tenant).
 * A = allow, S = allow scoped to the caller's own tenant, D = deny.
 */
static const struct {
	const char *cmd;
	const char *v[5];	/* root, admin, readonly, tenant alice, none */
} table[] = {
	{ "ping",	{ "AAA", "AAA", "AAA", "AAA", "AAA" } },
	{ "status",	{ "AAA", "AAA", "AAA", "SSD", "DDD" } },
	{ "snapshot",	{ "AAA", "AAA", "AAA", "SSD", "DDD" } },
	{ "tenants",	{ "AAA", "AAA", "AAA", "SSD", "DDD" } },
	{ "table",	{ "AAA", "AAA", "AAA", "SSD", "DDD" } },
	{ "tenant",	{ "AAA", "AAA", "AAA", "DSD", "DDD" } },
	{ "limits",	{ "AAA", "AAA", "AAA", "DSD", "DDD" } },
	{ "events",	{ "AAA", "AAA", "AAA", "SSD", "DDD" } },
	{ "history",	{ "AAA", "AAA", "AAA", "SSD", "DDD" } },
	/* a link to the web view's customer page: a tenant its own only */
	{ "web_link",	{ "AAA", "AAA", "AAA", "SSD", "DDD" } },
	{ "where",	{ "AAA", "AAA", "AAA", "DDD", "DDD" } },
	{ "place",	{ "AAA", "AAA", "DDD", "DDD", "DDD" } },
	{ "set",	{ "AAA", "AAA", "DDD", "DDD", "DDD" } },
	{ "throttle",	{ "AAA", "AAA", "DDD", "DDD", "DDD" } },
	{ "release",	{ "AAA", "AAA", "DDD", "DDD", "DDD" } },
	{ "freeze",	{ "AAA", "AAA", "DDD", "DDD", "DDD" } },
	{ "kill",	{ "AAA", "AAA", "DDD", "DDD", "DDD" } },
	/* not classified (a command added later): root only until someone decides */
	{ "reload",	{ "AAA", "DDD", "DDD", "DDD", "DDD" } },
	{ "PING",	{ "AAA", "DDD", "DDD", "DDD", "DDD" } },
};

static char letter(enum authz_verdict v)
{
	return v == AUTHZ_ALLOW ? 'A' : v == AUTHZ_SELF ? 'S' : 'D';
}

static void test_decision_table(void **state)
{
	static const char *const targets[] = { NULL, "alice", "bob" };
	int wrong = 0, n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		for (int c = 0; c < 5; c++) {
			for (int k = 0; k < 3; k++) {
				char got = letter(authz_decide(&callers[c], table[i].cmd,
							       targets[k]));

				n++;
				if (got == table[i].v[c][k])
					continue;
				wrong++;
				print_error("%s as %s, target %s: got %c, want %c\n",
					    table[i].cmd, authz_class_name(callers[c].cls),
					    targets[k] ? targets[k] : "(none)", got,
					    table[i].v[c][k]);
			}
		}
	}
	print_message("%d decisions checked\n", n);
	assert_int_equal(wrong, 0);
}

/*
 * The command table (api_cmds.c) is where a command gets its authorization:
 * every row has a handler, a unique name, and a line in the hand-written
 * table above (a command added without deciding who may run it fails here),
 * and every line of that table but the unclassified ones is a row.
 */
static void test_every_command_decided(void **state)
{
	size_t rows = 0;

	(void)state;
	for (size_t i = 0; i < api_cmds_nr; i++) {
		size_t k;

		assert_non_null(api_cmds[i].fn);
		/* the web view is read-only: no command that acts is forwarded there */
		assert_false(api_cmds[i].web && api_cmds[i].kind == AK_ACT);
		assert_ptr_equal(api_cmds_find(api_cmds[i].name), &api_cmds[i]);
		for (k = 0; k < sizeof(table) / sizeof(table[0]); k++)
			if (!strcmp(table[k].cmd, api_cmds[i].name))
				break;
		if (k == sizeof(table) / sizeof(table[0]))
			fail_msg("command \"%s\" is not in test_authz.c's table", api_cmds[i].name);
	}
	for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++)
		rows += api_cmds_find(table[k].cmd) != NULL;
	assert_int_equal(rows, api_cmds_nr);
	assert_null(api_cmds_find("reload"));
	assert_null(api_cmds_find("PING"));
	assert_null(api_cmds_find(NULL));
}

/* a tenant without a name (cannot happen, but) owns nothing; "" is no one's name */
static void test_tenant_edge_names(void **state)
{
	struct authz_caller nameless = { .cls = AUTHZ_TENANT, .uid = 1001 };

	(void)state;
	assert_int_equal(authz_decide(&nameless, "tenant", ""), AUTHZ_DENY);
	assert_int_equal(authz_decide(&callers[3], "tenant", ""), AUTHZ_DENY);
	assert_int_equal(authz_decide(&callers[3], "tenant", "alice2"), AUTHZ_DENY);
	assert_int_equal(authz_decide(&callers[3], "tenant", "Alice"), AUTHZ_DENY);
	assert_int_equal(authz_decide(&callers[3], NULL, NULL), AUTHZ_DENY);
	assert_int_equal(authz_decide(&callers[0], NULL, NULL), AUTHZ_ALLOW);
}

static void test_classify(void **state)
{
	(void)state;
	/* uid 0 is root whatever else is true */
	assert_int_equal(authz_classify(0, false, false, false), AUTHZ_ROOT);
	assert_int_equal(authz_classify(0, true, true, true), AUTHZ_ROOT);
	/* support staff who also host a site act as staff */
	assert_int_equal(authz_classify(1001, true, false, true), AUTHZ_ADMIN);
	assert_int_equal(authz_classify(1001, true, true, true), AUTHZ_ADMIN);
	assert_int_equal(authz_classify(1001, false, true, true), AUTHZ_READONLY);
	assert_int_equal(authz_classify(1001, false, false, true), AUTHZ_TENANT);
	assert_int_equal(authz_classify(1001, false, false, false), AUTHZ_NONE);
	assert_int_equal(authz_classify(65534, false, false, false), AUTHZ_NONE);
	assert_string_equal(authz_class_name(AUTHZ_READONLY), "readonly");
	assert_string_equal(authz_class_name(AUTHZ_NONE), "none");
}

static void test_target_keys(void **state)
{
	(void)state;
	assert_string_equal(authz_target_key("tenant"), "name");
	assert_string_equal(authz_target_key("kill"), "name");
	assert_string_equal(authz_target_key("events"), "tenant");
	assert_string_equal(authz_target_key("history"), "tenant");
	assert_string_equal(authz_target_key("snapshot"), "tenant");
	assert_null(authz_target_key("ping"));
	assert_null(authz_target_key("where"));
	assert_null(authz_target_key("nosuch"));
}

static void test_scope_request(void **state)
{
	json_t *req = json_loads("{\"cmd\":\"events\",\"since\":5}", 0, NULL), *s;

	(void)state;
	s = authz_scope_request(&callers[3], "events", req);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "tenant")), "alice");
	assert_int_equal(json_integer_value(json_object_get(s, "since")), 5);
	/* the caller's request object is left alone */
	assert_null(json_object_get(req, "tenant"));
	json_decref(s);
	s = authz_scope_request(&callers[3], "snapshot", req);
	assert_string_equal(json_string_value(json_object_get(s, "tenant")), "alice");
	json_decref(s);
	s = authz_scope_request(&callers[3], "status", req);
	assert_null(json_object_get(s, "tenant"));
	json_decref(s);
	json_decref(req);
}

static json_t *lit(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad literal: %s", e.text);
	return j;
}

static void test_filter_overview(void **state)
{
	json_t *r = lit("{\"host\":{\"hostname\":\"web1\",\"ncpu\":2,\"mem_total\":4096,"
			"\"load\":[1,2,3],\"tenants\":120,\"throttled\":2,\"cpu_pct\":150,"
			"\"source\":\"bpf\",\"cgroup_mode\":\"v2\"},"
			"\"bpf\":{\"loaded\":true},\"placement\":{\"events\":3},\"tick\":9,"
			"\"tenants\":[{\"name\":\"bob\",\"uid\":1002},{\"name\":\"alice\",\"uid\":1001},"
			"{\"name\":\"carol\"},{\"uid\":1}]}");
	json_t *h, *t;
	char *text;

	(void)state;
	authz_filter_reply(&callers[3], "snapshot", r);
	t = json_object_get(r, "tenants");
	assert_int_equal(json_array_size(t), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "name")),
			    "alice");
	h = json_object_get(r, "host");
	assert_string_equal(json_string_value(json_object_get(h, "hostname")), "web1");
	assert_int_equal(json_integer_value(json_object_get(h, "ncpu")), 2);
	assert_null(json_object_get(h, "load"));
	assert_null(json_object_get(h, "tenants"));
	assert_null(json_object_get(h, "throttled"));
	assert_null(json_object_get(h, "cpu_pct"));
	assert_null(json_object_get(r, "bpf"));
	assert_null(json_object_get(r, "placement"));
	assert_int_equal(json_integer_value(json_object_get(r, "tick")), 9);
	text = json_dumps(r, JSON_COMPACT);
	assert_null(strstr(text, "bob"));
	assert_null(strstr(text, "carol"));
	free(text);
	json_decref(r);

	/* root's reply is not touched */
	r = lit("{\"tenants\":[{\"name\":\"bob\"},{\"name\":\"alice\"}],\"bpf\":{}}");
	authz_filter_reply(&callers[0], "snapshot", r);
	authz_filter_reply(&callers[2], "snapshot", r);
	assert_int_equal(json_array_size(json_object_get(r, "tenants")), 2);
	assert_non_null(json_object_get(r, "bpf"));
	json_decref(r);
}

static void test_filter_events_and_one(void **state)
{
	json_t *r = lit("{\"events\":[{\"tenant\":\"alice\",\"action\":\"apply\"},"
			"{\"tenant\":\"bob\",\"action\":\"kill\"},{\"action\":\"odd\"},"
			"{\"tenant\":\"alice\",\"action\":\"release\"},\"junk\"]}");

	(void)state;
	authz_filter_reply(&callers[3], "events", r);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 2);
	json_decref(r);

	/* a handler that answered about someone else: the tenant object goes */
	r = lit("{\"tenant\":{\"name\":\"bob\",\"procs\":[]}}");
	authz_filter_reply(&callers[3], "tenant", r);
	assert_null(json_object_get(r, "tenant"));
	json_decref(r);
	r = lit("{\"tenant\":{\"name\":\"alice\",\"procs\":[]}}");
	authz_filter_reply(&callers[3], "tenant", r);
	assert_non_null(json_object_get(r, "tenant"));
	json_decref(r);
	r = lit("{\"limits\":{\"tenant\":\"bob\"},\"state\":{}}");
	authz_filter_reply(&callers[3], "limits", r);
	assert_null(json_object_get(r, "limits"));
	json_decref(r);
}

static void test_caller_json(void **state)
{
	json_t *j;

	(void)state;
	j = authz_caller_json(&callers[3]);
	assert_string_equal(json_string_value(json_object_get(j, "class")), "tenant");
	assert_int_equal(json_integer_value(json_object_get(j, "uid")), 1001);
	assert_string_equal(json_string_value(json_object_get(j, "tenant")), "alice");
	json_decref(j);
	j = authz_caller_json(&callers[1]);
	assert_string_equal(json_string_value(json_object_get(j, "class")), "admin");
	assert_true(json_is_null(json_object_get(j, "tenant")));
	json_decref(j);
}

/*
 * The one impure part, on this machine's NSS: uid 0 is root; a uid with no
 * passwd entry is nobody, unless its connection's gid is the admin or
 * readonly group (sg); a registry tenant is a tenant; a group that does not
 * exist makes nobody a member; changing the group names flushes the cache.
 * Uses the "daemon" group (gid 1, in every Debian base system).
 */
static void test_caller_get(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct ucred root = { .pid = 1, .uid = 0, .gid = 0 };
	struct ucred stranger = { .pid = 1, .uid = 3999999, .gid = 3999999 };
	struct ucred stranger_sg = { .pid = 1, .uid = 3999999, .gid = 1 };
	struct ucred tenant = { .pid = 1, .uid = 3999998, .gid = 3999998 };
	struct authz_caller c;

	(void)state;
	assert_non_null(d);
	config_defaults(&d->cfg);
	assert_int_equal(registry_init(&d->reg), 0);
	assert_non_null(registry_add(&d->reg, "alice", 3999998, 3999998));

	authz_caller_get(d, &root, &c);
	assert_int_equal(c.cls, AUTHZ_ROOT);
	authz_caller_get(d, NULL, &c);
	assert_int_equal(c.cls, AUTHZ_NONE);
	authz_caller_get(d, &stranger, &c);
	assert_int_equal(c.cls, AUTHZ_NONE);
	authz_caller_get(d, &stranger_sg, &c);
	assert_int_equal(c.cls, AUTHZ_NONE);	/* no admin_group configured */
	authz_caller_get(d, &tenant, &c);
	assert_int_equal(c.cls, AUTHZ_TENANT);
	assert_string_equal(c.tenant, "alice");

	snprintf(d->cfg.admin_group, sizeof(d->cfg.admin_group), "daemon");
	authz_caller_get(d, &stranger_sg, &c);
	assert_int_equal(c.cls, AUTHZ_ADMIN);
	authz_caller_get(d, &stranger, &c);	/* same uid, other gid: not cached as admin */
	assert_int_equal(c.cls, AUTHZ_NONE);
	/* a reload to a group that does not exist: nobody is admin any more, at once */
	snprintf(d->cfg.admin_group, sizeof(d->cfg.admin_group), "quell-no-such-group");
	snprintf(d->cfg.readonly_group, sizeof(d->cfg.readonly_group), "daemon");
	authz_caller_get(d, &stranger_sg, &c);
	assert_int_equal(c.cls, AUTHZ_READONLY);
	/* users mode only: in cgroups mode no uid is a tenant */
	d->cfg.tenant_mode = TENANT_CGROUPS;
	authz_caller_get(d, &tenant, &c);
	assert_int_equal(c.cls, AUTHZ_NONE);
	registry_free(&d->reg);
	free(d);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/*
 * What classifying a caller costs on the tick thread, printed, not
 * asserted: a cache hit, and a miss (passwd + getgrouplist through NSS):
 * this machine's users, at least 65 uids, cycle through the 64 entries,
 * so every call misses.
 */
static void test_caller_cost(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct ucred p = { .pid = 1, .uid = 65534, .gid = 65534 };
	struct authz_caller c;
	double t0, hit, miss;
	uid_t uids[200];
	int n = 20000, nu = 0;
	struct passwd *pw;

	(void)state;
	assert_non_null(d);
	config_defaults(&d->cfg);
	assert_int_equal(registry_init(&d->reg), 0);
	snprintf(d->cfg.admin_group, sizeof(d->cfg.admin_group), "daemon");
	snprintf(d->cfg.readonly_group, sizeof(d->cfg.readonly_group), "adm");
	authz_caller_get(d, &p, &c);
	t0 = now_us();
	for (int i = 0; i < n; i++)
		authz_caller_get(d, &p, &c);
	hit = (now_us() - t0) / n;
	setpwent();
	while (nu < 200 && (pw = getpwent()))
		if (pw->pw_uid)
			uids[nu++] = pw->pw_uid;
	endpwent();
	/* too few real users to defeat the cache: fill up with uids nobody has */
	for (; nu < 65; nu++)
		uids[nu] = 3000000 + (uid_t)nu;
	t0 = now_us();
	for (int i = 0; i < 2000; i++) {
		p.uid = uids[i % nu];
		authz_caller_get(d, &p, &c);
	}
	miss = (now_us() - t0) / 2000;
	print_message("authz_caller_get: %.2f us per cache hit, %.1f us per miss (NSS, %d uids)\n",
		      hit, miss, nu);
	assert_true(c.cls != AUTHZ_ROOT);
	registry_free(&d->reg);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_every_command_decided),
		cmocka_unit_test(test_tenant_edge_names),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_target_keys),
		cmocka_unit_test(test_scope_request),
		cmocka_unit_test(test_filter_overview),
		cmocka_unit_test(test_filter_events_and_one),
		cmocka_unit_test(test_caller_json),
		cmocka_unit_test(test_caller_get),
		cmocka_unit_test(test_caller_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
