// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_call.c - what every quellctl command uses: the context, the
 * connection to quelld (ctl_call), JSON output and usage errors. Apart from
 * ctl_main.c, which names the commands and dispatches, so that the
 * commands (cmd_*.c) call down into this file and only ctl_main.c calls
 * them (issue 13, plan R5): a usage line is the row ctl_main() runs,
 * c->cmd, not a second lookup in the table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctl.h"

/* A daemon that accepts but never answers must not hang scripts forever. */
#define CTL_TIMEOUT_S	30

void ctl_cmd_usage(FILE *f, const struct ctl_cmd *cmd)
{
	if (cmd)
		fprintf(f, "usage: quellctl [-s SOCKET] [--json] %s\n  %s\n", cmd->usage,
			cmd->help);
}

void ctl_ctx_init(struct ctl_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->sock_path = QUELL_DEFAULT_SOCKET;
	c->out = stdout;
	c->err = stderr;
	c->fd = -1;
}

void ctl_ctx_close(struct ctl_ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int ctl_usage_error(struct ctl_ctx *c, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "quellctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	if (cmd && c->cmd)
		fprintf(c->err, "usage: quellctl %s\n", c->cmd->usage);
	return CTL_EXIT_USAGE;
}

int ctl_call(struct ctl_ctx *c, json_t *req, json_t **resp)
{
	return ctl_call_raw(c, req, NULL, NULL, NULL, resp);
}

int ctl_call_raw(struct ctl_ctx *c, json_t *req, const char *raw_key, char **line, size_t *len,
		 json_t **resp)
{
	char err[512] = "";
	int ret;

	*resp = NULL;
	if (!req) {
		fprintf(c->err, "quellctl: out of memory\n");
		return CTL_EXIT_CONNECT;
	}
	if (c->fd < 0) {
		struct timeval tv = { .tv_sec = CTL_TIMEOUT_S };

		c->fd = proto_connect(c->sock_path);
		if (c->fd < 0) {
			fprintf(c->err, "quellctl: cannot connect to quelld at %s: %s%s\n", c->sock_path,
				strerror(-c->fd),
				c->fd == -ENOENT || c->fd == -ECONNREFUSED ? " (is quelld running?)" : "");
			c->fd = -1;
			json_decref(req);
			return CTL_EXIT_CONNECT;
		}
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	ret = proto_call_raw(c->fd, req, raw_key, line, len, resp, err, sizeof(err));
	if (ret == -EREMOTEIO) {
		fprintf(c->err, "quellctl: %s\n", err);
		return CTL_EXIT_DAEMON;
	}
	if (ret == -EACCES) {
		/* the daemon's text already starts with "permission denied: " */
		fprintf(c->err, "quellctl: %s\n", err);
		return CTL_EXIT_DENIED;
	}
	if (ret == -EBADMSG) {
		fprintf(c->err, "quellctl: %s\n", err);
		return CTL_EXIT_DAEMON;
	}
	if (ret) {
		fprintf(c->err, "quellctl: %s: %s\n", c->sock_path,
			ret == -EAGAIN ? "no reply from quelld (timeout)" : err);
		ctl_ctx_close(c);
		return CTL_EXIT_CONNECT;
	}
	return CTL_EXIT_OK;
}

void ctl_print_json(struct ctl_ctx *c, json_t *resp)
{
	/* compact (one line) for pipes, indented for people; same content */
	size_t flags = isatty(fileno(c->out)) ? JSON_INDENT(2) : JSON_COMPACT;

	json_dumpf(resp, c->out, flags | JSON_PRESERVE_ORDER);
	fputc('\n', c->out);
}
