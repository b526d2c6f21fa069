#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/check-layers.sh [ROOT] - the layers of quell, checked (issue 13).
#
# Reads every #include "..." of bpf/, include/, collectors/, src/ and top/
# (tests are above everything and not checked), gives each file a layer
# (the table below) and fails when a file includes one of a higher layer or
# of another program. Also counts the circles: files whose functions call
# each other in a loop (a global function or variable used in one .c file
# and defined in another is an arrow), the way docs/hacking.md draws them.
#
# Prints: upward includes (each, and the count), upward calls, circles.
# Exit 1 when there is an upward include not in KNOWN or a file of no layer
# (a new directory or include/ header: give it a line below), or (--strict)
# any upward include, upward call or circle at all; 0 otherwise. KNOWN lists those that a
# planned code change removes (plan: issue 13); it must end up empty.
#
# Works on the tree before and after the move of src/lib (the table knows a
# file by its directory first, then by its name), so the counts compare.
set -euo pipefail

strict=0 asis=0
while [ $# -gt 0 ]; do
	case $1 in
	--strict) strict=1 ;;
	--as-is) asis=1 ;;	# the layering of before issue 13: src/lib + collectors = one layer
	*) break ;;
	esac
	shift
done
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}

exec python3 - "$root" "$strict" "$asis" <<'PY'
import os, re, sys
from collections import defaultdict

root, strict, asis = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"

# ---- the layers, bottom first; each may include and call only its own and lower ones.
# Programs share a rank but are strangers: none includes another's files.
RANK = {"contract": 0, "common": 1, "collectors": 2, "policy": 3, "history": 4,
        "quelld": 5, "quellctl": 5, "quelltop": 5, "pam": 5, "bpf": 5}

# by directory (a file's layer is its directory's when the directory is listed)
DIRS = {"bpf": "bpf", "collectors": "collectors", "src/common": "common",
        "src/policy": "policy", "src/history": "history", "src/quelld": "quelld",
        "src/quellctl": "quellctl", "top": "quelltop", "src/pam": "pam"}

# by name: the headers of include/, and the files of the old src/lib/
NAMES = {
    # include/: what crosses a boundary, and the layer that owns it
    "quell_bpf.h": "contract",
    "units.h": "common", "log.h": "common", "clock.h": "common", "metrics.h": "common",
    "tenant_name.h": "common", "proto.h": "common", "fs.h": "common",
    "cgroup.h": "collectors", "procfs.h": "collectors", "psi.h": "collectors",
    "hostinfo.h": "collectors",
    "tenant_limits.h": "policy", "policy.h": "policy", "config.h": "policy",
    "history.h": "history", "events_log.h": "history",
    # daemon-private headers, wherever they stand (include/ today)
    "tenant.h": "quelld", "daemon.h": "quelld", "quelld.h": "quelld", "api.h": "quelld",
    "authz.h": "quelld", "bpf_dump.h": "quelld", "bpf_loader.h": "quelld",
    "enforcer.h": "quelld", "hooks.h": "quelld", "kernel_events.h": "quelld",
    "metrics_http.h": "quelld", "notify.h": "quelld", "placement.h": "quelld",
    "state.h": "quelld", "prom.h": "quelld", "notify_cmd.h": "quelld", "web.h": "quelld",
    "lve.h": "quellctl", "pam_quell.h": "pam",
    # src/lib/*.c today
    "units.c": "common", "log.c": "common", "clock.c": "common", "metrics.c": "common",
    "tenant_name.c": "common", "proto.c": "common", "fs.c": "common",
    "limits.c": "policy", "policy.c": "policy", "config.c": "policy", "rules.c": "policy",
    "rrd_schema.c": "history", "history_read.c": "history", "events_log.c": "history",
    "prom.c": "quelld", "lve.c": "quellctl", "pam_decide.c": "pam",
}

if asis:
    # before issue 13: libquell.a (src/lib + collectors + their headers) under the programs
    RANK = {"contract": 0, "lib": 1, "quelld": 5, "quellctl": 5, "quelltop": 5, "pam": 5,
            "bpf": 5}
    DIRS = {"bpf": "bpf", "collectors": "lib", "src/lib": "lib", "src/quelld": "quelld",
            "src/quellctl": "quellctl", "top": "quelltop", "src/pam": "pam"}
    NAMES = {n: ("lib" if l in ("common", "collectors", "policy", "history") or
                 n in ("prom.h", "lve.h", "pam_quell.h") else l) for n, l in NAMES.items()}

# Upward includes that a planned code change removes (plan.md step in brackets).
KNOWN = set()   # R3 removed the last three (proto.c, proto.h, tenant_name.c); keep it empty

SCAN = ["bpf", "include", "collectors", "src", "top"]

def layer_of(path):
    d = os.path.dirname(path)
    if d in DIRS:
        return DIRS[d]
    return NAMES.get(os.path.basename(path))

files = []
for top in SCAN:
    for dp, dn, fn in os.walk(os.path.join(root, top)):
        dn[:] = [x for x in dn if x not in ("build", "web")]
        for f in fn:
            if f.endswith((".c", ".h")):
                files.append(os.path.relpath(os.path.join(dp, f), root))
files.sort()
byname = defaultdict(list)
for f in files:
    byname[os.path.basename(f)].append(f)

