#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# qt-timeout-min: 420
# Who evicts whom when kswapd does the evicting (issue 14 item 3,
# docs/attribution.md "kswapd"): tenant B keeps a file in its page cache and
# reads it in a loop; tenant A allocates anonymous memory until the
# machine's own free memory runs out, slowly enough that kswapd (background
# reclaim on global pressure) rather than A's direct reclaim takes B's
# cache. A's mem_inflicted must then cover at least half of B's lost cache,
# and B (whose re-reads wake kswapd too) at most 1/20 of A's.
#
# Global memory pressure is not a test's to make on a shared host (a memory
# cgroup limit, as in t_mem_inflicted, is reclaimed by the allocator, never
# by kswapd, on v1 and v2 alike), so this runs only in the small VM of
# tests/vm (QT_VM=1, at most 4 GiB of RAM) and skips elsewhere.
#
# The test first checks that reclaim was kswapd's: the direct reclaim of the
# whole VM (/proc/vmstat pgsteal_direct) during A's allocation stays under a
# quarter of B's loss. So without the kswapd attribution A's mem_inflicted,
# which then counts direct reclaim only, cannot reach half of B's loss.
. "$(dirname "$0")/lib.sh"

[ "${QT_VM:-}" = 1 ] || qt_skip "needs global memory pressure: only in the VM (make test-vm)"
mem_total=$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo)
[ "$mem_total" -le 4096 ] || qt_skip "MemTotal ${mem_total} MiB: more than the 4 GiB VM this test is for"
command -v python3 >/dev/null || qt_skip "python3 missing"
BFILE=${QT_KSWAPD_BFILE:-256}	# MiB B keeps cached
RATE=${QT_KSWAPD_RATE:-32}	# MiB/s A allocates

A=qka$$; B=qkb$$
qt_users $A $B
# mem = unlimited: A takes most of the VM's free memory on purpose, past
# the default share (50 % of MemTotal, issue 14)
qt_config -s 1s <<EOF
[policy]
enabled = no

[limits]
mem = unlimited
EOF
qt_quelld
# tracefs is mounted by quelld if it was not
for ev in filemap/mm_filemap_delete_from_page_cache vmscan/mm_vmscan_wakeup_kswapd; do
	[ -d /sys/kernel/tracing/events/$ev ] || [ -d /sys/kernel/debug/tracing/events/$ev ] ||
		qt_skip "no $ev tracepoint"
done
grep -q "BPF loaded" "$QT_DIR/quelld.log" || qt_skip "BPF not loaded: $(grep -i bpf $QT_DIR/quelld.log | head -3)"

# The BPF programs' run time, for the cost per event (docs/attribution.md).
# A wider gap between the low and high watermarks (default 0.1 % of RAM,
# ~2 MiB here) lets kswapd absorb A's 16 MiB steps without A falling to the
# min watermark and reclaiming directly; both are the VM's, restored.
stats0=$(cat /proc/sys/kernel/bpf_stats_enabled)
wsf0=$(cat /proc/sys/vm/watermark_scale_factor)
trap '_rc=$?; echo $stats0 > /proc/sys/kernel/bpf_stats_enabled
	echo $wsf0 > /proc/sys/vm/watermark_scale_factor; (exit $_rc); qt_cleanup' EXIT
echo 1 > /proc/sys/kernel/bpf_stats_enabled
echo ${QT_KSWAPD_WSF:-200} > /proc/sys/vm/watermark_scale_factor

LOAD=$(qt_load_script) || qt_fail "tenant_load.py"
mkdir -p "$QT_DIR/bdata" && chown $B "$QT_DIR/bdata"

su -s /bin/sh $B -c "cd /tmp && exec python3 $LOAD --in /$B --ctl memory cache $QT_DIR/bdata/file $BFILE" \
	> "$QT_DIR/reader.out" 2>&1 &
QT_PIDS+=($!)
for i in $(seq 1200); do grep -q ready "$QT_DIR/reader.out" && break; sleep 0.1; done
grep -q ready "$QT_DIR/reader.out" || qt_fail "reader: $(cat $QT_DIR/reader.out)"
qt_sleep 1

