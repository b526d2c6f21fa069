/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.bpf.h - CO-RE shims for kernel fields that were renamed or
 * reshaped, so one quell.bpf.o loads on 6.1 (Debian 12) and 6.18 alike.
 * Each shim names the kernel commit that made it necessary. Include after
 * vmlinux.h and bpf_core_read.h.
 */
#ifndef QUELL_COMPAT_BPF_H
#define QUELL_COMPAT_BPF_H

/*
 * task_struct::state became ::__state (unsigned int) in 5.14,
 * commit 2f064a59a11f ("sched: Change task_struct::state").
 */
struct task_struct___pre514 {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline long compat_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/*
 * cgroup::ancestor_ids[] (u64 ids) became cgroup::ancestors[] (pointers)
 * in 6.1, commit 7f203bc89eb6 ("cgroup: Replace cgroup->ancestor_ids[] with
 * ->ancestors[]"). Both are flexible arrays indexed by level; the index is
 * a runtime value, so read the slot at (field offset + level * 8) instead
 * of asking clang for a constant-index access string.
 */
struct cgroup___pre61 {
	int level;
	u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* Returns the kernfs id of the ancestor of cg at level, 0 if unreadable. */
static __always_inline u64 compat_cgroup_ancestor_id(struct cgroup *cg, u32 level)
{
	struct cgroup___pre61 *old = (void *)cg;
	struct cgroup *anc = NULL;
	u64 id = 0;

	if (bpf_core_field_exists(cg->ancestors)) {
		bpf_probe_read_kernel(&anc, sizeof(anc),
				      (void *)cg + bpf_core_field_offset(cg->ancestors) +
				      (u64)level * sizeof(anc));
		if (!anc)
			return 0;
		return BPF_CORE_READ(anc, kn, id);
	}
	bpf_probe_read_kernel(&id, sizeof(id),
			      (void *)cg + bpf_core_field_offset(old->ancestor_ids) +
			      (u64)level * sizeof(id));
	return id;
}

#endif /* QUELL_COMPAT_BPF_H */
