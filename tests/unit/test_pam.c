// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_pam.c - pam_quell's pure half: module arguments (defaults, every
 * key, every error) and the placement decision on literal users, callers
 * and quell.conf settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pam_quell.h"

static void test_defaults(void **state)
{
	struct pamq_args a;
	char err[128] = "";

	assert_int_equal(pamq_args_parse(&a, 0, NULL, err, sizeof(err)), 0);
	assert_string_equal(a.config, "/etc/quell/quell.conf");
	assert_false(a.min_uid_set);
	assert_string_equal(a.managed, "");		/* quell.conf's */
	assert_string_equal(a.cgroup_root, "");
	assert_int_equal(a.timeout_ms, 500);
	assert_int_equal(a.nr_exempt, 2);
	assert_string_equal(a.exempt[0], "wheel");
	assert_string_equal(a.exempt[1], "sudo");
	assert_false(a.debug);
}

static void test_args(void **state)
{
	const char *argv[] = { "min_uid=2000", "exempt_groups=admins,,staff", "managed=quelltest-1",
			       "cgroup_root=/tmp/fake", "debug", "timeout=250", "config=/tmp/q.conf" };
	struct pamq_args a;
	char err[128] = "";

	assert_int_equal(pamq_args_parse(&a, 7, argv, err, sizeof(err)), 0);
	assert_int_equal(a.min_uid, 2000);
	assert_true(a.min_uid_set);
	assert_int_equal(a.timeout_ms, 250);
	assert_string_equal(a.config, "/tmp/q.conf");
	assert_int_equal(a.nr_exempt, 2);
	assert_string_equal(a.exempt[0], "admins");
	assert_string_equal(a.exempt[1], "staff");
	assert_string_equal(a.managed, "quelltest-1");
	assert_string_equal(a.cgroup_root, "/tmp/fake");
	assert_true(a.debug);

	/* an empty list exempts nobody */
	argv[0] = "exempt_groups=";
	assert_int_equal(pamq_args_parse(&a, 1, argv, err, sizeof(err)), 0);
	assert_int_equal(a.nr_exempt, 0);
}

static void test_bad_args(void **state)
{
	static const char *bad[] = {
		"min_uid=", "min_uid=-1", "min_uid=12x", "min_uid=99999999999", "managed=",
		"managed=/abs", "managed=a/../b", "managed=a//b", "managed=x/", "cgroup_root=rel",
		"debug=1", "min_uid", "frobnicate", "exempt_groups=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q",
		"timeout=0", "timeout=10001", "timeout=-5", "timeout=1s", "config=rel.conf",
		"managed=a+b",
	};
	struct pamq_args a;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = { bad[i] };

		err[0] = '\0';
		if (pamq_args_parse(&a, 1, argv, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strlen(err) > 0);
	}
}

/* quell.conf with its defaults: users mode, place, uids 1000..60000, exclude nobody */
static struct quell_config *conf(const char *text)
{
	struct quell_config *cfg = calloc(1, sizeof(*cfg));
	char err[256];

	assert_non_null(cfg);
	if (config_load_string(text, "test", cfg, err, sizeof(err)))
		fail_msg("%s", err);
	return cfg;
}

static void conf_free(struct quell_config *cfg)
{
	config_free(cfg);
	free(cfg);
}

/* the user's own process: caller_ruid == uid */
#define SELF(u, name, g, ng) \
	(&(struct pamq_facts){ .uid = (u), .user = (name), .groups = (g), .ngroups = (ng), \
			       .caller_ruid = (u) })

static void test_decide(void **state)
{
	const char *users[] = { "users" }, *sudoers[] = { "alice", "sudo" }, *none[] = { NULL };
	struct quell_config *cfg = conf("");
	struct pamq_args a;

	pamq_args_default(&a);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "alice", users, 1)), PAMQ_PLACE);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1000, "alice", users, 1)), PAMQ_PLACE); /* >= */
	assert_int_equal(pamq_decide(&a, cfg, SELF(999, "sys", users, 1)), PAMQ_SKIP_UID);
	assert_int_equal(pamq_decide(&a, cfg, SELF(60000, "last", users, 1)), PAMQ_PLACE);
	assert_int_equal(pamq_decide(&a, cfg, SELF(60001, "big", users, 1)), PAMQ_SKIP_UID);
	assert_int_equal(pamq_decide(&a, cfg, SELF(65534, "nobody", users, 1)), PAMQ_SKIP_UID);
	assert_int_equal(pamq_decide(&a, cfg, SELF(0, "root", NULL, 0)), PAMQ_SKIP_ROOT);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "alice", sudoers, 2)), PAMQ_SKIP_GROUP);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "alice", none, 1)), PAMQ_PLACE);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "..", users, 1)), PAMQ_SKIP_NAME);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "a/b", users, 1)), PAMQ_SKIP_NAME);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "", users, 1)), PAMQ_SKIP_NAME);
	/* the one name rule: config.c used to accept this one, discover.c never did */
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "a+b", users, 1)), PAMQ_SKIP_NAME);
	a.nr_exempt = 0;
	assert_int_equal(pamq_decide(&a, cfg, SELF(1001, "alice", sudoers, 2)), PAMQ_PLACE);
	assert_string_equal(pamq_verdict_name(PAMQ_SKIP_GROUP), "exempt group");
	conf_free(cfg);
}