def resolve(src, inc):
    """Where the compiler finds #include "inc" from src: its directory, then include/."""
    for cand in (os.path.normpath(os.path.join(os.path.dirname(src), inc)),
                 os.path.normpath(os.path.join("include", inc))):
        if cand in byname.get(os.path.basename(inc), []):
            return cand
    c = byname.get(os.path.basename(inc), [])
    return c[0] if len(c) == 1 else None   # not reachable by -I: still a dependency

INC_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT_RE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)

unknown, upward, inc_edges = set(), [], defaultdict(set)
for f in files:
    text = open(os.path.join(root, f), errors="replace").read()
    lf = layer_of(f)
    if lf is None:
        unknown.add(f)
    for inc in INC_RE.findall(text):
        if inc.endswith((".skel.h", "vmlinux.h")):
            continue
        t = resolve(f, inc)
        if t is None:
            continue
        inc_edges[f].add(t)
        lt = layer_of(t)
        if lf is None or lt is None or lt == lf:
            continue
        if RANK[lt] > RANK[lf] or (RANK[lt] == RANK[lf] and lt != lf):
            upward.append((f, lf, t, lt))

# ---- calls: a global name defined in one .c file and used in another
DEF_RE = re.compile(r'^(?!static\b|typedef\b|extern\b|(?:struct|enum|union)\s*\w*\s*\{|#)'
                    r'[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*(\(|\[|=)', re.M)
IDENT_RE = re.compile(r'[A-Za-z_]\w*')
srcs = [f for f in files if f.endswith(".c") and not f.startswith("bpf/")]
defs, uses = defaultdict(set), {}
for f in srcs:
    text = COMMENT_RE.sub(" ", open(os.path.join(root, f), errors="replace").read())
    for m in DEF_RE.finditer(text):
        line_end = text.find("\n", m.end())
        rest = text[m.start():line_end if line_end >= 0 else None]
        if m.group(2) == "(" and rest.rstrip().endswith(";"):
            continue                              # a prototype, not a definition
        defs[m.group(1)].add(f)
    uses[f] = set(IDENT_RE.findall(text))
owner = {n: next(iter(fs)) for n, fs in defs.items() if len(fs) == 1 and n != "main"}
call_edges = defaultdict(dict)
for f in srcs:
    for n in uses[f]:
        o = owner.get(n)
        if o and o != f:
            call_edges[f].setdefault(o, []).append(n)

up_calls = []
for f, tos in call_edges.items():
    lf = layer_of(f)
    for t, names in tos.items():
        lt = layer_of(t)
        if lf and lt and lt != lf and (RANK[lt] > RANK[lf] or RANK[lt] == RANK[lf]):
            up_calls.append((f, lf, t, lt, sorted(names)))

def sccs(nodes, edges):
    idx, low, on, st, out, n = {}, {}, set(), [], [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        idx[v] = low[v] = n[0]; n[0] += 1; st.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in idx:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(nodes):
        if v not in idx:
            visit(v)
    return out

circles = sccs(srcs, {f: set(t) for f, t in call_edges.items()})
inc_cycles = sccs(files, inc_edges)

# ---- report
print(f"check-layers: {root}")
print("layers, bottom first: " + ("contract < lib (src/lib + collectors) < programs" if asis else
      "contract < common < collectors < policy < history < programs") +
      " (quelld, quellctl, quelltop, pam are strangers; bpf sees only the contract)")
if unknown:
    print(f"\nfiles of no layer ({len(unknown)}): add them to tests/check-layers.sh")
    for f in sorted(unknown):
        print(f"  {f}")
new = [u for u in upward if (u[0], os.path.basename(u[2])) not in KNOWN]
print(f"\nupward includes: {len(upward)} ({len(upward) - len(new)} known, {len(new)} new)")
for f, lf, t, lt in sorted(upward):
    tag = "known" if (f, os.path.basename(t)) in KNOWN else "NEW"
    print(f"  {tag:5} {f} ({lf}) -> {t} ({lt})")
print(f"\nupward calls: {len(up_calls)}")
for f, lf, t, lt, names in sorted(up_calls):
    more = f", +{len(names) - 4}" if len(names) > 4 else ""
    print(f"  {f} ({lf}) -> {t} ({lt}): {', '.join(names[:4])}{more}")
print(f"\ninclude cycles: {len(inc_cycles)}")
for c in inc_cycles:
    print("  " + " <-> ".join(c))
print(f"\ncircles (files that call each other in a loop): {len(circles)}")
for c in circles:
    ties = []
    for f in c:
        for t, names in sorted(call_edges.get(f, {}).items()):
            if t in c:
                ties.append(f"{os.path.basename(f)}->{os.path.basename(t)} ({', '.join(sorted(names)[:3])})")
    print(f"  {len(c)} files: {' '.join(c)}")
    print("    " + "; ".join(ties))
print(f"\nsummary: upward_includes={len(upward)} new={len(new)} upward_calls={len(up_calls)} "
      f"include_cycles={len(inc_cycles)} circles={len(circles)} unknown={len(unknown)}")
bad = bool(new) or bool(unknown) or (strict and (upward or up_calls or circles or inc_cycles))
sys.exit(1 if bad else 0)
PY
