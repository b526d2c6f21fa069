// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fuzz_config.c - config_load_string() against thousands of
 * deterministic mutations of docs/quell.conf (issue 2: "unknown keys and
 * bad values: clear error with file:line"; config.h: "never modifies *cfg on
 * failure"). Every mutation must return 0 or -EINVAL; an error must read
 * "fuzz:LINE: message" with LINE inside the text, and leave the caller's
 * struct byte for byte as it was. Run under ASan/UBSan (make test) this also
 * proves no overflow or undefined behaviour on any of them.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "fixture.h"

#define MUTATIONS	4000
#define TEXT_MAX	(256 * 1024)

static char *base;		/* docs/quell.conf with every key uncommented */
static size_t base_len;

/* fx_rnd() (fixture.h): the same mutations on every run and machine */
static uint64_t rng_state;

static size_t rnd_below(size_t n)
{
	return fx_rnd_below(&rng_state, n);
}

/* docs/quell.conf, found from the source tree or the current directory */
static char *read_doc(void)
{
	static const char *const paths[] = {
		"docs/quell.conf", "../docs/quell.conf", "../../docs/quell.conf",
	};
	char *buf = NULL;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && !buf; i++) {
		FILE *f = fopen(paths[i], "r");
		size_t n;

		if (!f)
			continue;
		buf = calloc(1, TEXT_MAX);
		n = buf ? fread(buf, 1, TEXT_MAX - 1, f) : 0;
		if (buf)
			buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/*
 * Uncomment ";key = value" and ";[section]" lines, so the mutations hit
 * real keys; ";;" and prose comments ("; text", "# text") stay.
 */
static char *uncomment(const char *doc)
{
	char *out = calloc(1, strlen(doc) + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = doc; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (p[0] == ';' && (p[1] == '[' || isalpha((unsigned char)p[1]))) {
			p++;
			len--;
		}
		memcpy(o, p, len);
		o += len;
		p += len;
	}
	*o = '\0';
	return out;
}

static int setup(void **state)
{
	char *doc = read_doc();

	(void)state;
	if (!doc) {
		fprintf(stderr, "docs/quell.conf not found (run from the source tree)\n");
		return -1;
	}
	base = uncomment(doc);
	free(doc);
	if (!base)
		return -1;
	base_len = strlen(base);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(base);
	return 0;
}

static const char *const tokens[] = {
	"[", "]", "=", ";", "#", "\n", " ", "\t", "\r\n", ":", ",", "%", "-", ".", "/",
	"[daemon]\n", "[tenants]\n", "[limits]\n", "[policy]\n", "[history]\n", "[events]\n",
	"[metrics]\n", "[tenant:alice]\n", "[tenant:]\n", "[tenant:a/b]\n", "[rule:x]\n",
	"[rule:cpu-hog]\n", "[rule:]\n", "[nosuch]\n", "[", "tick = 0\n", "tick = 1h\n",
	"tick = 99999999999999999999s\n", "max_tenants = 0\n", "max_tenants = 4294967297\n",
	"cpu = 1e308%\n", "cpu = -1%\n", "cpu = nan%\n", "cpu = inf\n", "mem = 16E\n",
	"mem = 99999999999T\n", "mem = 1.5.5G\n", "iops = 18446744073709551616\n",
	"steps = ", "steps = kill, kill, kill, kill, kill, kill, kill, kill, kill\n",
	"steps = cpu=50% for\n", "steps = freeze for 0s\n", "steps = ,,,\n",
	"metric = cpu_pct\n", "metric = nosuch\n", "while = none\n", "above = -5\n",
	"exclude = ,\n", "exclude = root,,nobody\n", "exclude = -x\n", "socket_mode = 99999\n",
	"socket_mode = 0o777\n", "socket = relative\n", "log_level = loud\n", "bpf = maybe\n",
	"mode = cgroups\n", "parent = ../..\n", "managed = /abs\n", "managed = a/../b\n",
	"throttle_limits = cpu=\n", "throttle_limits = nosuch=1\n", "saturation = 2\n",
	"unlimited", "max", "none", "yes", "no", "0", "-1", "18446744073709551615", "1e-400",
	"0x10", "010", "1s1s", "1h30m", "250%", "=\n", "\"quoted\"", "'q'", "\\", "\xff\xfe",
	"\xc3\xa9", "\x01", "\x7f",
};

/* one random edit of buf (NUL-terminated, at most TEXT_MAX - 1 bytes) */
static void mutate_once(char *buf)
{
	size_t len = strlen(buf), pos = rnd_below(len + 1), n;
	const char *tok;
	char tmp[512];

	switch (rnd_below(9)) {
	case 0:		/* flip a byte to any non-NUL value */
		if (len)
			buf[rnd_below(len)] = (char)(1 + rnd_below(255));
		break;
	case 1:		/* delete a range */
		n = rnd_below(64);
		if (pos + n > len)
			n = len - pos;
		memmove(buf + pos, buf + pos + n, len - pos - n + 1);
		break;
	case 2:		/* insert a token */
	case 3:
		tok = tokens[rnd_below(sizeof(tokens) / sizeof(tokens[0]))];
		n = strlen(tok);
		if (len + n >= TEXT_MAX)
			break;
		memmove(buf + pos + n, buf + pos, len - pos + 1);
		memcpy(buf + pos, tok, n);
		break;
	case 4:		/* duplicate a line somewhere else (duplicate keys, sections) */
	{
		char *ls = buf + pos, *le;

		while (ls > buf && ls[-1] != '\n')
			ls--;
		le = strchr(ls, '\n');
		n = le ? (size_t)(le - ls + 1) : strlen(ls);
		if (n >= sizeof(tmp) || len + n >= TEXT_MAX)
			break;
		memcpy(tmp, ls, n);
		pos = rnd_below(len + 1);
		memmove(buf + pos + n, buf + pos, len - pos + 1);
		memcpy(buf + pos, tmp, n);
		break;
	}
	case 5:		/* truncate */
		buf[pos] = '\0';
		break;
	case 6:		/* a very long run of one character (long lines, long values) */
		n = 200 + rnd_below(9000);
		if (len + n >= TEXT_MAX)
			break;
		memmove(buf + pos + n, buf + pos, len - pos + 1);
		memset(buf + pos, "a9%=[ ;,"[rnd_below(8)], n);
		break;
	case 7:		/* a random printable ASCII string */
		n = 1 + rnd_below(16);
		if (len + n >= TEXT_MAX)
			break;
		memmove(buf + pos + n, buf + pos, len - pos + 1);
		for (size_t i = 0; i < n; i++)
			buf[pos + i] = (char)(' ' + rnd_below(95));
		break;
	default:	/* swap a digit for another number */
		for (size_t i = pos; i < len; i++) {
			if (isdigit((unsigned char)buf[i])) {
				buf[i] = (char)('0' + rnd_below(10));
				break;
			}
		}
		break;
	}
}

static int count_lines(const char *s)
{
	int n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* "fuzz:LINE: text" with 1 <= LINE <= lines; returns LINE or -1 */
static int err_line(const char *err, int lines)
{
	char *end;
	long line;

	if (strncmp(err, "fuzz:", 5))
		return -1;
	line = strtol(err + 5, &end, 10);
	if (end == err + 5 || end[0] != ':' || end[1] != ' ' || !end[2])
		return -1;
	return line >= 1 && line <= lines ? (int)line : -1;
}

/* The uncommented sample is itself valid: docs and parser agree. */
static void test_doc_sample_is_valid(void **state)
{
	struct quell_config *cfg = malloc(sizeof(*cfg));
	char err[512] = "";

	(void)state;
	assert_non_null(cfg);
	assert_true(base_len > 1000);
	if (config_load_string(base, "fuzz", cfg, err, sizeof(err)))
		fail_msg("uncommented docs/quell.conf refused: %s", err);
	/* a few values from the sample really landed */
	assert_int_equal(cfg->tick_ms, 1000);
	assert_int_equal(cfg->max_tenants, 16384);
	assert_true(cfg->nr_overrides >= 1);
	assert_string_equal(cfg->overrides[0].name, "alice");
	config_free(cfg);
	free(cfg);
}

static void test_mutations(void **state)
{
	struct quell_config *cfg = malloc(sizeof(*cfg)), *snap = malloc(sizeof(*snap));
	char *buf = malloc(TEXT_MAX), err[1024];
	int ok = 0, einval = 0;

	(void)state;
	assert_non_null(cfg);
	assert_non_null(snap);
	assert_non_null(buf);
	rng_state = 0x9E3779B97F4A7C15ULL;
	for (int i = 0; i < MUTATIONS; i++) {
		int edits = 1 + (int)rnd_below(i % 4 == 3 ? 40 : 4), ret;

		memcpy(buf, base, base_len + 1);
		for (int e = 0; e < edits; e++)
			mutate_once(buf);
		/* the caller's struct: a pattern no successful load leaves behind */
		memset(cfg, 0x5a, sizeof(*cfg));
		memcpy(snap, cfg, sizeof(*cfg));
		err[0] = '\0';
		ret = config_load_string(buf, "fuzz", cfg, err, sizeof(err));
		if (ret == 0) {
			ok++;
			/* a few invariants of any accepted configuration */
			if (cfg->tick_ms < 100 || cfg->tick_ms > 60000 || cfg->min_uid > cfg->max_uid ||
			    cfg->nr_overrides < 0 || cfg->nr_overrides > QUELL_MAX_OVERRIDES ||
			    cfg->nr_exclude < 0 || cfg->nr_exclude > QUELL_MAX_EXCLUDE)
				fail_msg("mutation %d accepted with tick %llu, uids %u..%u, %d overrides, "
					 "%d excludes:\n%s", i, (unsigned long long)cfg->tick_ms,
					 cfg->min_uid, cfg->max_uid, cfg->nr_overrides,
					 cfg->nr_exclude, buf);
			config_free(cfg);
			continue;
		}
		if (ret != -EINVAL)
			fail_msg("mutation %d: returned %d (%s), not 0 or -EINVAL", i, ret, err);
		einval++;
		if (err_line(err, count_lines(buf)) < 0)
			fail_msg("mutation %d: error without \"fuzz:LINE: \": \"%s\"", i, err);
		if (memcmp(cfg, snap, sizeof(*cfg)))
			fail_msg("mutation %d: cfg modified on error (%s)", i, err);
	}
	print_message("%d mutations: %d accepted, %d refused with file:line\n", MUTATIONS, ok,
		      einval);
	/* the mutator must really produce both kinds, or it tests nothing */
	assert_true(ok > MUTATIONS / 50);
	assert_true(einval > MUTATIONS / 2);
	free(buf);
	free(snap);
	free(cfg);
}

/* hand-picked nasties: each must be refused with the right line */
static void test_nasty_lines(void **state)
{
	static const struct {
		const char *text;
		int line;
	} cases[] = {
		{ "[daemon]\ntick = 99999999999999999999999s\n", 2 },
		{ "[daemon]\nmax_tenants = 4294967297\n", 2 },
		{ "[limits]\ncpu = nan%\n", 2 },
		{ "[limits]\ncpu = -1%\n", 2 },
		{ "[limits]\nmem = 1e400\n", 2 },
		{ "\n\n[tenant:a/b]\ncpu = 10%\n", 3 },
		{ "[tenant:alice]\n[tenant:alice]\n", 2 },
		{ "[tenants]\nmanaged = ../escape\n", 2 },
		{ "[tenants]\nexclude = nobody, x:y\n", 2 },
		{ "[daemon]\nsocket = relative/path\n", 2 },
		{ "[rule:x]\nsteps = cpu=50% for\n", 2 },
		{ "key_before_section = 1\n", 1 },
		{ "[daemon\n", 1 },
		{ "[daemon]\ntick\n", 2 },
	};
	struct quell_config *cfg = malloc(sizeof(*cfg)), *snap = malloc(sizeof(*snap));
	char err[512];

	(void)state;
	assert_non_null(cfg);
	assert_non_null(snap);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret;

		memset(cfg, 0x33, sizeof(*cfg));
		memcpy(snap, cfg, sizeof(*cfg));
		err[0] = '\0';
		ret = config_load_string(cases[i].text, "fuzz", cfg, err, sizeof(err));
		if (ret != -EINVAL)
			fail_msg("case %zu accepted (%d): %s", i, ret, cases[i].text);
		if (err_line(err, 100) != cases[i].line)
			fail_msg("case %zu: want line %d, got \"%s\"", i, cases[i].line, err);
		assert_memory_equal(cfg, snap, sizeof(*cfg));
	}
	free(snap);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_sample_is_valid),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_nasty_lines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
