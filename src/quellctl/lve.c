// SPDX-License-Identifier: GPL-2.0-only
/*
 * lve.c - CloudLinux ve.cfg -> quell.conf (src/quellctl/lve.h).
 *
 * ve.cfg is a small, flat XML file written by lvectl; a full XML library
 * would be a new dependency for one command, so this reads the subset lvectl
 * writes: elements with quoted attributes, <?...?>, <!-- -->, <!...>,
 * the five named entities and numeric ones. Anything else is an error with
 * its line, never a guess: an admin migrating limits must see what was not
 * understood.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lve.h"
#include "units.h"

#define LVE_MAX_DEPTH	16
#define LVE_MAX_ATTRS	8
#define LVE_NAME_MAX	32
#define LVE_VAL_MAX	128
/* no LVE limit is near this; it keeps sums and "* 4096" far from overflow */
#define LVE_VALUE_MAX	(1ULL << 40)

struct attr {
	char name[LVE_NAME_MAX];
	char val[LVE_VAL_MAX];
};

struct tag {
	bool end;			/* </x> */
	bool empty;			/* <x/> */
	char name[LVE_NAME_MAX];
	int nattr;
	struct attr attr[LVE_MAX_ATTRS];
};

struct lexer {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
};

static int fail(struct lexer *lx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct lexer *lx, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(lx->err, lx->errlen, "line %d: ", line);

	if (n < 0 || (size_t)n >= lx->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void advance(struct lexer *lx, size_t n)
{
	for (size_t i = 0; i < n && lx->p < lx->end; i++, lx->p++)
		if (*lx->p == '\n')
			lx->line++;
}

static bool starts(const struct lexer *lx, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(lx->end - lx->p) >= n && !memcmp(lx->p, s, n);
}

/* Skip up to and past `close`; -EINVAL if the file ends first. */
static int skip_past(struct lexer *lx, const char *close, const char *what)
{
	int line = lx->line;

	while (lx->p < lx->end && !starts(lx, close))
		advance(lx, 1);
	if (lx->p >= lx->end)
		return fail(lx, line, "%s is never closed (\"%s\" missing)", what, close);
	advance(lx, strlen(close));
	return 0;
}

static void skip_space(struct lexer *lx)
{
	while (lx->p < lx->end && isspace((unsigned char)*lx->p))
		advance(lx, 1);
}

static bool name_char(char ch, bool first)
{
	return isalpha((unsigned char)ch) || ch == '_' || ch == ':' ||
	       (!first && (isdigit((unsigned char)ch) || ch == '-' || ch == '.'));
}

static int read_name(struct lexer *lx, char *out, const char *what)
{
	size_t n = 0;

	if (lx->p >= lx->end || !name_char(*lx->p, true))
		return fail(lx, lx->line, "expected %s name", what);
	while (lx->p < lx->end && name_char(*lx->p, false)) {
		if (n + 1 >= LVE_NAME_MAX)
			return fail(lx, lx->line, "%s name longer than %d characters", what,
				    LVE_NAME_MAX - 1);
		out[n++] = (char)tolower((unsigned char)*lx->p);
		advance(lx, 1);
	}
	out[n] = '\0';
	return 0;
}

/* Append one UTF-8 encoded code point. */
static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A quoted attribute value, entities decoded. */
static int read_value(struct lexer *lx, char *out, const char *attr)
{
	int line = lx->line;
	size_t n = 0;
	char q;

	if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\''))
		return fail(lx, line, "attribute %s: value must be quoted", attr);
	q = *lx->p;
	advance(lx, 1);
	while (lx->p < lx->end && *lx->p != q) {
		char ch = *lx->p;

		if (ch == '<')
			return fail(lx, lx->line, "attribute %s: '<' inside a value", attr);
		if (n + 5 >= LVE_VAL_MAX)
			return fail(lx, line, "attribute %s: value longer than %d bytes", attr,
				    LVE_VAL_MAX - 5);
		if (ch != '&') {
			out[n++] = ch;
			advance(lx, 1);
			continue;
		}
		static const struct { const char *name; char ch; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
			{ "&quot;", '"' }, { "&apos;", '\'' },
		};
		bool done = false;

		for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
			if (starts(lx, ents[i].name)) {
				out[n++] = ents[i].ch;
				advance(lx, strlen(ents[i].name));
				done = true;
				break;
			}
		}
		if (done)
			continue;
		if (starts(lx, "&#")) {
			const char *s = lx->p + 2, *semi;
			unsigned long cp = 0;
			int base = 10;

			if (s < lx->end && (*s == 'x' || *s == 'X')) {
				base = 16;
				s++;
			}
			semi = memchr(s, ';', (size_t)(lx->end - s));
			if (semi && semi > s && semi - s <= 8) {
				char num[9] = "", *e;

				memcpy(num, s, (size_t)(semi - s));
				cp = strtoul(num, &e, base);
				if (!*e && cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
					n += put_utf8(out + n, cp);
					advance(lx, (size_t)(semi + 1 - lx->p));
					continue;
				}
			}
		}
		return fail(lx, lx->line, "attribute %s: unknown entity (use &amp; for '&')", attr);
	}
	if (lx->p >= lx->end)
		return fail(lx, line, "attribute %s: value is never closed", attr);
	advance(lx, 1);
	out[n] = '\0';
	return 0;
}

