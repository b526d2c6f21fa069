/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tenant_cgroup.h - a tenant's own cgroup: created, and its ids mapped to
 * the tenant's BPF key. Below both discover.c (a new tenant) and
 * placement.c (a directory someone removed), so neither calls the other
 * for it (issue 13, plan R4).
 */
#ifndef QUELL_TENANT_CGROUP_H
#define QUELL_TENANT_CGROUP_H

struct daemon;
struct tenant;

/*
 * tenant_cgroup_create - make t's cgroup (t->cg, every hierarchy) if it is
 * missing, then tenant_cgroup_map_bpf(). Returns 0 (also when t has no
 * cgroup or it exists), -errno from the cgroup backend (logged).
 */
int tenant_cgroup_create(struct daemon *d, struct tenant *t);
/*
 * tenant_cgroup_map_bpf - (re)map the ids of t's cgroup in the blkcg
 * hierarchies to t's BPF key, so throttled and writeback IO that the kernel
 * issues from its own threads is charged to t. No-op without BPF or cgroup.
 */
void tenant_cgroup_map_bpf(struct daemon *d, const struct tenant *t);

#endif /* QUELL_TENANT_CGROUP_H */
