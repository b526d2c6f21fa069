// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf_dump.c - quelld --bpf-dump: load BPF, count for N seconds, print.
 *
 * Output, one record a line, "word key=value ..." so tests can awk it:
 *   bpf variant=tp_btf key_mode=uid seconds=5 hooks=sched_switch ...
 *   event type=uid_change pid=.. tgid=.. uid=.. old_uid=.. cgid=..   (--events)
 *   acct key=1001 cpu_ns=.. ctxsw=.. ... oom_kills=.. rq_behind_ns=..
 *   stats acct_full=.. task_full=.. rb_drop=.. unattrib_ns=.. io_full=.. events=..
 *         other_inflicted_ns=.. untraced_switches=.. io_lower_bytes=.. wait_crowd_held=..
 *   fill used=.. max=..
 *   prog name=tb_sched_switch run_ns=.. run_cnt=.. ns_per_run=..
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "bpf_dump.h"
#include "bpf_loader.h"

static volatile sig_atomic_t dump_stop;

static void dump_on_signal(int sig)
{
	dump_stop = 1;
}

static int dump_event(const struct quell_event *e, void *arg)
{
	printf("event type=%s pid=%u tgid=%u uid=%u old_uid=%d cgid=%" PRIu64 " ts_ns=%" PRIu64 "\n",
	       e->type == QUELL_EV_UID_CHANGE ? "uid_change" :
	       e->type == QUELL_EV_EXEC ? "exec" : "unknown",
	       e->pid, e->tgid, e->uid, (int)e->old_uid, (uint64_t)e->cgid, (uint64_t)e->ts_ns);
	return 0;
}

static int dump_acct(uint64_t key, const struct quell_acct *a, void *arg)
{
	printf("acct key=%" PRIu64 " cpu_ns=%llu ctxsw=%llu rq_suffered_ns=%llu rq_self_ns=%llu"
	       " rq_inflicted_ns=%llu forks=%llu execs=%llu io_rbytes=%llu io_wbytes=%llu"
	       " io_rops=%llu io_wops=%llu io_lat_ns=%llu io_lat_cnt=%llu pgfaults=%llu"
	       " reclaim_ns=%llu oom_kills=%llu rq_behind_ns=%llu\n", key,
	       (unsigned long long)a->cpu_ns, (unsigned long long)a->ctxsw,
	       (unsigned long long)a->rq_suffered_ns, (unsigned long long)a->rq_self_ns,
	       (unsigned long long)a->rq_inflicted_ns, (unsigned long long)a->forks,
	       (unsigned long long)a->execs, (unsigned long long)a->io_rbytes,
	       (unsigned long long)a->io_wbytes, (unsigned long long)a->io_rops,
	       (unsigned long long)a->io_wops, (unsigned long long)a->io_lat_ns,
	       (unsigned long long)a->io_lat_cnt, (unsigned long long)a->pgfaults,
	       (unsigned long long)a->reclaim_ns, (unsigned long long)a->oom_kills,
	       (unsigned long long)a->rq_behind_ns);
	return 0;
}

static void dump_usage(FILE *f)
{
	fprintf(f, "usage: quelld --bpf-dump [--seconds N] [--cgroup-level L] [--raw-tp]"
		   " [--events] [--events-exec] [--max-tenants N]\n"
		   "                     [--min-uid N] [--max-uid N] [--map-cgroup ID=KEY]...\n");
}

