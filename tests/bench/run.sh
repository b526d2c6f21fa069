#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `make bench`: quell's benchmarks (issue 7), as root, in one run.
#
#   tests/bench/run.sh [BUILD_DIR]
#   tests/bench/run.sh --summary RESULTS_JSON    print the headline numbers again
#
#   BENCH_QUICK=1        smoke mode: short windows, fewer repetitions (~9 min;
#                        the full run takes ~30 min, 6 of them the web stack)
#   BENCH_ONLY="a b"     run only these (bpf_cost daemon_cost neighbour
#                        accuracy placement history web fork_groups)
#   BENCH_WEB_QUICK=1    only the web stack bench (b_web.sh) in its short mode
#   BENCH_OUT=DIR        results (default BUILD_DIR/bench): results.json, one
#                        b_NAME.json and b_NAME.log per benchmark
#   CC                   compiler for the helper programs (default cc)
# Each b_NAME.sh prints its own table and can run alone; per-benchmark knobs
# are described at the top of each file. Everything a benchmark creates
# (users, quelltest-* cgroups, processes) is removed by the EXIT trap of
# tests/integration/lib.sh, also on failure. Exit status: 0 every benchmark
# ran, 1 some failed (their error is in the log), 2 usage / not root.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# the headline numbers of a results.json
b_summary() {
	jq -r '
	def f: if . == null then "-" else tostring end;
	def thr: if . == null then "not throttled" else "throttled after \(.) s" end;
	def wrong: if (.victim_throttled_runs // [] | any) then ", VICTIM THROTTLED" else "" end;
	[ (.bpf_cost.slowdown // {} | to_entries[] |
		"bpf_cost     \(.key): \(.value.slowdown_pct | f)% slower with quelld (goal <= \(.value.goal_pct)%)"),
	  (.bpf_cost.estimate // {} | to_entries[] |
		"bpf_cost     \(.key): \(.value.est_slowdown_pct | f)% estimated from ns/event x switches"),
	  (.bpf_cost.programs // [] | map(select(.run_cnt > 0))[:3][] |
		"bpf_cost     \(.name): \(.ns_per_event) ns/event"),
	  (.daemon_cost.tenants // {} | to_entries[] |
		"daemon_cost  \(.key) tenants: \(.value.cpu_pct)% of a core, tick \(.value.tick_ms | f) ms (goal <= 0.5% per 1000)"),
	  (["cpu", "io", "fork", "mem"][] as $s | .neighbour[$s] // empty |
		"neighbour    \($s) default rules: victim x alone \(.quell_over_alone | f), x oracle \(.quell_over_oracle | f), \(.quell.time_to_throttle_s | thr)\(.quell | wrong)",
		"neighbour    \($s) rule as cap: victim x alone \(.cap_over_alone | f), x oracle \(.cap_over_oracle | f), \(.cap.time_to_throttle_s | thr)\(.cap | wrong); no quell: x alone \(.noquell_over_alone | f)"),
	  (.accuracy // {} | to_entries[] | select(.value | type == "object") |
		"accuracy     \(.key): quell/kernel \(.value.ratio | f)"),
	  ((.web.settings // {}) as $ws | .web.kinds // {} | to_entries[] |
		def top: if . == null or ((.value // 1) <= 0) then null else .name end;
		def who: if . == null then "-" elif . == $ws.victim then "VICTIM" elif . == $ws.offender then "offender" else . end;
		"web          \(.key): victim p99 x alone, quell 0-5 s \(.value.p99_x_alone.quell.w0_5 | f), steady \(.value.p99_x_alone.quell.steady | f); no quell steady \(.value.p99_x_alone.noquell.steady | f); first action \(.value.quell.first_action_s | f) s; top inflicted: list \(.value.quell.list_top[0]? // null | top | who), report \(.value.quell.report_top[0]? // null | top | who)\(if .value.quell.victim_acted then ", VICTIM ACTED ON" else "" end)"),
	  (.web.overhead // empty | "web          overhead: req/s x \(.rps_ratio_median | f), p99 x \(.p99_ratio_median | f) with quelld (goal: req/s within 1 %, p99 within 3 %)"),
	  (.fork_groups.medians // {} | to_entries[] |
		"fork_groups  \(.key): neighbour wakeup p99 \(.value.p99_us | f) us, max \(.value.max_us | f) us (fork storm, no quelld)"),
	  (.placement // empty | "placement    client p50 \(.client.p50_us) us p99 \(.client.p99_us) us (missed \(.client.missed)); daemon p50 \(.daemon.latency_p50_us // null | f) us p99 \(.daemon.latency_p99_us // null | f) us")
	] | .[]' "$1"
}
[ "${1:-}" = --summary ] && { b_summary "$2"; exit; }
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD;; esac
[ -x "$BUILD/quelld" ] && [ -x "$BUILD/quellctl" ] || { echo "bench: no $BUILD/quelld (make first)"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (BPF, cgroups, test users)"; exit 2; }
command -v jq >/dev/null || { echo "bench: needs jq"; exit 2; }

export QT_BUILD=$BUILD
export BENCH_OUT=${BENCH_OUT:-$BUILD/bench}
export BENCH_BIN=$BENCH_OUT/bin
export BENCH_QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-"bpf_cost daemon_cost neighbour accuracy placement history web fork_groups"}
CC=${CC:-cc}
mkdir -p "$BENCH_BIN"

for p in wakeprobe setuid_lat; do
	$CC -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -pthread "$HERE/$p.c" \
		-o "$BENCH_BIN/$p" || { echo "bench: cannot build $p"; exit 1; }
done

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

T0=$(date +%s)
LOAD0=$(loadavg)
echo "quell benchmarks: $(date -u '+%F %T UTC'), $(uname -r), $(nproc) CPUs," \
	"$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"load $LOAD0$([ "$BENCH_QUICK" = 1 ] && echo ', QUICK')"

rc=0
declare -A SECS
for b in $ONLY; do
	s=$(date +%s)
	echo
	echo "=== $b"
	if [ "$b" = history ]; then
		# the RRD history cost (tests/bench/history_cost.sh, issue 6) if present
		if [ -x "$HERE/history_cost.sh" ] || [ -f "$HERE/history_cost.sh" ]; then
			[ "$BENCH_QUICK" = 1 ] && n=${BENCH_HIST_N:-20} st=${BENCH_HIST_STEPS:-5} ||
				n=${BENCH_HIST_N:-200} st=${BENCH_HIST_STEPS:-10}
			if timeout 900 sh "$HERE/history_cost.sh" "$BUILD" "$n" "$st" 2>&1 |
				tee "$BENCH_OUT/b_history.log"; then
				jq -R . "$BENCH_OUT/b_history.log" | jq -s --argjson n "$n" --argjson st "$st" \
					'{tenants: $n, steps: $st, output: .}' > "$BENCH_OUT/b_history.json"
			else
				rc=1; echo "bench: history_cost.sh failed"
			fi
		else
			echo "(no tests/bench/history_cost.sh)"
		fi
	elif [ -f "$HERE/b_$b.sh" ]; then
		timeout --foreground -k 30 1200 bash "$HERE/b_$b.sh" 2>&1 | tee "$BENCH_OUT/b_$b.log"
		r=${PIPESTATUS[0]}
		[ "$r" = 0 ] || { rc=1; echo "bench: $b failed (exit $r)"; }
	else
		echo "bench: unknown benchmark $b"; rc=1
	fi
	SECS[$b]=$(( $(date +%s) - s ))
done

# results.json: environment + every benchmark's JSON
OUTJ=$BENCH_OUT/results.json
env_json=$(jq -n --arg date "$(date -u '+%F %T UTC')" --arg kernel "$(uname -r)" \
	--argjson ncpu "$(nproc)" --arg cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
	--arg mem "$(awk '/MemTotal/ { print $2 * 1024 }' /proc/meminfo)" \
	--arg load0 "$LOAD0" --arg load1 "$(loadavg)" --argjson quick "$BENCH_QUICK" \
	--argjson secs "$(( $(date +%s) - T0 ))" --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" \
	'{date: $date, kernel: $kernel, ncpu: $ncpu, cpu: $cpu, mem_bytes: ($mem | tonumber),
	  load_start: $load0, load_end: $load1, quick: ($quick == 1), seconds: $secs, commit: $commit}')
parts='{}'
for b in $ONLY; do
	f=$BENCH_OUT/b_$b.json
	[ -s "$f" ] && parts=$(jq -c --arg b "$b" --slurpfile v "$f" --argjson s "${SECS[$b]}" \
		'.[$b] = ($v[0] + {seconds: $s})' <<< "$parts")
done
jq -n --argjson e "$env_json" --argjson p "$parts" '{environment: $e} + $p' > "$OUTJ"

# the headline numbers, from the JSON
echo
echo "=== summary ($OUTJ; $(( $(date +%s) - T0 )) s; load $LOAD0 -> $(loadavg))"
b_summary "$OUTJ"
# every benchmark prints its issue targets as "target NAME GOAL VALUE UNIT
# PASS|FAIL|MISSING" (b_target, tests/bench/lib.sh): one table of them all
echo
echo "=== targets (issues 14 and 15; ratios and times measured in this run)"
for b in $ONLY; do
	grep -h '^target ' "$BENCH_OUT/b_$b.log" 2>/dev/null
done
exit $rc
