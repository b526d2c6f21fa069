// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cg_kill.c - cg_kill never signals a process of root's, and
 * cg_frozen, on fake cgroup v2 trees (fixture.h) with real child processes
 * (a kill goes through pidfds, so the pids must be real; whose they are is
 * read from the fake /proc, so this runs without root too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>

#include "../../collectors/cg_internal.h"
#include "cgroup.h"
#include "fixture.h"

#define CG "quell/alice"

struct env {
	struct fx_tree t;	/* cgroupfs root */
	struct fx_tree proc;	/* fake /proc */
	struct cg_layout l;
	pid_t kids[2];
};

static void w(struct fx_tree *t, const char *rel, const char *s)
{
	assert_int_equal(fx_write(t, rel, s), 0);
}

static pid_t sleeper(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* as root, be nobody: the kill must be allowed by what /proc says, not by us */
		if (getuid() == 0 && setresuid(65534, 65534, 65534))
			_exit(126);
		pause();
		_exit(0);
	}
	return pid;
}

/* fake /proc/PID/status with uids r e s f */
static void status(struct env *e, pid_t pid, const char *uids)
{
	char rel[64], text[256];

	snprintf(rel, sizeof(rel), "%d/status", (int)pid);
	snprintf(text, sizeof(text), "Name:\tsleep\nState:\tS (sleeping)\nTgid:\t%d\n"
		 "Uid:\t%s\nGid:\t100\t100\t100\t100\n", (int)pid, uids);
	w(&e->proc, rel, text);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e || fx_tree_new(&e->t) || fx_tree_new(&e->proc))
		return -1;
	fx_write(&e->t, "cgroup.controllers", "cpu io memory pids\n");
	fx_write(&e->t, "cgroup.procs", "1\n");
	fx_write(&e->t, CG "/cgroup.procs", "");
	fx_write(&e->t, CG "/cgroup.kill", "");
	fx_write(&e->t, CG "/cgroup.freeze", "0\n");
	fx_write(&e->t, CG "/cgroup.events", "populated 1\nfrozen 0\n");
	if (cg_layout_open(e->t.fd, &e->l))
		return -1;
	e->l.proc_fd = e->proc.fd;
	e->kids[0] = e->kids[1] = -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < 2; i++)
		if (e->kids[i] > 0) {
			kill(e->kids[i], SIGKILL);
			waitpid(e->kids[i], NULL, 0);
		}
	cg_layout_close(&e->l);
	fx_tree_free(&e->t);
	fx_tree_free(&e->proc);
	free(e);
	return 0;
}

static void test_parse_status(void **state)
{
	bool root;
	char st;

	assert_int_equal(cg_parse_pid_status("Name:\tsshd\nState:\tS (sleeping)\n"
					     "Uid:\t0\t0\t0\t0\n", &root, &st), 0);
	assert_true(root);
	assert_int_equal(st, 'S');
	assert_int_equal(cg_parse_pid_status("State:\tR (running)\nUid:\t1001\t1001\t1001\t1001\n",
					     &root, &st), 0);
	assert_false(root);
	assert_int_equal(st, 'R');
	/* a tenant running su or passwd: real uid the tenant's, effective root */
	assert_int_equal(cg_parse_pid_status("Uid:\t1001\t0\t0\t0\n", &root, &st), 0);
	assert_true(root);
	assert_int_equal(st, '?');
	/* root only in the saved uid: can become root again at will */
	assert_int_equal(cg_parse_pid_status("State:\tS\nUid:\t1001\t1001\t0\t1001\n", &root, &st), 0);
	assert_true(root);
	assert_int_equal(cg_parse_pid_status("State:\tZ (zombie)\nUid:\t1001\t1001\t1001\t1001\n",
					     &root, &st), 0);
	assert_int_equal(st, 'Z');
	assert_int_equal(cg_parse_pid_status("Name:\tx\nGid:\t0\t0\t0\t0\n", &root, &st), -EINVAL);
	assert_int_equal(cg_parse_pid_status("Uid:\t1001\n", &root, &st), -EINVAL);
}

