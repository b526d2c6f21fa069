// SPDX-License-Identifier: GPL-2.0-only
/* test_registry.c - the tenant table: add, lookups, removal, rekey, growth. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "quelld.h"
#include "tenant.h"

static void test_add_lookup(void **state)
{
	struct registry r;
	struct tenant *a, *b;

	assert_int_equal(registry_init(&r), 0);
	a = registry_add(&r, "alice", 1001, 1001);
	b = registry_add(&r, "bob", 1002, 1002);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(registry_by_key(&r, 1001), a);
	assert_ptr_equal(registry_by_name(&r, "bob"), b);
	assert_null(registry_by_key(&r, 7));
	assert_null(registry_by_name(&r, "carol"));
	/* duplicates by name or key are refused */
	assert_null(registry_add(&r, "alice", 5000, 5000));
	assert_int_equal(errno, EEXIST);
	assert_null(registry_add(&r, "zed", 1001, 1001));
	assert_int_equal(errno, EEXIST);
	/* empty and overlong names are refused */
	assert_null(registry_add(&r, "", 1, 1));
	assert_null(registry_add(&r, "0123456789012345678901234567890123456789012345678901234567890123456789", 2, 2));
	assert_int_equal(r.nr, 2);
	registry_free(&r);
}

static void test_remove_and_rekey(void **state)
{
	struct registry r;
	struct tenant *a;

	registry_init(&r);
	registry_add(&r, "alice", 1001, 1001);
	a = registry_add(&r, "bob", 1002, 1002);
	registry_add(&r, "carol", 1003, 1003);
	registry_remove(&r, a);
	assert_int_equal(r.nr, 2);
	assert_null(registry_by_name(&r, "bob"));
	assert_null(registry_by_key(&r, 1002));
	assert_non_null(registry_by_name(&r, "carol"));
	a = registry_by_name(&r, "carol");
	assert_int_equal(registry_rekey(&r, a, 99), 0);
	assert_ptr_equal(registry_by_key(&r, 99), a);
	assert_null(registry_by_key(&r, 1003));
	assert_int_equal(registry_rekey(&r, a, 1001), -EEXIST);
	registry_free(&r);
}

static void test_growth(void **state)
{
	struct registry r;
	char name[32];

	registry_init(&r);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		assert_non_null(registry_add(&r, name, 10000 + i, 10000 + i));
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof(name), "u%d", i);
		assert_non_null(registry_by_name(&r, name));
		assert_string_equal(registry_by_key(&r, 10000 + i)->name, name);
	}
	for (int i = 0; i < 5000; i += 2)
		registry_remove(&r, registry_by_key(&r, 10000 + i));
	assert_int_equal(r.nr, 2500);
	assert_null(registry_by_key(&r, 10000));
	assert_non_null(registry_by_key(&r, 10001));
	registry_free(&r);
}

/* every tenant still there is found by key and by name, every removed one by neither */
static void check_all(const struct registry *r, const bool *gone, int n)
{
	char name[32];

	for (int i = 0; i < n; i++) {
		const struct tenant *k = registry_by_key(r, 7000 + (uint64_t)i * 4096);

		snprintf(name, sizeof(name), "u%d", i);
		if (gone[i]) {
			assert_null(k);
			assert_null(registry_by_name(r, name));
		} else {
			assert_non_null(k);
			assert_string_equal(k->name, name);
			assert_ptr_equal(registry_by_name(r, name), k);
		}
	}
}

/*
 * Removal takes an entry out of the indexes in place (issue 15) instead of
 * rebuilding them: removals in any order, keys that collide in the low bits
 * (multiples of 4096), and adds in between keep every lookup right.
 */
static void test_remove_in_place(void **state)
{
	enum { N = 3000 };
	static bool gone[N];
	struct registry r;
	char name[32];
	uint32_t x = 12345;

	(void)state;
	registry_init(&r);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		assert_non_null(registry_add(&r, name, (uint32_t)i, 7000 + (uint64_t)i * 4096));
		gone[i] = false;
	}
	for (int step = 0; step < 2 * N; step++) {
		int i;

		x = x * 1103515245u + 12345u;
		i = (int)((x >> 8) % N);
		snprintf(name, sizeof(name), "u%d", i);
		if (gone[i]) {
			assert_non_null(registry_add(&r, name, (uint32_t)i,
						     7000 + (uint64_t)i * 4096));
			gone[i] = false;
		} else {
			registry_remove(&r, registry_by_name(&r, name));
			gone[i] = true;
		}
		if (step % 97 == 0)
			check_all(&r, gone, N);
	}
	check_all(&r, gone, N);
	/* the last one, then the first one, until none is left */
	while (r.nr) {
		struct tenant *t = r.t[r.nr % 2 ? r.nr - 1 : 0];

		gone[t->uid] = true;
		registry_remove(&r, t);
		if (r.nr % 101 == 0)
			check_all(&r, gone, N);
	}
	check_all(&r, gone, N);
	registry_free(&r);
}

static void test_tenant_names(void **state)
{
	assert_true(tenant_name_ok("alice"));
	assert_true(tenant_name_ok("john.doe"));
	assert_true(tenant_name_ok("web-1"));
	assert_true(tenant_name_ok("_apt"));
	assert_true(tenant_name_ok("MACHINE$"));
	assert_false(tenant_name_ok(""));
	assert_false(tenant_name_ok("."));
	assert_false(tenant_name_ok(".."));
	assert_false(tenant_name_ok("../etc"));
	assert_false(tenant_name_ok("a/b"));
	assert_false(tenant_name_ok("-rf"));
	assert_false(tenant_name_ok("a b"));
	assert_false(tenant_name_ok("a\nb"));
	assert_false(tenant_name_ok("a$b"));
	assert_false(tenant_name_ok("ünïcode"));
}

/* One table of state names, and they are the wire's (docs/protocol.md): api_encode.c writes them. */
static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(tenant_state_name(TS_OK), "ok");
	assert_string_equal(tenant_state_name(TS_THROTTLED), "throttled");
	assert_string_equal(tenant_state_name(TS_FROZEN), "frozen");
	assert_string_equal(tenant_state_name(TS_KILLED), "killed");
	assert_string_equal(tenant_state_name((enum tenant_state)(TS_KILLED + 1)), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_lookup),
		cmocka_unit_test(test_remove_and_rekey),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_remove_in_place),
		cmocka_unit_test(test_tenant_names),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
