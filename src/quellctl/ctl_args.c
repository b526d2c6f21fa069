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

/* ctl's keys are the protocol's: the daemon sorts with the same comparison */
_Static_assert(CTL_SORT_CPU == (int)PROTO_SORT_CPU && CTL_SORT_NAME == (int)PROTO_SORT_NAME &&
	       CTL_SORT_FAULTS == (int)PROTO_SORT_FAULTS, "enum ctl_sort != enum proto_sort");

int ctl_sort_parse(const char *s, enum ctl_sort *out)
{
	enum proto_sort p;

	if (proto_sort_parse(s, &p))
		return -EINVAL;
	*out = (enum ctl_sort)p;
	return 0;
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
				snprintf(err, errlen, "unknown sort key \"%s\" (cpu, mem, io, iops, inflicted, suffered, faults, nproc, mem_inflicted, name)", v);
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

void ctl_sort_index(const struct tview *t, int n, const struct ctl_list_opts *o, int *idx)
{
	proto_sort_index(t, n, (enum proto_sort)o->sort, o->reverse, idx);
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
