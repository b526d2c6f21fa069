/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * http_auth.h - the bearer token of quelld's HTTP listener ([metrics]
 * token_file for /metrics, [web] token_file for the web view's admin
 * routes). http_auth.c; tests/unit/test_metrics_http.c.
 */
#ifndef QUELL_HTTP_AUTH_H
#define QUELL_HTTP_AUTH_H

#include <stddef.h>

#define HTTP_TOKEN_MIN	16
#define HTTP_TOKEN_MAX	256

/*
 * http_auth_read_token - the token in path: its first line without
 * trailing blanks, HTTP_TOKEN_MIN..HTTP_TOKEN_MAX-1 printable
 * characters. Returns 0, -EPERM when the file is not a regular file or is
 * readable or writable by others, -EINVAL for a bad token, -errno.
 */
int http_auth_read_token(const char *path, char *buf, size_t len);
/*
 * http_auth_check - 0 when the Authorization header value is
 * "Bearer TOKEN" (scheme case-insensitive) with exactly token, else
 * -EACCES (also for a NULL header). Pure; compares in constant time.
 */
int http_auth_check(const char *authorization, const char *token);

#endif /* QUELL_HTTP_AUTH_H */
