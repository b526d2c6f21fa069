// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_web.c - the pure parts of the web view (src/quelld/web.c): SHA-256 and
 * HMAC-SHA256 against published vectors (FIPS 180-2, RFC 4231), the link
 * credential of the customer view (a tenant's link names that tenant and no
 * other; edited, expired or foreign links are refused), how an /api/ query
 * becomes a socket request, and the HTTP status of a reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_sha256(void **state)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		/* two blocks: the padding crosses a block boundary */
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	uint8_t md[WEB_SHA256_LEN];
	char h[2 * WEB_SHA256_LEN + 1];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		web_sha256(v[i].in, strlen(v[i].in), md);
		hex(md, sizeof(md), h);
		assert_string_equal(h, v[i].want);
	}
}

static void test_hmac_rfc4231(void **state)
{
	uint8_t k1[20], k6[131], md[WEB_SHA256_LEN];
	char h[2 * WEB_SHA256_LEN + 1];
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";

	memset(k1, 0x0b, sizeof(k1));
	web_hmac_sha256(k1, sizeof(k1), "Hi There", 8, md);
	hex(md, sizeof(md), h);
	assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	web_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, md);
	hex(md, sizeof(md), h);
	assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	/* a key longer than a block is hashed first */
	memset(k6, 0xaa, sizeof(k6));
	web_hmac_sha256(k6, sizeof(k6), m6, strlen(m6), md);
	hex(md, sizeof(md), h);
	assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static const uint8_t key[WEB_SECRET_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t other_key[WEB_SECRET_LEN] = "fedcba9876543210fedcba987654321";

static void test_link_roundtrip(void **state)
{
	static const char *const names[] = { "alice", "a.b.c", "www-data_2", "x" };
	char cred[WEB_CRED_MAX], t[QUELL_NAME_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(web_link_sign(key, sizeof(key), names[i], 2000000000, cred,
					       sizeof(cred)), 0);
		memset(t, 'z', sizeof(t));
		assert_int_equal(web_link_verify(key, sizeof(key), cred, 1900000000, t, sizeof(t)), 0);
		assert_string_equal(t, names[i]);
	}
}

static void test_link_refusals(void **state)
{
	char cred[WEB_CRED_MAX], bad[WEB_CRED_MAX + 16], t[QUELL_NAME_MAX] = "";
	const char *mac;

	assert_int_equal(web_link_sign(key, sizeof(key), "alice", 2000000000, cred, sizeof(cred)), 0);
	mac = strrchr(cred, '.') + 1;

	/* alice's MAC under bob's name: the page must never show bob to alice */
	snprintf(bad, sizeof(bad), "v1.bob.2000000000.%s", mac);
	assert_int_equal(web_link_verify(key, sizeof(key), bad, 1900000000, t, sizeof(t)), -EACCES);
	assert_string_equal(t, "");
	/* a longer life by editing the expiry */
	snprintf(bad, sizeof(bad), "v1.alice.2100000000.%s", mac);
	assert_int_equal(web_link_verify(key, sizeof(key), bad, 1900000000, t, sizeof(t)), -EACCES);
	/* another server's secret */
	assert_int_equal(web_link_verify(other_key, sizeof(other_key), cred, 1900000000, t,
					 sizeof(t)), -EACCES);
	/* one flipped MAC digit */
	snprintf(bad, sizeof(bad), "%s", cred);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(web_link_verify(key, sizeof(key), bad, 1900000000, t, sizeof(t)), -EACCES);
	/* expired: at and after the expiry */
	assert_int_equal(web_link_verify(key, sizeof(key), cred, 2000000000, t, sizeof(t)),
			 -EKEYEXPIRED);
	assert_string_equal(t, "");
	/* not credentials at all */
#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
	static const char *const junk[] = {
		"", "v1.", "v1..1.", "alice", "v2.alice.2000000000.00",
		"v1.alice.2000000000", "v1.alice.." Z64, "v1.alice.12x4." Z64,
		"v1.../etc.2000000000." Z64, "v1.alice.99999999999999999999999." Z64,
	};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(web_link_verify(key, sizeof(key), junk[i], 0, t, sizeof(t)), -EINVAL);
	assert_int_equal(web_link_verify(key, sizeof(key), NULL, 0, t, sizeof(t)), -EINVAL);
	/* what cannot be signed */
	assert_int_equal(web_link_sign(key, sizeof(key), "../etc", 2000000000, cred, sizeof(cred)),
			 -EINVAL);
	assert_int_equal(web_link_sign(key, sizeof(key), "alice", 0, cred, sizeof(cred)), -EINVAL);
	assert_int_equal(web_link_sign(key, sizeof(key), "alice", 2000000000, cred, 20), -ENOSPC);
}

static void test_request_build(void **state)
{
	const char *k[] = { "tenant", "limit", "cmd", "max", "since" };
	const char *v[] = { "alice", "15", "kill", "true", "-1h" };
	json_t *r;
	char *s;

	r = web_request_build("events", k, v, 5);
	assert_non_null(r);
	s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	/* "cmd" from the query cannot replace the path's command */
	assert_string_equal(s, "{\"cmd\":\"events\",\"limit\":15,\"max\":true,\"since\":\"-1h\","
			    "\"tenant\":\"alice\"}");
	free(s);
	json_decref(r);

	/* the web view is read-only: acting commands are not forwarded at all */
	static const char *const no[] = { "throttle", "release", "freeze", "kill", "set", "place",
					  "where", "web_link", "", "EVENTS" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_false(web_cmd_allowed(no[i]));
		assert_null(web_request_build(no[i], k, v, 0));
	}
	assert_false(web_cmd_allowed(NULL));
	assert_true(web_cmd_allowed("snapshot"));
}

static void test_http_status(void **state)
{
	json_t *ok = json_pack("{s:b}", "ok", 1);
	json_t *denied = json_pack("{s:b,s:s,s:s}", "ok", 0, "error", "permission denied: x",
				   "code", "permission_denied");
	json_t *unknown = json_pack("{s:b,s:s}", "ok", 0, "error", "unknown command \"x\"");
	json_t *other = json_pack("{s:b,s:s}", "ok", 0, "error", "no tenant \"x\"");

	assert_int_equal(web_http_status(ok), 200);
	assert_int_equal(web_http_status(denied), 403);
	assert_int_equal(web_http_status(unknown), 404);
	assert_int_equal(web_http_status(other), 400);
	assert_int_equal(web_http_status(NULL), 400);
	json_decref(ok);
	json_decref(denied);
	json_decref(unknown);
	json_decref(other);

	assert_int_equal(web_range_seconds("1h"), 3600);
	assert_int_equal(web_range_seconds("1d"), 86400);
	assert_int_equal(web_range_seconds("30d"), 30 * 86400);
	assert_int_equal(web_range_seconds("2h"), 0);
	assert_int_equal(web_range_seconds(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_link_roundtrip),
		cmocka_unit_test(test_link_refusals),
		cmocka_unit_test(test_request_build),
		cmocka_unit_test(test_http_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
