// SPDX-License-Identifier: GPL-2.0-only
/*
 * screen.c - painting. Reads the frame and the UI state, never changes
 * anything but ui->scroll; every string comes from the pure formatters so
 * the screen and batch mode print the same thing.
 */
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <string.h>

#include "term.h"

#define COLOR(p)	(has_colors() ? COLOR_PAIR(p) : 0)

static const char hints[] =
	"?:help q:quit </>:sort I:invert /:filter n:top-N Enter:details t/r/k:throttle/release/kill";
static const char hints_short[] = "?:help q:quit </>:sort /:filter Enter:details t/r/k:act";

int top_screen_page(void)
{
	int page = LINES - TOP_HDR_LINES - 2;

	return page < 1 ? 1 : page;
}

/* text on line y, cut to the screen; bar: padded to the full width */
static void put(int y, attr_t attr, bool bar, const char *text)
{
	if (y < 0 || y >= LINES)
		return;
	move(y, 0);
	attron(attr);
	addnstr(text, COLS);
	if (bar) {
		int x = (int)strlen(text);

		for (; x < COLS; x++)
			addch(' ');
	}
	attroff(attr);
}

static bool is_connected(const struct top_frame *f)
{
	return !strncmp(f->conn, "connected", 9) || !strncmp(f->conn, "replay", 6);
}

static void draw_header(const struct top_frame *f)
{
	char lines[TOP_HDR_LINES][256];

	top_fmt_header(&f->host, f->when, f->conn, COLS, lines);
	for (int i = 0; i < TOP_HDR_LINES; i++)
		put(i, i == 0 && !is_connected(f) ? COLOR(TOP_PAIR_ALERT) | A_BOLD : A_NORMAL, false,
		    lines[i]);
}

static void draw_status(const struct top_frame *f, const struct top_ui *ui)
{
	char line[512], right[128];
	int y = LINES - 1;

	move(y, 0);
	clrtoeol();
	switch (ui->prompt) {
	case TP_FILTER:
		snprintf(line, sizeof(line), "filter (Enter applies, Esc cancels): %s_", ui->input);
		put(y, A_BOLD, false, line);
		return;
	case TP_TOPN:
		snprintf(line, sizeof(line), "show the top N tenants (0 = all): %s_", ui->input);
		put(y, A_BOLD, false, line);
		return;
	case TP_DELAY:
		snprintf(line, sizeof(line), "refresh interval in seconds (now %.1f): %s_",
			 ui->delay_s, ui->input);
		put(y, A_BOLD, false, line);
		return;
	case TP_CONFIRM:
		snprintf(line, sizeof(line), "%s %s? [y/N] ", ui->action, ui->sel_name);
		put(y, COLOR(TOP_PAIR_ALERT) | A_BOLD, false, line);
		return;
	default:
		break;
	}
	if (!is_connected(f) || f->why[0]) {
		int n = !strcmp(f->conn, "replay") ?
			snprintf(line, sizeof(line), "replay: %s", f->why) :
			snprintf(line, sizeof(line), "daemon %s every %.1fs: %s", f->conn,
				 ui->delay_s, f->why);

		if (f->stale && n > 0 && (size_t)n < sizeof(line))
			snprintf(line + n, sizeof(line) - (size_t)n, "; rows from %s", f->last_ok);
		put(y, COLOR(TOP_PAIR_ALERT) | A_BOLD, true, line);
		return;
	}
	if (ui->msg[0]) {
		put(y, COLOR(TOP_PAIR_MSG) | A_BOLD, false, ui->msg);
		return;
	}
	snprintf(right, sizeof(right), "%s%s%s%s%.1fs", ui->paused ? "[paused] " : "",
		 ui->filter[0] ? "filter:" : "", ui->filter, ui->filter[0] ? " " : "", ui->delay_s);
	if (ui->top_n) {
		size_t n = strlen(right);

		snprintf(right + n, sizeof(right) - n, " top%d", ui->top_n);
	}
	put(y, A_NORMAL, false,
	    (int)(sizeof(hints) + strlen(right)) < COLS ? hints : hints_short);
	if ((int)strlen(right) + 1 < COLS) {
		move(y, COLS - (int)strlen(right) - 1);
		clrtoeol();
		attron(A_BOLD);
		addstr(" ");
		addstr(right);
		attroff(A_BOLD);
	}
}