/* Sleep until the deadline or a signal, printing events if the ring is on. */
static int dump_wait(struct qbpf *b, unsigned int seconds)
{
	uint64_t end = clock_mono_ns() + (uint64_t)seconds * 1000000000ull;
	int fd = qbpf_events_fd(b), ret;

	while (!dump_stop && clock_mono_ns() < end) {
		if (fd < 0) {
			usleep(100 * 1000);
			continue;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			return -errno;
		ret = qbpf_events_consume(b, dump_event, NULL);
		if (ret < 0)
			return ret;
	}
	if (fd >= 0) {
		ret = qbpf_events_consume(b, dump_event, NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void dump_report(struct qbpf *b)
{
	static const char *const stat_names[QUELL_STAT_NR] = {
		[QUELL_STAT_ACCT_FULL] = "acct_full", [QUELL_STAT_TASK_FULL] = "task_full",
		[QUELL_STAT_RB_DROP] = "rb_drop", [QUELL_STAT_UNATTRIB_NS] = "unattrib_ns",
		[QUELL_STAT_IO_FULL] = "io_full", [QUELL_STAT_EVENTS] = "events",
		[QUELL_STAT_OTHER_INFLICTED_NS] = "other_inflicted_ns",
		[QUELL_STAT_UNTRACED_SWITCH] = "untraced_switches",
		[QUELL_STAT_IO_LOWER] = "io_lower_bytes",
		[QUELL_STAT_WAIT_CROWD] = "wait_crowd_held",
	};
	struct qbpf_prog_stat ps[64];
	uint64_t st[QUELL_STAT_NR];
	uint32_t used, max;
	int i, n;

	n = qbpf_read_acct(b, clock_mono_ns(), dump_acct, NULL);
	if (n < 0)
		fprintf(stderr, "bpf-dump: read acct: %s\n", strerror(-n));
	if (qbpf_read_stats(b, st) == 0) {
		printf("stats");
		for (i = 0; i < QUELL_STAT_NR; i++)
			if (stat_names[i])
				printf(" %s=%llu", stat_names[i], (unsigned long long)st[i]);
		printf("\n");
	}
	if (qbpf_acct_fill(b, &used, &max) == 0)
		printf("fill used=%u max=%u\n", used, max);
	n = qbpf_prog_stats(b, ps, 64);
	for (i = 0; i < n; i++)
		printf("prog name=%s run_ns=%llu run_cnt=%llu ns_per_run=%.1f\n", ps[i].name,
		       (unsigned long long)ps[i].run_ns, (unsigned long long)ps[i].run_cnt,
		       ps[i].run_cnt ? (double)ps[i].run_ns / ps[i].run_cnt : 0.0);
}

int bpf_dump_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "bpf-dump", no_argument, NULL, 'D' },
		{ "seconds", required_argument, NULL, 'n' },
		{ "cgroup-level", required_argument, NULL, 'l' },
		{ "raw-tp", no_argument, NULL, 'r' },
		{ "events", no_argument, NULL, 'e' },
		{ "events-exec", no_argument, NULL, 'x' },
		{ "max-tenants", required_argument, NULL, 'm' },
		{ "min-uid", required_argument, NULL, 'u' },
		{ "max-uid", required_argument, NULL, 'U' },
		{ "map-cgroup", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct qbpf_opts o = { .key_mode = QUELL_KEY_UID, .cg_level = 1, .max_tenants = 4096,
			       .proc_fd = -1 };
	struct sigaction sa = { .sa_handler = dump_on_signal };
	unsigned long seconds = 5, v;
	uint64_t maps[16][2];
	struct qbpf *b = NULL;
	int c, stats_fd, ret, nmaps = 0, i;
	char err[256], *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			break;
		case 'n':
		case 'l':
		case 'm':
		case 'u':
		case 'U':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    v > (c == 'u' || c == 'U' ? UINT32_MAX - 1 : 1000000)) {
				fprintf(stderr, "bpf-dump: bad number '%s'\n", optarg);
				return 2;
			}
			if (c == 'n')
				seconds = v;
			else if (c == 'l')
				o.key_mode = QUELL_KEY_CGROUP, o.cg_level = v;
			else if (c == 'u')
				o.min_uid = v;
			else if (c == 'U')
				o.max_uid = v;
			else
				o.max_tenants = v ? v : 1;
			break;
		case 'M':
			/* ID=KEY: a blkcg's cgroup id (stat -c %i) charged to KEY */
			if (nmaps == 16 || sscanf(optarg, "%" SCNu64 "=%" SCNu64 "%c",
						  &maps[nmaps][0], &maps[nmaps][1], &(char){0}) != 2) {
				fprintf(stderr, "bpf-dump: bad --map-cgroup '%s' (ID=KEY, 16 at most)\n",
					optarg);
				return 2;
			}
			nmaps++;
			break;
		case 'r':
			o.force_raw_tp = true;
			break;
		case 'x':
			o.events_exec = true;
			/* fallthrough */
		case 'e':
			o.events = true;
			break;
		case 'h':
			dump_usage(stdout);
			return 0;
		default:
			dump_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		dump_usage(stderr);
		return 2;
	}
	/* only one bound given: the other is open (both 0 means every uid) */
	if (o.min_uid && !o.max_uid)
		o.max_uid = UINT32_MAX - 1;
	if (o.min_uid > o.max_uid) {
		fprintf(stderr, "bpf-dump: --min-uid above --max-uid\n");
		return 2;
	}
	ret = qbpf_mount_fs();
	if (ret)
		fprintf(stderr, "bpf-dump: mount bpffs/tracefs: %s\n", strerror(-ret));
	stats_fd = qbpf_enable_stats();
	if (stats_fd < 0)
		fprintf(stderr, "bpf-dump: run-time stats off: %s\n", strerror(-stats_fd));
	ret = qbpf_load(&o, &b, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bpf-dump: %s\n", err);
		if (stats_fd >= 0)
			close(stats_fd);
		return 1;
	}
	for (i = 0; i < nmaps; i++) {
		ret = qbpf_map_cgroup(b, maps[i][0], maps[i][1]);
		if (ret) {
			fprintf(stderr, "bpf-dump: map cgroup %" PRIu64 ": %s\n", maps[i][0],
				strerror(-ret));
			qbpf_destroy(b);
			if (stats_fd >= 0)
				close(stats_fd);
			return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("bpf variant=%s key_mode=%s cg_level=%u seconds=%lu hooks=%s\n", qbpf_variant(b),
	       o.key_mode == QUELL_KEY_UID ? "uid" : "cgroup", o.cg_level, seconds,
	       qbpf_hooks(b));
	fflush(stdout);
	ret = dump_wait(b, seconds);
	if (ret)
		fprintf(stderr, "bpf-dump: events: %s\n", strerror(-ret));
	dump_report(b);
	qbpf_destroy(b);
	if (stats_fd >= 0)
		close(stats_fd);	/* the kernel restores bpf_stats_enabled */
	return ret ? 1 : 0;
}
