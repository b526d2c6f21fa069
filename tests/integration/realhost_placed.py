#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Count processes placed in their tenant's cgroup in every hierarchy.

usage: realhost_placed.py CGROUP_ROOT MANAGED < lines "NAME PID"

A hierarchy counts when quelld made its managed subtree there
(CGROUP_ROOT/<hierarchy>/MANAGED, or CGROUP_ROOT/MANAGED on pure v2). A
process is placed when /proc/PID/cgroup names /MANAGED/NAME in each of them.
Prints "placed N of M" and, for up to 5 that are not, where they are.
One process for 500 files: a shell loop would fork 500 times.
"""
import os
import sys


def hier_dir(root, ctrls):
    if ctrls == "":
        uni = os.path.join(root, "unified")
        return uni if os.path.isdir(uni) else root
    if ctrls.startswith("name="):
        return os.path.join(root, ctrls[5:])
    return os.path.join(root, ctrls)


def main():
    root, managed = sys.argv[1], sys.argv[2]
    total = placed = 0
    bad = []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2:
            continue
        name, pid = parts
        total += 1
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                rows = [r.rstrip("\n").split(":", 2) for r in f]
        except OSError:
            bad.append(f"{name} pid {pid}: gone")
            continue
        want = f"/{managed}/{name}"
        used = [r for r in rows if len(r) == 3
                and os.path.isdir(os.path.join(hier_dir(root, r[1]), managed))]
        wrong = [f"{r[1] or 'v2'}:{r[2]}" for r in used if r[2] != want]
        if used and not wrong:
            placed += 1
        else:
            bad.append(f"{name} pid {pid}: " + (" ".join(wrong) or "no managed hierarchy"))
    print(f"placed {placed} of {total}")
    for b in bad[:5]:
        print("  not placed: " + b)
    return 0 if placed == total else 1


if __name__ == "__main__":
    sys.exit(main())