static void draw_list(const struct top_frame *f, struct top_ui *ui)
{
	struct top_layout l;
	char line[512];
	int y = TOP_HDR_LINES, page = top_screen_page(), x = 0;

	top_layout_make(COLS, &l);
	top_fmt_line(&l, NULL, ui->sort, ui->desc, line, sizeof(line));
	put(y, COLOR(TOP_PAIR_BAR) | (has_colors() ? 0 : A_REVERSE), true, line);
	for (int k = 0; k < l.ncols; k++) {
		if (l.col[k] == ui->sort && x < COLS) {
			mvchgat(y, x, l.width[k], A_BOLD, TOP_PAIR_SORT, NULL);
			break;
		}
		x += l.width[k] + 1;
	}
	y++;
	if (!f->nrows) {
		put(y, COLOR(TOP_PAIR_DIM), false,
		    !f->have_data ? "  (no data yet)" :
		    ui->filter[0] ? "  (no tenant matches the filter; Esc clears it)" :
		    "  (no tenants)");
	}
	top_ui_scroll(ui, f->nrows, page);
	for (int i = ui->scroll; i < f->nrows && y < LINES - 1; i++, y++) {
		const struct tview *t = f->rows[i];
		attr_t a = A_NORMAL;

		top_fmt_line(&l, t, -1, false, line, sizeof(line));
		if (top_row_alert(t))
			a |= COLOR(TOP_PAIR_OFFENDER) | A_BOLD;
		if (f->stale)
			a |= A_DIM;
		if (i == ui->sel)
			a |= A_REVERSE;
		put(y, a, i == ui->sel, line);
	}
}

static const struct tview *find_tenant(const struct top_frame *f, const char *name)
{
	for (int i = 0; i < f->ntv; i++)
		if (!strcmp(f->tv[i].name, name))
			return &f->tv[i];
	return NULL;
}

