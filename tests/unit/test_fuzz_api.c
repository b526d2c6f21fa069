// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fuzz_api.c - the socket API's dispatcher against thousands of
 * deterministic mutations of valid requests (issue 2: "malformed or
 * oversized requests get an error reply; the daemon never dies of them").
 *
 * A daemon is set up as in test_enforcer.c: a fake cgroup v2 tree, two
 * tenants, the core and policy commands registered. Each request of
 * docs/protocol.md is mutated as a JSON tree (values of every type, huge and
 * negative numbers, NaN-like reals, long and odd strings, keys removed or
 * added, commands swapped) and as bytes (its text edited, then parsed if
 * it still parses). Every reply must be an object with a boolean "ok", an
 * error must carry a short non-empty message, and afterwards the daemon must
 * still answer and hold both tenants. Under ASan/UBSan (make test) any
 * overflow or undefined behaviour on the way is a failure too.
 *
 * Safety: the fake tenants' cgroup.procs are directories, so no mutated
 * "place" can plant a real pid that a later "kill" would signal; procfs is
 * an empty fake directory.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "api.h"
#include "act.h"
#include "fixture.h"
#include "fixture_daemon.h"
#include "fixture_policy.h"
#include "log.h"
#include "quelld.h"
#include "state.h"

#define TREE_MUTATIONS	3000
#define BYTE_MUTATIONS	3000

static struct fx_tree tree;
static struct daemon D;
/* the socket commands run as root here; tests/unit/test_authz.c covers the other callers */
static const struct ucred root_peer = { .pid = 1, .uid = 0, .gid = 0 };
static int fake_proc_fd = -1;

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return fx_rnd(&rng_state);
}

static size_t rnd_below(size_t n)
{
	return fx_rnd_below(&rng_state, n);
}

static const char *const files[] = {
	"cpu.max", "memory.high", "memory.max", "pids.max", "io.max", "cgroup.freeze",
	"cgroup.kill", "cgroup.events",
};

static void mk_tenant_dir(const char *rel)
{
	char p[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *f = files[i];

		snprintf(p, sizeof(p), "%s/%s", rel, f);
		assert_int_equal(fx_write(&tree, p, !strcmp(f, "cpu.max") ? "max 100000\n" :
					  !strcmp(f, "cgroup.freeze") ? "0\n" :
					  !strcmp(f, "cgroup.events") ? "populated 0\nfrozen 0\n" :
					  !strcmp(f, "io.max") || !strcmp(f, "cgroup.kill") ? "" :
					  "max\n"), 0);
	}
	/* a directory: writes (place) and reads (kill's pid loop) both fail */
	snprintf(p, sizeof(p), "%s/cgroup.procs", rel);
	assert_int_equal(fx_mkdirs(tree.path, p), 0);
}

static struct tenant *add(const char *name, uint32_t uid)
{
	struct tenant *t = registry_add(&D.reg, name, uid, uid);

	assert_non_null(t);
	snprintf(t->cg, sizeof(t->cg), "quell/%s", name);
	limits_init(&t->lim);
	t->view = fx_view(1, NAN);
	for (int i = 0; i < QM_NR; i++)
		t->rates.r[i] = NAN;
	act_tenant_added(&D, t);
	return t;
}

static int setup(void **state)
{
	char err[200], p[300];

	(void)state;
	log_set_level(LOG_ERR);		/* thousands of refusals: keep the output short */
	if (fx_tree_new(&tree))
		return -1;
	fx_write(&tree, "cgroup.controllers", "cpu io memory pids\n");
	mk_tenant_dir("quell/alice");
	mk_tenant_dir("quell/bob");
	fx_mkdirs(tree.path, "proc");
	snprintf(p, sizeof(p), "%s/proc", tree.path);
	fake_proc_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fake_proc_fd < 0)
		return -1;

	memset(&D, 0, sizeof(D));
	config_defaults(&D.cfg);
	D.cfg.history = false;
	assert_int_equal(policy_config_finish(&D.cfg.policy, err, sizeof(err)), 0);
	fx_daemon_files(&D, tree.path);
	D.cfg.events_max_bytes = 1 << 20;
	D.cfg.events_keep = 1;
	D.proc_fd = fake_proc_fd;
	D.cg_root_fd = -1;
	D.start_mono_ns = clock_mono_ns();
	assert_int_equal(fx_daemon_open(&D, &tree), 0);
	D.cg.proc_fd = fake_proc_fd;
	assert_int_equal(act_init(&D), 0);
	add("alice", 61001);
	add("bob", 61002);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	act_shutdown(&D);
	D.cg.proc_fd = -1;	/* fake_proc_fd is closed below */
	fx_daemon_close(&D);
	close(fake_proc_fd);
	fx_tree_free(&tree);
	return 0;
}

