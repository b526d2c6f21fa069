// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_lve.c - CloudLinux ve.cfg -> quell.conf (src/quellctl/lve.c) and
 * `quellctl import-lve`. The sample files are written from the public
 * format (CloudLinux documentation, "Controlling LVE limits": pmem/mem in
 * 4 KiB pages, io in KB/s, cpu as the old % of the server or as SPEED). Every
 * rendered file is loaded back with config_load_string(), so the test checks
 * what quelld would enforce, not only the text.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "../../src/quellctl/ctl.h"
#include "lve.h"

/* The example of CloudLinux's documentation, with one more user. */
static const char ve_doc[] =
	"<?xml version=\"1.0\" ?>\n"
	"<lveconfig>\n"
	" <defaults>\n"
	"         <cpu limit=\"25\"/>\n"
	"         <ncpu limit=\"1\"/>\n"
	"         <io limit=\"1024\"/>\n"
	"         <mem limit=\"262144\"/>\n"
	"         <other maxentryprocs=\"200\"/>\n"
	"         <pmem limit=\"262144\"/>\n"
	"         <nproc limit=\"0\"/>\n"
	" </defaults>\n"
	" <lve id=\"532\">\n"
	"         <cpu limit=\"30\"/>\n"
	"         <ncpu limit=\"5\"/>\n"
	" </lve>\n"
	" <lve id=\"533\">\n"
	"         <ncpu limit=\"2\"/>\n"
	" </lve>\n"
	"</lveconfig>\n";

/* lve-utils 1.4+: SPEED, IOPS, packages, a comment, an element quell ignores. */
static const char ve_speed[] =
	"<?xml version='1.0' encoding='UTF-8'?>\n"
	"<!-- written by lvectl -->\n"
	"<lveconfig>\n"
	"\t<defaults>\n"
	"\t\t<cpu limit=\"100%\"/>\n"
	"\t\t<pmem limit=\"131072\"/>\n"
	"\t\t<io limit=\"4096\"/>\n"
	"\t\t<iops limit=\"1024\"/>\n"
	"\t\t<nproc limit=\"100\"/>\n"
	"\t\t<other maxentryprocs=\"20\"/>\n"
	"\t</defaults>\n"
	"\t<reseller id=\"r1\"><defaults><cpu limit=\"50%\"/></defaults></reseller>\n"
	"\t<package id=\"Gold &amp; &#233;t&#xe9;\">\n"
	"\t\t<cpu limit=\"200%\"/>\n"
	"\t\t<pmem limit=\"262144\"/>\n"
	"\t</package>\n"
	"\t<lve id=\"1001\">\n"
	"\t\t<cpu limit=\"2ghz\"/>\n"
	"\t\t<pmem limit=\"0\"/>\n"
	"\t\t<iops limit=\"0\"/>\n"
	"\t\t<mem limit=\"0\"/>\n"
	"\t</lve>\n"
	"\t<lve id=\"1002\"><cpu limit='150%'/><io limit=\"512\"/></lve>\n"
	"\t<lve id=\"7777\"><nproc limit=\"50\"/></lve>\n"
	"\t<lve id=\"0\"><cpu limit=\"10%\"/></lve>\n"
	"</lveconfig>\n";

static int fake_names(uint32_t uid, char *buf, size_t len, void *arg)
{
	static const struct { uint32_t uid; const char *name; } users[] = {
		{ 532, "site532" }, { 533, "site533" }, { 1001, "alice" }, { 1002, "bob" },
	};

	(*(int *)arg)++;
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		if (users[i].uid == uid) {
			snprintf(buf, len, "%s", users[i].name);
			return 0;
		}
	}
	return -ENOENT;
}

/* Render c into a malloc()ed string. */
static char *render(const struct lve_cfg *c, struct lve_render_opts *o)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(lve_render(f, c, o), 0);
	fclose(f);
	return out;
}

static void load(const char *text, struct quell_config *cfg)
{
	char err[256] = "";
	int ret = config_load_string(text, "import-lve", cfg, err, sizeof(err));

	if (ret)
		fail_msg("rendered file refused: %s\n%s", err, text);
}

