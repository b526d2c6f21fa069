/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf_dump.h - `quelld --bpf-dump [--seconds N] [--cgroup-level L]
 * [--raw-tp] [--events]`: load the BPF side, let it count for N seconds,
 * print every key's counters, the self-health stats and each program's
 * run time. A debugging tool, and what tests/integration/t_bpf_accounting.sh
 * measures with. Implemented in src/quelld/bpf_dump.c.
 */
#ifndef QUELL_BPF_DUMP_H
#define QUELL_BPF_DUMP_H

/* argv may start with "--bpf-dump" (ignored). Returns the process exit code: 0, 1 error, 2 usage. */
int bpf_dump_main(int argc, char **argv);

#endif /* QUELL_BPF_DUMP_H */
