// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_tenant_name.c - the one tenant-name rule, and that quell.conf's
 * parser, quelld's discovery and pam_quell all answer with it: a name one
 * of them accepts is accepted by all ("a+b" was accepted by config.c and
 * refused by discover.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pam_quell.h"
#include "quelld.h"
#include "tenant_name.h"

static const char *const good[] = {
	"alice", "john.doe", "web-1", "_apt", "MACHINE$", "user-1000.slice", "web_01$", "a", "A9",
	"a234567890123456789012345678901234567890123456789012345678901234" + 1,	/* 63 bytes */
};

static const char *const bad[] = {
	"", ".", "..", "../etc", "a/b", "-rf", ".hidden", "a b", "a\nb", "tab\there", "bell\a",
	"a$b", "$", "a$$", "caf\xc3\xa9", "a+b", "a:b", "a\\b", "a,b", "a=b", "a#b", "a;b", "a\"b",
	"a'b", "a[b]", "a@b", "a%b", "a*b",
	"a234567890123456789012345678901234567890123456789012345678901234",	/* 64 bytes */
};

static void test_rule(void **state)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!tenant_name_ok(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tenant_name_ok(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(tenant_name_ok(NULL));
}

/* config.c, discover.c and pam_quell agree on every name above */
static void test_one_rule(void **state)
{
	const char *const *lists[] = { good, bad };
	size_t lens[] = { sizeof(good) / sizeof(good[0]), sizeof(bad) / sizeof(bad[0]) };
	struct quell_config *cfg = calloc(1, sizeof(*cfg));
	char path[256];

	assert_non_null(cfg);
	config_defaults(cfg);

	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < lens[l]; i++) {
			const char *n = lists[l][i];
			bool want = tenant_name_ok(n);

			if (config_tenant_name_ok(n) != want)
				fail_msg("config.c says %d for '%s'", !want, n);
			if ((pamq_cgroup_path(cfg, n, path, sizeof(path)) == 0) != want)
				fail_msg("pam_quell says %d for '%s'", !want, n);
		}
	assert_false(config_tenant_name_ok("a+b"));
	config_free(cfg);
	free(cfg);
}

/* quell.conf refuses a section or exclude entry discovery would never match */
static void test_config_refuses(void **state)
{
	struct quell_config *cfg = calloc(1, sizeof(*cfg));
	char err[512];

	assert_non_null(cfg);
	assert_int_not_equal(config_load_string("[tenant:a+b]\ncpu = 50%\n", "t", cfg, err,
						sizeof(err)), 0);
	assert_non_null(strstr(err, "a+b"));
	assert_int_not_equal(config_load_string("[tenants]\nexclude = nobody, a+b\n", "t", cfg, err,
						sizeof(err)), 0);
	assert_int_equal(config_load_string("[tenants]\nexclude = nobody, web_01$\n", "t", cfg, err,
					    sizeof(err)), 0);
	config_free(cfg);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_one_rule),
		cmocka_unit_test(test_config_refuses),
	};

	return cmocka_run_group_tests_name("tenant_name", tests, NULL, NULL);
}
