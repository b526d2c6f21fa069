// SPDX-License-Identifier: GPL-2.0-only
/*
 * quelld - the quell daemon.
 *
 * One thread drives everything from one epoll loop: a timerfd ticks
 * (gather -> decide -> act -> record), a signalfd turns SIGTERM/SIGINT/
 * SIGHUP into orderly stop / reload, the socket server answers requests
 * between ticks and the BPF ring buffer brings placement events.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "bpf_dump.h"
#include "bpf_loader.h"
#include "daemon.h"
#include "log.h"
#include "notify_cmd.h"
#include "quelld.h"
#include "web.h"

#define QUELL_VERSION "0.1.0"

enum { EV_TIMER = 1, EV_SIGNAL, EV_API, EV_BPF, EV_WEB };

static void usage(FILE *f)
{
	fprintf(f,
"Usage: quelld [OPTIONS]\n"
"       quelld --bpf-dump [--seconds N] [--cgroup-level L]\n"
"\n"
"The quell daemon: accounts CPU, run-queue delay, IO and memory per tenant,\n"
"places tenants' processes in their cgroups and throttles bad neighbours.\n"
"\n"
"Options:\n"
"  -c, --config PATH    configuration file (default " QUELL_DEFAULT_CONFIG ";\n"
"                       a missing default file means built-in defaults)\n"
"  -f, --foreground     stay in the foreground and log to stderr\n"
"  -t, --check-config   parse the configuration, print errors, exit\n"
"      --bpf-dump       load the BPF programs, print per-key counters, exit\n"
"  -h, --help           show this help\n"
"  -V, --version        print the version\n"
"\n"
"Signals: SIGHUP reloads the configuration (a bad file keeps the old one; keys\n"
"that need a restart are named in a warning), SIGTERM/SIGINT stop cleanly\n"
"(dynamic throttles released, socket removed, exit 0).\n"
"\n"
"Exit status: 0 clean stop, 1 runtime failure, 2 usage or configuration error.\n");
}

static int load_config(struct daemon *d, struct quell_config *cfg)
{
	char err[512];
	int ret;

	ret = config_load(d->cfg_path ? d->cfg_path : QUELL_DEFAULT_CONFIG, cfg, err, sizeof(err));
	if (ret == -ENOENT && !d->cfg_path) {
		config_defaults(cfg);
		return 0;
	}
	if (ret)
		log_err("%s", err);
	return ret;
}

static int add_fd(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* epoll's timeout: the sooner of the refault watch's next poll and the fork alarm's tick */
static int wait_ms(const struct daemon *d)
{
	int w = daemon_watch_timeout(d), a = daemon_alarm_timeout(d);

	if (w < 0)
		return a;
	return a < 0 || w < a ? w : a;
}

static int arm_timer(int tfd, uint64_t ms)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 },
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 },
	};

	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

static void reload(struct daemon *d, int tfd)
{
	struct quell_config *n = malloc(sizeof(*n));

	if (!n || load_config(d, n)) {
		log_err("reload: keeping the previous configuration");
		free(n);
		return;
	}
	if (daemon_reconfigure(d, n) & CK_BIT(CK_TICK))
		arm_timer(tfd, d->cfg.tick_ms);
	free(n);
}

/* The signals the loop takes through its signalfd. */
static void loop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGCHLD);	/* [notify] commands ended: notify_cmd_reap() */
}

/*
 * block_signals - first thing in main(), before any thread exists: a thread
 * inherits its creator's mask, so the RRD writer, libmicrohttpd's thread and
 * anything a library starts all have these blocked and the kernel can only
 * queue them for the signalfd. Blocking them in run() instead was too late:
 * the RRD writer started in daemon_init() with an empty mask, the kernel
 * delivered process-directed SIGHUP/SIGTERM to it, and their default action
 * killed quelld (exit 129 / 143; tests/integration/t_signals_default.sh).
 * A signal that arrives during start-up stays pending and is handled by the
 * first loop wake-up.
 */
static void block_signals(void)
{
	sigset_t mask;

	loop_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a client that hangs up must not kill us */
}

