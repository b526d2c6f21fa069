# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers of the benchmarks (tests/bench/b_*.sh). Sources the
# integration suite's lib.sh for its unique QT_ID, test users, test daemon
# and the EXIT trap that removes users, quelltest-* cgroups and processes.
#
# Set by run.sh (defaults let a b_*.sh run alone):
#   QT_BUILD     absolute build dir with quelld, quellctl
#   BENCH_OUT    results dir (b_NAME.json written there)
#   BENCH_BIN    dir with the C helpers (wakeprobe, setuid_lat)
#   BENCH_QUICK  1: short windows, fewer repetitions (smoke test)
#
#   bj PATH JSON          set PATH (a.b.c) of this bench's JSON to JSON value
#   b_median V...         median of numbers (mean of the middle two if even)
#   b_ratio A B           A / B with 3 decimals ("null" if B is 0 or missing)
#   b_cpu_ticks PID       utime + stime of PID in clock ticks
#   b_cpu_ns PID          CPU time of PID's live threads in ns (schedstat)
#   b_quell_progs         how many quell sched_switch programs are attached
#                         now (other engineers' daemons count too)
#   b_quelld_stop         stop the test daemon started by qt_quelld
#   b_kv LINE KEY         value of KEY=VALUE in a line
B_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${QT_BUILD:=$(cd "$B_HERE/../../build" && pwd)}"
: "${BENCH_OUT:=$QT_BUILD/bench}"
: "${BENCH_BIN:=$BENCH_OUT/bin}"
: "${BENCH_QUICK:=0}"
export QT_BUILD
. "$B_HERE/../integration/lib.sh"

B_NAME=$(basename "$0" .sh)
B_JSON=$BENCH_OUT/$B_NAME.json
mkdir -p "$BENCH_OUT"
echo '{}' > "$B_JSON"
HZ=$(getconf CLK_TCK)

[ "$(id -u)" = 0 ] || qt_skip "benchmarks need root"

bj() {
	local tmp=$B_JSON.tmp
	jq --arg p "$1" --argjson v "$2" 'setpath($p | split("."); $v)' "$B_JSON" > "$tmp" &&
		mv "$tmp" "$B_JSON"
}

b_median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g |
		awk '{ a[NR] = $1 } END { if (!NR) { print "null"; exit }
			if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

b_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "null" || b == "null" || b + 0 == 0)
		print "null"; else printf "%.3f\n", a / b }'
}

b_cpu_ticks() {
	# fields after the ")" of comm: utime is the 12th, stime the 13th
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# utime + stime come in clock ticks of 10 ms (USER_HZ 100): over a 16 s
# window one tick is 0.0625 % of a core, as much as quelld uses at rest with
# 100 tenants, so b_daemon_cost.sh read 0.123 % there (2 ticks) where the
# daemon used 0.055 % (docs/performance.md, "Fixed cost at rest").
# /proc/PID/task/TID/schedstat's first field is the thread's run time in ns;
# the sum misses threads that ended inside the window (quelld's are long-lived).
# %.0f, not %d: mawk (Debian's awk) prints %d of 2^31 ns (2.1 s) and more as
# 2147483647, which made every window at 10,000 tenants read 0 %.
b_cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

b_quell_progs() {
	bpftool prog list 2>/dev/null | grep -cE 'name (tb|rt)_sched_switch'
}

b_quelld_stop() {
	[ -n "$QT_QUELLD_PID" ] || return 0
	kill -TERM "$QT_QUELLD_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$QT_QUELLD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$QT_QUELLD_PID" 2>/dev/null
	wait "$QT_QUELLD_PID" 2>/dev/null
	QT_QUELLD_PID=
	rm -f "$QT_DIR/quell.sock"
}

b_kv() {
	printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}

# the cgroup v2 hierarchy (pure v2 or hybrid)
if [ -f $CG/cgroup.controllers ]; then B_UNI=$CG; else B_UNI=$CG/unified; fi

b_log() { echo "[$(date +%T)] $B_NAME: $*"; }

# The memory box of b_neighbour.sh's mem scenario and b_web.sh: the managed
# root ($QT_ID) gets a memory limit (the v1 memory hierarchy on hybrid hosts,
# else v2), so a leak can only take its neighbours' memory, never the host's;
# "shared" below it holds the tenants' processes when there is no quelld.
# b_box_setup MIB is run again after every quelld start (quelld creates the
# managed root if it is missing).
b_box_dir() { [ -d $CG/memory ] && echo $CG/memory/$QT_ID || echo $B_UNI/$QT_ID; }
b_box_setup() {
	local d; d=$(b_box_dir)
	mkdir -p "$d" || qt_fail "mkdir $d"
	if [ -d $CG/memory ]; then
		echo $(($1 << 20)) > "$d/memory.limit_in_bytes" || qt_fail "box limit"
	else
		grep -qw memory $B_UNI/cgroup.subtree_control || qt_fail "no memory controller in $B_UNI"
		echo +memory > "$d/cgroup.subtree_control" 2>/dev/null
		echo $(($1 << 20)) > "$d/memory.max" || qt_fail "box limit"
	fi
	mkdir -p "$d/shared"
}

# b_target NAME GOAL VALUE [UNIT]: one line per target of the issues, read
# back by tests/bench/run.sh into its "targets" table. GOAL is "<= 3" or
# ">= 0.99"; VALUE "-" or "null" (not measured) prints MISSING, never PASS.
b_target() {
	local name=$1 goal=$2 val=$3 unit=${4:-} verdict
	if [ -z "$val" ] || [ "$val" = - ] || [ "$val" = null ]; then
		verdict=MISSING val=-
	elif awk -v v="$val" -v g="${goal#* }" -v op="${goal%% *}" \
		'BEGIN { exit !((op == "<=" && v + 0 <= g + 0) || (op == ">=" && v + 0 >= g + 0)) }'; then
		verdict=PASS
	else
		verdict=FAIL
	fi
	printf 'target %-40s %-8s %10s %-6s %s\n' "$name" "$goal" "$val" "$unit" "$verdict"
}
