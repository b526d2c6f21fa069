// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fs.c - fs_mkdir_p / fs_mkdir_parent (src/common/fs.c) on a tree
 * under mkdtemp(): the modes of the last and the upper levels (umask 0 here),
 * existing directories left alone, a file in the way, trailing and doubled
 * slashes, a path too long.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "fs.h"

static mode_t mode_of(const struct fx_tree *t, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", t->path, rel);
	if (stat(p, &st) || !S_ISDIR(st.st_mode))
		return (mode_t)-1;
	return st.st_mode & 07777;
}

/* the tree as *state, and umask 0 so that the modes asked for are the modes made */
static struct fx_tree tree;
static mode_t old_umask;

static int setup(void **state)
{
	if (fx_tree_new(&tree))
		return -1;
	*state = &tree;
	old_umask = umask(0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	umask(old_umask);
	fx_tree_free(&tree);
	return 0;
}

static void test_mkdir_p_modes(void **state)
{
	struct fx_tree *t = *state;
	char p[512];

	snprintf(p, sizeof(p), "%s/a/b/c", t->path);
	assert_int_equal(fs_mkdir_p(p, 0755, 0700), 0);
	assert_int_equal(mode_of(t, "a"), 0755);
	assert_int_equal(mode_of(t, "a/b"), 0755);
	assert_int_equal(mode_of(t, "a/b/c"), 0700);
	/* again: nothing to do, and an existing directory keeps its mode */
	assert_int_equal(fs_mkdir_p(p, 0750, 0750), 0);
	assert_int_equal(mode_of(t, "a/b/c"), 0700);
	/* trailing and doubled slashes: the last name still gets mode */
	snprintf(p, sizeof(p), "%s//x//y/", t->path);
	assert_int_equal(fs_mkdir_p(p, 0755, 0710), 0);
	assert_int_equal(mode_of(t, "x"), 0755);
	assert_int_equal(mode_of(t, "x/y"), 0710);
}

static void test_mkdir_p_errors(void **state)
{
	struct fx_tree *t = *state;
	char p[512], *huge;

	assert_int_equal(fx_write(t, "file", "x"), 0);
	/* a file where a directory should be: said, not taken for one */
	snprintf(p, sizeof(p), "%s/file", t->path);
	assert_int_equal(fs_mkdir_p(p, 0755, 0755), -ENOTDIR);
	snprintf(p, sizeof(p), "%s/file/sub", t->path);
	assert_int_equal(fs_mkdir_p(p, 0755, 0755), -ENOTDIR);
	assert_int_equal(fs_mkdir_p("", 0755, 0755), -EINVAL);
	huge = malloc(8192);
	assert_non_null(huge);
	memset(huge, 'a', 8191);
	huge[0] = '/';
	huge[8191] = '\0';
	assert_int_equal(fs_mkdir_p(huge, 0755, 0755), -ENAMETOOLONG);
	assert_int_equal(fs_mkdir_parent(huge, 0755), -ENAMETOOLONG);
	free(huge);
}

static void test_mkdir_parent(void **state)
{
	struct fx_tree *t = *state;
	char p[512];

	snprintf(p, sizeof(p), "%s/log/quell/events.log", t->path);
	assert_int_equal(fs_mkdir_parent(p, 0750), 0);
	assert_int_equal(mode_of(t, "log"), 0750);
	assert_int_equal(mode_of(t, "log/quell"), 0750);
	/* the file itself is not made */
	assert_int_equal(mode_of(t, "log/quell/events.log"), (mode_t)-1);
	/* no directory part: nothing to do */
	assert_int_equal(fs_mkdir_parent("events.log", 0750), 0);
	assert_int_equal(fs_mkdir_parent("/events.log", 0750), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdir_p_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_parent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
