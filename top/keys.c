// SPDX-License-Identifier: GPL-2.0-only
/*
 * keys.c - key handling. Handlers only change struct top_ui and return
 * TF_* flags; the loop in main.c fetches, acts and repaints (htop's rule),
 * so every key is tested without a terminal.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

#define KEY_ESC		27
#define KEY_CTRL_L	12

const char *const top_help[] = {
	"Sort:   < >  previous / next sort column    I  invert the order",
	"        N name  P CPU%  H inflicted  W suffered  M memory  O IOPS",
	"        C nproc  F faults  S state (the same key again inverts)",
	"View:   /  filter by name (Enter applies, empty clears)   n  top-N only (0 = all)",
	"        space or p  pause      d  refresh interval   + -  faster / slower",
	"        Up Down PgUp PgDn Home End  select    Enter  drill-down (Esc back)",
	"Act:    t throttle   r release   k kill   (the selected tenant, asks y/n)",
	"Replay: Left Right  step back / forward in history (quelltop --at)",
	"        ?  this help   q  quit   mouse: click a title to sort, a row to select",
	"",
	"Columns: CPU% of one core; INFL/SUFF: run-queue delay inflicted on /",
	"suffered from other tenants, ms per second; MEM/LIM: memory / hard limit;",
	"RD/s WR/s: block IO bytes/s; FLT/s: page faults/s; HITS: limit hits.",
	"Highlighted rows: a rule is tripping or the tenant is not ok.",
	NULL,
};

static bool is_enter(int key)
{
	return key == '\n' || key == '\r' || key == KEY_ENTER;
}

static bool is_backspace(int key)
{
	return key == KEY_BACKSPACE || key == 127 || key == 8;
}

static void set_sort(struct top_ui *ui, enum top_col_id c)
{
	if (ui->sort == c) {
		ui->desc = !ui->desc;
	} else {
		ui->sort = c;
		ui->desc = top_cols[c].desc;
	}
	snprintf(ui->msg, sizeof(ui->msg), "sort: %s %s", top_cols[c].title,
		 ui->desc ? "descending" : "ascending");
}

static void begin_prompt(struct top_ui *ui, enum top_prompt p, const char *preset)
{
	ui->prompt = p;
	snprintf(ui->input, sizeof(ui->input), "%s", preset);
}

static unsigned int finish_prompt(struct top_ui *ui)
{
	enum top_prompt p = ui->prompt;
	char *end;

	ui->prompt = TP_NONE;
	switch (p) {
	case TP_FILTER:
		snprintf(ui->filter, sizeof(ui->filter), "%s", ui->input);
		if (ui->filter[0])
			snprintf(ui->msg, sizeof(ui->msg), "filter: %s", ui->filter);
		else
			snprintf(ui->msg, sizeof(ui->msg), "filter cleared");
		return TF_REBUILD | TF_REDRAW;
	case TP_TOPN: {
		long v;

		errno = 0;
		v = strtol(ui->input, &end, 10);
		if (!ui->input[0]) {
			v = 0;
		} else if (errno || *end || v < 0 || v > 1000000) {
			snprintf(ui->msg, sizeof(ui->msg), "top-N: not a count: '%s'", ui->input);
			return TF_REDRAW;
		}
		ui->top_n = (int)v;
		if (v)
			snprintf(ui->msg, sizeof(ui->msg), "showing the top %ld", v);
		else
			snprintf(ui->msg, sizeof(ui->msg), "showing all tenants");
		return TF_REBUILD | TF_REDRAW;
	}
	case TP_DELAY: {
		double v;

		errno = 0;
		v = strtod(ui->input, &end);
		if (!ui->input[0])
			return TF_REDRAW;
		if (errno || *end || !isfinite(v) || v < TOP_DELAY_MIN || v > TOP_DELAY_MAX) {
			snprintf(ui->msg, sizeof(ui->msg), "interval: want %.1f to %.0f seconds, not '%s'",
				 TOP_DELAY_MIN, TOP_DELAY_MAX, ui->input);
			return TF_REDRAW;
		}
		ui->delay_s = v;
		snprintf(ui->msg, sizeof(ui->msg), "refresh every %.1f s", v);
		return TF_REDRAW;
	}
	default:
		return TF_REDRAW;
	}
}

/* keys typed at a text prompt; Esc cancels, Enter applies */
static unsigned int key_prompt(struct top_ui *ui, int key)
{
	size_t len = strlen(ui->input);

	if (ui->prompt == TP_CONFIRM) {
		ui->prompt = TP_NONE;
		if (key == 'y' || key == 'Y')
			return TF_ACTION | TF_REDRAW;
		snprintf(ui->msg, sizeof(ui->msg), "%s %s: cancelled", ui->action, ui->sel_name);
		ui->action[0] = '\0';
		return TF_REDRAW;
	}
	if (key == KEY_ESC) {
		ui->prompt = TP_NONE;
		ui->msg[0] = '\0';
		return TF_REDRAW;
	}
	if (is_enter(key))
		return finish_prompt(ui);
	if (is_backspace(key)) {
		if (len)
			ui->input[len - 1] = '\0';
		return TF_REDRAW;
	}
	if (key == KEY_RESIZE)
		return TF_RESIZE | TF_REDRAW;
	if (key < 0 || key > 126 || !isprint(key))
		return 0;
	if ((ui->prompt == TP_TOPN && !isdigit(key)) ||
	    (ui->prompt == TP_DELAY && !isdigit(key) && key != '.'))
		return 0;
	if (len + 1 < sizeof(ui->input)) {
		ui->input[len] = (char)key;
		ui->input[len + 1] = '\0';
	}
	return TF_REDRAW;
}