/* the requests of docs/protocol.md, each valid as written */
static const char *const seeds[] = {
	"{\"cmd\":\"ping\"}",
	"{\"cmd\":\"status\"}",
	"{\"cmd\":\"snapshot\"}",
	"{\"cmd\":\"tenant\",\"name\":\"alice\"}",
	"{\"cmd\":\"tenants\"}",
	"{\"cmd\":\"place\",\"pid\":2147483000}",
	"{\"cmd\":\"where\",\"pid\":2147483000}",
	"{\"cmd\":\"limits\",\"name\":\"bob\"}",
	"{\"cmd\":\"set\",\"name\":\"alice\",\"limits\":{\"cpu\":\"50%\",\"mem\":\"1G\"}}",
	"{\"cmd\":\"throttle\",\"name\":\"bob\",\"for\":60}",
	"{\"cmd\":\"release\",\"name\":\"bob\"}",
	"{\"cmd\":\"freeze\",\"name\":\"alice\",\"for\":5}",
	"{\"cmd\":\"kill\",\"name\":\"alice\"}",
	"{\"cmd\":\"events\",\"tenant\":\"alice\",\"since\":0,\"limit\":10}",
};

static const char *const cmds[] = {
	"ping", "status", "snapshot", "tenant", "tenants", "place", "where", "limits", "set",
	"throttle", "release", "freeze", "kill", "events", "", "PING", "nosuch", "ping ",
};

static const char *const keys[] = {
	"cmd", "name", "pid", "limits", "for", "tenant", "since", "limit", "", "x", "ok",
};

static const char *const limit_keys[] = {
	"cpu", "mem", "mem_high", "mem_max", "nproc", "io", "iops", "io_read", "io_write",
	"riops", "wiops", "exempt", "", "nosuch",
};

static const char *const strings[] = {
	"alice", "bob", "carol", "", " ", "../../etc/passwd", "alice/..", "a\nb", "%s%s%n",
	"50%", "0%", "-1%", "1e308%", "nan", "inf", "max", "unlimited", "default", "1G",
	"16E", "99999999999999999999T", "-5M", "0", "1.5", "yes", "\xff\xfe", "\xc3\xa9",
	"10s", "1h", "-1s", "cpu=50%",
};

static json_t *rnd_value(int depth)
{
	switch (rnd_below(depth > 2 ? 12 : 14)) {
	case 0: return json_null();
	case 1: return json_true();
	case 2: return json_false();
	case 3: return json_integer(0);
	case 4: return json_integer(-1);
	case 5: return json_integer((json_int_t)(rnd() >> rnd_below(64)));
	case 6: return json_integer(rnd_below(2) ? INT64_MAX : INT64_MIN);
	case 7: return json_real(rnd_below(2) ? 1e308 : -1e308);
	case 8: return json_real((double)(int64_t)rnd() / 1e9);
	case 9: return json_string(strings[rnd_below(sizeof(strings) / sizeof(strings[0]))]);
	case 10: {	/* a long string */
		size_t n = 100 + rnd_below(20000);
		char *s = malloc(n + 1);
		json_t *j;

		assert_non_null(s);
		memset(s, "a%9/."[rnd_below(5)], n);
		s[n] = '\0';
		j = json_string(s);
		free(s);
		return j;
	}
	case 11: return json_stringn("a\0b", 3);	/* an embedded NUL */
	case 12: {
		json_t *a = json_array();

		for (size_t i = rnd_below(4); i > 0; i--)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();

		for (size_t i = rnd_below(4); i > 0; i--)
			json_object_set_new(o, limit_keys[rnd_below(sizeof(limit_keys) /
								   sizeof(limit_keys[0]))],
					    rnd_value(depth + 1));
		return o;
	}
	}
}

static void mutate_tree(json_t *req)
{
	const char *k;

	switch (rnd_below(6)) {
	case 0:		/* a key gets any value */
		k = keys[rnd_below(sizeof(keys) / sizeof(keys[0]))];
		json_object_set_new(req, k, rnd_value(0));
		break;
	case 1:		/* a key goes */
		k = keys[rnd_below(sizeof(keys) / sizeof(keys[0]))];
		json_object_del(req, k);
		break;
	case 2:		/* another command with these arguments */
		json_object_set_new(req, "cmd",
				    json_string(cmds[rnd_below(sizeof(cmds) / sizeof(cmds[0]))]));
		break;
	case 3: {	/* limits with odd keys and values */
		json_t *l = json_object_get(req, "limits");

		if (!json_is_object(l)) {
			l = json_object();
			json_object_set_new(req, "limits", l);
		}
		k = limit_keys[rnd_below(sizeof(limit_keys) / sizeof(limit_keys[0]))];
		json_object_set_new(l, k, rnd_below(2) ? rnd_value(1) :
				    json_string(strings[rnd_below(sizeof(strings) /
								  sizeof(strings[0]))]));
		break;
	}
	case 4:		/* a known tenant, so the deeper paths run */
		json_object_set_new(req, rnd_below(2) ? "name" : "tenant",
				    json_string(rnd_below(2) ? "alice" : "bob"));
		break;
	default:	/* a numeric argument at an edge */
		json_object_set_new(req, (const char *[]){ "pid", "for", "since", "limit" }[rnd_below(4)],
				    rnd_value(0));
		break;
	}
}

