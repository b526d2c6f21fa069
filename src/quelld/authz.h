/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * authz.h - who may do what on quelld's socket and its web view (web.h maps
 * the admin token to AUTHZ_READONLY and a customer link to AUTHZ_TENANT).
 *
 * A caller is known by the SO_PEERCRED of its connection. Its class:
 *
 *   root      uid 0: everything
 *   admin     in [daemon] admin_group: read everything, act (support staff)
 *   readonly  in [daemon] readonly_group: read everything, act on nothing
 *   tenant    a uid that is a tenant: reads its own account only
 *   none      anyone else: ping only
 *
 * The decision (authz_decide) and the reply filter (authz_filter_reply) are
 * pure and tested with literal inputs (tests/unit/test_authz.c); only
 * authz_caller_get() looks at the world (passwd/group through NSS, cached).
 * docs/protocol.md ("Who may do what") is the user-facing description.
 *
 * In include/ rather than beside authz.c: daemon.h embeds the cache, and
 * the unit tests and the HTTP server (issue 16's web view) use it too.
 */
#ifndef QUELL_AUTHZ_H
#define QUELL_AUTHZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"

enum authz_class {
	AUTHZ_NONE,		/* not root, not a member, not a tenant: ping only */
	AUTHZ_TENANT,		/* its own account, read only */
	AUTHZ_READONLY,		/* read everything */
	AUTHZ_ADMIN,		/* read everything, act */
	AUTHZ_ROOT,		/* everything, also commands not classified yet */
};

enum authz_verdict {
	AUTHZ_DENY,
	AUTHZ_ALLOW,		/* run the command as asked */
	AUTHZ_SELF,		/* run it scoped to the caller's own tenant (request and reply) */
};

/*
 * What a command does, which decides who may run it: each row of the
 * command table (api_cmds.c) names its kind and authz_decide() reads it
 * there.
 */
enum authz_kind {
	AK_PUBLIC,	/* ping: anyone who can connect */
	AK_OVERVIEW,	/* status, snapshot, tenants: a tenant sees its own row / a minimal view */
	AK_READ_ONE,	/* about one named tenant (required): a tenant only about itself */
	AK_READ_LOG,	/* events, history: a tenant only its own, "tenant" defaults to itself */
	AK_READ_ANY,	/* where: about any process, so not for tenants */
	AK_ACT,		/* changes something: root and admin only */
};

struct authz_caller {
	enum authz_class cls;
	uint32_t uid;
	char tenant[QUELL_NAME_MAX];	/* AUTHZ_TENANT: its tenant's name; else "" */
};

/* "root", "admin", "readonly", "tenant", "none". */
const char *authz_class_name(enum authz_class cls);

/*
 * authz_classify - the class of uid. in_admin / in_readonly: the uid's
 * groups (primary and supplementary) contain the configured group;
 * is_tenant: the uid is a tenant in the registry. Pure. Root wins over
 * admin over readonly over tenant: a support engineer who also has a site
 * is support staff.
 */
enum authz_class authz_classify(uint32_t uid, bool in_admin, bool in_readonly, bool is_tenant);

/*
 * authz_target_key - the request key that names the tenant a command is
 * about: "name" (tenant, limits, set, throttle, ...), "tenant" (events,
 * history, and the optional filter of snapshot/tenants), NULL when the
 * command is not about one tenant (ping, status, where, place). Pure.
 */
const char *authz_target_key(const char *cmd);

/*
 * authz_decide - may caller c run cmd on tenant target (the value of
 * authz_target_key(cmd) in the request; NULL when absent or not a
 * string)? Pure: depends on c->cls, c->tenant, cmd (its row of the const
 * table api_cmds[]) and target only. Commands not in that table are root's
 * only (api.c answers "unknown command" before asking).
 */
enum authz_verdict authz_decide(const struct authz_caller *c, const char *cmd,
				const char *target);

/*
 * authz_scope_request - for an AUTHZ_SELF verdict: a copy of req (new
 * reference) whose target key names the caller's own tenant, so the
 * handler builds only the caller's rows. NULL on ENOMEM.
 */
json_t *authz_scope_request(const struct authz_caller *c, const char *cmd, json_t *req);

/*
 * authz_filter_reply - for an AUTHZ_SELF verdict: remove from a handler's
 * reply (in place) whatever is not the caller's: other tenants' rows and
 * events, and the host-wide sections of status/snapshot (a tenant sees a
 * minimal host view: hostname, ncpu, mem_total, source, cgroup_mode).
 * Pure. With the request scoped (authz_scope_request) most of this is a
 * no-op; it is here so that a handler that ignores the scope stays safe.
 */
void authz_filter_reply(const struct authz_caller *c, const char *cmd, json_t *resp);

/* {"class", "uid", "tenant" (null unless a tenant)}: added to ping's reply. New reference. */
json_t *authz_caller_json(const struct authz_caller *c);

/*
 * What NSS said about one uid, kept AUTHZ_TTL_S seconds so that a client
 * reconnecting in a loop costs one passwd/group lookup per TTL, not one per
 * request (with LDAP/sssd a lookup can take milliseconds on the tick thread).
 */
#define AUTHZ_TTL_S	30
#define AUTHZ_CACHE_NR	64

struct authz_cache_entry {
	uint32_t uid;
	bool used, in_admin, in_readonly;
	uint64_t expires_ms;		/* CLOCK_MONOTONIC */
};

struct authz_cache {
	/* the group names the entries were computed for: a reload that changes them flushes */
	char admin_group[32], readonly_group[32];
	bool warned;			/* a configured group that does not exist: logged once */
	bool have_admin, have_readonly;	/* the names resolved to these gids */
	gid_t admin_gid, readonly_gid;
	uint64_t groups_expire_ms;	/* when to resolve the names again */
	struct authz_cache_entry e[AUTHZ_CACHE_NR];
};

struct daemon;

/*
 * authz_caller_get - the caller behind peer (SO_PEERCRED; NULL or uid -1
 * means unknown: AUTHZ_NONE). Group membership is getgrouplist() on
 * the uid's user name (primary and supplementary groups) plus peer->gid,
 * cached per uid for AUTHZ_TTL_S s in d->authz. Tenant: users mode, and
 * the registry has a tenant with that uid. Never fails: an NSS error
 * means "not a member".
 */
void authz_caller_get(struct daemon *d, const struct ucred *peer, struct authz_caller *out);

#endif /* QUELL_AUTHZ_H */
