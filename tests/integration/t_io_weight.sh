#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# io_weight on the real kernel (docs/policy.md "An IO weight"): the IO twin
# of cpu_weight binds on a disk that runs BFQ. The test makes its own disk,
# a loop device over a file in its temp dir with the BFQ scheduler, so the
# host's disks and their schedulers are never touched (t_io_bfq_weight.sh,
# opt-in, switches the host's disk). Two tenants (real users) on it: W
# writes 1 MiB O_DIRECT blocks at queue depth 16, R reads 4 KiB O_DIRECT
# at random (queue depth 1). Rounds of: R's IOPS beside W at the default
# weight, then with `quellctl set W io_weight=1` (quelld writes
# blkio.bfq.weight / io.bfq.weight), then `io_weight=default` again (back
# to 100). In each round the reader's IOPS with W weighted down over its
# IOPS at equal weights; the median of those must be at least QT_IOW_GAIN
# (1.2). Measured here x 1.85 and x 1.89 (7,100-7,400 -> 13,300-13,600
# IOPS, alone 14,100-14,800). A disk too noisy to judge (below) is a SKIP
# that says so, after the other checks.
. "$(dirname "$0")/lib.sh"

command -v fio >/dev/null || qt_skip "fio missing"
command -v losetup >/dev/null || qt_skip "losetup missing"
ROUNDS=${QT_IOW_ROUNDS:-5}
SECS=${QT_IOW_SECS:-4}
GAIN=${QT_IOW_GAIN:-1.2}
# the writer's weight in the low half of a round (100: the control, which must fail)
LOWW=${QT_IOW_WEIGHT:-1}

R=qiwr$$; W=qiww$$
qt_users $R $W
qt_config -s 1s <<EOF
[policy]
enabled = no
EOF
qt_quelld

LOOP=
MODE=
loop_off() {
	[ -n "$LOOP" ] || return 0
	[ -n "$MODE" ] && chmod "$MODE" "$LOOP" 2>/dev/null
	losetup -d "$LOOP" 2>/dev/null
	LOOP=
}
trap 'rc=$?; pkill -9 -u $W 2>/dev/null; pkill -9 -u $R 2>/dev/null; sleep 0.3; loop_off; (exit $rc); qt_cleanup' EXIT