static const struct tenant_override *override(const struct quell_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nr_overrides; i++)
		if (!strcmp(cfg->overrides[i].name, name))
			return &cfg->overrides[i];
	return NULL;
}

static void test_doc_example_parsed(void **state)
{
	struct lve_cfg c;
	char err[256];

	assert_int_equal(lve_parse(ve_doc, strlen(ve_doc), &c, err, sizeof(err)), 0);
	assert_true(c.has_defaults);
	assert_int_equal(c.defaults_line, 3);
	assert_int_equal(c.defaults.cpu_unit, LVE_CPU_LEGACY);
	assert_true(c.defaults.cpu == 25);
	assert_int_equal(c.defaults.v[LVE_NCPU], 1);
	assert_int_equal(c.defaults.v[LVE_IO], 1024);
	assert_int_equal(c.defaults.v[LVE_VMEM], 262144);
	assert_int_equal(c.defaults.v[LVE_PMEM], 262144);
	assert_int_equal(c.defaults.v[LVE_EP], 200);
	assert_int_equal(c.defaults.v[LVE_NPROC], 0);
	assert_int_equal(c.defaults.line[LVE_PMEM], 9);
	assert_false(c.defaults.set & (1u << LVE_IOPS));
	assert_int_equal(c.nent, 2);
	assert_int_equal(c.ent[0].kind, LVE_KIND_ID);
	assert_int_equal(c.ent[0].id, 532);
	assert_int_equal(c.ent[0].line, 12);
	assert_true(c.ent[0].lim.cpu == 30);
	assert_int_equal(c.ent[0].lim.v[LVE_NCPU], 5);
	assert_int_equal(c.ent[0].lim.set, (1u << LVE_CPU) | (1u << LVE_NCPU));
	assert_int_equal(c.nnotes, 0);
	lve_free(&c);
}

/* The old CPU limit is a share of the server: 25% of 4 cores = one core. */
static void test_doc_example_rendered(void **state)
{
	struct lve_render_opts o = { .source = "ve.cfg", .cpus = 4, .uid_name = fake_names };
	const struct tenant_override *t;
	struct quell_config cfg;
	struct tenant_limits eff;
	struct lve_cfg c;
	char err[256], *out;
	int calls = 0;

	o.arg = &calls;
	assert_int_equal(lve_parse(ve_doc, strlen(ve_doc), &c, err, sizeof(err)), 0);
	out = render(&c, &o);
	assert_int_equal(calls, 2);
	assert_non_null(strstr(out, "\n[limits]\n"));
	assert_non_null(strstr(out, "\ncpu = 100%\n"));
	assert_non_null(strstr(out, "\nmem = 1G\n"));
	assert_non_null(strstr(out, "\nio = 1M\n"));
	assert_non_null(strstr(out, "\nnproc = unlimited\n"));
	/* what has no equivalent is named, with a reason */
	assert_non_null(strstr(out, "# VMEM 262144 pages = 1G: not imported: no equivalent"));
	assert_non_null(strstr(out, "# EP 200 (maxentryprocs): not imported: no equivalent"));
	assert_non_null(strstr(out, "\n[tenant:site532]\n# LVE id 532, line 12\n"));

	config_defaults(&cfg);
	load(out, &cfg);
	assert_true(cfg.limits.cpu_pct == 100);
	assert_true(cfg.limits.mem_max == 1ULL << 30);
	assert_true(cfg.limits.io_rbps == 1ULL << 20 && cfg.limits.io_wbps == 1ULL << 20);
	assert_true(cfg.limits.nproc == CG_UNLIMITED);
	assert_false(cfg.limits.set & LIM_MEM_HIGH);
	assert_int_equal(cfg.nr_overrides, 2);
	/* 30% of 4 cores = 120%; NCPU 5 (500%) is not lower */
	t = override(&cfg, "site532");
	assert_non_null(t);
	assert_true(t->lim.cpu_pct == 120);
	assert_int_equal(t->lim.set, LIM_CPU);
	/* NCPU 2 alone, with the defaults' CPU 25%: min(100%, 200%) */
	t = override(&cfg, "site533");
	assert_non_null(t);
	assert_true(t->lim.cpu_pct == 100);
	config_tenant_limits(&cfg, "site532", &eff);
	assert_true(eff.mem_max == 1ULL << 30);
	config_free(&cfg);
	free(out);

	/* on a 16-core server, NCPU 1 is the smaller: 25% of 16 = 400% > 100% */
	o.cpus = 16;
	out = render(&c, &o);
	assert_non_null(strstr(out, "CPU 25% of 16 cores, capped by NCPU 1 cores = 100% of one core\ncpu = 100%\n"));
	assert_non_null(strstr(out, "[tenant:site533]\n# LVE id 533, line 16\n# CPU 25% of 16 cores, capped by NCPU 2 cores = 200%"));
	free(out);

	/* core count unknown: the old CPU limit is not guessed */
	o.cpus = 0;
	out = render(&c, &o);
	assert_null(strstr(out, "\ncpu ="));
	assert_non_null(strstr(out, "# CPU 25% of the server: not imported: give the LVE server's core count (--cpus N)"));
	free(out);
	lve_free(&c);
}

