#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# docs/prometheus/quell.rules.yml: promtool accepts it, its unit tests
# (quell.rules.test.yml) pass, every quell_* metric it names is one that
# src/quelld/prom.c renders (the per-tenant families are named in
# include/metrics.h's QM_TABLE), and the tests have teeth: a copy with a
# threshold changed or a metric renamed must fail them. No root, daemon or cgroup
# needed; exits 77 only when promtool is missing (Debian package prometheus).
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")/../.." && pwd)
rules=$here/docs/prometheus/quell.rules.yml
tests=$here/docs/prometheus/quell.rules.test.yml
command -v promtool >/dev/null || qt_skip "promtool missing (apt-get install prometheus)"
[ -f "$rules" ] && [ -f "$tests" ] || qt_fail "missing $rules or $tests"

out=$(promtool check rules "$rules" 2>&1) || { echo "$out"; qt_fail "promtool check rules"; }
n=$(grep -c '^ *- alert: ' "$rules")
echo "$out" | grep -q "SUCCESS: $n rules found" || { echo "$out"; qt_fail "expected $n rules"; }
qt_log "ok: promtool check rules: $n alerts"

out=$(promtool test rules "$tests" 2>&1) || { echo "$out"; qt_fail "promtool test rules"; }
qt_log "ok: promtool test rules"

# every alert is exercised by the tests
for a in $(sed -n 's/^ *- alert: //p' "$rules"); do
	grep -q "alertname: $a\$" "$tests" || qt_fail "alert $a has no test in $tests"
done

# metric names: what quelld really exports
names=$(grep -v '^ *#' "$rules" | grep -o 'quell_[a-z0-9_]*' | sort -u)
[ -n "$names" ] || qt_fail "no quell_* metric in the rules"
for m in $names; do
	grep -q "\"$m\"" "$here/src/quelld/prom.c" "$here/include/metrics.h" ||
		qt_fail "rules use $m, which src/quelld/prom.c does not render"
	grep -q "$m" "$here/docs/man/quelld.8" || qt_fail "rules use $m, which quelld(8) does not document"
done
qt_log "ok: $(echo $names | wc -w) metric names, all rendered by src/quelld/prom.c"

# the tests must catch a broken rule: each mutation of a copy has to fail them
mutate() {
	local what=$1 expr=$2
	mkdir -p "$QT_DIR/m"
	sed "$expr" "$rules" > "$QT_DIR/m/quell.rules.yml" || qt_fail "mutation '$what': sed"
	cp "$tests" "$QT_DIR/m/"
	cmp -s "$rules" "$QT_DIR/m/quell.rules.yml" && qt_fail "mutation '$what' changed nothing"
	# still a valid rule file: only its meaning is wrong
	promtool check rules "$QT_DIR/m/quell.rules.yml" >/dev/null 2>&1 ||
		qt_fail "mutation '$what' is not a valid rule file"
	promtool test rules "$QT_DIR/m/quell.rules.test.yml" >/dev/null 2>&1 &&
		qt_fail "promtool test rules passed with a broken rule: $what"
	qt_log "ok: caught: $what"
}
mutate "storm threshold 30 -> 300" 's/\[10m\])) > 30$/[10m])) > 300/'
mutate "kill rule on freeze" 's/action="kill"/action="freeze"/'
mutate "BPF drops metric renamed" 's/quell_bpf_dropped_total/quell_bpf_drops_total/'
mutate "dead daemon: up == 1" 's/up{job="quell"} == 0/up{job="quell"} == 1/'
mutate "stall window 2m -> 20m" 's/rate(quell_ticks_total\[2m\])/rate(quell_ticks_total[20m])/'
mutate "OOM per tenant summed away" 's/increase(quell_tenant_oom_kills_total\[10m\])/sum(increase(quell_tenant_oom_kills_total[10m]))/'
mutate "many throttled: 10% -> 50%" 's/0\.1 \* quell_tenants/0.5 * quell_tenants/'
mutate "BPF not loaded == 1" 's/quell_bpf_loaded == 0/quell_bpf_loaded == 1/'
mutate "absent on another metric" 's/absent(quell_ticks_total)/absent(up)/'
exit 0
