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
#include "tenant_name.h"
#include "policy.h"

#define QUELL_DEFAULT_CONFIG	"/etc/quell/quell.conf"
#define QUELL_NAME_MAX		64
#define QUELL_MAX_EXCLUDE	64

_Static_assert(TENANT_NAME_MAX == QUELL_NAME_MAX, "a tenant name fills the name fields");
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
	mode_t socket_mode;		/* socket_mode = 0666 (authz.c decides per request) */
	char socket_group[32];		/* socket_group = root */
	char admin_group[32];		/* admin_group = (empty: none): read everything, act */
	char readonly_group[32];	/* readonly_group = (empty: none): read everything */
	char state_dir[256];		/* state_dir = /var/lib/quell */
	int log_level;			/* log_level = info (LOG_*) */
	enum bpf_mode bpf;		/* bpf = auto */
	uint32_t max_tenants;		/* max_tenants = 16384: BPF map size */
	char cgroup_root[256];		/* cgroup_root = /sys/fs/cgroup (tests point it elsewhere) */
	char proc_root[256];		/* proc_root = /proc */
	uint64_t client_timeout_ms;	/* client_timeout = 60s: no request for that long: dropped */
	int client_max_per_uid;		/* client_max_per_uid = 32 (root is not capped) */
	bool lazy_reads;		/* lazy_reads = yes: quiet tenants' pressure only (quiet.h) */

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
	char metrics_token_file[256];	/* token_file = (empty: the endpoint stays off) */

	/* [web] (src/quelld/web.c, docs/web.md): served on [metrics] listen */
	bool web;			/* enabled = no */
	char web_token_file[256];	/* token_file = (empty: no admin view, customer links only) */
	char web_secret_file[256];	/* secret_file = <state_dir>/web.secret (made if missing) */
	uint64_t web_link_ttl_ms;	/* link_ttl = 7d: how long a `quellctl web-link` URL works */
	char web_url[128];		/* url = (empty: http://<[metrics] listen>/): web-link's base */
	/* [notify] (src/quelld/notify_cmd.c, docs/notify.md) */
	char notify_command[256];	/* command = (empty: off): absolute path, run without a shell */
	char notify_user[32];		/* user = (empty: root) */
	uint64_t notify_timeout_ms;	/* timeout = 10s: then its process group is killed */
	uint64_t notify_window_ms;	/* window = 1m */
	uint32_t notify_max_per_tenant;	/* max_per_tenant = 5: commands per tenant per window */
	uint32_t notify_max_running;	/* max_running = 4: commands running at once */

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

/*
 * Reload (SIGHUP) is a swap: the new file is parsed beside the running
 * configuration, config_diff() says which keys differ, quelld installs the
 * new struct whole, applies the live keys and keeps the running value of
 * each restart key (naming it in one warning). One enum entry per key;
 * a key added to the parser gets a row in config_keys[] (src/policy/config.c),
 * saying whether it applies live. A difference no row covers is reported as
 * CK_OTHER, so nothing changes silently.
 */
enum config_key {
	CK_TICK, CK_SOCKET, CK_SOCKET_MODE, CK_SOCKET_GROUP, CK_ADMIN_GROUP, CK_READONLY_GROUP,
	CK_CLIENT_TIMEOUT, CK_CLIENT_MAX_PER_UID, CK_LAZY_READS, CK_STATE_DIR, CK_LOG_LEVEL,
	CK_BPF, CK_MAX_TENANTS, CK_CGROUP_ROOT, CK_PROC_ROOT,
	CK_MODE, CK_MIN_UID, CK_MAX_UID, CK_EXCLUDE, CK_PARENT, CK_MANAGED, CK_PLACE, CK_SWEEP,
	CK_LIMITS, CK_TENANT_OVERRIDES,
	CK_HISTORY_ENABLED, CK_HISTORY_DIR, CK_HISTORY_STEP, CK_HISTORY_RRDCACHED,
	CK_EVENTS_LOG, CK_EVENTS_MAX_SIZE, CK_EVENTS_KEEP,
	CK_METRICS_LISTEN, CK_METRICS_TOKEN,
	CK_WEB_ENABLED, CK_WEB_TOKEN, CK_WEB_SECRET, CK_WEB_LINK_TTL, CK_WEB_URL,
	CK_NOTIFY_COMMAND, CK_NOTIFY_USER, CK_NOTIFY_TIMEOUT, CK_NOTIFY_WINDOW,
	CK_NOTIFY_MAX_PER_TENANT, CK_NOTIFY_MAX_RUNNING,
	CK_POLICY,		/* [policy] and every [rule:NAME] */
	CK_OTHER,		/* a field no row of config_keys[] covers */
	CK_NR
};

#define CK_BIT(k)		(1ULL << (k))
#define CK_HISTORY_MASK		(CK_BIT(CK_HISTORY_ENABLED) | CK_BIT(CK_HISTORY_DIR) | \
				 CK_BIT(CK_HISTORY_STEP) | CK_BIT(CK_HISTORY_RRDCACHED))

/* config_diff - pure: bit CK_BIT(k) set for each key k whose value differs. */
uint64_t config_diff(const struct quell_config *a, const struct quell_config *b);
/* "[daemon] tick", "[tenant:NAME]", ... */
const char *config_key_name(enum config_key k);
/* Does quelld apply k on SIGHUP (true) or only at the next start (false)? */
bool config_key_live(enum config_key k);
/* Bits of mask that need a restart. */
uint64_t config_restart_keys(uint64_t mask);
/* Copy the values of the keys in mask from src into dst (restart keys kept on reload). */
void config_keep_keys(struct quell_config *dst, const struct quell_config *src, uint64_t mask);
/* "[daemon] socket, [tenants] managed" for the keys in mask; returns buf. */
char *config_keys_fmt(uint64_t mask, char *buf, size_t len);

bool config_uid_excluded(const struct quell_config *cfg, uint32_t uid, const char *name);
/* Effective limits of a tenant: defaults merged with its override. */
void config_tenant_limits(const struct quell_config *cfg, const char *name,
			  struct tenant_limits *out);
bool config_tenant_exempt(const struct quell_config *cfg, const char *name);
/* Is name usable as a tenant name? tenant_name_ok() (include/tenant_name.h), under its old name. */
bool config_tenant_name_ok(const char *name);

#endif /* QUELL_CONFIG_H */