static void test_speed_packages_and_users(void **state)
{
	struct lve_render_opts o = { .cpus = 2, .uid_name = fake_names };
	const struct tenant_override *t;
	struct quell_config cfg;
	struct lve_cfg c;
	char err[256], *out;
	int calls = 0;

	o.arg = &calls;
	assert_int_equal(lve_parse(ve_speed, strlen(ve_speed), &c, err, sizeof(err)), 0);
	assert_int_equal(c.defaults.cpu_unit, LVE_CPU_PCT);
	assert_int_equal(c.nent, 5);
	assert_int_equal(c.ent[0].kind, LVE_KIND_PACKAGE);
	assert_string_equal(c.ent[0].pkg, "Gold & \xc3\xa9t\xc3\xa9");
	assert_int_equal(c.ent[1].lim.cpu_unit, LVE_CPU_HZ);
	assert_true(c.ent[1].lim.cpu == 2e9);
	/* <reseller> is skipped with its subtree, and said so */
	assert_int_equal(c.nnotes, 1);
	assert_int_equal(c.notes[0].line, 12);
	assert_true(c.defaults.cpu == 100);

	out = render(&c, &o);
	assert_non_null(strstr(out, "# line 12: <reseller> ignored with everything in it (its <defaults> and <lve>): quell has no equivalent\n"));
	assert_non_null(strstr(out, "[limits]\n# LVE <defaults>, line 4\n# SPEED 100% of one core\ncpu = 100%\n"));
	assert_non_null(strstr(out, "\nmem = 512M\n"));
	assert_non_null(strstr(out, "\nio = 4M\n"));
	assert_non_null(strstr(out, "\niops = 1024\n"));
	assert_non_null(strstr(out, "\nnproc = 100\n"));
	/* SPEED in Hz without the core clock: named, not guessed */
	assert_non_null(strstr(out, "# SPEED 2000 MHz: not imported"));
	/* the unknown uid and root are comments; so is the package */
	assert_non_null(strstr(out, "no user has uid 7777 on this host"));
	assert_non_null(strstr(out, "# [tenant:uid7777]\n# NPROC 50 (processes and threads in both)\n# nproc = 50\n"));
	assert_non_null(strstr(out, "# [tenant:root]\n"));
	assert_non_null(strstr(out, "# LVE package \"Gold & \xc3\xa9t\xc3\xa9\", line 13: not imported: quell has no packages"));
	assert_non_null(strstr(out, "\n# cpu = 200%\n"));
	assert_non_null(strstr(out, "\n# 2 tenant sections, [limits], 1 package as comments.\n"));

	config_defaults(&cfg);
	load(out, &cfg);
	assert_int_equal(cfg.nr_overrides, 2);	/* alice and bob; not uid 7777, root, the package */
	t = override(&cfg, "alice");
	assert_non_null(t);
	/* 0 in LVE is unlimited: it overrides the defaults' limit */
	assert_true(t->lim.mem_max == CG_UNLIMITED && (t->lim.set & LIM_MEM_MAX));
	assert_true(t->lim.io_riops == CG_UNLIMITED && (t->lim.set & LIM_IO_RIOPS));
	assert_false(t->lim.set & LIM_CPU);
	t = override(&cfg, "bob");
	assert_non_null(t);
	assert_true(t->lim.cpu_pct == 150);
	assert_true(t->lim.io_rbps == 512 * 1024);
	config_free(&cfg);
	free(out);

	/* with the core clock, Hz become % of a core: 2 GHz on 2.5 GHz cores = 80% */
	o.core_mhz = 2500;
	out = render(&c, &o);
	assert_non_null(strstr(out, "# SPEED 2000 MHz on 2500 MHz cores = 80% of one core\ncpu = 80%\n"));
	config_defaults(&cfg);
	load(out, &cfg);
	t = override(&cfg, "alice");
	assert_non_null(t);
	assert_true(t->lim.cpu_pct == 80);
	config_free(&cfg);
	free(out);
	lve_free(&c);
}