/*
 * Next tag into t, skipping declarations, comments and blank text. Returns
 * 1 with t filled, 0 at the end of the buffer, -EINVAL.
 */
static int next_tag(struct lexer *lx, struct tag *t, int *line)
{
	int ret;

	for (;;) {
		skip_space(lx);
		if (lx->p >= lx->end)
			return 0;
		if (*lx->p != '<') {
			const char *s = lx->p;
			int n = 0;

			while (s + n < lx->end && n < 20 && s[n] != '<' && s[n] != '\n')
				n++;
			return fail(lx, lx->line, "unexpected text \"%.*s\" (LVE limits are attributes)",
				    n, s);
		}
		if (starts(lx, "<?")) {
			if ((ret = skip_past(lx, "?>", "<?...")))
				return ret;
			continue;
		}
		if (starts(lx, "<!--")) {
			if ((ret = skip_past(lx, "-->", "comment")))
				return ret;
			continue;
		}
		if (starts(lx, "<!")) {
			if ((ret = skip_past(lx, ">", "<!...")))
				return ret;
			continue;
		}
		break;
	}

	memset(t, 0, sizeof(*t));
	*line = lx->line;
	advance(lx, 1);
	if (lx->p < lx->end && *lx->p == '/') {
		t->end = true;
		advance(lx, 1);
	}
	if ((ret = read_name(lx, t->name, "element")))
		return ret;
	for (;;) {
		bool sp = lx->p < lx->end && isspace((unsigned char)*lx->p);

		skip_space(lx);
		if (lx->p >= lx->end)
			return fail(lx, *line, "<%s%s> is never closed ('>' missing)", t->end ? "/" : "",
				    t->name);
		if (*lx->p == '>') {
			advance(lx, 1);
			return 1;
		}
		if (!t->end && starts(lx, "/>")) {
			t->empty = true;
			advance(lx, 2);
			return 1;
		}
		if (t->end)
			return fail(lx, lx->line, "</%s> has attributes", t->name);
		if (!sp)
			return fail(lx, lx->line, "<%s>: expected a space, '>' or '/>'", t->name);
		if (t->nattr == LVE_MAX_ATTRS)
			return fail(lx, lx->line, "<%s>: more than %d attributes", t->name,
				    LVE_MAX_ATTRS);

		struct attr *a = &t->attr[t->nattr];

		if ((ret = read_name(lx, a->name, "attribute")))
			return ret;
		skip_space(lx);
		if (lx->p >= lx->end || *lx->p != '=')
			return fail(lx, lx->line, "<%s>: attribute %s has no '=\"value\"'", t->name,
				    a->name);
		advance(lx, 1);
		skip_space(lx);
		if ((ret = read_value(lx, a->val, a->name)))
			return ret;
		for (int i = 0; i < t->nattr; i++)
			if (!strcmp(t->attr[i].name, a->name))
				return fail(lx, lx->line, "<%s>: attribute %s given twice", t->name,
					    a->name);
		t->nattr++;
	}
}

static const char *tag_attr(const struct tag *t, const char *name)
{
	for (int i = 0; i < t->nattr; i++)
		if (!strcmp(t->attr[i].name, name))
			return t->attr[i].val;
	return NULL;
}

