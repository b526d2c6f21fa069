// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_main.c - quellctl's command table, global options and dispatch (the
 * connection to quelld and what commands share: ctl_call.c). main.c only
 * sets up stdout/stderr and calls ctl_main(), so the whole command line
 * path runs in unit tests.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_cmd_status, "status", "host summary: load, memory, pressure, tenants" },
	{ "list", ctl_cmd_list,
	  "list [--sort cpu|mem|io|iops|inflicted|suffered|faults|nproc|mem_inflicted|name] [--reverse] [--top N]",
	  "one line per tenant, biggest first (default --sort cpu)" },
	{ "show", ctl_cmd_show, "show TENANT", "everything about one tenant: usage, limits, processes, events" },
	{ "tenants", ctl_cmd_tenants, "tenants", "tenants with their cgroup and process count" },
	{ "place", ctl_cmd_place, "place PID", "move PID into its tenant's cgroup now" },
	{ "where", ctl_cmd_where, "where PID", "which cgroup and tenant PID is in" },
	{ "limits", ctl_cmd_limits, "limits TENANT", "static and dynamic limits of a tenant" },
	{ "set", ctl_cmd_set, "set TENANT key=value...",
	  "change static limits (persisted): cpu=50% mem=1G (or mem=25%: of the tenants' memory) mem_high=768M io=10M iops=500 nproc=100; KEY=default undoes" },
	{ "throttle", ctl_cmd_throttle, "throttle TENANT [--for DURATION]",
	  "throttle by hand ([policy] throttle_limits) for --for D, default [policy] throttle_for (10m)" },
	{ "release", ctl_cmd_release, "release TENANT", "drop dynamic throttles and thaw" },
	{ "freeze", ctl_cmd_freeze, "freeze TENANT [--for DURATION]", "freeze every process of a tenant" },
	{ "kill", ctl_cmd_kill, "kill TENANT [--yes]", "kill every process of a tenant (asks unless --yes)" },
	{ "events", ctl_cmd_events, "events [--tenant T] [--since -1h|EPOCH|\"YYYY-MM-DD HH:MM\"] [--limit N]",
	  "the audit log: throttles, releases, kills, manual changes" },
	{ "history", ctl_cmd_history,
	  "history TENANT [--since -6h] [--until now] [--step 60] [--max] [--recent] [--csv] [--rrd-dir DIR]",
	  "past usage from the RRD files (no daemon needed), or through quelld" },
	{ "report", ctl_cmd_report,
	  "report [--period 1d] [--top 10] [--by cpu|io|mem|inflicted|faults|mem_inflicted] [--rrd-dir DIR]",
	  "who used most / hurt neighbours most over a period" },
	{ "graph", ctl_cmd_graph,
	  "graph TENANT|--host [--since -1d] [--metric cpu|mem|io|inflicted] -o FILE.png",
	  "PNG graph from the RRD files, with throttles and kills marked" },
	{ "import-lve", ctl_cmd_import_lve, "import-lve [--cpus N] [--core-mhz MHZ] FILE|-", "print quell.conf sections for CloudLinux LVE limits (ve.cfg); no daemon needed" },
	{ "web-link", ctl_cmd_web_link, "web-link [TENANT]",
	  "a URL to your own usage page in the web view (admins: any TENANT's)" },
	{ "ping", ctl_cmd_ping, "ping", "quelld version, pid and uptime, and who it takes you for" },
	{ NULL, NULL, NULL, NULL },
};

const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	for (const struct ctl_cmd *c = ctl_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: quellctl [-s SOCKET] [-c CONFIG] [--json] COMMAND [ARGS]\n"
		"\n"
		"Talk to quelld, the tenant isolation daemon.\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH   quelld's socket (default %s)\n"
		"  -c, --config PATH   config file, for the RRD directory (history/report/graph)\n"
		"  --json              print the daemon's JSON reply unchanged (stable for scripts)\n"
		"  -h, --help          this text; COMMAND --help for one command\n"
		"\n"
		"commands:\n", QUELL_DEFAULT_SOCKET);
	for (const struct ctl_cmd *c = ctl_cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
	fprintf(f,
		"\n"
		"Sizes take K/M/G/T (powers of 1024), durations s/m/h/d (10m, 1h30m).\n"
		"Unknown values print as \"-\". In `list`, STATE ends with * while a rule trips.\n"
		"\n"
		"exit status:\n"
		"  0  success\n"
		"  1  quelld answered with an error (unknown tenant, refused action, bad reply)\n"
		"  2  usage error (bad command line)\n"
		"  3  cannot connect to or talk with quelld\n"
		"  4  permission denied: quelld refused this user the command (docs/protocol.md)\n");
}

int ctl_main(struct ctl_ctx *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	char **sub;
	int i, n = 0, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		int r;

		if (!strcmp(argv[i], "--json")) {
			c->json = true;
			continue;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(c->out);
			return CTL_EXIT_OK;
		}
		if (!strcmp(argv[i], "--version")) {
			fprintf(c->out, "quellctl (protocol %d)\n", PROTO_VERSION);
			return CTL_EXIT_OK;
		}
		if ((r = ctl_opt_value(argc, argv, &i, "--socket", &v)) ||
		    (r = ctl_opt_value(argc, argv, &i, "-s", &v))) {
			if (r < 0 || !*v)
				return ctl_usage_error(c, NULL, "%s needs a path", argv[i]);
			c->sock_path = v;
			continue;
		}
		if ((r = ctl_opt_value(argc, argv, &i, "--config", &v)) ||
		    (r = ctl_opt_value(argc, argv, &i, "-c", &v))) {
			if (r < 0 || !*v)
				return ctl_usage_error(c, NULL, "%s needs a path", argv[i]);
			c->config_path = v;
			continue;
		}
		return ctl_usage_error(c, NULL, "unknown option \"%s\" (see quellctl --help)", argv[i]);
	}
	if (i >= argc) {
		usage(c->err);
		return CTL_EXIT_USAGE;
	}
	cmd = ctl_cmd_find(argv[i]);
	if (!cmd)
		return ctl_usage_error(c, NULL, "unknown command \"%s\" (see quellctl --help)", argv[i]);
	c->cmd = cmd;	/* its usage line, for ctl_usage_error() and --help (ctl_call.c) */

	/* --json may also follow the command; the commands never see it */
	sub = calloc((size_t)(argc - i + 1), sizeof(*sub));
	if (!sub) {
		fprintf(c->err, "quellctl: out of memory\n");
		return CTL_EXIT_USAGE;
	}
	for (int k = i; k < argc; k++) {
		if (k > i && !strcmp(argv[k], "--json"))
			c->json = true;
		else
			sub[n++] = argv[k];
	}
	sub[n] = NULL;
	if (ctl_wants_help(n, sub)) {
		ctl_cmd_usage(c->out, cmd);
		ret = CTL_EXIT_OK;
	} else {
		ret = cmd->fn(c, n, sub);
	}
	free(sub);
	return ret;
}