/* Bad input: a clear error with the line, never a partial guess. */
static void test_bad_input(void **state)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "", "line 1: no <lveconfig> element" },
		{ "<?xml version=\"1.0\"?>\n<config/>\n", "line 2: <config>: not an LVE limits file" },
		{ "<lveconfig>\n<defaults>\n<cpu limit=\"fast\"/>\n</defaults>\n</lveconfig>",
		  "line 3: <cpu limit=\"fast\"> in <defaults>: expected SPEED as 100% or 2ghz" },
		{ "<lveconfig>\n<lve id=\"5\">\n<pmem limit=\"-1\"/>\n</lve>\n</lveconfig>",
		  "line 3: <pmem limit=\"-1\"> in <lve id=\"5\">: expected a whole number of 4 KiB pages" },
		{ "<lveconfig><lve id=\"5\"><io limit=\"99999999999999999999\"/></lve></lveconfig>",
		  "line 1: <io limit=\"99999999999999999999\"> in <lve id=\"5\">: out of range" },
		{ "<lveconfig>\n<lve id=\"bob\"/>\n</lveconfig>", "line 2: <lve id=\"bob\">: the id must be a uid" },
		{ "<lveconfig>\n<lve>\n</lve>\n</lveconfig>", "line 2: <lve> without id" },
		{ "<lveconfig>\n<lve id=\"5\"/>\n<lve id=\"5\"/>\n</lveconfig>",
		  "line 3: <lve id=\"5\"> given twice (first at line 2)" },
		{ "<lveconfig>\n<defaults/>\n<defaults/>\n</lveconfig>", "line 3: <defaults> given twice" },
		{ "<lveconfig>\n<package id=\"a\"/>\n<lve id=\"9\"/>\n<package id=\"a\"/>\n<lve id=\"8\"/>\n</lveconfig>",
		  "line 4: <package id=\"a\"> given twice (first at line 2)" },
		{ "<lveconfig>\n<lve id=\"7\"/>\n<lve id=\"9\"/>\n<lve id=\"8\"/>\n<lve id=\"9\"/>\n</lveconfig>",
		  "line 5: <lve id=\"9\"> given twice (first at line 3)" },
		{ "<lveconfig>\n<defaults>\n<nproc limit=\"1\"/>\n<nproc limit=\"2\"/>\n</defaults></lveconfig>",
		  "line 4: <nproc> given twice in <defaults> (first at line 3)" },
		{ "<lveconfig>\n<defaults>\n</lve>\n</lveconfig>", "line 3: </lve> closes <defaults> opened at line 2" },
		{ "<lveconfig>\n<defaults>\n", "<defaults> opened at line 2 is never closed" },
		{ "<lveconfig>\n<defaults>\n<cpu limit=\"5\"\n", "line 3: <cpu> is never closed" },
		{ "<lveconfig>\n<defaults><cpu limit=5/></defaults></lveconfig>",
		  "line 2: attribute limit: value must be quoted" },
		{ "<lveconfig>\n<defaults><cpu limit=\"5&nbsp;\"/></defaults></lveconfig>",
		  "line 2: attribute limit: unknown entity" },
		{ "<lveconfig>\n<defaults><cpu/></defaults></lveconfig>", "line 2: <cpu> in <defaults> has no limit=" },
		{ "<lveconfig>\n<defaults>\n<cpu limit=\"1\"><x/></cpu></defaults></lveconfig>",
		  "line 3: <x> nested in <cpu>" },
		{ "<lveconfig>\n  100\n</lveconfig>", "line 2: unexpected text \"100\"" },
		{ "<lveconfig/>\n<lveconfig/>", "line 2: <lveconfig> after </lveconfig>" },
		{ "<lveconfig>\n<!-- never closed\n</lveconfig>", "line 2: comment is never closed" },
		{ "<lveconfig><defaults><cpu limit=\"2.5\"/></defaults></lveconfig>", "expected SPEED" },
		{ "<lveconfig><defaults><cpu limit=\"2furlongs\"/></defaults></lveconfig>", "expected SPEED" },
	};
	struct lve_cfg c;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 0, sizeof(err));
		assert_int_equal(lve_parse(bad[i].text, strlen(bad[i].text), &c, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, bad[i].err))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, bad[i].err);
		lve_free(&c);
	}
}

