// SPDX-License-Identifier: GPL-2.0-only
/*
 * quelltop - live view of which tenant is hurting its neighbours.
 *
 * The loop: fetch a frame from the source (top/source.h), build the rows,
 * paint; keys change struct top_ui and return flags this loop acts on.
 * Exit codes: 0 normal, 1 error (terminal, source, or in batch mode no
 * frame could be fetched), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "source.h"
#include "units.h"
#include "term.h"
#include "top.h"

struct opts {
	const char *sock;
	const char *at;		/* --at: replay history from this instant */
	const char *rrd_dir;	/* --rrd-dir, else [history] dir of -c CONFIG */
	const char *config;
	bool batch, json;
	long iterations;	/* batch: 0 = until killed */
	int width;		/* batch line width */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: quelltop [OPTIONS]\n"
		"Live view of tenants' CPU, run-queue delay inflicted/suffered, memory, IO and state.\n"
		"\n"
		"  -s, --socket PATH    quelld's socket (default %s)\n"
		"  -d, --delay SECS     refresh interval, %.1f to %.0f (default 2)\n"
		"  -o, --sort COLUMN    sort column by title or JSON key: cpu, inflicted_ms_s, mem, name...\n"
		"  -r, --reverse        invert the sort order\n"
		"  -f, --filter TEXT    only tenants whose name contains TEXT\n"
		"  -t, --top N          only the first N tenants\n"
		"  -b, --batch          print plain text frames, no terminal control (like top -b)\n"
		"  -n, --iterations N   batch: stop after N frames (default: until interrupted)\n"
		"  -j, --json           batch: one JSON object per frame and line\n"
		"  -w, --width COLS     batch: line width (default 160)\n"
		"  -a, --at WHEN        replay history from WHEN: \"2026-11-20 03:10\", -2h, EPOCH;\n"
		"                       Left/Right step through time (no daemon needed)\n"
		"      --rrd-dir DIR    history directory (default: [history] dir of -c CONFIG,\n"
		"                       else /var/lib/quell/rrd)\n"
		"  -c, --config PATH    quell.conf, to find the history directory\n"
		"  -h, --help           this help\n"
		"\n"
		"Keys: ? help, q quit, < > sort column, I invert, / filter, n top-N, space pause,\n"
		"d + - interval, Enter details, t throttle, r release, k kill (asks y/n).\n"
		"Exit status: 0 ok, 1 error (in batch mode: no frame fetched), 2 usage.\n",
		QUELL_DEFAULT_SOCKET, TOP_DELAY_MIN, TOP_DELAY_MAX);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *fetch_error(int err)
{
	switch (err) {
	case -EBADMSG:
		return "reply not understood";
	case -ENODATA:
		return "no data at this instant";
	case -EACCES:
		return "permission denied: quelld refuses this user the live view";
	default:
		return strerror(-err);
	}
}

/* Fetches a frame into f; on failure keeps the previous rows, marked stale. Returns 0 / -errno. */
static int frame_fetch(struct top_source *src, struct top_frame *f, const struct top_ui *ui,
		       bool live)
{
	struct hview h;
	struct tview *tv = NULL;
	int n = 0, ret;

	memset(&h, 0, sizeof(h));
	ret = src->ops->fetch(src, &h, &tv, &n, f->when, sizeof(f->when));
	if (ret) {
		snprintf(f->conn, sizeof(f->conn), "%s", live ? "unreachable, retrying" : "replay");
		snprintf(f->why, sizeof(f->why), "%s", fetch_error(ret));
		f->stale = f->have_data;
		return ret;
	}
	free(f->tv);
	f->tv = tv;
	f->ntv = n;
	f->host = h;
	f->have_data = true;
	f->stale = false;
	f->why[0] = '\0';
	snprintf(f->last_ok, sizeof(f->last_ok), "%s", f->when);
	snprintf(f->conn, sizeof(f->conn), "%s", live ? "connected" : "replay");
	return 0;
}

static int frame_rows(struct top_frame *f, struct top_ui *ui)
{
	const struct tview **rows;
	int n = top_rows_build(f->tv, f->ntv, ui, &rows);

	if (n < 0)
		return n;
	free(f->rows);
	f->rows = rows;
	f->nrows = n;
	return 0;
}

static void detail_load(struct top_source *src, struct top_frame *f, const char *name)
{
	struct top_detail *d = &f->det;

	top_detail_free(d);
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->err = src->ops->detail ? src->ops->detail(src, name, &d->pv, &d->np, &d->le) : -ENOTSUP;
	top_sort_procs(d->pv, d->np);
}