/* A whole number 0..LVE_VALUE_MAX, surrounding blanks allowed (lvectl writes none). */
static int parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > LVE_VALUE_MAX)
			return -ERANGE;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "100%", "2ghz", "2400MHz", "25" (legacy). */
static int parse_cpu(const char *s, struct lve_limits *l)
{
	static const struct { const char *sfx; double mul; enum lve_cpu_unit unit; } u[] = {
		{ "%", 1, LVE_CPU_PCT }, { "ghz", 1e9, LVE_CPU_HZ }, { "mhz", 1e6, LVE_CPU_HZ },
		{ "khz", 1e3, LVE_CPU_HZ }, { "hz", 1, LVE_CPU_HZ }, { "", 1, LVE_CPU_LEGACY },
	};
	char *e;
	double v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	v = strtod(s, &e);
	if (!isfinite(v) || v < 0 || v > (double)LVE_VALUE_MAX)
		return -ERANGE;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (strcasecmp(e, u[i].sfx))
			continue;
		if (u[i].unit == LVE_CPU_LEGACY && v != floor(v))
			return -EINVAL;
		l->cpu_unit = u[i].unit;
		l->cpu = v * u[i].mul;
		return 0;
	}
	return -EINVAL;
}

static const struct {
	const char *elem, *attr;
	enum lve_field field;
	const char *expect;
} lve_elems[] = {
	{ "cpu", "limit", LVE_CPU, "SPEED as 100% or 2ghz, or the old CPU limit as a whole %" },
	{ "ncpu", "limit", LVE_NCPU, "a whole number of cores" },
	{ "pmem", "limit", LVE_PMEM, "a whole number of 4 KiB pages" },
	{ "mem", "limit", LVE_VMEM, "a whole number of 4 KiB pages" },
	{ "io", "limit", LVE_IO, "a whole number of KB/s" },
	{ "iops", "limit", LVE_IOPS, "a whole number of operations/s" },
	{ "nproc", "limit", LVE_NPROC, "a whole number of processes" },
	{ "other", "maxentryprocs", LVE_EP, "a whole number of entry processes" },
};

