#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Replies of any size (issue 11, item 1). On main (9451f72) `quellctl list`
# and quelltop failed above ~57 tenants ("Message too long", exit 3): the
# 64 KiB request limit applied to replies too.
#   N tenant cgroups (cgroups mode, default 2000, QT_API_TENANTS) ->
#   `quellctl list`, `quellctl --json list`, `quellctl list --json` and
#   `quelltop -b` show all N; the time of `quellctl list --json` is printed.
. "$(dirname "$0")/lib.sh"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
N=${QT_API_TENANTS:-2000}
qt_v2_tenants big $N
QT_LOG_LEVEL=info qt_config_cgroups "$P" </dev/null
qt_quelld
qt_wait_tenants $N

count_json() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tenants"]))'; }
qt_ctl list > "$QT_DIR/list.out" 2> "$QT_DIR/list.err"; rc=$?
rows=$(grep -cE '^ *t[0-9]+ ' "$QT_DIR/list.out")
[ $rc = 0 ] && [ "$rows" = $N ] && ok "quellctl list: $N rows ($(wc -c < "$QT_DIR/list.out") bytes)" ||
	bad "quellctl list: exit $rc, $rows rows of $N: $(head -c 200 "$QT_DIR/list.err")"
for a in "--json list" "list --json"; do
	qt_ctl $a > "$QT_DIR/json.out" 2> "$QT_DIR/list.err"; rc=$?
	n=$(count_json < "$QT_DIR/json.out" 2>/dev/null)
	[ $rc = 0 ] && [ "$n" = $N ] && ok "quellctl $a: $N tenants ($(wc -c < "$QT_DIR/json.out") bytes)" ||
		bad "quellctl $a: exit $rc, ${n:-no} tenants of $N: $(head -c 200 "$QT_DIR/list.err")"
done
# quelld sorts and cuts; to a pipe quellctl prints its reply unparsed: the
# order and number must still be what `list` promises (docs/protocol.md)
qt_ctl list --json --sort name --reverse --top 7 > "$QT_DIR/top.json" 2> "$QT_DIR/list.err"; rc=$?
python3 - "$QT_DIR/top.json" <<'PY' && ok "list --json --sort name --reverse --top 7: 7 rows, Z..A, \"sorted\"" ||
import json, sys
r = json.load(open(sys.argv[1]))
names = [t["name"] for t in r["tenants"]]
assert r["ok"] is True and r["sorted"] == {"by": "name", "reverse": True, "top": 7}, r.get("sorted")
assert len(names) == 7 and names == sorted(names, reverse=True), names
PY
	bad "list --json --sort name --reverse --top 7: exit $rc: $(head -c 300 "$QT_DIR/top.json") $(head -c 200 "$QT_DIR/list.err")"
python3 - "$QT_DIR/json.out" <<'PY' && ok "list --json: $N rows by cpu, biggest first, unknown last" ||
import json, math, sys
r = json.load(open(sys.argv[1]))
v = [t["rates"]["cpu_pct"] for t in r["tenants"]]
known = [x for x in v if x is not None]
assert v[:len(known)] == known and all(x is None for x in v[len(known):]), "nulls not last"
assert known == sorted(known, reverse=True), "not biggest first"
PY
	bad "list --json: rows not in cpu order"
t=()
for i in 1 2 3 4 5; do
	a=$(date +%s%N); qt_ctl list --json >/dev/null; t+=($(( ($(date +%s%N) - a) / 1000000 )))
done
echo "  quellctl list --json at $N tenants (ms): ${t[*]}"
timeout 60 "$QT_BUILD/quelltop" -s "$QT_DIR/quell.sock" -b -n 1 -w 200 > "$QT_DIR/top.out" 2>&1; rc=$?
rows=$(grep -cE '^ *t[0-9]+ ' "$QT_DIR/top.out")
[ $rc = 0 ] && [ "$rows" = $N ] && ok "quelltop -b: $N rows" ||
	bad "quelltop -b: exit $rc, $rows rows of $N: $(head -c 300 "$QT_DIR/top.out")"
kill -0 $QT_QUELLD_PID && ok "quelld alive" || bad "quelld died"
[ $fail = 0 ] && echo PASS
exit $fail
