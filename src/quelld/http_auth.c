// SPDX-License-Identifier: GPL-2.0-only
/*
 * http_auth.c - the bearer token of quelld's HTTP listener (http_auth.h):
 * read from its file, compared with a request's Authorization header. Used
 * by /metrics (metrics_http.c) and the web view's admin routes (web.c);
 * apart from both so that web.c does not call back into the listener that
 * hosts it (issue 13).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_auth.h"

int http_auth_read_token(const char *path, char *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	size_t l;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & (S_IROTH | S_IWOTH))) {
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	l = (size_t)n;
	while (l && isspace((unsigned char)buf[l - 1]))
		l--;
	buf[l] = '\0';
	if (l < HTTP_TOKEN_MIN || l == len - 1)
		return -EINVAL;
	for (size_t i = 0; i < l; i++)
		if (!isgraph((unsigned char)buf[i]))
			return -EINVAL;
	return 0;
}

int http_auth_check(const char *authorization, const char *token)
{
	const char *p;
	size_t tl, pl;
	unsigned char diff = 0;

	if (!authorization || !token || !*token || strncasecmp(authorization, "Bearer ", 7))
		return -EACCES;
	for (p = authorization + 7; *p == ' '; p++)
		;
	pl = strlen(p);
	while (pl && p[pl - 1] == ' ')
		pl--;
	tl = strlen(token);
	if (pl != tl)
		return -EACCES;
	/* every byte compared whatever the first difference: no timing oracle on the token */
	for (size_t i = 0; i < tl; i++)
		diff |= (unsigned char)(p[i] ^ token[i]);
	return diff ? -EACCES : 0;
}