static int add_note(struct lve_cfg *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_note(struct lve_cfg *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->nnotes == c->ncap) {
		int cap = c->ncap ? c->ncap * 2 : 8;
		struct lve_note *n = realloc(c->notes, (size_t)cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->notes = n;
		c->ncap = cap;
	}
	c->notes[c->nnotes].line = line;
	va_start(ap, fmt);
	vsnprintf(c->notes[c->nnotes].text, sizeof(c->notes[0].text), fmt, ap);
	va_end(ap);
	c->nnotes++;
	return 0;
}

/* One limit element (<cpu limit="..."/>, ...) inside a limits block. */
static int parse_limit(struct lexer *lx, struct lve_cfg *c, const struct tag *t, int line,
		       struct lve_limits *l, const char *owner)
{
	for (size_t i = 0; i < sizeof(lve_elems) / sizeof(lve_elems[0]); i++) {
		enum lve_field f = lve_elems[i].field;
		const char *v;
		int ret;

		if (strcmp(t->name, lve_elems[i].elem))
			continue;
		v = tag_attr(t, lve_elems[i].attr);
		if (!v) {
			/* <other> carries other attributes in some lvectl versions */
			if (f == LVE_EP)
				return add_note(c, line, "<other> in %s without maxentryprocs: ignored",
						owner);
			return fail(lx, line, "<%s> in %s has no %s=\"...\"", t->name, owner,
				    lve_elems[i].attr);
		}
		if (l->set & (1u << f))
			return fail(lx, line, "<%s> given twice in %s (first at line %d)", t->name,
				    owner, l->line[f]);
		ret = f == LVE_CPU ? parse_cpu(v, l) : parse_uint(v, &l->v[f]);
		if (ret == -ERANGE)
			return fail(lx, line, "<%s %s=\"%s\"> in %s: out of range", t->name,
				    lve_elems[i].attr, v, owner);
		if (ret)
			return fail(lx, line, "<%s %s=\"%s\"> in %s: expected %s", t->name,
				    lve_elems[i].attr, v, owner, lve_elems[i].expect);
		l->set |= 1u << f;
		l->line[f] = line;
		return 0;
	}
	return add_note(c, line, "<%s> in %s: not an LVE limit quell knows; ignored", t->name, owner);
}

static struct lve_entry *add_entry(struct lve_cfg *c)
{
	if (c->nent == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		struct lve_entry *e = realloc(c->ent, (size_t)cap * sizeof(*e));

		if (!e)
			return NULL;
		c->ent = e;
		c->cap = cap;
	}
	memset(&c->ent[c->nent], 0, sizeof(c->ent[0]));
	return &c->ent[c->nent++];
}

/* A top-level element that opens a limits block: the block to fill, or NULL + ret. */
static struct lve_limits *open_block(struct lexer *lx, struct lve_cfg *c, const struct tag *t,
				     int line, char *owner, size_t olen, int *ret)
{
	struct lve_entry *e;
	const char *id;
	uint64_t uid;

	*ret = 0;
	if (!strcmp(t->name, "defaults")) {
		if (c->has_defaults) {
			*ret = fail(lx, line, "<defaults> given twice (first at line %d)",
				    c->defaults_line);
			return NULL;
		}
		c->has_defaults = true;
		c->defaults_line = line;
		snprintf(owner, olen, "<defaults>");
		return &c->defaults;
	}
	if (strcmp(t->name, "lve") && strcmp(t->name, "package"))
		return NULL;
	id = tag_attr(t, "id");
	if (!id || !*id) {
		*ret = fail(lx, line, "<%s> without id=\"...\"", t->name);
		return NULL;
	}
	if (!strcmp(t->name, "lve")) {
		if (parse_uint(id, &uid) || uid > UINT32_MAX - 1) {
			*ret = fail(lx, line, "<lve id=\"%s\">: the id must be a uid (a whole number)",
				    id);
			return NULL;
		}
	}
	e = add_entry(c);
	if (!e) {
		*ret = -ENOMEM;
		return NULL;
	}
	e->line = line;
	if (!strcmp(t->name, "lve")) {
		e->kind = LVE_KIND_ID;
		e->id = (uint32_t)uid;
		snprintf(owner, olen, "<lve id=\"%u\">", e->id);
	} else {
		e->kind = LVE_KIND_PACKAGE;
		snprintf(e->pkg, sizeof(e->pkg), "%s", id);
		/* it is printed in a comment: a newline must not end that comment */
		for (char *p = e->pkg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		snprintf(owner, olen, "<package id=\"%.60s\">", id);
	}
	return &e->lim;
}

/* Same kind and id, then file order: a duplicate sorts right after its first. */
static int cmp_entry(const void *a, const void *b)
{
	const struct lve_entry *x = *(const struct lve_entry *const *)a;
	const struct lve_entry *y = *(const struct lve_entry *const *)b;
	int d;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == LVE_KIND_ID && x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->kind == LVE_KIND_PACKAGE && (d = strcmp(x->pkg, y->pkg)))
		return d;
	return x->line - y->line;
}

/*
 * An id given twice is an error: which of the two should win is the
 * admin's call. Checked once after the parse, sorted (O(n log n)): a
 * check per entry made 100,000 users take 35 s of CPU.
 */
static int check_duplicates(struct lexer *lx, const struct lve_cfg *c)
{
	const struct lve_entry **v;
	int ret = 0;

	if (c->nent < 2)
		return 0;
	v = malloc((size_t)c->nent * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < c->nent; i++)
		v[i] = &c->ent[i];
	qsort(v, (size_t)c->nent, sizeof(*v), cmp_entry);
	for (int i = 1; i < c->nent && !ret; i++) {
		const struct lve_entry *a = v[i - 1], *b = v[i];

		if (a->kind != b->kind)
			continue;
		if (b->kind == LVE_KIND_ID && a->id == b->id)
			ret = fail(lx, b->line, "<lve id=\"%u\"> given twice (first at line %d)", b->id,
				   a->line);
		else if (b->kind == LVE_KIND_PACKAGE && !strcmp(a->pkg, b->pkg))
			ret = fail(lx, b->line, "<package id=\"%.60s\"> given twice (first at line %d)",
				   b->pkg, a->line);
	}
	free(v);
	return ret;
}

int lve_parse(const char *buf, size_t len, struct lve_cfg *c, char *err, size_t errlen)
{
	struct lexer lx = { .p = buf, .end = buf + len, .line = 1, .err = err, .errlen = errlen };
	struct { char name[LVE_NAME_MAX]; int line; } stack[LVE_MAX_DEPTH];
	struct lve_limits *block = NULL;
	char owner[96] = "";
	int depth = 0, skip = 0;	/* skip: depth of an ignored element's subtree */
	bool root_seen = false;
	struct tag t;
	int line = 0, ret;

	memset(c, 0, sizeof(*c));
	if (errlen)
		*err = '\0';
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))	/* UTF-8 BOM */
		lx.p += 3;

	while ((ret = next_tag(&lx, &t, &line)) == 1) {
		if (t.end) {
			if (!depth)
				return fail(&lx, line, "</%s> closes nothing", t.name);
			if (strcmp(t.name, stack[depth - 1].name))
				return fail(&lx, line, "</%s> closes <%s> opened at line %d", t.name,
					    stack[depth - 1].name, stack[depth - 1].line);
			depth--;
			if (skip && depth < skip)
				skip = 0;
			if (depth == 1)
				block = NULL;
			continue;
		}
		if (depth == 0) {
			if (root_seen)
				return fail(&lx, line, "<%s> after </lveconfig>", t.name);
			if (strcmp(t.name, "lveconfig"))
				return fail(&lx, line, "<%s>: not an LVE limits file (expected <lveconfig>, as in /etc/container/ve.cfg)",
					    t.name);
			root_seen = true;
		} else if (skip) {
			/* inside an ignored element */
		} else if (depth == 1) {
			block = open_block(&lx, c, &t, line, owner, sizeof(owner), &ret);
			if (ret)
				return ret;
			if (!block) {
				/* a reseller's own accounts are inside it: say they are skipped */
				if ((ret = add_note(c, line, "<%s> ignored%s: quell has no equivalent",
						    t.name, t.empty ? "" :
						    " with everything in it (its <defaults> and <lve>)")))
					return ret;
				if (!t.empty)
					skip = depth + 1;
			}
		} else if (depth == 2 && block) {
			if ((ret = parse_limit(&lx, c, &t, line, block, owner)))
				return ret;
		} else {
			return fail(&lx, line, "<%s> nested in <%s>: LVE limits are one level deep",
				    t.name, stack[depth - 1].name);
		}
		if (t.empty)
			continue;
		if (depth == LVE_MAX_DEPTH)
			return fail(&lx, line, "elements nested more than %d deep", LVE_MAX_DEPTH);
		snprintf(stack[depth].name, sizeof(stack[0].name), "%s", t.name);
		stack[depth].line = line;
		depth++;
	}
	if (ret < 0)
		return ret;
	if (!root_seen)
		return fail(&lx, lx.line, "no <lveconfig> element: not an LVE limits file");
	if (depth)
		return fail(&lx, lx.line, "<%s> opened at line %d is never closed", stack[depth - 1].name,
			    stack[depth - 1].line);
	return check_duplicates(&lx, c);
}