# modules where they are modules (the pure-v2 VM's Debian kernel)
[ -e /dev/loop-control ] || modprobe loop 2>/dev/null
grep -qw bfq /sys/block/*/queue/scheduler 2>/dev/null || modprobe bfq 2>/dev/null
truncate -s 1G "$QT_DIR/disk.img" || qt_fail "disk image"
LOOP=$(losetup -f --show --direct-io=on "$QT_DIR/disk.img" 2>/dev/null) || qt_skip "no loop device"
dev=$(basename "$LOOP")
echo bfq > /sys/block/$dev/queue/scheduler 2>/dev/null || qt_skip "no BFQ in this kernel"
grep -q '\[bfq\]' /sys/block/$dev/queue/scheduler || qt_skip "BFQ not taken on $LOOP"
# BFQ's low_latency raises the weight of a queue that has just started (an
# "interactive" one) for its first seconds: each round's new reader got it
# now and then, and read 5,700-13,000 IOPS at equal weights. Off on this
# disk of the test's own, the weights alone decide.
echo 0 > /sys/block/$dev/queue/iosched/low_latency 2>/dev/null
# the reader's half holds data: holes would be read without any IO
dd if=/dev/urandom of="$LOOP" bs=1M count=512 oflag=direct status=none || qt_fail "filling $LOOP"
MODE=$(stat -c %a "$LOOP")
chmod 0666 "$LOOP"

# both tenants have a process, so both have their cgroups
su -s /bin/sh $R -c "exec sleep 600" & QT_PIDS+=($!)
su -s /bin/sh $W -c "exec sleep 600" & QT_PIDS+=($!)
qt_wait_tenants 2
wf=$(qt_cgfile $W blkio blkio.bfq.weight io.bfq.weight) ||
	qt_skip "no BFQ weight file in $W's cgroup (BFQ is not in the blkio / io controller)"

writer() {
	su -s /bin/sh $W -c "exec fio --name=w --filename=$LOOP --rw=write --bs=1M --iodepth=16 --ioengine=libaio --direct=1 --invalidate=0 --offset=512M --size=512M --time_based --runtime=$((SECS + 4))" >/dev/null 2>&1 &
	QT_PIDS+=($!)
	WP=$!
}
# the reader's IOPS over SECS s
reader() {
	su -s /bin/sh $R -c "exec fio --name=r --filename=$LOOP --rw=randread --bs=4k --iodepth=1 --ioengine=psync --direct=1 --invalidate=0 --size=512M --time_based --runtime=$SECS --output-format=json" 2>/dev/null |
		python3 -c 'import json, sys; s = sys.stdin.read(); print(int(json.loads(s[s.index("{"):])["jobs"][0]["read"]["iops"]))'
}
beside() {
	local v rc

	writer
	sleep 2
	v=$(reader); rc=$?
	kill -9 $WP 2>/dev/null; pkill -9 -u $W -x fio 2>/dev/null; wait $WP 2>/dev/null
	[ $rc = 0 ] && [ -n "$v" ] && echo "$v"
}
weight() { tr -d '\n' < "$wf" | sed 's/^default //'; }

med() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# max / min of the arguments (IOPS, all > 0 or the spread is huge)
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f", hi / (lo > 0 ? lo : 0.001) }'; }

# One attempt: ROUNDS rounds, each judged by its own ratio (its two halves
# are 10 s apart; the host's disk under the loop's file has moments when
# both are slow). Sets eq, low, ratios and NOISY (the rounds of one
# condition spread over more than x 2: the disk, not the weight, decided).
attempt() {
	local r e l eff

	eq=(); low=(); ratios=()
	alone=$(reader) || qt_fail "the reader alone"
	qt_log "reader alone: $alone IOPS ($LOOP, bfq)"
	for r in $(seq $ROUNDS); do
		[ "$(weight)" = 100 ] || qt_fail "round $r: $wf holds '$(cat $wf)' before the weight, want 100"
		e=$(beside) || qt_fail "round $r: equal weights"
		qt_ctl set $W io_weight=$LOWW >/dev/null || qt_fail "quellctl set $W io_weight=$LOWW"
		qt_until 5 [ "$(weight)" = $LOWW ] ||
			qt_fail "round $r: $wf holds '$(cat $wf)' after io_weight=$LOWW"
		eff=$(qt_ctl --json limits $W |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["limits"]["effective_text"])')
		echo "$eff" | grep -qw "io_weight=$LOWW" ||
			qt_fail "round $r: limits $W: no io_weight=$LOWW in '$eff'"
		l=$(beside) || qt_fail "round $r: writer at io_weight=$LOWW"
		qt_ctl set $W io_weight=default >/dev/null || qt_fail "quellctl set $W io_weight=default"
		qt_until 5 [ "$(weight)" = 100 ] ||
			qt_fail "round $r: $wf holds '$(cat $wf)' after io_weight=default"
		eq+=($e); low+=($l)
		ratios+=($(awk -v a=$l -v b=$e 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'))
		qt_log "round $r: reader $e IOPS beside the writer at equal weights, $l with the writer at io_weight=$LOWW"
	done
	se=$(spread "${eq[@]}"); sl=$(spread "${low[@]}")
	NOISY=$(awk -v a=$se -v b=$sl 'BEGIN { print (a > 2 || b > 2) ? 1 : 0 }')
}
# On a quiet disk the rounds of one condition spread x 1.1-1.25; on
# 2026-12-03 at 20:55 the host's disk read the reader alone at 2,500-3,900
# IOPS (15,000 an hour before) and single rounds at x 0.06 and x 16: two
# runs in four "failed" on the disk's noise. Such an attempt is done again
# once; two noisy attempts make the test a skip that says so (after the
# checks below that do not need a quiet disk), never a pass.
attempt
if [ "$NOISY" = 1 ]; then
	qt_log "the disk under $QT_DIR is too noisy to judge (rounds spread x $se at equal weights, x $sl at io_weight=$LOWW; ratios ${ratios[*]}): once more"
	attempt
fi
me=$(med "${eq[@]}"); ml=$(med "${low[@]}"); mr=$(med "${ratios[@]}")
qt_log "RESULT reader IOPS: alone $alone, beside the writer $me at equal weights, $ml at io_weight=$LOWW (medians of $ROUNDS rounds of ${SECS}s; rounds spread x $se / x $sl); io_weight=$LOWW / equal per round: ${ratios[*]}, median x $mr"
UNJUDGED=
if [ "$NOISY" = 1 ]; then
	UNJUDGED="the disk under $QT_DIR was too noisy to judge the weight twice over (rounds spread x $se / x $sl; ratios ${ratios[*]})"
else
	awk -v r=$mr -v g=$GAIN 'BEGIN { exit !(r >= g) }' ||
		qt_fail "the weight did not bind: the reader's IOPS at io_weight=$LOWW over those at equal weights, median of the rounds x $mr (want x $GAIN)"
fi

# a bad value is refused with its reason, and changes nothing
out=$(qt_ctl set $W io_weight=0 2>&1) && qt_fail "io_weight=0 accepted: $out"
echo "$out" | grep -q "io_weight" || qt_fail "io_weight=0: no reason given: $out"
[ "$(weight)" = 100 ] || qt_fail "a refused io_weight changed $wf to '$(cat $wf)'"
qt_log "ok   io_weight=0 refused: $(echo "$out" | head -1)"

# As a rule's gentle first rung (the recipe of docs/policy.md for a BFQ
# host): io-hog with steps = io_weight=1, then its cap. The reader is paced
# (2,000 reads/s, 8 MB/s: under io-hog's 50 MB/s, so only the writer is
# heavy) and stalls on IO beside the writer: the writer gets the weight
# after gentle_for (1 s), not io-hog's 3 s window, and no cap.
EV=$QT_DIR/events.jsonl
qt_config -s 1s -e "$EV" <<EOF
[rule:io-hog]
steps = io_weight=1 for 60s, io=10M iops=1000 for 60s
EOF
kill -HUP $QT_QUELLD_PID
sleep 2
kill -0 $QT_QUELLD_PID || qt_fail "quelld died on the reload"
su -s /bin/sh $R -c "exec fio --name=p --filename=$LOOP --rw=randread --bs=4k --iodepth=1 --ioengine=psync --direct=1 --invalidate=0 --size=512M --rate_iops=2000 --time_based --runtime=30" >/dev/null 2>&1 &
QT_PIDS+=($!)
sleep 2
t0=$(date +%s%3N)
writer
qt_until 15 grep -q "\"tenant\":\"$W\".*\"action\":\"apply\"" "$EV" ||
	qt_fail "io-hog's io_weight rung did not come in 15 s: $(tail -3 "$EV"; qt_ctl show $W; qt_ctl show $R)"
ev=$(grep "\"tenant\":\"$W\".*\"action\":\"apply\"" "$EV" | head -1)
read -r rule ms txt over <<<"$(python3 -c '
import json, sys
e = json.loads(sys.argv[1])
print(e["rule"], e["time_ms"], e["limits_text"].replace(" ", ","), e["evidence"]["over_s"])' "$ev")"
[ "$rule" = io-hog ] || qt_fail "the writer's first action came from $rule: $ev"
[ "$txt" = io_weight=1 ] || qt_fail "io-hog's first rung wrote '$txt', want io_weight=1 alone: $ev"
qt_until 3 [ "$(weight)" = 1 ] || qt_fail "the rung is in the log, but $wf holds '$(cat $wf)'"
grep -q "\"tenant\":\"$R\".*\"action\":\"apply\"" "$EV" &&
	qt_fail "the paced reader got an action: $(grep "\"tenant\":\"$R\"" "$EV")"
qt_log "RESULT io-hog's gentle rung: io_weight=1 on the writer $(awk -v a=$ms -v b=$t0 'BEGIN { printf "%.1f", (a - b) / 1000 }') s after it started (its window ${over} s), no cap, nothing on the reader"
[ -n "$UNJUDGED" ] && qt_skip "$UNJUDGED; the rest passed"
exit 0