/* root's process below the tenant: no cgroup.kill, the tenant's dies, root's lives */
static void test_kill_spares_root(void **state)
{
	struct env *e = *state;
	char buf[64];
	int st;

	e->kids[0] = sleeper();		/* "root's" (says the fake /proc) */
	e->kids[1] = sleeper();		/* the tenant's */
	status(e, e->kids[0], "0\t0\t0\t0");
	status(e, e->kids[1], "1001\t1001\t1001\t1001");
	snprintf(buf, sizeof(buf), "%d\n", (int)e->kids[1]);
	w(&e->t, CG "/cgroup.procs", buf);
	snprintf(buf, sizeof(buf), "%d\n", (int)e->kids[0]);
	w(&e->t, CG "/session-4.scope/cgroup.procs", buf);	/* in the subtree: cgroup.kill's reach */

	assert_int_equal(cg_kill(&e->l, CG), -EPERM);
	assert_int_equal(fx_read(&e->t, CG "/cgroup.kill", buf, sizeof(buf)), 0);	/* not written */
	assert_int_equal(waitpid(e->kids[1], &st, 0), e->kids[1]);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	e->kids[1] = -1;
	assert_int_equal(waitpid(e->kids[0], &st, WNOHANG), 0);	/* alive */
	assert_int_equal(kill(e->kids[0], 0), 0);

	/* the tenant's process that ran a setuid-root program is spared too */
	status(e, e->kids[0], "1001\t0\t0\t0");
	w(&e->t, CG "/session-4.scope/cgroup.procs", "");
	snprintf(buf, sizeof(buf), "%d\n", (int)e->kids[0]);
	w(&e->t, CG "/cgroup.procs", buf);
	assert_int_equal(cg_kill(&e->l, CG), -EPERM);
	assert_int_equal(waitpid(e->kids[0], &st, WNOHANG), 0);
}

/* no root's process: cgroup.kill, the atomic one */
static void test_kill_fast_path(void **state)
{
	struct env *e = *state;
	char buf[64];

	e->kids[1] = sleeper();
	status(e, e->kids[1], "1001\t1001\t1001\t1001");
	snprintf(buf, sizeof(buf), "%d\n", (int)e->kids[1]);
	w(&e->t, CG "/cgroup.procs", buf);
	assert_int_equal(cg_kill(&e->l, CG), 0);
	assert_true(fx_read(&e->t, CG "/cgroup.kill", buf, sizeof(buf)) > 0);
	assert_int_equal(buf[0], '1');
	assert_int_equal(cg_kill(&e->l, "quell/gone"), -ENOENT);
}

/* a pid whose status cannot be read is not signalled (unknown owner) */
static void test_kill_unreadable(void **state)
{
	struct env *e = *state;
	char buf[64];

	e->kids[1] = sleeper();
	snprintf(buf, sizeof(buf), "%d\n", (int)e->kids[1]);
	w(&e->t, CG "/cgroup.procs", buf);
	snprintf(buf, sizeof(buf), "%d/status", (int)e->kids[1]);
	w(&e->proc, buf, "Name:\tsleep\n");	/* no Uid line */
	assert_int_equal(cg_kill(&e->l, CG), -EPERM);
	assert_int_equal(kill(e->kids[1], 0), 0);
}

static void test_frozen(void **state)
{
	struct env *e = *state;

	assert_int_equal(cg_frozen(&e->l, CG), 0);
	w(&e->t, CG "/cgroup.freeze", "1\n");			/* asked: anything entering stops */
	assert_int_equal(cg_frozen(&e->l, CG), 1);
	w(&e->t, CG "/cgroup.freeze", "0\n");
	w(&e->t, CG "/cgroup.events", "populated 0\nfrozen 1\n");	/* a frozen ancestor */
	assert_int_equal(cg_frozen(&e->l, CG), 1);
	assert_int_equal(cg_frozen(&e->l, "quell/gone"), -ENOENT);
	assert_int_equal(cg_frozen(&e->l, "../x"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test_setup_teardown(test_kill_spares_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_fast_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frozen, setup, teardown),
	};

	return cmocka_run_group_tests_name("cg_kill", tests, NULL, NULL);
}