void lve_free(struct lve_cfg *c)
{
	free(c->ent);
	free(c->notes);
	memset(c, 0, sizeof(*c));
}

/* --- rendering ------------------------------------------------------------ */


/* "150", "37.5": a percentage to 0.1 */
static void fmt_pct(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.10g", round(v * 10) / 10);
}

struct out {
	FILE *f;
	const char *pfx;		/* "" or "# " (a block that cannot be applied) */
};

static void key(struct out *o, const char *k, const char *v)
{
	fprintf(o->f, "%s%s = %s\n", o->pfx, k, v);
}

static void why(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void why(struct out *o, const char *fmt, ...)
{
	va_list ap;

	fputs("# ", o->f);
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	fputc('\n', o->f);
}

/*
 * CPU. SPEED is already quell's unit (% of one core). The old CPU limit is
 * a share of the whole server, capped by NCPU cores (the smaller wins), so
 * it needs the server's core count; defaults and the entry are merged first
 * because an entry may override only one of the two.
 */
static void render_cpu(struct out *o, const struct lve_limits *l, const struct lve_limits *base,
		       const struct lve_render_opts *opt)
{
	bool has_cpu = l->set & (1u << LVE_CPU), has_ncpu = l->set & (1u << LVE_NCPU);
	const struct lve_limits *cl = has_cpu ? l :
		(base && (base->set & (1u << LVE_CPU)) ? base : NULL);
	const struct lve_limits *nl = has_ncpu ? l :
		(base && (base->set & (1u << LVE_NCPU)) ? base : NULL);
	char a[48], b[64];

	if (!has_cpu && !has_ncpu)
		return;
	if (cl && cl->cpu_unit != LVE_CPU_LEGACY) {
		if (has_ncpu)
			why(o, "NCPU %llu: not imported: SPEED replaces it (LVE ignores NCPU with SPEED too)",
			    (unsigned long long)l->v[LVE_NCPU]);
		if (!has_cpu)
			return;
		if (cl->cpu == 0) {
			why(o, "SPEED 0: unlimited");
			key(o, "cpu", "unlimited");
			return;
		}
		if (cl->cpu_unit == LVE_CPU_PCT) {
			fmt_pct(cl->cpu, a, sizeof(a));
			why(o, "SPEED %s%% of one core", a);
			snprintf(b, sizeof(b), "%s%%", a);
			key(o, "cpu", b);
			return;
		}
		fmt_pct(cl->cpu / 1e6, a, sizeof(a));
		if (opt->core_mhz <= 0) {
			why(o, "SPEED %s MHz: not imported: quell's cpu is %% of one core; give the LVE server's core clock (--core-mhz MHZ) to convert",
			    a);
			return;
		}
		fmt_pct(cl->cpu / (opt->core_mhz * 1e6) * 100, b, sizeof(b));
		why(o, "SPEED %s MHz on %g MHz cores = %s%% of one core", a, opt->core_mhz, b);
		strcat(b, "%");
		key(o, "cpu", b);
		return;
	}

	/* legacy CPU (% of the server) and/or NCPU (cores) */
	double pct = INFINITY;
	char desc[160] = "";

	if (cl && cl->cpu > 0) {
		if (opt->cpus <= 0) {
			why(o, "CPU %g%% of the server: not imported: give the LVE server's core count (--cpus N) to convert",
			    cl->cpu);
			return;
		}
		pct = cl->cpu * opt->cpus;
		snprintf(desc, sizeof(desc), "CPU %g%% of %d cores%s", cl->cpu, opt->cpus,
			 opt->cpus_assumed ? " (this host's count; --cpus N for the LVE server's)" : "");
	}
	if (nl && nl->v[LVE_NCPU] > 0 && (double)nl->v[LVE_NCPU] * 100 < pct) {
		pct = (double)nl->v[LVE_NCPU] * 100;
		snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "%sNCPU %llu cores",
			 *desc ? ", capped by " : "", (unsigned long long)nl->v[LVE_NCPU]);
	} else if (nl && nl->v[LVE_NCPU] > 0) {
		snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc),
			 " (NCPU %llu is not lower)", (unsigned long long)nl->v[LVE_NCPU]);
	}
	if (isinf(pct)) {
		why(o, "CPU/NCPU 0: unlimited");
		key(o, "cpu", "unlimited");
		return;
	}
	fmt_pct(pct, a, sizeof(a));
	why(o, "%s = %s%% of one core", desc, a);
	snprintf(b, sizeof(b), "%s%%", a);
	key(o, "cpu", b);
}

