/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl.h - quellctl's internals, shared by main.c, the cmd_*.c files and the
 * unit tests (which link every object of src/quellctl except main.o).
 *
 * A command is `int ctl_cmd_X(struct ctl_ctx *c, int argc, char **argv)`
 * where argv[0] is the command name; it returns one of the CTL_EXIT_* codes.
 */
#ifndef QUELL_CTL_H
#define QUELL_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "proto.h"

/* Exit codes (documented in `quellctl --help`). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_DAEMON = 1,	/* the daemon answered with an error (or bad data) */
	CTL_EXIT_USAGE = 2,	/* bad command line */
	CTL_EXIT_CONNECT = 3,	/* cannot connect to / talk with the daemon */
	CTL_EXIT_DENIED = 4,	/* the daemon refused this caller ("permission denied") */
};

struct ctl_cmd;

struct ctl_ctx {
	const char *sock_path;		/* -s; default QUELL_DEFAULT_SOCKET */
	const char *config_path;	/* -c; NULL: QUELL_DEFAULT_CONFIG if it exists */
	bool json;			/* --json anywhere on the command line */
	FILE *out;			/* normally stdout (tests: a memstream) */
	FILE *err;			/* normally stderr */
	int fd;				/* connection, -1 until ctl_call() opens it */
	time_t now;			/* "now" for --since parsing; 0: time(NULL) */
	const struct ctl_cmd *cmd;	/* the command ctl_main() runs (its usage line); NULL before */
};

#define QUELL_DEFAULT_SOCKET	"/run/quell/quell.sock"

/* --- ctl_call.c: the context, the connection, output and usage errors --- */

void ctl_ctx_init(struct ctl_ctx *c);
void ctl_ctx_close(struct ctl_ctx *c);

/*
 * ctl_call - connect if needed, send req (reference stolen), wait for the
 * reply. Returns CTL_EXIT_OK with *resp set (caller json_decref()s), or
 * prints a message on c->err and returns CTL_EXIT_DAEMON / CTL_EXIT_CONNECT.
 */
int ctl_call(struct ctl_ctx *c, json_t *req, json_t **resp);
/* ctl_call(), with proto_call_raw()'s unparsed ok reply (*line) when it has raw_key. */
int ctl_call_raw(struct ctl_ctx *c, json_t *req, const char *raw_key, char **line, size_t *len,
		 json_t **resp);
/* Print resp (the daemon's reply, ok included) as one JSON document on c->out. */
void ctl_print_json(struct ctl_ctx *c, json_t *resp);
/*
 * Print "quellctl CMD: message" on c->err, then (CMD given) the usage line
 * of c->cmd; returns CTL_EXIT_USAGE.
 */
