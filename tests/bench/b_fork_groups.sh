#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A fork storm beside a latency-sensitive neighbour, in the kernel alone
# (no quelld): why cpu-hog's gentle rung must come within the first second
# (docs/performance.md, "The web bench's own load ...").
#
# H: 8 shells forking /bin/true as fast as they can; V: wakeprobe (4
# threads, wake every 5 ms, 1 ms of work: a light site's workers). Both in
# the CPU controller (v1 cpu on hybrid hosts, else v2) under $QT_ID:
#   shared   V and H in one cgroup (what quell's placement replaces)
#   split    V and H in sibling cgroups at equal weight (a tenant each:
#            quell's placement before any rung)
#   idle     split, H's cgroup cpu.idle = 1 (cpu-hog's gentle rung)
#   weight   split, H's cgroup at the minimum weight (v1 cpu.shares 2, v2
#            cpu.weight 1)
# Per condition and round: V's wakeup lateness p99 and max. Measured on
# 6.18 (hybrid), 2 vCPUs: split stalled V for 1.0-1.5 s at a time (p99 up
# to 440 ms), shared at most 49 ms, weight at most 4.7 ms.
#
# Knobs: BENCH_FORK_S (seconds per condition, 5), BENCH_FORK_ROUNDS (3; quick 1).
. "$(dirname "$0")/lib.sh"

S=${BENCH_FORK_S:-5}
ROUNDS=${BENCH_FORK_ROUNDS:-3}
[ "$BENCH_QUICK" = 1 ] && ROUNDS=${BENCH_FORK_ROUNDS:-1}
[ -x "$BENCH_BIN/wakeprobe" ] || qt_skip "no $BENCH_BIN/wakeprobe (tests/bench/run.sh builds it)"

if [ -d $CG/cpu ] && [ -f $CG/cpu/cpu.shares ]; then
	R=$CG/cpu/$QT_ID; V1=1
else
	grep -qw cpu $B_UNI/cgroup.subtree_control || qt_skip "no cpu controller in $B_UNI"
	R=$B_UNI/$QT_ID; V1=0
fi

STORM=()
storm_stop() {
	local p
	for p in "${STORM[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for p in "${STORM[@]}"; do
		wait "$p" 2>/dev/null
	done
	STORM=()
	# the /bin/true children left behind die on their own within ms
	sleep 0.3
}
trap 'rc=$?; storm_stop; (exit $rc); qt_cleanup' EXIT

# run COND: one window of S seconds; prints the probe's line
run() {
	local c=$1 v=$R/$1/v h=$R/$1/h i
	mkdir -p "$v" "$h" || qt_fail "mkdir under $R"
	[ $V1 = 0 ] && echo +cpu > "$R/cgroup.subtree_control" 2>/dev/null
	[ $c = shared ] && h=$v
	case $c in
	idle) echo 1 > "$h/cpu.idle" || qt_fail "cpu.idle";;
	weight) if [ $V1 = 1 ]; then echo 2 > "$h/cpu.shares"; else echo 1 > "$h/cpu.weight"; fi ||
		qt_fail "weight";;
	esac
	for i in 1 2 3 4 5 6 7 8; do
		sh -c 'echo $$ > "$1/cgroup.procs" && while :; do /bin/true; done' sh "$h" \
			>/dev/null 2>&1 &
		STORM+=($!); QT_PIDS+=($!)
	done
	sleep 1
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$v" \
		"$BENCH_BIN/wakeprobe" "$S" 5000 1000 4
	storm_stop
}

J='[]'
for r in $(seq "$ROUNDS"); do
	for c in shared split idle weight; do
		line=$(run $c) || qt_fail "$c: the probe failed"
		p99=$(b_kv "$line" p99_us); max=$(b_kv "$line" max_us)
		b_log "round $r $c: p99 $p99 us, max $max us ($line)"
		J=$(jq -c --arg c $c --argjson r $r --argjson p "${p99:-null}" --argjson m "${max:-null}" \
			'. + [{round: $r, cond: $c, p99_us: $p, max_us: $m}]' <<< "$J")
	done
done
bj runs "$J"
bj medians "$(jq -c 'group_by(.cond) | map({key: .[0].cond, value: {p99_us: (map(.p99_us) |
	sort | .[length / 2 | floor]), max_us: (map(.max_us) | max)}}) | from_entries' <<< "$J")"

echo
echo "fork storm (8 shells of /bin/true) beside wakeprobe (4 threads, 5 ms period, 1 ms work): $ROUNDS rounds of ${S}s"
printf '%-8s %12s %12s\n' cond "p99 us (med)" "max us (max)"
for c in shared split idle weight; do
	jq -r --arg c $c '.medians[$c] | [$c, .p99_us, .max_us] | @tsv' "$B_JSON" |
		awk -F'\t' '{ printf "%-8s %12s %12s\n", $1, $2, $3 }'
done
exit 0