/* the reply contract: {"ok":true,...} or {"ok":false,"error":"short text"} */
static void check_reply(json_t *r, const char *what, int i)
{
	json_t *ok, *e;
	char *text;

	if (!json_is_object(r))
		fail_msg("%s %d: reply is not an object", what, i);
	ok = json_object_get(r, "ok");
	if (!json_is_boolean(ok))
		fail_msg("%s %d: no boolean \"ok\"", what, i);
	if (json_is_false(ok)) {
		e = json_object_get(r, "error");
		if (!json_is_string(e) || !json_string_length(e) || json_string_length(e) > 600)
			fail_msg("%s %d: error reply without a short message", what, i);
	}
	text = json_dumps(r, JSON_COMPACT);
	if (!text)
		fail_msg("%s %d: reply does not serialise", what, i);
	free(text);
}

static int n_ok, n_err;

static void dispatch_checked(json_t *req, const char *what, int i)
{
	json_t *r = api_dispatch(&D, &root_peer, req);

	check_reply(r, what, i);
	if (getenv("QUELL_FUZZ_VERBOSE")) {	/* what was accepted or refused, for a human */
		char *q = json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY);
		const char *e = json_string_value(json_object_get(r, "error"));

		fprintf(stderr, "%s %.300s%s%.200s\n", e ? "ERR" : "OK ", q ? q : "?", e ? " -> " : "",
			e ? e : "");
		free(q);
	}
	if (json_is_true(json_object_get(r, "ok")))
		n_ok++;
	else
		n_err++;
	json_decref(r);
}

static void test_seeds_are_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		json_t *req = json_loads(seeds[i], 0, NULL), *r;

		assert_non_null(req);
		r = api_dispatch(&D, &root_peer, req);
		check_reply(r, "seed", (int)i);
		/* place/where of a pid that cannot exist: a clean error; the rest work */
		if (!strstr(seeds[i], "\"pid\"") &&
		    !json_is_true(json_object_get(r, "ok")))
			fail_msg("seed %s: %s", seeds[i],
				 json_string_value(json_object_get(r, "error")));
		json_decref(r);
		json_decref(req);
	}
}

static void test_tree_mutations(void **state)
{
	(void)state;
	rng_state = 0xD1B54A32D192ED03ULL;
	n_ok = n_err = 0;
	for (int i = 0; i < TREE_MUTATIONS; i++) {
		json_t *req = json_loads(seeds[rnd_below(sizeof(seeds) / sizeof(seeds[0]))], 0,
					 NULL);

		assert_non_null(req);
		for (size_t e = 1 + rnd_below(4); e > 0; e--)
			mutate_tree(req);
		dispatch_checked(req, "tree mutation", i);
		json_decref(req);
	}
	print_message("%d tree mutations: %d ok, %d error replies\n", TREE_MUTATIONS, n_ok, n_err);
	assert_true(n_ok > TREE_MUTATIONS / 20);
	assert_true(n_err > TREE_MUTATIONS / 4);
}

static void test_byte_mutations(void **state)
{
	int parsed = 0;

	(void)state;
	rng_state = 0x94D049BB133111EBULL;
	n_ok = n_err = 0;
	for (int i = 0; i < BYTE_MUTATIONS; i++) {
		char buf[512];
		size_t len;
		json_t *req;

		snprintf(buf, sizeof(buf), "%s", seeds[rnd_below(sizeof(seeds) / sizeof(seeds[0]))]);
		for (size_t e = 1 + rnd_below(3); e > 0; e--) {
			len = strlen(buf);
			size_t pos = rnd_below(len);

			switch (rnd_below(3)) {
			case 0:
				buf[pos] = (char)(1 + rnd_below(255));
				break;
			case 1:
				memmove(buf + pos, buf + pos + 1, len - pos);
				break;
			default:
				if (len + 2 < sizeof(buf)) {
					memmove(buf + pos + 1, buf + pos, len - pos + 1);
					buf[pos] = "{}[]\":,0-9e.\\n"[rnd_below(15)];
				}
				break;
			}
		}
		req = json_loads(buf, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!req)
			continue;	/* the server replies "invalid JSON" before dispatch */
		parsed++;
		dispatch_checked(req, "byte mutation", i);
		json_decref(req);
	}
	print_message("%d byte mutations: %d still JSON, %d ok, %d error replies\n",
		      BYTE_MUTATIONS, parsed, n_ok, n_err);
	assert_true(parsed > BYTE_MUTATIONS / 10);
}