static void render_limits(struct out *o, const struct lve_limits *l, const struct lve_limits *base,
			  const struct lve_render_opts *opt)
{
	uint64_t v;
	char a[48], b[64];

	render_cpu(o, l, base, opt);
	if (l->set & (1u << LVE_PMEM)) {
		v = l->v[LVE_PMEM];
		units_fmt_exact_size(v * 4096, a, sizeof(a));
		why(o, "PMEM %llu pages of 4 KiB%s%s", (unsigned long long)v, v ? " = " : ": unlimited",
		    v ? a : "");
		key(o, "mem", v ? a : "unlimited");
	}
	if (l->set & (1u << LVE_IO)) {
		v = l->v[LVE_IO];
		units_fmt_exact_size(v * 1024, a, sizeof(a));
		if (v)
			why(o, "IO %llu KB/s = %s/s; LVE counts read + write together, quell limits each direction to it",
			    (unsigned long long)v, a);
		else
			why(o, "IO 0: unlimited");
		key(o, "io", v ? a : "unlimited");
	}
	if (l->set & (1u << LVE_IOPS)) {
		v = l->v[LVE_IOPS];
		snprintf(a, sizeof(a), "%llu", (unsigned long long)v);
		if (v)
			why(o, "IOPS %s; LVE counts read + write together, quell limits each direction to it",
			    a);
		else
			why(o, "IOPS 0: unlimited");
		key(o, "iops", v ? a : "unlimited");
	}
	if (l->set & (1u << LVE_NPROC)) {
		v = l->v[LVE_NPROC];
		snprintf(a, sizeof(a), "%llu", (unsigned long long)v);
		why(o, "NPROC %s%s (processes and threads in both)", a, v ? "" : ": unlimited");
		key(o, "nproc", v ? a : "unlimited");
	}
	if (l->set & (1u << LVE_VMEM)) {
		v = l->v[LVE_VMEM];
		units_fmt_exact_size(v * 4096, b, sizeof(b));
		why(o, "VMEM %llu pages%s%s: not imported: no equivalent; quell limits memory in use "
		    "(memory.max), not address space, and CloudLinux itself advises VMEM = 0",
		    (unsigned long long)v, v ? " = " : " (unlimited)", v ? b : "");
	}
	if (l->set & (1u << LVE_EP)) {
		v = l->v[LVE_EP];
		why(o, "EP %llu (maxentryprocs): not imported: no equivalent; LVE counts Apache/PHP/"
		    "SSH/cron entries into the LVE (mod_hostinglimits), quell places processes by "
		    "uid and counts no entries; nproc bounds them",
		    (unsigned long long)v);
	}
}

