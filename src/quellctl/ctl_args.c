// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_args.c - quellctl's pure command-line pieces: --since, pids, the
 * `list` options and tenant sorting. No I/O, so tests/unit feeds literals.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "units.h"

bool ctl_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

int ctl_parse_pid(const char *s, int *out)
{
	char *end;
	long v;

	if (!s || !units_all_digits(s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > INT32_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static const char *const sort_names[] = {
	[CTL_SORT_CPU] = "cpu",
	[CTL_SORT_MEM] = "mem",
	[CTL_SORT_IO] = "io",
	[CTL_SORT_IOPS] = "iops",
	[CTL_SORT_INFLICTED] = "inflicted",
	[CTL_SORT_SUFFERED] = "suffered",
	[CTL_SORT_FAULTS] = "faults",
	[CTL_SORT_NPROC] = "nproc",
	[CTL_SORT_NAME] = "name",
};

int ctl_sort_parse(const char *s, enum ctl_sort *out)
{
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++) {
		if (!strcmp(s, sort_names[i])) {
			*out = (enum ctl_sort)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * ctl_opt_value - "--opt VALUE" or "--opt=VALUE" at argv[*i]. Returns 1
 * with *val set (and *i advanced past a separate value), 0 if argv[*i] is
 * not this option, -EINVAL if the value is missing.
 */
int ctl_opt_value(int argc, char **argv, int *i, const char *opt, const char **val)
{
	size_t n = strlen(opt);
	const char *a = argv[*i];

	if (strncmp(a, opt, n))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc)
		return -EINVAL;
	*val = argv[++*i];
	return 1;
}

int ctl_list_parse_args(int argc, char **argv, struct ctl_list_opts *o, char *err, size_t errlen)
{
	o->sort = CTL_SORT_CPU;
	o->reverse = false;
	o->top = 0;
	for (int i = 1; i < argc; i++) {
		const char *v;
		int r;

		if (!strcmp(argv[i], "--json"))
			continue;	/* global, handled by the caller */
		if (!strcmp(argv[i], "--reverse") || !strcmp(argv[i], "-r")) {
			o->reverse = true;
			continue;
		}
		r = ctl_opt_value(argc, argv, &i, "--sort", &v);
		if (r < 0) {
			snprintf(err, errlen, "--sort needs a key");
			return -EINVAL;
		}
		if (r > 0) {
			if (ctl_sort_parse(v, &o->sort)) {
				snprintf(err, errlen, "unknown sort key \"%s\" (cpu, mem, io, iops, inflicted, suffered, faults, nproc, name)", v);
				return -EINVAL;
			}
			continue;
		}
		r = ctl_opt_value(argc, argv, &i, "--top", &v);
		if (r < 0) {
			snprintf(err, errlen, "--top needs a number");
			return -EINVAL;
		}
		if (r > 0) {
			int n;

			if (ctl_parse_pid(v, &n)) {
				snprintf(err, errlen, "--top: \"%s\" is not a positive number", v);
				return -EINVAL;
			}
			o->top = n;
			continue;
		}
		snprintf(err, errlen, "unexpected argument \"%s\"", argv[i]);
		return -EINVAL;
	}
	return 0;
}

static double sort_value(const struct tview *t, enum ctl_sort s)
{
	switch (s) {
	case CTL_SORT_CPU:
		return t->v.cpu_pct;
	case CTL_SORT_MEM:
		return t->v.mem_bytes;
	case CTL_SORT_IO:
		if (isnan(t->v.io_rbps) && isnan(t->v.io_wbps))
			return NAN;
		return (isnan(t->v.io_rbps) ? 0 : t->v.io_rbps) +
		       (isnan(t->v.io_wbps) ? 0 : t->v.io_wbps);
	case CTL_SORT_IOPS:
		return t->v.iops;
	case CTL_SORT_INFLICTED:
		return t->v.inflicted_ms_s;
	case CTL_SORT_SUFFERED:
		return t->v.suffered_ms_s;
	case CTL_SORT_FAULTS:
		return (double)ctl_tview_faults(t);
	case CTL_SORT_NPROC:
		return t->v.nproc;
	case CTL_SORT_NAME:
		break;
	}
	return NAN;
}

struct sort_ctx {
	const struct tview *t;
	const struct ctl_list_opts *o;
};

static int cmp_idx(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *sc = arg;
	const struct tview *a = &sc->t[*(const int *)pa], *b = &sc->t[*(const int *)pb];
	int sign = sc->o->reverse ? -1 : 1;
	double va, vb;
	int c;

	if (sc->o->sort == CTL_SORT_NAME)
		return sign * strcmp(a->name, b->name);
	va = sort_value(a, sc->o->sort);
	vb = sort_value(b, sc->o->sort);
	/* unknown values sink to the bottom either way */
	if (isnan(va) != isnan(vb))
		return isnan(va) ? 1 : -1;
	if (!isnan(va) && va != vb)
		return sign * (va > vb ? -1 : 1);
	c = strcmp(a->name, b->name);
	return c;
}

void ctl_sort_index(const struct tview *t, int n, const struct ctl_list_opts *o, int *idx)
{
	struct sort_ctx sc = { t, o };

	for (int i = 0; i < n; i++)
		idx[i] = i;
	if (n > 1)
		qsort_r(idx, (size_t)n, sizeof(*idx), cmp_idx, &sc);
}

void ctl_sort_tviews(struct tview *t, int n, const struct ctl_list_opts *o)
{
	struct tview *tmp;
	int *idx;

	if (n < 2)
		return;
	idx = malloc((size_t)n * sizeof(*idx));
	tmp = malloc((size_t)n * sizeof(*tmp));
	if (!idx || !tmp) {
		free(idx);
		free(tmp);
		return;
	}
	ctl_sort_index(t, n, o, idx);
	for (int i = 0; i < n; i++)
		tmp[i] = t[idx[i]];
	memcpy(t, tmp, (size_t)n * sizeof(*t));
	free(idx);
	free(tmp);
}
