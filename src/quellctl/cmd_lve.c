// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_lve.c - `quellctl import-lve FILE`: CloudLinux ve.cfg -> quell.conf
 * sections on stdout (src/quellctl/lve.c does the work; this reads the file and
 * looks the uids up). Needs no daemon and changes nothing: the admin reviews
 * the text and pastes it into /etc/quell/quell.conf.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "lve.h"

/* ve.cfg of 10,000 users is under 2 MiB; more is not an LVE file */
#define LVE_FILE_MAX	(16u << 20)

static int uid_name(uint32_t uid, char *buf, size_t len, void *arg)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) || !res)
		return -ENOENT;
	snprintf(buf, len, "%s", res->pw_name);
	return 0;
}

/* Whole file (or stdin for "-") into *buf. Returns 0 or -errno (-EFBIG: too large). */
static int read_all(const char *path, char **buf, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t cap = 65536, n = 0;
	char *b = NULL;
	struct stat st;
	int ret = 0;

	if (fd < 0)
		return -errno;
	/* a clear message rather than read()'s EISDIR on some filesystems only */
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap || !b) {
			char *nb;

			if (b)
				cap *= 2;
			if (cap > LVE_FILE_MAX + 1)
				cap = LVE_FILE_MAX + 1;
			nb = realloc(b, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > LVE_FILE_MAX) {
			ret = -EFBIG;
			goto out;
		}
	}
out:
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret) {
		free(b);
		return ret;
	}
	*buf = b;
	*len = n;
	return 0;
}

int ctl_cmd_import_lve(struct ctl_ctx *c, int argc, char **argv)
{
	struct lve_render_opts o = { .uid_name = uid_name };
	const char *path = NULL, *v;
	struct lve_cfg cfg;
	char err[256], *buf = NULL;
	size_t len = 0;
	int i, r, ret;

	if (c->json)
		return ctl_usage_error(c, argv[0], "prints quell.conf text; there is no --json form");
	for (i = 1; i < argc; i++) {
		char *e;

		if ((r = ctl_opt_value(argc, argv, &i, "--cpus", &v))) {
			long n;

			if (r < 0)
				return ctl_usage_error(c, argv[0], "--cpus needs a core count");
			n = strtol(v, &e, 10);
			if (*e || e == v || n < 1 || n > 65536)
				return ctl_usage_error(c, argv[0], "--cpus \"%s\": expected 1..65536", v);
			o.cpus = (int)n;
			continue;
		}
		if ((r = ctl_opt_value(argc, argv, &i, "--core-mhz", &v))) {
			double m;

			if (r < 0)
				return ctl_usage_error(c, argv[0], "--core-mhz needs a clock in MHz");
			m = strtod(v, &e);
			if (*e || e == v || !(m >= 1 && m <= 100000))
				return ctl_usage_error(c, argv[0], "--core-mhz \"%s\": expected 1..100000 (MHz)",
						       v);
			o.core_mhz = m;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return ctl_usage_error(c, argv[0], "unknown option \"%s\"", argv[i]);
		if (path)
			return ctl_usage_error(c, argv[0], "one FILE only (got \"%s\" and \"%s\")", path,
					       argv[i]);
		path = argv[i];
	}
	if (!path)
		return ctl_usage_error(c, argv[0], "which file? (CloudLinux keeps it in /etc/container/ve.cfg)");
	if (!o.cpus) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		o.cpus = n > 0 ? (int)n : 0;
		o.cpus_assumed = true;
	}
	o.source = path;

	ret = read_all(path, &buf, &len);
	if (ret) {
		fprintf(c->err, "quellctl import-lve: %s: %s\n", path,
			ret == -EFBIG ? "larger than 16 MiB, not an LVE limits file" : strerror(-ret));
		return CTL_EXIT_USAGE;
	}
	ret = lve_parse(buf, len, &cfg, err, sizeof(err));
	free(buf);
	if (ret) {
		fprintf(c->err, "quellctl import-lve: %s: %s\n", path,
			ret == -ENOMEM ? "out of memory" : err);
		lve_free(&cfg);
		return CTL_EXIT_USAGE;
	}
	ret = lve_render(c->out, &cfg, &o);
	lve_free(&cfg);
	if (ret) {
		fprintf(c->err, "quellctl import-lve: writing the output: %s\n", strerror(-ret));
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}