/* sshd, su, cron open the session as root: that process is never moved */
static void test_decide_caller(void **state)
{
	const char *users[] = { "users" };
	struct quell_config *cfg = conf("");
	struct pamq_facts f = { .uid = 1001, .user = "alice", .groups = users, .ngroups = 1 };
	struct pamq_args a;

	pamq_args_default(&a);
	f.caller_ruid = 0;			/* sshd's monitor, root's su - alice */
	assert_int_equal(pamq_decide(&a, cfg, &f), PAMQ_SKIP_CALLER);
	f.caller_ruid = 1002;			/* bob's su - alice (setuid root, real uid bob) */
	assert_int_equal(pamq_decide(&a, cfg, &f), PAMQ_SKIP_CALLER);
	f.caller_ruid = 1001;			/* already alice */
	assert_int_equal(pamq_decide(&a, cfg, &f), PAMQ_PLACE);
	/* a root caller for an out-of-range user says why it is skipped: the uid */
	f.uid = 70000;
	f.caller_ruid = 0;
	assert_int_equal(pamq_decide(&a, cfg, &f), PAMQ_SKIP_UID);
	assert_non_null(strstr(pamq_verdict_name(PAMQ_SKIP_CALLER), "not the user's"));
	conf_free(cfg);
}

/* quell.conf's max_uid, exclude, mode and place, and the module's overrides */
static void test_decide_conf(void **state)
{
	const char *users[] = { "users" };
	struct quell_config *cfg = conf("[tenants]\nmin_uid = 2000\nmax_uid = 2999\n"
					"exclude = nobody, backup, 2500\n");
	const char *argv[] = { "min_uid=1500", "managed=quelltest-x", "cgroup_root=/tmp/cg" };
	struct pamq_args a;
	char err[128], path[64];

	pamq_args_default(&a);
	assert_int_equal(pamq_decide(&a, cfg, SELF(1999, "alice", users, 1)), PAMQ_SKIP_UID);
	assert_int_equal(pamq_decide(&a, cfg, SELF(2000, "alice", users, 1)), PAMQ_PLACE);
	assert_int_equal(pamq_decide(&a, cfg, SELF(2999, "alice", users, 1)), PAMQ_PLACE);
	assert_int_equal(pamq_decide(&a, cfg, SELF(3000, "alice", users, 1)), PAMQ_SKIP_UID);
	assert_int_equal(pamq_decide(&a, cfg, SELF(2001, "backup", users, 1)), PAMQ_SKIP_EXCLUDED);
	assert_int_equal(pamq_decide(&a, cfg, SELF(2500, "carol", users, 1)), PAMQ_SKIP_EXCLUDED);

	/* module arguments win over the file */
	assert_int_equal(pamq_args_parse(&a, 3, argv, err, sizeof(err)), 0);
	pamq_apply_args(&a, cfg);
	assert_int_equal(cfg->min_uid, 1500);
	assert_int_equal(cfg->max_uid, 2999);
	assert_string_equal(cfg->cgroup_root, "/tmp/cg");
	assert_int_equal(pamq_decide(&a, cfg, SELF(1500, "alice", users, 1)), PAMQ_PLACE);
	assert_int_equal(pamq_cgroup_path(cfg, "alice", path, sizeof(path)), 0);
	assert_string_equal(path, "quelltest-x/alice");
	conf_free(cfg);

	cfg = conf("[tenants]\nplace = no\n");
	assert_int_equal(pamq_decide(&a, cfg, SELF(2000, "alice", users, 1)), PAMQ_SKIP_OFF);
	conf_free(cfg);
	cfg = conf("[tenants]\nmode = cgroups\n");
	assert_int_equal(pamq_decide(&a, cfg, SELF(2000, "alice", users, 1)), PAMQ_SKIP_OFF);
	conf_free(cfg);
}

static void test_cgroup_path(void **state)
{
	struct quell_config *cfg = conf("");
	char buf[32];

	assert_int_equal(pamq_cgroup_path(cfg, "alice", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "quell/alice");
	assert_int_equal(pamq_cgroup_path(cfg, "../etc", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pamq_cgroup_path(cfg, "a+b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pamq_cgroup_path(cfg, "averyveryveryverylongusername", buf, sizeof(buf)),
			 -ENAMETOOLONG);
	conf_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_decide_caller),
		cmocka_unit_test(test_decide_conf),
		cmocka_unit_test(test_cgroup_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