static int run(struct daemon *d)
{
	struct epoll_event evs[8];
	struct signalfd_siginfo si;
	int epfd = -1, tfd = -1, sfd = -1, web_fd = -1, ret;
	sigset_t mask;

	loop_signals(&mask);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (epfd < 0 || tfd < 0 || sfd < 0) {
		ret = -errno;
		goto out;
	}
	ret = arm_timer(tfd, d->cfg.tick_ms);
	if (!ret)
		ret = add_fd(epfd, tfd, EV_TIMER);
	if (!ret)
		ret = add_fd(epfd, sfd, EV_SIGNAL);
	if (!ret && api_epoll_fd(d) >= 0)
		ret = add_fd(epfd, api_epoll_fd(d), EV_API);
	if (!ret && d->bpf && qbpf_events_fd(d->bpf) >= 0)
		ret = add_fd(epfd, qbpf_events_fd(d->bpf), EV_BPF);
	if (ret)
		goto out;

	daemon_ready(d);
	while (!d->want_stop) {
		int n;

		/* the web view's eventfd: new after a reload restarted the listener */
		if (web_event_fd(d) >= 0 && web_event_fd(d) != web_fd) {
			web_fd = web_event_fd(d);
			if (add_fd(epfd, web_fd, EV_WEB) && errno != EEXIST)
				log_warn("web: cannot watch its eventfd: %m");
		}
		/*
		 * placement work left by its budget: come back at once, after the
		 * rest; the refault watch: at its next poll (daemon.c)
		 */
		n = epoll_wait(epfd, evs, 8, placement_busy() ? 0 : wait_ms(d));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			placement_events(d);
		for (int i = 0; i < n; i++) {
			uint64_t exp;

			switch (evs[i].data.u64) {
			case EV_TIMER:
				if (read(tfd, &exp, sizeof(exp)) == sizeof(exp) && exp > 1)
					log_debug("tick overran: %llu expirations", (unsigned long long)exp);
				daemon_tick(d);
				break;
			case EV_SIGNAL:
				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload(d, tfd);
						web_fd = -1;	/* same number, new fd? watch again */
					} else if (si.ssi_signo == SIGCHLD) {
						notify_cmd_reap(d);
					} else {
						d->want_stop = 1;
					}
				}
				break;
			case EV_API:
				api_process(d);
				break;
			case EV_BPF:
				placement_events(d);
				break;
			case EV_WEB:
				web_process(d);
				break;
			}
		}
		/*
		 * the refault watch or the fork alarm asks for the tick now: the
		 * next one a period after it
		 */
		if (daemon_alarm_poll(d) || daemon_watch_poll(d)) {
			daemon_tick(d);
			arm_timer(tfd, d->cfg.tick_ms);
		}
	}
	log_info("stopping");
out:
	if (epfd >= 0)
		close(epfd);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 't' },
		{ "bpf-dump", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	static struct daemon dd;
	struct daemon *d = &dd;
	bool check = false;
	int opt, ret;

	/*
	 * Buffers of 1 MiB and more (a snapshot reply is 13.8 MB at 10,000
	 * tenants) straight from mmap and back on free: glibc's default
	 * threshold rises to the size of the first such buffer freed, and
	 * later ones then stay in the heap (docs/performance.md).
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--bpf-dump"))
			return bpf_dump_main(argc, argv);	/* 0, 1 or 2 (usage); own handlers */

	block_signals();

	while ((opt = getopt_long(argc, argv, "c:fthV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d->cfg_path = optarg;
			break;
		case 'f':
			d->foreground = true;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("quelld %s\n", QUELL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "quelld: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/* stderr until daemon(): whoever started us sees a bad configuration */
	log_init("quelld", 0, LOG_INFO);
	if (load_config(d, &d->cfg))
		return 2;
	if (check) {
		printf("%s: OK\n", d->cfg_path ? d->cfg_path : "built-in defaults");
		return 0;
	}
	if (!d->foreground)
		log_init("quelld", 1, LOG_INFO);
	log_set_level(d->cfg.log_level);
	if (!d->foreground && daemon(0, 0) < 0) {
		log_err("daemon(): %m");
		return 1;
	}

	ret = daemon_init(d);
	if (!ret)
		ret = run(d);
	daemon_fini(d);
	if (ret)
		log_err("fatal: %s", strerror(-ret));
	return ret ? 1 : 0;
}
