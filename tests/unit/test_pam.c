// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_pam.c - pam_quell's pure half: module arguments (defaults, every
 * key, every error) and the placement decision on literal users.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "pam_quell.h"

static void test_defaults(void **state)
{
	struct pamq_args a;
	char err[128] = "";

	assert_int_equal(pamq_args_parse(&a, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(a.min_uid, 1000);
	assert_string_equal(a.managed, "quell");
	assert_string_equal(a.cgroup_root, "/sys/fs/cgroup");
	assert_int_equal(a.nr_exempt, 2);
	assert_string_equal(a.exempt[0], "wheel");
	assert_string_equal(a.exempt[1], "sudo");
	assert_false(a.debug);
}

static void test_args(void **state)
{
	const char *argv[] = { "min_uid=2000", "exempt_groups=admins,,staff", "managed=quelltest-1",
			       "cgroup_root=/tmp/fake", "debug" };
	struct pamq_args a;
	char err[128] = "";

	assert_int_equal(pamq_args_parse(&a, 5, argv, err, sizeof(err)), 0);
	assert_int_equal(a.min_uid, 2000);
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

static void test_decide(void **state)
{
	const char *users[] = { "users" }, *sudoers[] = { "alice", "sudo" }, *none[] = { NULL };
	struct pamq_args a;

	pamq_args_default(&a);
	assert_int_equal(pamq_decide(&a, 1001, "alice", users, 1), PAMQ_PLACE);
	assert_int_equal(pamq_decide(&a, 1000, "alice", users, 1), PAMQ_PLACE);	/* >= */
	assert_int_equal(pamq_decide(&a, 999, "sys", users, 1), PAMQ_SKIP_UID);
	assert_int_equal(pamq_decide(&a, 0, "root", NULL, 0), PAMQ_SKIP_ROOT);
	/* root with min_uid=0 is still never moved */
	a.min_uid = 0;
	assert_int_equal(pamq_decide(&a, 0, "root", NULL, 0), PAMQ_SKIP_ROOT);
	a.min_uid = 1000;
	assert_int_equal(pamq_decide(&a, 1001, "alice", sudoers, 2), PAMQ_SKIP_GROUP);
	assert_int_equal(pamq_decide(&a, 1001, "alice", none, 1), PAMQ_PLACE);
	assert_int_equal(pamq_decide(&a, 1001, "..", users, 1), PAMQ_SKIP_NAME);
	assert_int_equal(pamq_decide(&a, 1001, "a/b", users, 1), PAMQ_SKIP_NAME);
	assert_int_equal(pamq_decide(&a, 1001, "", users, 1), PAMQ_SKIP_NAME);
	a.nr_exempt = 0;
	assert_int_equal(pamq_decide(&a, 1001, "alice", sudoers, 2), PAMQ_PLACE);
	assert_string_equal(pamq_verdict_name(PAMQ_SKIP_GROUP), "exempt group");
}

static void test_cgroup_path(void **state)
{
	struct pamq_args a;
	char buf[32];

	pamq_args_default(&a);
	assert_int_equal(pamq_cgroup_path(&a, "alice", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "quell/alice");
	assert_int_equal(pamq_cgroup_path(&a, "../etc", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pamq_cgroup_path(&a, "averyveryveryverylongusername", buf, sizeof(buf)),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_cgroup_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
