// SPDX-License-Identifier: GPL-2.0-only
/*
 * CO-RE probe for the test VM: built on the host against the HOST kernel's
 * BTF (6.18), loaded in the guest (6.1). It reads the same task fields
 * quell's accounting needs (uid, tgid, the v2 cgroup id), whose offsets in
 * task_struct/cred/cgroup differ between the two kernels, so a successful
 * load proves libbpf's CO-RE relocation on a second kernel even before
 * bpf/quell.bpf.c exists. tests/vm/smoke.sh loads it with bpftool.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct probe_val {
	__u64 execs;
	__u64 last_cgid;
	__u32 last_uid;
	__u32 last_tgid;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_val);
} probe_stats SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(probe_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct probe_val *v;
	__u32 key = 0;

	v = bpf_map_lookup_elem(&probe_stats, &key);
	if (!v)
		return 0;
	__sync_fetch_and_add(&v->execs, 1);
	v->last_uid = BPF_CORE_READ(p, real_cred, uid.val);
	v->last_tgid = BPF_CORE_READ(p, tgid);
	v->last_cgid = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