/* The buffer is not a C string: nothing past len is read. */
static void test_length_bounded(void **state)
{
	static const char text[] = "<lveconfig><defaults><nproc limit=\"40\"/></defaults></lveconfig>GARBAGE<";
	size_t len = strlen(text) - strlen("GARBAGE<");
	char *buf = malloc(len), err[256];
	struct lve_cfg c;

	assert_non_null(buf);
	memcpy(buf, text, len);		/* no NUL: ASan catches a read past it */
	assert_int_equal(lve_parse(buf, len, &c, err, sizeof(err)), 0);
	assert_int_equal(c.defaults.v[LVE_NPROC], 40);
	lve_free(&c);
	assert_int_equal(lve_parse(buf, len - 1, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "</lveconfig> is never closed"));
	lve_free(&c);
	free(buf);
}

/* A package name cannot end its comment line and inject a key. */
static void test_package_name_cannot_inject(void **state)
{
	static const char text[] =
		"<lveconfig><package id=\"p&#10;[tenant:evil]&#10;cpu = 1%\"><cpu limit=\"5%\"/>"
		"</package></lveconfig>";
	struct lve_render_opts o = { .cpus = 1 };
	struct quell_config cfg;
	struct lve_cfg c;
	char err[256], *out;

	assert_int_equal(lve_parse(text, strlen(text), &c, err, sizeof(err)), 0);
	out = render(&c, &o);
	assert_null(strstr(out, "\n[tenant:evil]"));
	config_defaults(&cfg);
	load(out, &cfg);
	assert_int_equal(cfg.nr_overrides, 0);
	assert_false(cfg.limits.set & LIM_CPU);
	config_free(&cfg);
	free(out);
	lve_free(&c);
}

/* xorshift64*: the same mutations on every run and machine */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/*
 * 4,000 deterministic mutations of a sample (bytes flipped, dropped, XML
 * punctuation inserted): the parser returns 0 or -EINVAL with "line N:"
 * inside the text, never crashes (ASan/UBSan in make test), and whatever
 * it accepts renders into a file quelld accepts.
 */
static void test_fuzz(void **state)
{
	static const char ins[] = "<>/\"'&;=#%0123456789 \n\t\x00\xff";
	size_t blen = strlen(ve_speed), lines = 0;
	struct lve_render_opts o = { .cpus = 4, .core_mhz = 3000, .uid_name = fake_names };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char *buf = malloc(blen + 64), err[256];
	int calls = 0, accepted = 0;

	assert_non_null(buf);
	o.arg = &calls;
	for (size_t i = 0; i < blen; i++)
		lines += ve_speed[i] == '\n';
	for (int m = 0; m < 4000; m++) {
		size_t len = blen;
		struct lve_cfg c;
		int ret, k = 1 + (int)(rnd(&seed) % 4);

		memcpy(buf, ve_speed, blen);
		while (k--) {
			size_t at = (size_t)(rnd(&seed) % len);

			switch (rnd(&seed) % 3) {
			case 0:
				buf[at] = (char)(rnd(&seed) & 0xff);
				break;
			case 1:
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			default:
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = ins[rnd(&seed) % (sizeof(ins) - 1)];
				len++;
			}
		}
		memset(err, 0, sizeof(err));
		ret = lve_parse(buf, len, &c, err, sizeof(err));
		if (ret == 0) {
			struct quell_config cfg;
			char *out = render(&c, &o);

			config_defaults(&cfg);
			load(out, &cfg);
			config_free(&cfg);
			free(out);
			accepted++;
		} else {
			int line = 0;

			assert_int_equal(ret, -EINVAL);
			if (sscanf(err, "line %d: ", &line) != 1 || line < 1 || (size_t)line > lines + 6)
				fail_msg("mutation %d: bad error \"%s\"", m, err);
		}
		lve_free(&c);
	}
	print_message("fuzz: %d of 4000 mutations accepted, all rendered and loaded\n", accepted);
	/* the mutations must reach both sides */
	assert_true(accepted > 100 && accepted < 3900);
	free(buf);
}

