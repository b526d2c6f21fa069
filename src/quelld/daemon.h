/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon.h - quelld's state, shared by the modules of src/quelld.
 * Tick (daemon_tick): gather (gather.c) -> decide (decide.c, pure) ->
 * act (act.c) -> record (record.c). See docs/architecture.md.
 */
#ifndef QUELL_DAEMON_H
#define QUELL_DAEMON_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "authz.h"
#include "cgroup.h"
#include "config.h"
#include "api_encode.h"
#include "decide.h"
#include "prom.h"
#include "quell_bpf.h"
#include "tenant.h"
#include "wait_pace.h"

struct notify_cmd;
struct tenant_hooks;
struct qbpf;
struct snap_cache;

struct daemon {
	struct quell_config cfg;
	const char *cfg_path;		/* NULL: defaults only */
	bool foreground;

	int cg_root_fd;			/* cfg.cgroup_root */
	struct cg_layout cg;
	int proc_fd;			/* cfg.proc_root */

	struct registry reg;
	struct qbpf *bpf;		/* NULL when running on the cgroupfs/procfs fallback */
	uint32_t bpf_min_uid, bpf_max_uid;	/* uid range built into the BPF object at load */
	uint64_t bpf_stats[QUELL_STAT_NR];
	struct hview host;		/* last tick's host view */

	uint64_t start_mono_ns;
	bool discover_full;		/* cgroups mode: this discovery is a sweep's full readdir */
	uint64_t discover_full_ms;
	int discover_watch;		/* cgroups mode: inotify fd on [tenants] parent + 1, 0 none */
	char discover_watch_rel[256];	/* the parent it watches (cfg.parent can change on reload) */
	uint64_t discover_scans;	/* readdirs of the parent (discover.c), for tests */
	uint64_t tick_no;
	double last_tick_ms;
	uint64_t tick_prev_ns;		/* start of the last tick (mono) */
	double tick_gap_max_ms;		/* longest gap between two tick starts */
	uint64_t ticks_late;		/* ticks that started more than one period late */
	struct decide_plan plan;	/* this tick's decisions: tick_decide -> tick_act */
	/* what a memory share (the default mem = 50%) is of: gather_mem_base() */
	uint64_t mem_base;		/* bytes, 0 unknown */
	uint64_t mem_root_limit;	/* the tenants' root's limit, CG_UNLIMITED none */
	bool mem_root_unread;		/* its limit could not be read: MemTotal alone (said once) */
	/* the refault watch between ticks (daemon.c, docs/policy.md "The refault watch") */
	bool watch_on;			/* polling the managed root's refaults */
	bool watch_fired;		/* the next tick is the watch's early one */
	uint64_t watch_base, watch_base_ns;	/* the root's refaults at the last tick (mono) */
	uint64_t watch_poll_ns;		/* the last poll */
	/* the fork alarm (alarm.c, docs/policy.md "The fork alarm") */
	bool alarm_due;			/* an alarm asks for the next tick now */
	uint64_t alarm_tick_ns;		/* the last of those (mono), 0 none yet */
	/* the wait alarm (alarm.c, wait_pace.h, docs/policy.md "The wait alarm") */
	bool wait_alarm_on;		/* the BPF side sends it */
	struct wait_pace wait_pace;
	bool wait_early;		/* this tick is the wait alarm's early one */

	struct history *hist;		/* RRD writer, NULL if disabled */
	struct events_log *events;	/* audit log */
	struct api_server *api;
	struct authz_cache authz;	/* who is in admin_group / readonly_group (authz.c) */
	struct metrics_http *http;
	struct web *web;		/* web view (web.c), NULL when off */
	struct snap_cache *snap;	/* this tick's encoded tenants, built on demand (api_core.c) */
	struct proto_buf api_tail;	/* members a handler pre-encoded; api.c appends them */
	uint64_t api_gen;		/* successful commands that may change a tenant */
	struct notify_cmd *notify;	/* [notify] command (notify_cmd.c) */
	const struct tenant_hooks *tenant_hooks;	/* discovery's and placement's news (hooks.h) */
	struct prom_actions actions;	/* quell_actions_total: prom_actions_count() in audit_log() */

	volatile sig_atomic_t want_reload, want_stop;
};

#endif /* QUELL_DAEMON_H */