static void draw_detail(const struct top_frame *f, struct top_ui *ui)
{
	const struct top_detail *d = &f->det;
	const struct tview *t = find_tenant(f, ui->sel_name);
	char line[512], a[16], b[16], c[16], e[16], g[16], h[16];
	int y = TOP_HDR_LINES, room, nproc_lines;
	json_t *events = d->le ? json_object_get(d->le, "events") : NULL;
	size_t nev = json_is_array(events) ? json_array_size(events) : 0;

	snprintf(line, sizeof(line), "TENANT %s", ui->sel_name);
	if (t) {
		size_t n = strlen(line);

		if (t->uid >= 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "  uid %lld", (long long)t->uid);
		snprintf(line + n, sizeof(line) - n, "  cgroup %s  state %s",
			 t->cgroup, top_fmt_cell(t, TC_STATE, a, sizeof(a)));
	}
	put(y++, COLOR(TOP_PAIR_BAR) | A_BOLD | (has_colors() ? 0 : A_REVERSE), true, line);
	if (t) {
		snprintf(line, sizeof(line),
			 "cpu %s%%  inflicted %s ms/s  suffered %s ms/s  mem %s  io r %s/s w %s/s",
			 top_fmt_cell(t, TC_CPU, a, sizeof(a)), top_fmt_cell(t, TC_INFL, b, sizeof(b)),
			 top_fmt_cell(t, TC_SUFF, c, sizeof(c)), top_fmt_cell(t, TC_MEM, e, sizeof(e)),
			 top_fmt_cell(t, TC_READ, g, sizeof(g)), top_fmt_cell(t, TC_WRITE, h, sizeof(h)));
		put(y++, top_row_alert(t) ? COLOR(TOP_PAIR_OFFENDER) | A_BOLD : A_NORMAL, false, line);
		snprintf(line, sizeof(line),
			 "iops %s  nproc %s  faults %s/s  limit hits: cpu %llu mem %llu pids %llu io %llu",
			 top_fmt_cell(t, TC_IOPS, a, sizeof(a)), top_fmt_cell(t, TC_NPROC, b, sizeof(b)),
			 top_fmt_cell(t, TC_FAULTS, c, sizeof(c)),
			 (unsigned long long)t->faults_cpu, (unsigned long long)t->faults_mem,
			 (unsigned long long)t->faults_pids, (unsigned long long)t->faults_io);
		put(y++, A_NORMAL, false, line);
	} else {
		put(y++, COLOR(TOP_PAIR_MSG), false, "(tenant not in the last frame)");
	}
	if (d->err) {
		snprintf(line, sizeof(line), "details unavailable: %s", strerror(-d->err));
		put(y++, COLOR(TOP_PAIR_MSG) | A_BOLD, false, line);
	} else {
		char lim[400];

		top_fmt_limits(d->le ? json_object_get(d->le, "limits") : NULL, lim, sizeof(lim));
		snprintf(line, sizeof(line), "limits: %s", lim);
		put(y++, A_NORMAL, false, line);
	}

	/* processes get what the events (up to 5) leave */
	room = LINES - 1 - y - 2;
	nproc_lines = room - (nev ? (nev < 5 ? (int)nev : 5) : 1);
	if (nproc_lines < 1)
		nproc_lines = 1;
	snprintf(line, sizeof(line), "%7s %-16s %6s %6s %4s   (%d processes)", "PID", "COMMAND",
		 "CPU%", "RSS", "THR", d->np);
	put(y++, COLOR(TOP_PAIR_BAR) | (has_colors() ? 0 : A_REVERSE), true, line);
	for (int i = 0; i < d->np && i < nproc_lines && y < LINES - 1; i++, y++) {
		const struct pview *p = &d->pv[i];

		snprintf(line, sizeof(line), "%7d %-16.16s %6s %6s %4d", p->pid, p->comm,
			 top_fmt_pct(p->cpu_pct, a, sizeof(a)),
			 top_fmt_num(p->rss_bytes, true, b, sizeof(b)), p->threads);
		put(y, A_NORMAL, false, line);
	}
	if (!d->np && !d->err && y < LINES - 1)
		put(y++, COLOR(TOP_PAIR_DIM), false, "  (no processes)");
	if (y >= LINES - 1)
		return;
	put(y++, COLOR(TOP_PAIR_BAR) | (has_colors() ? 0 : A_REVERSE), true,
	    "RECENT EVENTS (newest first)");
	if (!nev && y < LINES - 1)
		put(y++, COLOR(TOP_PAIR_DIM), false, "  (none)");
	for (size_t i = 0; i < nev && y < LINES - 1; i++, y++) {
		/* the daemon lists oldest first */
		top_fmt_event(json_array_get(events, nev - 1 - i), line, sizeof(line));
		put(y, A_NORMAL, false, line);
	}
}

static void draw_help(void)
{
	int y = TOP_HDR_LINES;

	put(y++, COLOR(TOP_PAIR_BAR) | A_BOLD | (has_colors() ? 0 : A_REVERSE), true,
	    "quelltop help - any key returns");
	for (int i = 0; top_help[i] && y < LINES - 1; i++)
		put(y++, A_NORMAL, false, top_help[i]);
	for (int i = 0; i < TC_NR && y < LINES - 1; i++) {
		char line[256];

		snprintf(line, sizeof(line), "  %-8s %s", top_cols[i].title, top_cols[i].help);
		put(y++, A_NORMAL, false, line);
	}
}

void top_screen_draw(const struct top_frame *f, struct top_ui *ui)
{
	erase();
	draw_header(f);
	switch (ui->mode) {
	case TM_DETAIL:
		draw_detail(f, ui);
		break;
	case TM_HELP:
		draw_help();
		break;
	default:
		draw_list(f, ui);
		break;
	}
	draw_status(f, ui);
	refresh();
}