struct run {
	int rc;
	char *out, *err;
	size_t outlen, errlen;
};

static void run_ctl(struct run *r, int argc, char **argv)
{
	struct ctl_ctx c;

	ctl_ctx_init(&c);
	c.sock_path = "/nonexistent/quell.sock";	/* import-lve needs no daemon */
	c.out = open_memstream(&r->out, &r->outlen);
	c.err = open_memstream(&r->err, &r->errlen);
	r->rc = ctl_main(&c, argc, argv);
	fclose(c.out);
	fclose(c.err);
	ctl_ctx_close(&c);
}

static void test_ctl_import_lve(void **state)
{
	char path[] = "/tmp/test_lve.XXXXXX";
	int fd = mkstemp(path);
	struct run r = { 0 };

	assert_true(fd >= 0);
	assert_int_equal(write(fd, ve_doc, strlen(ve_doc)), (ssize_t)strlen(ve_doc));
	close(fd);

	char *ok[] = { "quellctl", "import-lve", "--cpus", "8", path, NULL };
	run_ctl(&r, 5, ok);
	assert_int_equal(r.rc, CTL_EXIT_OK);
	assert_non_null(strstr(r.out, "CPU 25% of 8 cores, capped by NCPU 1 cores = 100% of one core\ncpu = 100%\n"));
	assert_non_null(strstr(r.out, path));
	assert_int_equal(r.errlen, 0);
	free(r.out);
	free(r.err);

	char *json[] = { "quellctl", "--json", "import-lve", path, NULL };
	run_ctl(&r, 4, json);
	assert_int_equal(r.rc, CTL_EXIT_USAGE);
	assert_non_null(strstr(r.err, "no --json form"));
	free(r.out);
	free(r.err);

	char *badcpus[] = { "quellctl", "import-lve", "--cpus", "0", path, NULL };
	run_ctl(&r, 5, badcpus);
	assert_int_equal(r.rc, CTL_EXIT_USAGE);
	assert_non_null(strstr(r.err, "--cpus \"0\""));
	free(r.out);
	free(r.err);

	char *nofile[] = { "quellctl", "import-lve", NULL };
	run_ctl(&r, 2, nofile);
	assert_int_equal(r.rc, CTL_EXIT_USAGE);
	assert_non_null(strstr(r.err, "/etc/container/ve.cfg"));
	free(r.out);
	free(r.err);

	/* a bad file: path and line on stderr, nothing on stdout */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "<lveconfig>\n<lve id=\"x\"/>\n", 26), 26);
	close(fd);
	char *bad[] = { "quellctl", "import-lve", path, NULL };
	run_ctl(&r, 3, bad);
	assert_int_equal(r.rc, CTL_EXIT_USAGE);
	assert_int_equal(r.outlen, 0);
	assert_non_null(strstr(r.err, ": line 2: <lve id=\"x\">: the id must be a uid"));
	free(r.out);
	free(r.err);
	unlink(path);

	char *missing[] = { "quellctl", "import-lve", path, NULL };
	run_ctl(&r, 3, missing);
	assert_int_equal(r.rc, CTL_EXIT_USAGE);
	assert_non_null(strstr(r.err, "No such file"));
	free(r.out);
	free(r.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_example_parsed),
		cmocka_unit_test(test_doc_example_rendered),
		cmocka_unit_test(test_speed_packages_and_users),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_package_name_cannot_inject),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_ctl_import_lve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