int ctl_usage_error(struct ctl_ctx *c, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- pure helpers (ctl_args.c) --- */

/* argv has "--help" or "-h" after argv[0]. */
bool ctl_wants_help(int argc, char **argv);
/* Parse a pid (1..INT_MAX). Returns 0 or -EINVAL. */
int ctl_parse_pid(const char *s, int *out);

/* Sort keys of `quellctl list --sort`. */
enum ctl_sort {
	CTL_SORT_CPU,
	CTL_SORT_MEM,
	CTL_SORT_IO,
	CTL_SORT_IOPS,
	CTL_SORT_INFLICTED,
	CTL_SORT_SUFFERED,
	CTL_SORT_FAULTS,
	CTL_SORT_NPROC,
	CTL_SORT_MEM_INFLICTED,
	CTL_SORT_NAME,
};

struct ctl_list_opts {
	enum ctl_sort sort;
	bool reverse;
	int top;			/* 0: all */
};

/* Returns 0, -EINVAL for an unknown key. */
int ctl_sort_parse(const char *s, enum ctl_sort *out);
/*
 * ctl_list_parse_args - `list` options (argv[0] = "list"). Returns 0 or
 * -EINVAL with a message in err.
 */
int ctl_list_parse_args(int argc, char **argv, struct ctl_list_opts *o, char *err, size_t errlen);
/*
 * ctl_sort_tviews - sort by o->sort, biggest first (name: A..Z); NAN
 * (unknown) always last; --reverse flips the known ones.
 */
void ctl_sort_tviews(struct tview *t, int n, const struct ctl_list_opts *o);
/* Same order as ctl_sort_tviews, as indexes into t (idx has n entries). */
void ctl_sort_index(const struct tview *t, int n, const struct ctl_list_opts *o, int *idx);
/*
 * ctl_opt_value - "--opt VALUE" or "--opt=VALUE" at argv[*i]. Returns 1 with
 * *val set (*i advanced past a separate value), 0 if argv[*i] is another
 * option, -EINVAL if the value is missing.
 */
int ctl_opt_value(int argc, char **argv, int *i, const char *opt, const char **val);

/* --- table output (ctl_table.c) --- */

/* Sum of the four fault counters of a tenant. */
uint64_t ctl_tview_faults(const struct tview *t);
/* The `list` table for t[0..n) (header line + one line per tenant). */
void ctl_print_list(FILE *f, const struct tview *t, int n);
/* `show`: one tenant, key: value lines. */
void ctl_print_show(FILE *f, const struct tview *t);
/* `status`: the host view. */
void ctl_print_status(FILE *f, const struct hview *h);
/* `status`: the reply's "bpf" and "placement" objects, when present. */
void ctl_print_status_extra(FILE *f, json_t *resp);

/*
 * A minimal aligned-table builder: cells are copied; columns are as wide as
 * their widest cell; numeric columns (right=true) are right-aligned.
 */
#define CTL_TABLE_MAX_COLS	16

struct ctl_table {
	int ncols, nrows, cap;
	const char *head[CTL_TABLE_MAX_COLS];
	bool right[CTL_TABLE_MAX_COLS];
	char **cells;			/* nrows * ncols strings */
};

void ctl_table_init(struct ctl_table *t, int ncols, const char *const *head, const bool *right);
/* Append a row of ncols cells; NULL cells print as "-". Returns 0 or -ENOMEM. */
int ctl_table_add(struct ctl_table *t, const char *const *cells);
void ctl_table_print(FILE *f, const struct ctl_table *t);
void ctl_table_free(struct ctl_table *t);

/* "12.5%" / "-" for NAN, into buf; returns buf. */
char *ctl_fmt_pct(double v, char *buf, size_t len);
/* "%.1f" / "-" for NAN; returns buf. */
char *ctl_fmt_num(double v, char *buf, size_t len);
/* "1.5M/s" / "-"; returns buf. */
char *ctl_fmt_rate(double bytes_s, char *buf, size_t len);

/* --- replies without a struct view (ctl_reply.c) --- */

/* Events table: TIME TENANT ACTION RULE DETAILS (evidence and the rest as k=v). */
void ctl_print_events(FILE *f, json_t *events);
/* The DETAILS cell of one event. */
void ctl_fmt_event_details(json_t *ev, char *buf, size_t len);
/* "cpu_pct=50% mem_max=1G nproc=unlimited" from a limits object (null = unlimited). */
void ctl_fmt_limits_obj(json_t *o, char *buf, size_t len);
/* `limits`: one line per sub-object (static, dynamic, effective), then scalars. */
void ctl_print_limits(FILE *f, const char *name, json_t *lim);

/* --- command-line parsing of the acting commands (cmd_control.c) --- */

/*
 * ctl_set_parse_args - `set TENANT k=v...`: checks every pair with
 * limits_parse_kv() and builds {"k":"v",...} in *limits. Returns 0 or
 * -EINVAL with a message in err.
 */
int ctl_set_parse_args(int argc, char **argv, json_t **limits, char *err, size_t errlen);
/* `--for D` after TENANT: *secs (0 = not given). Returns 0 or -EINVAL. */
int ctl_parse_for(int argc, char **argv, int64_t *secs, char *err, size_t errlen);
/* `events` options into a request {"cmd":"events",...}. Returns 0 or -EINVAL. */
int ctl_events_parse_args(int argc, char **argv, time_t now, json_t **req, char *err, size_t errlen);

/* --- commands --- */

int ctl_cmd_status(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_list(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_show(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_tenants(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_place(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_where(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_limits(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_set(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_throttle(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_release(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_freeze(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_kill(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_events(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_web_link(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_ping(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_import_lve(struct ctl_ctx *c, int argc, char **argv);	/* cmd_lve.c, no daemon */

/* src/quellctl/cmd_history.c (history engineer): read the RRD files directly. */
int ctl_cmd_history(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_report(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_graph(struct ctl_ctx *c, int argc, char **argv);

struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl_ctx *c, int argc, char **argv);
	const char *usage;		/* "list [--sort KEY] [--reverse] [--top N]" */
	const char *help;		/* one line */
};

/* The command table (ctl_main.c), terminated by a NULL name. */
extern const struct ctl_cmd ctl_cmds[];
const struct ctl_cmd *ctl_cmd_find(const char *name);
/* Print "usage: quellctl CMD..." + help for one command (ctl_call.c; NULL: nothing). */
void ctl_cmd_usage(FILE *f, const struct ctl_cmd *cmd);
/*
 * ctl_main - everything main() does, testable: global options, dispatch.
 * Returns the exit code.
 */
int ctl_main(struct ctl_ctx *c, int argc, char **argv);

#endif /* QUELL_CTL_H */