static unsigned int ask_action(struct top_ui *ui, const char *action, int nrows)
{
	if ((ui->mode == TM_LIST && !nrows) || !ui->sel_name[0]) {
		snprintf(ui->msg, sizeof(ui->msg), "no tenant selected");
		return TF_REDRAW;
	}
	snprintf(ui->action, sizeof(ui->action), "%s", action);
	ui->prompt = TP_CONFIRM;
	return TF_REDRAW;
}

static unsigned int move_sel(struct top_ui *ui, int to, const struct tview *const *rows,
			     int nrows)
{
	if (!nrows)
		return 0;
	if (to >= nrows)
		to = nrows - 1;
	if (to < 0)
		to = 0;
	ui->sel = to;
	snprintf(ui->sel_name, sizeof(ui->sel_name), "%s", rows[to]->name);
	return TF_REDRAW;
}

static double delay_step(double d, int dir)
{
	double step = (d < 2.0 || (dir < 0 && d <= 2.0)) ? 0.5 : 1.0;

	d += dir * step;
	if (d < TOP_DELAY_MIN)
		d = TOP_DELAY_MIN;
	if (d > TOP_DELAY_MAX)
		d = TOP_DELAY_MAX;
	return d;
}

/* keys that work on every screen */
static int key_common(struct top_ui *ui, int key, int nrows)
{
	switch (key) {
	case 'q':
		return TF_QUIT;
	case KEY_RESIZE:
		return TF_RESIZE | TF_REDRAW;
	case KEY_CTRL_L:
		return TF_RESIZE | TF_REDRAW;
	case ' ':
	case 'p':
		ui->paused = !ui->paused;
		snprintf(ui->msg, sizeof(ui->msg), ui->paused ? "paused (space resumes)" : "resumed");
		return ui->paused ? TF_REDRAW : TF_FETCH | TF_REDRAW;
	case 't':
		return (int)ask_action(ui, "throttle", nrows);
	case 'r':
		return (int)ask_action(ui, "release", nrows);
	case 'k':
		return (int)ask_action(ui, "kill", nrows);
	case KEY_LEFT:
	case KEY_RIGHT:
		ui->step = key == KEY_LEFT ? -1 : 1;
		return TF_STEP | TF_REDRAW;
	case '?':
	case KEY_F(1):
		ui->back = ui->mode;
		ui->mode = TM_HELP;
		return TF_REDRAW;
	case 'd':
		begin_prompt(ui, TP_DELAY, "");
		return TF_REDRAW;
	case '+':
	case '=':
	case '-':
		ui->delay_s = delay_step(ui->delay_s, key == '-' ? -1 : 1);
		snprintf(ui->msg, sizeof(ui->msg), "refresh every %.1f s", ui->delay_s);
		return TF_REDRAW;
	default:
		return -1;
	}
}

