// SPDX-License-Identifier: GPL-2.0-only
/*
 * tenant_cgroup.c - a tenant's own cgroup (tenant_cgroup.h): created when
 * discover.c adds the tenant or placement.c finds it removed, and mapped to
 * the tenant's BPF key. Was placement_tenant / placement_bpf_map in
 * placement.c, which made discover.c and placement.c call each other.
 */
#include <errno.h>
#include <string.h>

#include "bpf_loader.h"
#include "cgroup.h"
#include "log.h"
#include "quelld.h"
#include "tenant_cgroup.h"

void tenant_cgroup_map_bpf(struct daemon *d, const struct tenant *t)
{
	uint64_t ids[4], memcg;
	int n, i, ret;

	if (!d->bpf || !*t->cg)
		return;
	qbpf_unmap_key(d->bpf, t->key);	/* a recreated directory has new ids */
	/* who evicts whom: a page's memory cgroup -> its tenant (docs/attribution.md) */
	if (!cg_memcg_id(&d->cg, t->cg, &memcg)) {
		ret = qbpf_map_memcg(d->bpf, memcg, t->key);
		if (ret)
			log_warn("tenant %s: BPF memcg map: %s (mem_inflicted not counted)",
				 t->name, strerror(-ret));
	}
	n = cg_ids(&d->cg, t->cg, ids, 4);
	for (i = 0; i < n; i++) {
		ret = qbpf_map_cgroup(d->bpf, ids[i], t->key);
		if (ret)
			log_warn("tenant %s: BPF cgroup map: %s (kernel-thread IO not charged)",
				 t->name, strerror(-ret));
	}
}

int tenant_cgroup_create(struct daemon *d, struct tenant *t)
{
	int ret;

	if (!*t->cg)
		return 0;
	ret = cg_create(&d->cg, t->cg);
	if (ret && ret != -EEXIST) {
		log_warn("tenant %s: creating %s: %s", t->name, t->cg, strerror(-ret));
		return ret;
	}
	tenant_cgroup_map_bpf(d, t);
	return 0;
}