int lve_render(FILE *f, const struct lve_cfg *c, const struct lve_render_opts *opt)
{
	struct out o = { .f = f, .pfx = "" };
	int ntenants = 0, npkg = 0;

	fprintf(f, "# quell.conf sections imported from LVE limits%s%s by quellctl import-lve.\n",
		opt->source ? " in " : "", opt->source ? opt->source : "");
	fprintf(f, "# SPEED -> cpu, PMEM -> mem, IO -> io, IOPS -> iops, NPROC -> nproc; what has no\n"
		   "# equivalent is named below with the reason (docs/migrating-from-lve.md).\n");
	for (int i = 0; i < c->nnotes; i++)
		fprintf(f, "# line %d: %s\n", c->notes[i].line, c->notes[i].text);

	if (c->has_defaults) {
		fprintf(f, "\n[limits]\n");
		why(&o, "LVE <defaults>, line %d", c->defaults_line);
		render_limits(&o, &c->defaults, NULL, opt);
	}
	for (int i = 0; i < c->nent; i++) {
		const struct lve_entry *e = &c->ent[i];
		char name[256];

		if (e->kind != LVE_KIND_ID)
			continue;
		fputc('\n', f);
		o.pfx = "";
		if (e->id == 0) {
			why(&o, "LVE id 0, line %d: not imported: that is root, and quell never limits root",
			    e->line);
			o.pfx = "# ";
			fprintf(f, "# [tenant:root]\n");
		} else if (opt->uid_name && !opt->uid_name(e->id, name, sizeof(name), opt->arg)) {
			fprintf(f, "[tenant:%s]\n", name);
			why(&o, "LVE id %u, line %d", e->id, e->line);
			ntenants++;
		} else {
			why(&o, "LVE id %u, line %d: not imported: no user has uid %u on this host; create it, then uncomment with its name",
			    e->id, e->line, e->id);
			o.pfx = "# ";
			fprintf(f, "# [tenant:uid%u]\n", e->id);
		}
		render_limits(&o, &e->lim, c->has_defaults ? &c->defaults : NULL, opt);
	}
	for (int i = 0; i < c->nent; i++) {
		const struct lve_entry *e = &c->ent[i];

		if (e->kind != LVE_KIND_PACKAGE)
			continue;
		fputc('\n', f);
		o.pfx = "# ";
		why(&o, "LVE package \"%s\", line %d: not imported: quell has no packages; copy these lines into the [tenant:NAME] of each of its users",
		    e->pkg, e->line);
		render_limits(&o, &e->lim, c->has_defaults ? &c->defaults : NULL, opt);
		npkg++;
	}
	fprintf(f, "\n# %d tenant section%s, %s[limits], %d package%s as comments.\n", ntenants,
		ntenants == 1 ? "" : "s", c->has_defaults ? "" : "no ", npkg, npkg == 1 ? "" : "s");
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