unsigned int top_key(struct top_ui *ui, int key, const struct tview *const *rows, int nrows,
		     int page)
{
	int r;

	if (key == ERR)
		return 0;
	if (page < 1)
		page = 1;
	if (ui->prompt != TP_NONE)
		return key_prompt(ui, key);
	if (ui->mode == TM_HELP) {
		if (key == 'q')
			return TF_QUIT;
		if (key == KEY_RESIZE)
			return TF_RESIZE | TF_REDRAW;
		ui->mode = ui->back == TM_HELP ? TM_LIST : ui->back;
		return TF_REDRAW;
	}
	r = key_common(ui, key, nrows);
	if (r >= 0)
		return (unsigned int)r;

	if (ui->mode == TM_DETAIL) {
		if (key == KEY_ESC || is_enter(key) || is_backspace(key)) {
			ui->mode = TM_LIST;
			return TF_REDRAW;
		}
		return 0;
	}

	for (int c = 0; c < TC_NR; c++) {
		if (top_cols[c].key && key == top_cols[c].key) {
			set_sort(ui, (enum top_col_id)c);
			return TF_REBUILD | TF_REDRAW;
		}
	}
	switch (key) {
	case '<':
	case ',':
	case '>':
	case '.': {
		int c = (int)ui->sort + ((key == '<' || key == ',') ? -1 : 1);

		c = (c + TC_NR) % TC_NR;
		ui->sort = (enum top_col_id)c;
		ui->desc = top_cols[c].desc;
		snprintf(ui->msg, sizeof(ui->msg), "sort: %s %s", top_cols[c].title,
			 ui->desc ? "descending" : "ascending");
		return TF_REBUILD | TF_REDRAW;
	}
	case 'I':
		ui->desc = !ui->desc;
		snprintf(ui->msg, sizeof(ui->msg), "sort: %s %s", top_cols[ui->sort].title,
			 ui->desc ? "descending" : "ascending");
		return TF_REBUILD | TF_REDRAW;
	case '/':
		begin_prompt(ui, TP_FILTER, ui->filter);
		return TF_REDRAW;
	case 'n':
		begin_prompt(ui, TP_TOPN, "");
		return TF_REDRAW;
	case KEY_ESC:
		if (!ui->filter[0])
			return 0;
		ui->filter[0] = '\0';
		snprintf(ui->msg, sizeof(ui->msg), "filter cleared");
		return TF_REBUILD | TF_REDRAW;
	case KEY_UP:
		return move_sel(ui, ui->sel - 1, rows, nrows);
	case KEY_DOWN:
		return move_sel(ui, ui->sel + 1, rows, nrows);
	case KEY_PPAGE:
		return move_sel(ui, ui->sel - page, rows, nrows);
	case KEY_NPAGE:
		return move_sel(ui, ui->sel + page, rows, nrows);
	case KEY_HOME:
		return move_sel(ui, 0, rows, nrows);
	case KEY_END:
		return move_sel(ui, nrows - 1, rows, nrows);
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (!nrows)
			return 0;
		move_sel(ui, ui->sel, rows, nrows);
		ui->mode = TM_DETAIL;
		return TF_DETAIL | TF_REDRAW;
	default:
		return 0;
	}
}

unsigned int top_click(struct top_ui *ui, const struct top_layout *l, int y, int x, bool dbl,
		       const struct tview *const *rows, int nrows)
{
	int row = ui->scroll + y - TOP_HDR_LINES - 1, cx = 0;

	if (ui->mode != TM_LIST || ui->prompt != TP_NONE || x < 0)
		return 0;
	if (y == TOP_HDR_LINES) {
		for (int k = 0; k < l->ncols; k++) {
			/* the separator before a column belongs to it */
			if (x < cx + l->width[k] + (k ? 1 : 0)) {
				set_sort(ui, l->col[k]);
				return TF_REBUILD | TF_REDRAW;
			}
			cx += l->width[k] + 1;
		}
		return 0;
	}
	if (y <= TOP_HDR_LINES || row >= nrows)
		return 0;
	move_sel(ui, row, rows, nrows);
	if (!dbl)
		return TF_REDRAW;
	ui->mode = TM_DETAIL;
	return TF_DETAIL | TF_REDRAW;
}