# in the VM also to the kernel log, which a guest panic replays on the console
vlog() { qt_log "$@"; echo "t_mem_inflicted_kswapd: $*" > /dev/kmsg 2>/dev/null; }
inflicted() { qt_show_get $1 "t['counters']['mem_inflicted']"; }
source_of() { qt_show_get $1 "t['sources'].get('mem_inflicted')"; }
cache_of() {
	awk '$1 == "total_cache" { c = $2 } $1 == "file" && c == "" { f = $2 } END { print (c != "" ? c : f) + 0 }' \
		$(qt_cgfile $1 memory memory.stat)
}
vmstat() { awk -v k=$1 '$1 == k { print $2 }' /proc/vmstat; }
meminfo() { awk -v k=$1: '$1 == k { print int($2 / 1024) }' /proc/meminfo; }
prog_stats() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
want = ("tb_mm_filemap_delete_from_page_cache", "rt_mm_filemap_delete_from_page_cache",
        "tb_mm_vmscan_wakeup_kswapd", "rt_mm_vmscan_wakeup_kswapd", "tb_sched_switch", "rt_sched_switch")
for p in json.load(sys.stdin):
    if p.get("name") in want and p.get("run_cnt"):
        print("%s runs=%d ns_per_run=%.0f" % (p["name"], p["run_cnt"], p["run_time_ns"] / p["run_cnt"]))
'
}

# A takes the free memory, the file cache that is not B's, and 32 MiB
# more; kswapd keeps the high watermark free (~86 MiB at the factor above),
# so B gives up ~120 MiB and keeps ~130 MiB (no OOM kill, no thrashing to
# a halt under TCG)
free=$(meminfo MemFree)
bc0=$(cache_of $B)
other=$(($(meminfo 'Active(file)') + $(meminfo 'Inactive(file)') - (bc0 >> 20)))
[ $other -ge 0 ] || other=0
AMEM=$((free + other + 32))
avail=$(meminfo MemAvailable)
[ $AMEM -ge 256 ] && [ $((bc0 >> 20)) -ge $((BFILE * 3 / 4)) ] ||
	qt_fail "MemFree ${free}M, B's cache $((bc0 >> 20))M of ${BFILE}M: no room for the test"
a0=$(inflicted $A); b0=$(inflicted $B); bc0=$(cache_of $B)
[ "$(source_of $B)" = bpf ] || qt_fail "mem_inflicted of $B not from BPF: $(source_of $B)"
vlog "before: watermark_scale_factor $(cat /proc/sys/vm/watermark_scale_factor)" \
	"MemTotal ${mem_total}M MemAvailable ${avail}M MemFree ${free}M, other file cache ${other}M;" \
	"B's page cache $((bc0 >> 20))M; A allocates ${AMEM}M at ${RATE}M/s"
sk0=$(vmstat pgsteal_kswapd); sd0=$(vmstat pgsteal_direct)

su -s /bin/sh $A -c "cd /tmp && exec python3 $LOAD --in /$A --ctl memory leak $RATE $AMEM" > "$QT_DIR/alloc.out" 2>&1 &
QT_PIDS+=($!)
vlog "A started"
for i in $(seq $((AMEM * 10 / RATE * 4 + 600))); do grep -q done "$QT_DIR/alloc.out" && break; sleep 0.1; done
grep -q done "$QT_DIR/alloc.out" || qt_fail "A's allocation: $(cat $QT_DIR/alloc.out)"
sk1=$(vmstat pgsteal_kswapd); sd1=$(vmstat pgsteal_direct)
qt_sleep 0.5	# two ticks
a1=$(inflicted $A); b1=$(inflicted $B); bc1=$(cache_of $B)
da=$((a1 - a0)); db=$((b1 - b0)); lost=$((bc0 - bc1))
kswapd=$(((sk1 - sk0) * 4096)); direct=$(((sd1 - sd0) * 4096))
vlog "after A allocated ${AMEM}M: MemFree $(meminfo MemFree)M; reclaimed by kswapd $((kswapd >> 20))M," \
	"direct $((direct >> 20))M (whole VM)"
vlog "A inflicted +$((da >> 20))M ($da bytes), B inflicted +$db bytes;" \
	"B's page cache $((bc1 >> 20))M (lost $((lost >> 20))M)"
prog_stats | while read -r l; do qt_log "bpf: $l"; done
[ $lost -gt $((64 << 20)) ] || qt_fail "B lost only $((lost >> 20))M of cache: no eviction to attribute"
[ $direct -lt $((lost / 4)) ] ||
	qt_fail "reclaim was not kswapd's: direct $((direct >> 20))M of B's lost $((lost >> 20))M (QT_KSWAPD_RATE lower?)"
[ "$(source_of $A)" = bpf ] || qt_fail "mem_inflicted of $A not from BPF: $(source_of $A)"
[ $da -ge $((lost / 2)) ] || qt_fail "A's mem_inflicted +$((da >> 20))M below half of B's lost cache $((lost >> 20))M"
[ $((db * 20)) -le $da ] || qt_fail "B's mem_inflicted +$db above 1/20 of A's +$da"
exit 0
