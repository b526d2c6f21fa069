#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IO on a stacked device is charged once (issue 12 item 6). A loop device over
# a file of ours under QT_DIR (so over the disk under /tmp), ext4 on it,
# mounted under QT_DIR/mnt; a tenant, placed by quelld in its blkio cgroup,
#   1. writes 64 MiB with O_DIRECT,
#   2. writes 64 MiB buffered and fsyncs (conv=fsync: the tenant's own
#      writeback, charged to it on v1 too),
#   3. reads the first file back with O_DIRECT.
# quell's io_wbytes / io_rbytes deltas for the tenant must be within 2 % of
# the loop device's own sectors written / read (/sys/block/loopN/stat) over
# the same window. Before the fix the loop worker's bios on the backing disk
# (which carry the tenant's blkcg) were charged again: about twice as much.
# The loop device, the mount and the image are removed even on failure.
# Exit 0 pass, 1 fail, 77 skip.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || qt_fail "needs root"
command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null || qt_skip "no losetup/mkfs.ext4"
T=qtst$$
qt_user $T >/dev/null
UT=$(id -u $T) || qt_fail "test user"

LOOP=
MNT=$QT_DIR/mnt
st_cleanup() {
	local rc=$?
	pkill -9 -u $T 2>/dev/null
	if mountpoint -q "$MNT"; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	(exit $rc)
	qt_cleanup
}
trap st_cleanup EXIT

qt_config -s 1s </dev/null
qt_quelld
qt_ctl status | grep -qi "bpf.*loaded\|accounting.*bpf" || qt_log "status: $(qt_ctl status | head -3 | tr '\n' ' ')"

# attach the image as a loop device with --direct-io=$1, ext4, mount it
loop_up() {
	truncate -s 400M "$QT_DIR/disk.img" || qt_fail "truncate"
	LOOP=$(losetup -f --show --direct-io=$1 "$QT_DIR/disk.img") || qt_fail "losetup"
	L=${LOOP#/dev/}
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$LOOP" || qt_fail "mkfs $LOOP"
	mkdir -p "$MNT" && mount -o noatime "$LOOP" "$MNT" || qt_fail "mount $LOOP"
	mkdir "$MNT/w" && chown $T "$MNT/w"
	qt_log "$LOOP ($(cat /sys/block/$L/dev), dio=$(cat /sys/block/$L/loop/dio 2>/dev/null)) over" \
		"$(findmnt -no SOURCE -T "$QT_DIR"), mounted on $MNT; tenant $T ($UT)"
}
loop_down() {
	umount "$MNT" || qt_fail "umount $MNT"
	losetup -d "$LOOP" || qt_fail "losetup -d $LOOP"
	LOOP=
	rm -f "$QT_DIR/disk.img"
}

# sectors read (field 3) and written (field 7) of the loop device, in bytes
loop_bytes() { awk -v f=$1 '{ printf "%.0f\n", $f * 512 }' /sys/block/$L/stat; }
counter() { qt_show_get $T "t['counters']['$1']"; }
# quell's counter once it stopped moving (two equal samples a tick apart)
settled() {
	local a b i
	a=$(counter $1)
	for i in $(seq 20); do
		qt_sleep 1.2
		b=$(counter $1)
		[ "$a" = "$b" ] && { echo "$b"; return 0; }
		a=$b
	done
	echo "$b"
}

# the tenant's script: wait until quelld placed it (blkio or v2 tenant
# cgroup), so every bio carries its blkcg, then do the IO step $1
cat > "$QT_DIR/io.sh" <<'SH'
i=0
while ! grep -q "blkio:.*/$(id -un)\$" /proc/$$/cgroup && ! grep -q "^0::.*/$(id -un)\$" /proc/$$/cgroup; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "not placed: $(cat /proc/$$/cgroup)" >&2; exit 1; }
	sleep 0.05
done
case $1 in
direct)	exec dd if=/dev/zero of=$2/direct bs=1M count=64 oflag=direct status=none ;;
buffered) exec dd if=/dev/zero of=$2/buffered bs=1M count=64 conv=fsync status=none ;;
read)	exec dd if=$2/direct of=/dev/null bs=1M iflag=direct status=none ;;
esac
SH
chmod 755 "$QT_DIR/io.sh"
# wait until quell knows the tenant (a counter to read)
su -s /bin/sh $T -c "exec sleep 600" &
QT_PIDS+=($!)
for i in $(seq 100); do counter io_wbytes >/dev/null 2>&1 && break; sleep 0.1; done
counter io_wbytes >/dev/null || qt_fail "tenant $T not known to quelld"

# a bpf-dump beside quelld, for its io_lower_bytes: the bytes it recognised
# as issued below the loop device (charged to nobody, whatever blkcg they carry)
dump_stop() { kill -INT $QT_DUMP_PID; qt_bpf_dump_wait "$QT_DIR/dump.out"; }
dump_lower() {
	awk '$1 == "stats" { for (i = 2; i <= NF; i++) { split($i, kv, "=");
		if (kv[1] == "io_lower_bytes") print kv[2] } }' "$QT_DIR/dump.out"
}

fail=0
step() {	# step NAME QUELL_COUNTER STAT_FIELD
	local q0 d0 q1 d1 t0 t1 q d secs low
	sync; qt_sleep 1
	# the backing file's pages cold, so that the loop worker reads the disk
	dd if="$QT_DIR/disk.img" iflag=nocache count=0 status=none
	q0=$(settled $2); d0=$(loop_bytes $3)
	qt_bpf_dump 600 "$QT_DIR/dump.out" --min-uid $QT_UID_MIN --max-uid $QT_UID_MAX
	t0=$(date +%s.%N)
	su -s /bin/sh $T -c "cd /tmp && exec sh $QT_DIR/io.sh $1 $MNT/w" || qt_fail "$1 IO failed"
	t1=$(date +%s.%N)
	sync
	q1=$(settled $2); d1=$(loop_bytes $3)
	dump_stop
	low=$(dump_lower)
	q=$((q1 - q0)); d=$((d1 - d0))
	secs=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }')
	qt_log "dio=$DIO $1: quell $2 +$q, $L +$d in ${secs} s" \
		"($(awk -v q=$q -v d=$d -v s=$secs 'BEGIN { printf "%.1f vs %.1f MiB/s", q / s / 1048576, d / s / 1048576 }'));" \
		"recognised below $L: $low bytes ($(awk 'NR == 1 { print $2 }' "$QT_DIR/dump.out"))"
	qt_assert_near "dio=$DIO $1: quell $2 vs $L's own counter" $q $d 2 || fail=1
	# what the loop worker did on the disk below was seen and left uncharged
	# (at least 90 %: ext4 on the disk adds its own metadata, reads may be
	# served by the backing file's page cache only when dd nocache failed)
	awk -v l=$low -v d=$d 'BEGIN { exit !(l >= 0.9 * d) }' ||
		{ echo "FAIL dio=$DIO $1: only $low bytes recognised below $L of $d"; fail=1; }
}
for DIO in off on; do
	loop_up $DIO
	step direct io_wbytes 7
	step buffered io_wbytes 7
	step read io_rbytes 3
	loop_down
done

[ $fail = 0 ] || qt_fail "stacked IO charged more (or less) than once"
echo "PASS"