/*
 * The same mutations from tenant alice (uid 61001) and from a uid that is
 * nobody (61999): no reply that succeeds names bob, no command that acts
 * succeeds, and a refusal says "permission denied" with its code.
 */
static void fuzz_as(const struct ucred *peer, bool tenant)
{
	static const char *const act[] = { "place", "set", "throttle", "release", "freeze",
					   "kill" };
	int ok = 0, denied = 0;

	rng_state = 0xA0761D6478BD642FULL ^ peer->uid;
	for (int i = 0; i < TREE_MUTATIONS; i++) {
		json_t *req = json_loads(seeds[rnd_below(sizeof(seeds) / sizeof(seeds[0]))], 0,
					 NULL), *r;
		const char *cmd, *code;
		char *text;

		assert_non_null(req);
		for (size_t e = 1 + rnd_below(4); e > 0; e--)
			mutate_tree(req);
		r = api_dispatch(&D, peer, req);
		check_reply(r, "caller mutation", i);
		cmd = json_string_value(json_object_get(req, "cmd"));
		code = json_string_value(json_object_get(r, "code"));
		text = json_dumps(r, JSON_COMPACT);
		if (json_is_true(json_object_get(r, "ok"))) {
			ok++;
			if (strstr(text, "\"bob\""))
				fail_msg("uid %u: %s answered with bob: %.300s", peer->uid, cmd, text);
			for (size_t k = 0; cmd && k < sizeof(act) / sizeof(act[0]); k++)
				if (!strcmp(cmd, act[k]))
					fail_msg("uid %u: %s succeeded", peer->uid, cmd);
			if (!tenant && strcmp(cmd, "ping"))
				fail_msg("uid %u (nobody): %s succeeded", peer->uid, cmd);
		} else if (code) {
			assert_string_equal(code, "permission_denied");
			assert_non_null(strstr(json_string_value(json_object_get(r, "error")),
					       "permission denied"));
			denied++;
		}
		free(text);
		json_decref(r);
		json_decref(req);
	}
	print_message("uid %u: %d mutations: %d ok, %d permission denied\n", peer->uid,
		      TREE_MUTATIONS, ok, denied);
	assert_true(ok > TREE_MUTATIONS / 50);
	assert_true(denied > TREE_MUTATIONS / 4);
}

static void test_tenant_sees_only_itself(void **state)
{
	const struct ucred alice = { .pid = 1, .uid = 61001, .gid = 61001 };
	const struct ucred nobody = { .pid = 1, .uid = 61999, .gid = 61999 };
	struct tenant *b = registry_by_name(&D.reg, "bob");
	enum tenant_state before = b->state;
	json_t *req, *r;

	(void)state;
	fuzz_as(&alice, true);
	fuzz_as(&nobody, false);
	assert_int_equal(b->state, before);

	/* the plain cases, spelled out */
	req = json_pack("{s:s}", "cmd", "snapshot");
	r = api_dispatch(&D, &alice, req);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_array_size(json_object_get(r, "tenants")), 1);
	json_decref(r);
	r = api_dispatch(&D, &root_peer, req);
	assert_int_equal(json_array_size(json_object_get(r, "tenants")), 2);
	json_decref(r);
	json_decref(req);
	req = json_pack("{s:s, s:s}", "cmd", "throttle", "name", "bob");
	r = api_dispatch(&D, &alice, req);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "code")), "permission_denied");
	json_decref(r);
	json_decref(req);
	req = json_pack("{s:s}", "cmd", "ping");
	r = api_dispatch(&D, &alice, req);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "caller"),
							     "class")), "tenant");
	json_decref(r);
	r = api_dispatch(&D, NULL, req);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "caller"),
							     "class")), "none");
	json_decref(r);
	json_decref(req);
}

/* after all that: still answering, both tenants still there */
static void test_still_sane(void **state)
{
	json_t *req = json_pack("{s:s}", "cmd", "tenants"), *r;

	(void)state;
	r = api_dispatch(&D, &root_peer, req);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_array_size(json_object_get(r, "tenants")), 2);
	assert_non_null(registry_by_name(&D.reg, "alice"));
	assert_non_null(registry_by_name(&D.reg, "bob"));
	json_decref(r);
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seeds_are_valid),
		cmocka_unit_test(test_tree_mutations),
		cmocka_unit_test(test_byte_mutations),
		cmocka_unit_test(test_tenant_sees_only_itself),
		cmocka_unit_test(test_still_sane),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
