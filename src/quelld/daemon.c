// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon.c - quelld's life cycle and its tick: gather -> decide -> act ->
 * record. The decide/act/record steps are the modules behind hooks.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "bpf_loader.h"
#include "hooks.h"
#include "log.h"
#include "quelld.h"

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t real_s(void)
{
	return (uint64_t)time(NULL);
}

static int load_bpf(struct daemon *d)
{
	struct qbpf_opts o = {
		.key_mode = QUELL_KEY_UID,
		.max_tenants = d->cfg.max_tenants,
		.min_uid = d->cfg.min_uid,
		.max_uid = d->cfg.max_uid,
		.events = d->cfg.tenant_mode == TENANT_USERS && d->cfg.place,
	};
	struct qbpf_features f = { 0 };
	char err[256] = "";
	int ret;

	if (d->cfg.bpf == BPF_OFF) {
		log_info("bpf = off: using cgroupfs/procfs only");
		return 0;
	}
	if (d->cfg.tenant_mode == TENANT_CGROUPS) {
		o.key_mode = QUELL_KEY_CGROUP;
		o.cg_level = (uint32_t)cg_level(d->cfg.parent) + 1;
	}
	qbpf_mount_fs();
	qbpf_probe(&f);
	log_info("kernel features: btf=%d tp_btf=%d raw_tp=%d ringbuf=%d kprobe=%d syscall_tps=%d",
		 f.btf, f.tp_btf, f.raw_tp, f.ringbuf, f.kprobe, f.syscall_tps);
	ret = qbpf_load(&o, &d->bpf, err, sizeof(err));
	if (ret) {
		d->bpf = NULL;
		if (d->cfg.bpf == BPF_ON) {
			log_err("bpf = on but BPF failed to load: %s", err);
			return ret;
		}
		log_warn("BPF unavailable (%s): falling back to cgroupfs/procfs", err);
		return 0;
	}
	log_info("BPF loaded (%s programs)", qbpf_variant(d->bpf));
	return 0;
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int daemon_init(struct daemon *d)
{
	int ret;

	d->start_mono_ns = mono_ns();
	d->cg_root_fd = d->proc_fd = -1;
	d->cg.root_fd = d->cg.v2_fd = -1;
	for (int i = 0; i < CGC_NR; i++)
		d->cg.v1_fd[i] = -1;
	ret = registry_init(&d->reg);
	if (ret)
		return ret;

	d->proc_fd = open_dir(d->cfg.proc_root);
	if (d->proc_fd < 0) {
		log_err("%s: %s", d->cfg.proc_root, strerror(-d->proc_fd));
		return d->proc_fd;
	}
	d->cg_root_fd = open_dir(d->cfg.cgroup_root);
	if (d->cg_root_fd < 0) {
		log_err("%s: %s", d->cfg.cgroup_root, strerror(-d->cg_root_fd));
		return d->cg_root_fd;
	}
	ret = cg_layout_open(d->cg_root_fd, &d->cg);
	if (ret) {
		log_err("cgroupfs at %s: %s", d->cfg.cgroup_root, strerror(-ret));
		return ret;
	}
	log_info("cgroup mode: %s", cg_mode_name(d->cg.mode));
	if (mkdir(d->cfg.state_dir, 0755) && errno != EEXIST)
		log_warn("state_dir %s: %m", d->cfg.state_dir);

	ret = load_bpf(d);
	if (ret)
		return ret;
	if (d->cfg.tenant_mode == TENANT_USERS && d->cfg.place) {
		ret = placement_init(d);
		if (ret)
			return ret;
	}
	api_core_register();
	ret = api_open(d);
	if (ret) {
		log_err("socket %s: %s", d->cfg.socket_path, strerror(-ret));
		return ret;
	}
	ret = hooks_init(d);
	if (ret)
		return ret;
	discover_tenants(d);
	if (d->cfg.tenant_mode == TENANT_USERS && d->cfg.place)
		placement_sweep(d);
	gather_tick(d);		/* the first sample: rates start at the next tick */
	log_info("running: %d tenants, tick %llu ms, socket %s", d->reg.nr,
		 (unsigned long long)d->cfg.tick_ms, d->cfg.socket_path);
	return 0;
}

void daemon_ready(struct daemon *d)
{
	hooks_ready(d);
}

void daemon_tick(struct daemon *d)
{
	static uint64_t last_discover, last_sweep;
	uint64_t t0 = mono_ns(), now_ms = t0 / 1000000;
	bool users = d->cfg.tenant_mode == TENANT_USERS;

	d->tick_no++;
	/* tick lateness, seen from the tick itself: the gap since the last one */
	if (d->tick_prev_ns) {
		double gap_ms = (double)(t0 - d->tick_prev_ns) / 1e6;

		if (gap_ms > d->tick_gap_max_ms)
			d->tick_gap_max_ms = gap_ms;
		if (gap_ms > 2.0 * (double)d->cfg.tick_ms)
			d->ticks_late++;	/* late by more than one period */
	}
	d->tick_prev_ns = t0;
	/* users change rarely and getpwent can be slow (NSS): every sweep; cgroup children: every tick */
	if (!users || now_ms - last_discover >= d->cfg.sweep_ms) {
		discover_tenants(d);
		last_discover = now_ms;
	}
	if (users && d->cfg.place && now_ms - last_sweep >= d->cfg.sweep_ms) {
		placement_sweep(d);
		last_sweep = now_ms;
	} else if (users && d->cfg.place) {
		placement_tick(d);	/* children walks the event budget cut short */
	}
	gather_tick(d);
	hooks_tick(d, now_ms);
	d->last_tick_ms = (double)(mono_ns() - t0) / 1e6;
	d->host.tick_ms = d->last_tick_ms;
}

void daemon_reconfigure(struct daemon *d, const struct quell_config *n)
{
	/* what needs a restart to change: say so instead of half-applying it */
	if (strcmp(n->socket_path, d->cfg.socket_path) || n->tenant_mode != d->cfg.tenant_mode ||
	    strcmp(n->managed, d->cfg.managed) || strcmp(n->cgroup_root, d->cfg.cgroup_root) ||
	    n->bpf != d->cfg.bpf || n->max_tenants != d->cfg.max_tenants)
		log_warn("reload: socket, tenants mode, managed, cgroup_root, bpf and max_tenants "
			 "change only on restart");
	d->cfg.tick_ms = n->tick_ms;
	d->cfg.log_level = n->log_level;
	d->cfg.min_uid = n->min_uid;
	d->cfg.max_uid = n->max_uid;
	memcpy(d->cfg.exclude, n->exclude, sizeof(n->exclude));
	d->cfg.nr_exclude = n->nr_exclude;
	d->cfg.place = n->place;
	d->cfg.sweep_ms = n->sweep_ms;
	d->cfg.limits = n->limits;
	memcpy(d->cfg.overrides, n->overrides, sizeof(n->overrides));
	d->cfg.nr_overrides = n->nr_overrides;
	d->cfg.policy = n->policy;
	memcpy(d->cfg.rrd_dir, n->rrd_dir, sizeof(n->rrd_dir));
	d->cfg.rrd_step_s = n->rrd_step_s;
	d->cfg.history = n->history;
	memcpy(d->cfg.events_path, n->events_path, sizeof(n->events_path));
	d->cfg.events_max_bytes = n->events_max_bytes;
	d->cfg.events_keep = n->events_keep;
	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];

		t->exempt = config_tenant_exempt(&d->cfg, t->name);
		config_tenant_limits(&d->cfg, t->name, &t->lim);
	}
	hooks_reload(d);
	discover_tenants(d);
}

void daemon_fini(struct daemon *d)
{
	hooks_fini(d);
	api_close(d);
	if (d->bpf)
		qbpf_destroy(d->bpf);
	d->bpf = NULL;
	registry_free(&d->reg);
	cg_layout_close(&d->cg);
	if (d->cg_root_fd >= 0)
		close(d->cg_root_fd);
	if (d->proc_fd >= 0)
		close(d->proc_fd);
}
