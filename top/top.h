/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * top.h - quelltop's pure pieces: the column table, value formatting,
 * the row model (filter, sort, top-N), the UI state and key handling.
 * Nothing here touches the terminal or the socket, so tests/unit/test_top_*
 * drive it with literal tviews. The screen (screen.c), batch output
 * (batch.c) and terminal handling (term.c) sit on top.
 */
#ifndef QUELL_TOP_H
#define QUELL_TOP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "proto.h"

/* --- columns (htop style: one const row per column) --- */

/*
 * The name, then the TOP rows of QV_TABLE (include/metrics.h) in its order
 * (TC_CPU, TC_INFL, TC_SUFF, TC_MEM, TC_READ, TC_WRITE, TC_IOPS, TC_NPROC,
 * TC_FAULTS today), then the limit hits and the state.
 */
#define TC_ENUM_(id, field, op, a, b, div, rate, top, tc, title, ...) \
	QV_IF_##top(TC_##tc,)
enum top_col_id {
	TC_NAME,
	QV_TABLE(TC_ENUM_)
	TC_HITS,
	TC_STATE,
	TC_NR
};
#undef TC_ENUM_

struct top_col {
	enum top_col_id id;
	const char *title;	/* header text */
	const char *json;	/* key in --json frames */
	const char *help;	/* one line for the ? screen and docs */
	int width;		/* minimum width; NAME and STATE grow */
	bool left;		/* left-aligned (text) */
	bool desc;		/* sorted biggest first when picked */
	int key;		/* sort hot key, 0 none */
	int prio;		/* 0 always shown; higher = dropped first on narrow terminals */
};

extern const struct top_col top_cols[TC_NR];

/*
 * Look up a column by title or json key, or a prefix of exactly one json
 * key ("cpu", "mem"), case-insensitive. TC_NR if none or ambiguous ("io").
 */
enum top_col_id top_col_by_name(const char *name);

/*
 * Value of a column for sorting: NAN when unknown (sorted last in both
 * directions). TC_NAME and TC_STATE sort by their text / severity.
 */
double top_col_value(const struct tview *t, enum top_col_id c);
/* The struct qm_view field behind a metric column; QV_NR for TENANT, HITS, STATE. */
enum qv_id top_col_view(enum top_col_id c);

/*
 * top_fmt_num - a number in at most width chars with an SI-ish suffix:
 * 999, 1.2k, 12k, 1.5M; "-" for NAN/negative. binary: 1024 steps and
 * K/M/G/T (sizes), else 1000 steps and k/M/G/T. Returns buf.
 */
char *top_fmt_num(double v, bool binary, char *buf, size_t len);
/* top_fmt_pct - "12.3", "123", "1.2k"; "-" for NAN. Returns buf. */
char *top_fmt_pct(double v, char *buf, size_t len);
/* top_fmt_cell - column c of t, unpadded. Returns buf. */
char *top_fmt_cell(const struct tview *t, enum top_col_id c, char *buf, size_t len);

/* Which columns fit in a terminal of width cols, with their widths. */
struct top_layout {
	int ncols;
	enum top_col_id col[TC_NR];
	int width[TC_NR];	/* indexed by position, not id */
	int total;		/* chars used including separators */
	int cols;		/* the screen width: lines are cut there */
};

/* Fills *l for a screen width; always keeps NAME, CPU and STATE. Returns 0. */
int top_layout_make(int cols, struct top_layout *l);
/* One padded line (the header when t == NULL), cut at len-1. Returns buf. */
char *top_fmt_line(const struct top_layout *l, const struct tview *t, int sort_col,
		   bool desc, char *buf, size_t len);

/* --- the UI state (everything the keys change) --- */

enum top_mode { TM_LIST, TM_DETAIL, TM_HELP };
enum top_prompt { TP_NONE, TP_FILTER, TP_TOPN, TP_DELAY, TP_CONFIRM };

#define TOP_DELAY_MIN	0.5
#define TOP_DELAY_MAX	3600.0

struct top_ui {
	enum top_col_id sort;
	bool desc;
	char filter[TENANT_NAME_MAX];
	int top_n;			/* 0 = all */
	bool paused;
	double delay_s;
	enum top_mode mode;
	enum top_mode back;		/* where the help screen returns to */
	enum top_prompt prompt;
	char input[TENANT_NAME_MAX];	/* text typed at a prompt */
	char action[16];		/* throttle / release / kill awaiting y/n, then to do */
	char sel_name[TENANT_NAME_MAX];	/* the selected tenant, followed across re-sorts */
	int sel;			/* its index in the visible rows */
	int scroll;			/* first visible row on screen */
	int step;			/* replay: -1/+1 requested */
	char msg[160];			/* status line */
};

/* Defaults: sort by CPU% descending, 2 s, no filter. */
void top_ui_init(struct top_ui *ui);
/* Keeps ui->sel on screen: adjusts ui->scroll for page rows of nrows. */
void top_ui_scroll(struct top_ui *ui, int nrows, int page);

/* --- rows: filter, sort, top-N --- */

