/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tenant_name.h - the one rule for what a tenant name may be. A tenant
 * name is a Unix user name (users mode) or a child cgroup's name (cgroups
 * mode), and it becomes a cgroup directory name, an RRD file name, a JSON
 * string and a [tenant:NAME] section name. quelld's discovery, quell.conf's
 * parser and pam_quell.so all ask tenant_name_ok(), so a name one of them
 * accepts is never refused by another (before: config.c accepted "a+b",
 * discover.c refused it).
 */
#ifndef QUELL_TENANT_NAME_H
#define QUELL_TENANT_NAME_H

#include <stdbool.h>
#include <stdint.h>

/* Longest tenant name + 1 (the same as QUELL_NAME_MAX in config.h). */
#define TENANT_NAME_MAX	64

/*
 * tenant_name_ok - [A-Za-z0-9_] first, then [A-Za-z0-9_.-], optionally one
 * trailing '$' (Samba machine accounts), 1..TENANT_NAME_MAX-1 bytes; never
 * "." or "..". NULL is not a name.
 */
bool tenant_name_ok(const char *name);

/* A 64-bit hash of a name (FNV-1a style), for the daemon's tables by name. */
uint64_t tenant_name_hash(const char *name);

#endif /* QUELL_TENANT_NAME_H */