static void do_action(struct top_source *src, struct top_ui *ui)
{
	char err[256] = "";
	int ret;

	ret = src->ops->action ? src->ops->action(src, ui->action, ui->sel_name, err, sizeof(err))
			       : -ENOTSUP;
	if (!ret)
		snprintf(ui->msg, sizeof(ui->msg), "%s %s: done", ui->action, ui->sel_name);
	else if (ret == -ENOTSUP)
		snprintf(ui->msg, sizeof(ui->msg), "%s: not possible in a replay", ui->action);
	else
		snprintf(ui->msg, sizeof(ui->msg), "%s %s failed: %s", ui->action, ui->sel_name,
			 err[0] ? err : strerror(-ret));
	ui->action[0] = '\0';
}

static int run_batch(struct top_source *src, struct top_ui *ui, const struct opts *o, bool live)
{
	struct top_frame f;
	int frames = 0;

	memset(&f, 0, sizeof(f));
	for (long i = 0; !o->iterations || i < o->iterations; i++) {
		struct timespec ts;
		int ret;

		if (i && live) {
			ts.tv_sec = (time_t)ui->delay_s;
			ts.tv_nsec = (long)((ui->delay_s - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
		if (top_term_signal)
			break;
		ret = frame_fetch(src, &f, ui, live);
		if (ret) {
			/* a frame without data is skipped: the daemon may come back, a replay steps on */
			if (live)
				fprintf(stderr, "quelltop: %s: daemon unreachable: %s\n", o->sock, f.why);
			else
				fprintf(stderr, "quelltop: replay: %s\n", f.why);
			goto next;
		}
		if (frame_rows(&f, ui) || top_batch_frame(stdout, &f, ui, o->json, o->width)) {
			top_frame_free(&f);
			return 1;
		}
		frames++;
next:
		/* a replay advances one step per frame, like time does for the live view */
		if (!live && src->ops->step && src->ops->step(src, 1))
			break;
	}
	top_frame_free(&f);
	return frames ? 0 : 1;
}

static int run_screen(struct top_source *src, struct top_ui *ui, bool live)
{
	struct top_frame f;
	double next = 0;
	bool dirty = true;

	memset(&f, 0, sizeof(f));
	if (top_term_init()) {
		const char *term = getenv("TERM");

		fprintf(stderr, "quelltop: cannot use this terminal (TERM=%s, %s); -b prints text\n",
			term ? term : "unset", isatty(STDOUT_FILENO) ? "a tty" : "not a tty");
		return 1;
	}
	while (!top_term_signal) {
		unsigned int fl = 0;
		double now = now_s();
		int key, wait_ms;

		if (!ui->paused && now >= next)
			fl |= TF_FETCH;
		if (fl & TF_FETCH) {
			frame_fetch(src, &f, ui, live);
			if (ui->mode == TM_DETAIL && ui->sel_name[0])
				detail_load(src, &f, ui->sel_name);
			frame_rows(&f, ui);
			next = now + ui->delay_s;
			dirty = true;
		}
		if (dirty) {
			top_screen_draw(&f, ui);
			dirty = false;
		}
		/* short waits keep signals and interval changes prompt */
		wait_ms = ui->paused ? 250 : (int)((next - now_s()) * 1000);
		timeout(wait_ms < 10 ? 10 : wait_ms > 250 ? 250 : wait_ms);
		key = getch();
		if (key == ERR)
			continue;
		if (ui->prompt == TP_NONE)
			ui->msg[0] = '\0';
		if (key == KEY_MOUSE) {
			MEVENT me;
			struct top_layout l;

			fl = 0;
			if (getmouse(&me) == OK &&
			    (me.bstate & (BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED))) {
				top_layout_make(COLS, &l);
				fl = top_click(ui, &l, me.y, me.x,
					       me.bstate & BUTTON1_DOUBLE_CLICKED, f.rows, f.nrows);
			}
		} else {
			fl = top_key(ui, key, f.rows, f.nrows, top_screen_page());
		}
		if (fl & TF_QUIT)
			break;
		if (fl & TF_RESIZE)
			clear();
		if (fl & TF_ACTION) {
			do_action(src, ui);
			next = 0;
		}
		if (fl & TF_STEP) {
			int ret = src->ops->step ? src->ops->step(src, ui->step) : -ENOTSUP;

			if (ret == -ENOTSUP)
				snprintf(ui->msg, sizeof(ui->msg),
					 "live view: nothing to step through (replay with --at)");
			else if (ret == -ERANGE)
				snprintf(ui->msg, sizeof(ui->msg), "end of the history");
			else if (ret)
				snprintf(ui->msg, sizeof(ui->msg), "step: %s", strerror(-ret));
			else
				next = 0;
		}
		if (fl & TF_DETAIL)
			detail_load(src, &f, ui->sel_name);
		if (fl & TF_REBUILD)
			frame_rows(&f, ui);
		if (fl & TF_FETCH)
			next = 0;
		if (fl)
			dirty = true;
	}
	top_term_restore();
	top_frame_free(&f);
	return 0;
}

/* History replay: the RRD directory from --rrd-dir, -c CONFIG, or the default. */
static int replay_open(const struct opts *o, time_t at, struct top_source *src)
{
	static struct quell_config cfg;
	const char *dir = o->rrd_dir;
	char err[512];
	int ret;

	if (!dir) {
		ret = o->config ? config_load(o->config, &cfg, err, sizeof(err)) : -ENOENT;
		if (ret && o->config) {
			fprintf(stderr, "quelltop: %s\n", err);
			return ret;
		}
		if (ret)
			config_defaults(&cfg);
		dir = cfg.rrd_dir;
	}
	ret = top_source_rrd_open(dir, at, src);
	if (ret)
		fprintf(stderr, "quelltop: history in %s: %s\n", dir,
			ret == -ENOENT ? "none there" : ret == -ENODATA ? "no data at that time" :
			strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "delay", required_argument, NULL, 'd' },
		{ "sort", required_argument, NULL, 'o' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "filter", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 't' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "width", required_argument, NULL, 'w' },
		{ "at", required_argument, NULL, 'a' },
		{ "rrd-dir", required_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .sock = QUELL_DEFAULT_SOCKET, .width = 160 };
	struct top_source src = { 0 };
	struct top_ui ui;
	char *end;
	int c, ret;

	top_ui_init(&ui);
	while ((c = getopt_long(argc, argv, "s:d:o:rf:t:bn:jw:ha:c:", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.sock = optarg;
			break;
		case 'd':
			ui.delay_s = strtod(optarg, &end);
			if (*end || !isfinite(ui.delay_s) || ui.delay_s < TOP_DELAY_MIN ||
			    ui.delay_s > TOP_DELAY_MAX) {
				fprintf(stderr, "quelltop: --delay: want %.1f to %.0f seconds, not '%s'\n",
					TOP_DELAY_MIN, TOP_DELAY_MAX, optarg);
				return 2;
			}
			break;
		case 'o': {
			enum top_col_id id = top_col_by_name(optarg);

			if (id == TC_NR) {
				fprintf(stderr, "quelltop: --sort: no column '%s'; one of:", optarg);
				for (int i = 0; i < TC_NR; i++)
					fprintf(stderr, " %s", top_cols[i].json);
				fprintf(stderr, "\n");
				return 2;
			}
			ui.sort = id;
			ui.desc = top_cols[id].desc;
			break;
		}
		case 'r':
			ui.desc = !ui.desc;
			break;
		case 'f':
			snprintf(ui.filter, sizeof(ui.filter), "%s", optarg);
			break;
		case 't':
		case 'n':
		case 'w': {
			long v = strtol(optarg, &end, 10);

			if (*end || !optarg[0] || v < (c == 'w' ? 40 : 0) || v > 1000000) {
				fprintf(stderr, "quelltop: -%c: bad number '%s' (%d to 1000000)\n", c,
					optarg, c == 'w' ? 40 : 0);
				return 2;
			}
			if (c == 't')
				ui.top_n = (int)v;
			else if (c == 'n')
				o.iterations = v;
			else
				o.width = (int)v;
			break;
		}
		case 'b':
			o.batch = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'a':
			o.at = optarg;
			break;
		case 'R':
			o.rrd_dir = optarg;
			break;
		case 'c':
			o.config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "quelltop: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o.json && !o.batch) {
		fprintf(stderr, "quelltop: --json needs --batch\n");
		return 2;
	}
	if (top_term_signals()) {
		perror("quelltop: sigaction");
		return 1;
	}
	if (o.at) {
		int64_t at;

		if (units_parse_when(o.at, time(NULL), &at)) {
			fprintf(stderr, "quelltop: --at: want \"YYYY-MM-DD HH:MM\", -2h or EPOCH, not '%s'\n",
				o.at);
			return 2;
		}
		ret = replay_open(&o, (time_t)at, &src);
		if (ret)
			return 1;
	} else {
		ret = top_source_socket_open(o.sock, &src);
		if (ret) {
			fprintf(stderr, "quelltop: %s: %s\n", o.sock, strerror(-ret));
			return 1;
		}
	}
	ret = o.batch ? run_batch(&src, &ui, &o, !o.at) : run_screen(&src, &ui, !o.at);
	top_source_close(&src);
	return ret;
}