/* Highlighted row: a rule is tripping (offender) or the state is not ok. */
bool top_row_alert(const struct tview *t);
/* Case-insensitive substring match of filter in name; "" matches all. */
bool top_match(const char *name, const char *filter);
/* Sorts rows by col; ties by name ascending; unknown values last. */
void top_sort(const struct tview **rows, int n, enum top_col_id col, bool desc);
/*
 * top_rows_build - pointers into tv[0..n): filtered, sorted, cut to top_n.
 * *out is malloc()ed (caller frees; NULL when none). Also re-finds the
 * selected tenant: ui->sel follows ui->sel_name and is clamped.
 * Returns the number of rows or -ENOMEM.
 */
int top_rows_build(const struct tview *tv, int n, struct top_ui *ui, const struct tview ***out);

/* --- keys: handlers change ui and return what the loop must do --- */

enum top_flag {
	TF_REDRAW = 1 << 0,	/* repaint from the data we have */
	TF_FETCH = 1 << 1,	/* fetch now (not waiting for the interval) */
	TF_QUIT = 1 << 2,
	TF_ACTION = 1 << 3,	/* run ui->action on ui->sel_name (confirmed) */
	TF_DETAIL = 1 << 4,	/* (re)load the drill-down of ui->sel_name */
	TF_RESIZE = 1 << 5,	/* terminal size changed */
	TF_STEP = 1 << 6,	/* replay: step by ui->step */
	TF_REBUILD = 1 << 7,	/* sort / filter / top-N changed: rebuild rows */
};

/*
 * top_key - handle one key (ncurses codes). rows/nrows: the rows on screen
 * (for selection moves); page: rows per screen page. Returns TF_* flags.
 */
unsigned int top_key(struct top_ui *ui, int key, const struct tview *const *rows, int nrows,
		     int page);

/*
 * top_click - a mouse click at screen line y, column x on the list screen
 * laid out as l: the column titles line (TOP_HDR_LINES) sorts by the column
 * clicked (again: inverts), a row line selects that tenant; a double click
 * on a row opens its drill-down. Returns TF_* flags (0: nothing there).
 */
unsigned int top_click(struct top_ui *ui, const struct top_layout *l, int y, int x, bool dbl,
		       const struct tview *const *rows, int nrows);

/* Help text, one entry per line, NULL-terminated. */
extern const char *const top_help[];

/* --- header and frames (screen and batch share them) --- */

#ifndef QUELL_DEFAULT_SOCKET
#define QUELL_DEFAULT_SOCKET	"/run/quell/quell.sock"
#endif

/* The drill-down of one tenant, as last loaded. */
struct top_detail {
	char name[TENANT_NAME_MAX];
	struct pview *pv;		/* malloc()ed, sorted by CPU% */
	int np;
	json_t *le;			/* {"limits":{}, "events":[]} or NULL */
	int err;			/* last load error, 0 ok */
};

/* Everything one screen shows. */
struct top_frame {
	struct hview host;
	struct tview *tv;		/* every tenant, from the source */
	int ntv;
	const struct tview **rows;	/* filtered / sorted / cut view into tv */
	int nrows;
	char when[64];			/* the source's label of the instant */
	char conn[32];			/* "connected", "unreachable, retrying", "replay" */
	char why[128];			/* why the last fetch failed, "" when it worked */
	char last_ok[64];		/* when label of the last frame that worked */
	bool have_data;			/* at least one fetch worked */
	bool stale;			/* the rows are from an earlier fetch */
	struct top_detail det;
};

/* Frees what the frame owns and zeroes it. */
void top_frame_free(struct top_frame *f);
void top_detail_free(struct top_detail *d);
/* Sorts processes by CPU% descending, then RSS, then pid. */
void top_sort_procs(struct pview *pv, int np);
/* One line describing a policy event (keys in a stable order). Returns buf. */
char *top_fmt_event(json_t *ev, char *buf, size_t len);
/* "cpu_pct=50 mem_max=1.0G ..." from a limits object (null = unlimited). Returns buf. */
char *top_fmt_limits(json_t *lim, char *buf, size_t len);

#define TOP_HDR_LINES	4

/*
 * top_fmt_header - the TOP_HDR_LINES summary lines of a frame. conn is the
 * daemon state text ("connected", "unreachable, retrying"), when the
 * source's label of the instant. Lines are cut at width. Returns 0.
 */
int top_fmt_header(const struct hview *h, const char *when, const char *conn, int width,
		   char lines[TOP_HDR_LINES][256]);

/* JSON object of one tenant row for --json (NAN/INFINITY -> null). */
json_t *top_tview_json(const struct tview *t);
json_t *top_hview_json(const struct hview *h);

/* --- batch mode (-b) --- */

/*
 * top_batch_frame - print one frame to out: the header lines, a blank
 * line, the column titles and the rows (like top -b), lines cut at width;
 * or with json one line {"time","when","daemon","host","tenants":[...]}.
 * Returns 0 or -EIO.
 */
int top_batch_frame(FILE *out, const struct top_frame *f, const struct top_ui *ui, bool json,
		    int width);

#endif /* QUELL_TOP_H */
