// SPDX-License-Identifier: GPL-2.0-only
/* rows.c - the row model: name filter, sort by any column, top-N, selection. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "top.h"

void top_ui_init(struct top_ui *ui)
{
	memset(ui, 0, sizeof(*ui));
	ui->sort = TC_CPU;
	ui->desc = true;
	ui->delay_s = 2.0;
	ui->mode = TM_LIST;
	ui->prompt = TP_NONE;
}

bool top_row_alert(const struct tview *t)
{
	/* "-" is a state the daemon did not send: unknown is not an alarm */
	return t->offender || (t->state[0] && strcmp(t->state, "ok") && strcmp(t->state, "-"));
}

bool top_match(const char *name, const char *filter)
{
	size_t fl = strlen(filter), nl = strlen(name);

	if (!fl)
		return true;
	for (size_t i = 0; i + fl <= nl; i++)
		if (!strncasecmp(name + i, filter, fl))
			return true;
	return false;
}

struct sort_ctx {
	enum top_col_id col;
	bool desc;
};

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct tview *a = *(const struct tview *const *)pa;
	const struct tview *b = *(const struct tview *const *)pb;
	const struct sort_ctx *c = arg;
	int r = 0;

	if (c->col == TC_NAME) {
		r = strcasecmp(a->name, b->name);
		if (!r)
			r = strcmp(a->name, b->name);
		return c->desc ? -r : r;
	}
	double va = top_col_value(a, c->col), vb = top_col_value(b, c->col);

	/* unknown values go last whichever the direction: they are not "zero" */
	if (isnan(va) != isnan(vb))
		return isnan(va) ? 1 : -1;
	if (!isnan(va) && va != vb)
		r = va < vb ? -1 : 1;
	if (c->desc)
		r = -r;
	if (!r && c->col == TC_STATE)
		/* same state: who is hurting most first */
		r = (a->v.inflicted_ms_s < b->v.inflicted_ms_s) -
		    (a->v.inflicted_ms_s > b->v.inflicted_ms_s);
	if (!r)
		/* ties: by name ascending in both directions, so the order is stable */
		r = strcmp(a->name, b->name);
	return r;
}

void top_sort(const struct tview **rows, int n, enum top_col_id col, bool desc)
{
	struct sort_ctx c = { col, desc };

	if (n > 1)
		qsort_r(rows, (size_t)n, sizeof(*rows), cmp_rows, &c);
}

int top_rows_build(const struct tview *tv, int n, struct top_ui *ui, const struct tview ***out)
{
	const struct tview **rows;
	int nr = 0;

	*out = NULL;
	if (n <= 0) {
		ui->sel = 0;
		ui->scroll = 0;
		return 0;
	}
	rows = malloc(sizeof(*rows) * (size_t)n);
	if (!rows)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (top_match(tv[i].name, ui->filter))
			rows[nr++] = &tv[i];
	top_sort(rows, nr, ui->sort, ui->desc);
	if (ui->top_n > 0 && nr > ui->top_n)
		nr = ui->top_n;

	/* the selection follows the tenant, not the line it was on */
	if (ui->sel_name[0]) {
		for (int i = 0; i < nr; i++) {
			if (!strcmp(rows[i]->name, ui->sel_name)) {
				ui->sel = i;
				break;
			}
		}
	}
	if (ui->sel >= nr)
		ui->sel = nr - 1;
	if (ui->sel < 0)
		ui->sel = 0;
	if (nr)
		snprintf(ui->sel_name, sizeof(ui->sel_name), "%s", rows[ui->sel]->name);
	else
		ui->sel_name[0] = '\0';
	if (!nr) {
		free(rows);
		return 0;
	}
	*out = rows;
	return nr;
}

void top_ui_scroll(struct top_ui *ui, int nrows, int page)
{
	if (page < 1)
		page = 1;
	if (ui->sel < ui->scroll)
		ui->scroll = ui->sel;
	if (ui->sel >= ui->scroll + page)
		ui->scroll = ui->sel - page + 1;
	/* no empty screen tail when rows went away */
	if (ui->scroll > nrows - page)
		ui->scroll = nrows - page;
	if (ui->scroll < 0)
		ui->scroll = 0;
}
