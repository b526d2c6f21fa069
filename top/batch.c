// SPDX-License-Identifier: GPL-2.0-only
/* batch.c - quelltop -b: plain text frames like top -b, or JSON lines (--json). */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "top.h"

static int batch_json(FILE *out, const struct top_frame *f)
{
	json_t *o = json_object(), *arr = json_array();
	int ret = 0;

	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		return -ENOMEM;
	}
	json_object_set_new(o, "time", json_integer((json_int_t)time(NULL)));
	json_object_set_new(o, "when", json_string(f->when));
	json_object_set_new(o, "daemon", json_string(f->conn));
	json_object_set_new(o, "stale", json_boolean(f->stale));
	json_object_set_new(o, "host", f->have_data ? top_hview_json(&f->host) : json_null());
	for (int i = 0; i < f->nrows; i++)
		json_array_append_new(arr, top_tview_json(f->rows[i]));
	json_object_set_new(o, "tenants", arr);
	if (json_dumpf(o, out, JSON_COMPACT) || fputc('\n', out) == EOF)
		ret = -EIO;
	json_decref(o);
	return ret;
}

int top_batch_frame(FILE *out, const struct top_frame *f, const struct top_ui *ui, bool json,
		    int width)
{
	char lines[TOP_HDR_LINES][256], line[512];
	struct top_layout l;

	if (json)
		return batch_json(out, f);
	top_fmt_header(&f->host, f->when, f->conn, width, lines);
	for (int i = 0; i < TOP_HDR_LINES; i++)
		fprintf(out, "%s\n", lines[i]);
	fputc('\n', out);
	top_layout_make(width, &l);
	fprintf(out, "%s\n", top_fmt_line(&l, NULL, ui->sort, ui->desc, line, sizeof(line)));
	for (int i = 0; i < f->nrows; i++)
		fprintf(out, "%s\n", top_fmt_line(&l, f->rows[i], -1, false, line, sizeof(line)));
	fputc('\n', out);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
