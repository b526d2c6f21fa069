#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Does an IO weight bind on this host (issue 14 item 1, docs/policy.md "The
# gentle rung")? A measurement, not a check of quell: v1 blkio's weight is
# BFQ's (blkio.bfq.weight), so it needs the disk's scheduler to be bfq. This
# test switches the disk under QT_DIR to bfq for its measurement and puts
# the scheduler back (trap, also on failure), which it asserts. In two
# cgroups of its own (no quelld), a victim doing 4 KiB O_DIRECT random reads
# runs 8 s: alone, beside a writer (1 MiB O_DIRECT, iodepth 16) under the
# disk's own scheduler, beside it under bfq with equal weights, and under
# bfq with the writer at weight 1 (the victim 100). It prints the victim's
# IOPS and p99 latency for each (RESULT line). Affects every process on the
# disk for ~40 s: run it on purpose (QT_ONLY), it is no part of the suite's
# habits; it is skipped unless QT_IO_BFQ=1.
. "$(dirname "$0")/lib.sh"

[ "${QT_IO_BFQ:-0}" = 1 ] || qt_skip "QT_IO_BFQ=1 not set (switches the disk's scheduler for ~40 s)"
command -v fio >/dev/null || qt_skip "fio missing"
[ -d $CG/blkio ] || qt_skip "no v1 blkio hierarchy (pure v2: io.weight needs the io controller)"
command -v python3 >/dev/null || qt_skip "python3 missing"
src=$(df --output=source "$QT_DIR" | tail -1)
disk=$(lsblk -no pkname "$src" 2>/dev/null | head -1)
[ -n "$disk" ] || disk=$(basename "$src")
SCHED=/sys/block/$disk/queue/scheduler
[ -w $SCHED ] || qt_skip "no scheduler file for $disk ($src)"
grep -qw bfq $SCHED || qt_skip "bfq not offered for $disk: $(cat $SCHED)"
ORIG=$(sed -n 's/.*\[\(.*\)\].*/\1/p' $SCHED)
restore() { [ -n "$ORIG" ] && echo "$ORIG" > $SCHED 2>/dev/null; }
trap 'restore; qt_cleanup' EXIT

B=$CG/blkio/$QT_ID
mkdir -p $B/h $B/v || qt_fail "mkdir $B"
W=$QT_DIR/io
mkdir -p $W
fio --name=mk --filename=$W/v --size=128M --rw=write --bs=1M --direct=1 >/dev/null 2>&1 ||
	qt_fail "victim file"

# run CMD... inside blkio cgroup $1
in_cg() { local cg=$1; shift; sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"; }
victim() {
	in_cg $B/v fio --name=victim --filename=$W/v --size=128M --rw=randread --bs=4k --direct=1 \
		--time_based --runtime=8 --output-format=json > $QT_DIR/v.json 2>/dev/null
	python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["jobs"][0]["read"]
p = r.get("clat_ns", r.get("lat_ns", {})).get("percentile", {})
print("%.0f IOPS, p99 %.0f us" % (r["iops"], p.get("99.000000", 0) / 1e3))' $QT_DIR/v.json
}
hog_start() {
	in_cg $B/h fio --name=hog --filename=$W/h --size=1G --rw=write --bs=1M --direct=1 \
		--ioengine=libaio --iodepth=16 --time_based --runtime=30 >/dev/null 2>&1 &
	QT_PIDS+=($!)
	HOG=$!
	sleep 1
}
hog_stop() { kill -9 $HOG 2>/dev/null; wait $HOG 2>/dev/null; }

alone=$(victim)
qt_log "$ORIG, victim alone: $alone"
hog_start; beside=$(victim); hog_stop
qt_log "$ORIG, beside the writer: $beside"
echo bfq > $SCHED || qt_fail "cannot switch $disk to bfq"
grep -q '\[bfq\]' $SCHED || qt_fail "$disk not on bfq: $(cat $SCHED)"
[ -f $B/h/blkio.bfq.weight ] || qt_fail "no blkio.bfq.weight under bfq"
hog_start; equal=$(victim); hog_stop
qt_log "bfq, equal weights ($(cat $B/h/blkio.bfq.weight)): $equal"
echo 1 > $B/h/blkio.bfq.weight || qt_fail "blkio.bfq.weight = 1"
hog_start; low=$(victim); hog_stop
qt_log "bfq, writer at weight 1, victim $(cat $B/v/blkio.bfq.weight): $low"
restore
grep -q "\[$ORIG\]" $SCHED || qt_fail "scheduler of $disk not restored: $(cat $SCHED)"
qt_log "RESULT victim on $disk: alone $alone | beside writer, $ORIG: $beside | bfq equal: $equal | bfq writer weight 1: $low (scheduler back to $ORIG)"
exit 0
