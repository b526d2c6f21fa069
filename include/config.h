/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config.h - quell.conf (INI, parsed with inih).
 *
 * Embedded defaults make quelld run with no file at all. Errors carry
 * "file:line: message". config_load() never modifies *cfg on failure, so
 * SIGHUP with a bad file keeps the old configuration.
 */
#ifndef QUELL_CONFIG_H
#define QUELL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tenant_limits.h"
#include "policy.h"

#define QUELL_DEFAULT_CONFIG	"/etc/quell/quell.conf"
#define QUELL_NAME_MAX		64
#define QUELL_MAX_EXCLUDE	64
#define QUELL_MAX_OVERRIDES	1024

enum tenant_mode {
	TENANT_USERS,		/* a tenant is a Unix user with uid in [min_uid, max_uid] */
	TENANT_CGROUPS,		/* a tenant is each child cgroup of [tenants] parent */
};

enum bpf_mode {
	BPF_AUTO,		/* load if possible, else fall back to cgroupfs/procfs */
	BPF_ON,			/* fail to start without BPF */
	BPF_OFF,
};

struct tenant_override {
	char name[QUELL_NAME_MAX];
	struct tenant_limits lim;
	bool exempt;		/* never touched by dynamic rules */
};

struct quell_config {
	/* [daemon] */
	uint64_t tick_ms;		/* tick = 1s */
	char socket_path[108];		/* socket = /run/quell/quell.sock */
	mode_t socket_mode;		/* socket_mode = 0660 */
	char socket_group[32];		/* socket_group = root */
	char state_dir[256];		/* state_dir = /var/lib/quell */
	int log_level;			/* log_level = info (LOG_*) */
	enum bpf_mode bpf;		/* bpf = auto */
	uint32_t max_tenants;		/* max_tenants = 16384: BPF map size */
	char cgroup_root[256];		/* cgroup_root = /sys/fs/cgroup (tests point it elsewhere) */
	char proc_root[256];		/* proc_root = /proc */

	/* [tenants] */
	enum tenant_mode tenant_mode;	/* mode = users */
	uint32_t min_uid, max_uid;	/* min_uid = 1000, max_uid = 60000 */
	char exclude[QUELL_MAX_EXCLUDE][QUELL_NAME_MAX];	/* exclude = nobody */
	int nr_exclude;
	char parent[256];		/* parent = user.slice (cgroup mode, relative to v2 root) */
	char managed[64];		/* managed = quell: subtree quell owns */
	bool place;			/* place = yes: move tenants' processes into their cgroups */
	uint64_t sweep_ms;		/* sweep = 10s: periodic placement sweep */

	/* [limits] defaults, [tenant:NAME] overrides */
	struct tenant_limits limits;
	struct tenant_override overrides[QUELL_MAX_OVERRIDES];
	int nr_overrides;

	/* [history] */
	bool history;			/* enabled = yes */
	char rrd_dir[256];		/* dir = <state_dir>/rrd */
	uint64_t rrd_step_s;		/* step = 10 */
	char rrdcached[256];		/* rrdcached = (empty: write files directly) */

	/* [events] */
	char events_path[256];		/* log = <state_dir>/events.jsonl */
	uint64_t events_max_bytes;	/* max_size = 10M */
	int events_keep;		/* keep = 5 */

	/* [metrics] */
	char metrics_listen[64];	/* listen = (empty: off), e.g. 127.0.0.1:9477 */

	/* [policy] and [rule:NAME] */
	struct policy_config policy;
};

/* Embedded defaults. */
void config_defaults(struct quell_config *cfg);
/*
 * config_load - defaults, then the file at path. On error returns -errno
 * (-EINVAL for a parse error) with "path:line: message" in err and leaves
 * *cfg untouched. A missing file is -ENOENT (the caller decides whether
 * that is fine: it is for the default path).
 */
int config_load(const char *path, struct quell_config *cfg, char *err, size_t errlen);
/* Same, from a string (tests, `quelld --check-config -`). name is used in messages. */
int config_load_string(const char *text, const char *name, struct quell_config *cfg,
		       char *err, size_t errlen);
void config_free(struct quell_config *cfg);

bool config_uid_excluded(const struct quell_config *cfg, uint32_t uid, const char *name);
/* Effective limits of a tenant: defaults merged with its override. */
void config_tenant_limits(const struct quell_config *cfg, const char *name,
			  struct tenant_limits *out);
bool config_tenant_exempt(const struct quell_config *cfg, const char *name);
/* Is name usable as a tenant name? tenant_name_ok() (include/tenant_name.h), under its old name. */
bool config_tenant_name_ok(const char *name);

#endif /* QUELL_CONFIG_H */
