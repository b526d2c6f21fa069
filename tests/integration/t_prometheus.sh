#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# /metrics on a real quelld: a CPU-burning tenant and an idle one; the
# exposition must be promtool-clean (Debian's prometheus package), carry
# both tenants, show the burner's CPU seconds growing, answer 404/405
# properly, survive a SIGHUP, and be fast to scrape. Exits 77 only when
# promtool is missing (tests/unit/test_prom still runs its strict parser).
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || qt_skip "promtool missing (apt-get install prometheus)"
command -v curl >/dev/null || qt_skip "curl missing"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/metrics
hog=qtm$$h
idle=qtm$$i
qt_user $hog >/dev/null
qt_user $idle >/dev/null
qt_metrics_token
QT_TICK=250ms qt_config <<CONF

[metrics]
listen = 127.0.0.1:$port
token_file = $QT_DIR/token
CONF
qt_quelld

qt_bg su -s /bin/sh $hog -c 'cd /tmp && exec stress-ng --cpu 1 --timeout 60s --quiet'
got=
for i in $(seq 50); do
	got=$(curl -sf "$url" 2>/dev/null | grep "^quell_tenant_cpu_seconds_total{tenant=\"$hog\"}")
	[ -n "$got" ] && break
	sleep 0.2
done
[ -n "$got" ] || { curl -s "$url" | head -40; tail -20 "$QT_DIR/quelld.log"; qt_fail "no cpu series for $hog"; }
sleep 2.5

curl -s -D "$QT_DIR/h1" -o "$QT_DIR/m1" "$url" || qt_fail "curl"
grep -qi '^content-type: text/plain; version=0.0.4' "$QT_DIR/h1" || { cat "$QT_DIR/h1"; qt_fail "content type"; }
out=$(promtool check metrics < "$QT_DIR/m1" 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || { echo "$out"; qt_fail "promtool check metrics: rc=$rc"; }
qt_log "ok: promtool check metrics clean ($(wc -l < "$QT_DIR/m1") lines, $(wc -c < "$QT_DIR/m1") bytes)"

# every family has one TYPE, no series twice
dup=$(grep -v '^#' "$QT_DIR/m1" | sed 's/ [^ ]*$//' | sort | uniq -d | head -3)
[ -z "$dup" ] || qt_fail "duplicate series: $dup"
dup=$(grep '^# TYPE' "$QT_DIR/m1" | awk '{print $3}' | sort | uniq -d | head -3)
[ -z "$dup" ] || qt_fail "family typed twice: $dup"

for want in "quell_tenant_cpu_seconds_total{tenant=\"$idle\"}" \
	"quell_tenant_throttled{tenant=\"$hog\"}" quell_ticks_total quell_tick_duration_seconds \
	quell_bpf_loaded quell_tenants quell_tenants_quiet quell_build_info; do
	grep -q "^$want" "$QT_DIR/m1" || qt_fail "missing $want"
done
if grep -q '^quell_bpf_loaded 1' "$QT_DIR/m1"; then
	for want in quell_bpf_map_entries 'quell_bpf_dropped_total{reason="ringbuf_full"}' \
		"quell_tenant_runqueue_delay_inflicted_seconds_total{tenant=\"$hog\"}"; do
		grep -q "^$want" "$QT_DIR/m1" || qt_fail "missing $want with BPF loaded"
	done
fi

cpu() { awk -v k="quell_tenant_cpu_seconds_total{tenant=\"$1\"}" '$1 == k {print $2}' "$2"; }
# the scraped counter against the kernel's own counter of the hog's cgroup,
# over the same 6 s (the exposition lags by at most one 250 ms tick per end)
for q in $(pgrep -u $hog); do echo "pid $q: $(grep -E "cpuacct|^0::" /proc/$q/cgroup | tr "\n" " ")"; done
c1=$(cpu $hog "$QT_DIR/m1"); k1=$(qt_kernel_cpu_ns $hog)
sleep 6
curl -sf -o "$QT_DIR/m2" "$url" || qt_fail "second scrape"
c2=$(cpu $hog "$QT_DIR/m2"); k2=$(qt_kernel_cpu_ns $hog)
i2=$(cpu $idle "$QT_DIR/m2")
qt_assert_near "hog cpu seconds (scrape vs kernel cgroup)" \
	$(awk -v a="$c1" -v b="$c2" 'BEGIN { printf "%.0f", (b - a) * 1e9 }') $((k2 - k1)) 10 || exit 1
awk -v i="$i2" 'BEGIN { exit !(i < 0.5) }' || qt_fail "idle tenant shows $i2 cpu seconds"
qt_log "ok: $hog cpu $c1 -> $c2 s over 6 s; $idle $i2 s"

code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")
[ "$code" = 404 ] || qt_fail "/nope gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")
[ "$code" = 405 ] || qt_fail "POST gave $code"

kill -HUP $QT_QUELLD_PID
sleep 1.5
curl -sf -o /dev/null "$url" || qt_fail "no /metrics after SIGHUP"
kill -0 $QT_QUELLD_PID || qt_fail "quelld died on SIGHUP"

# scrape time, 20 scrapes
t=$(for i in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "$url"; done | sort -n |
	awk '{a[NR]=$1} END {printf "p50 %.1f ms, max %.1f ms", a[int(NR/2)+1]*1000, a[NR]*1000}')
qt_log "ok: scrape time over 20 scrapes: $t"

# the example Grafana dashboard: every query parses (promtool check rules)
# and names only metrics prom.c can emit
dash=$(dirname "$0")/../../docs/grafana-dashboard.json
if [ -f "$dash" ]; then
	python3 - "$dash" > "$QT_DIR/dash.rules.yml" <<'PY' || qt_fail "dashboard JSON"
import json, sys
d = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
exprs += [a["expr"] for a in d["annotations"]["list"] if "expr" in a]
print("groups:\n- name: dashboard\n  rules:")
for i, e in enumerate(exprs):
    e = (e.replace("$__rate_interval", "1m").replace("$__range", "1h").replace("$topn", "10")
          .replace("$instance", ".*").replace("$tenant", ".*"))
    print("  - record: dashboard:q%d" % i)
    print("    expr: " + json.dumps(e))
PY
	out=$(promtool check rules "$QT_DIR/dash.rules.yml" 2>&1) || { echo "$out"; qt_fail "dashboard queries"; }
	# prom.c's own names, and the tenant families of include/metrics.h it renders
	src="$(dirname "$0")/../../src/quelld/prom.c $(dirname "$0")/../../include/metrics.h"
	for m in $(grep -oE 'quell_[a-z0-9_]+' "$dash" | sort -u); do
		# shellcheck disable=SC2086 # two files
		grep -q "\"$m\"" $src || qt_fail "dashboard uses $m, which prom.c never emits"
	done
	qt_log "ok: dashboard: $(grep -c 'record:' "$QT_DIR/dash.rules.yml") queries parse, metric names exist"
fi
exit 0
