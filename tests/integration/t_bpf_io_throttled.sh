#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Throttled IO is charged to the tenant whose cgroup throttled it (issue 2).
# blk-throttle holds a throttled bio and later dispatches it from a kworker,
# where block_bio_queue fires: the BPF side must charge it by the bio's blkcg
# (map cgkey, qbpf_map_cgroup), not by the kworker (root). Through
# `quelld --bpf-dump --map-cgroup ID=KEY`, without the rest of the daemon:
#   - tenant T in a blkcg throttled to 5 MB/s writes 16 MiB with O_DIRECT:
#     io_wbytes(T) within 10% of 16 MiB, and dd took >= 2 s (throttled);
#   - neighbour N writes 8 MiB O_DIRECT at the same time, unthrottled:
#     io_wbytes(N) within 10% of 8 MiB (nothing of T's leaks to N);
#   - the raw_tp twin does the same for T.
# The blkcg is v1 blkio on v1/hybrid hosts, the v2 cgroup (io.max) on pure v2.
# Exit 0 pass, 1 fail, 77 skip.
. "$(dirname "$0")/lib.sh"

QUELLD=$QT_BUILD/quelld
[ -x "$QUELLD" ] || qt_fail "no $QUELLD"
[ "$(id -u)" = 0 ] || qt_fail "needs root"
SLOW=${QT_SLOW:-1}

# the whole disk under QT_DIR: blk-throttle takes disks, not partitions
src=$(findmnt -no SOURCE -T "$QT_DIR")
[ -b "$src" ] || qt_skip "$QT_DIR is not on a block device ($src)"
disk=$(lsblk -no PKNAME "$src" 2>/dev/null | head -1)
[ -n "$disk" ] || disk=${src#/dev/}
MM=$(lsblk -dno MAJ:MIN "/dev/$disk" | tr -d ' ')
[ -n "$MM" ] || qt_fail "no major:minor for $src"

if [ -d $CG/blkio ]; then
	BC=$CG/blkio/$QT_ID
	mkdir "$BC" || qt_fail "mkdir $BC"
	echo "$MM 5242880" > "$BC/blkio.throttle.write_bps_device" || qt_fail "throttle $MM"
else
	[ -f $CG/cgroup.controllers ] || qt_skip "no blkio hierarchy"
	grep -qw io $CG/cgroup.controllers || qt_skip "no io controller"
	echo +io > $CG/cgroup.subtree_control 2>/dev/null
	BC=$CG/$QT_ID
	mkdir "$BC" || qt_fail "mkdir $BC"
	echo "$MM wbps=5242880" > "$BC/io.max" || qt_fail "io.max $MM"
fi
CGID=$(stat -c %i "$BC")

T=qtio$$; N=qtin$$
qt_users $T $N
UT=$(id -u $T) && UN=$(id -u $N) || qt_fail "test users"
chmod 0711 "$QT_DIR"
mkdir -m 0777 "$QT_DIR/io"

acct() { awk -v k="key=$2" -v f="$3" '$1 == "acct" && $2 == k {
	for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) v = kv[2] } }
	END { printf "%.0f\n", v }' "$1"; }

fail=0
run() {
	local out=$1 t0 t1 tw tn nw
	shift
	qt_bpf_dump $((6 + 3 * SLOW)) "$out" --min-uid $QT_UID_MIN --max-uid $QT_UID_MAX \
		--map-cgroup "$CGID=$UT" "$@"
	head -1 "$out" | cut -c1-40
	t0=$(date +%s.%N)
	# into the throttled blkcg first, then become T: every bio carries that blkcg
	sh -c "echo \$\$ > $BC/cgroup.procs && exec su -s /bin/sh $T -c \
		'dd if=/dev/zero of=$QT_DIR/io/t.$out_n bs=1M count=16 oflag=direct status=none'" &
	local tp=$!
	QT_PIDS+=($tp)
	su -s /bin/sh $N -c "dd if=/dev/zero of=$QT_DIR/io/n.$out_n bs=1M count=8 oflag=direct status=none" ||
		qt_fail "neighbour dd failed"
	wait $tp || qt_fail "throttled dd failed"
	t1=$(date +%s.%N)
	qt_bpf_dump_wait "$out"
	tw=$(acct "$out" $UT io_wbytes); tn=$(acct "$out" $UN io_wbytes)
	nw=$(acct "$out" $UT io_wops)
	echo "T io_wbytes=$tw io_wops=$nw N io_wbytes=$tn dd took $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s"
	awk -v a=$t0 -v b=$t1 'BEGIN { exit !(b - a >= 2) }' ||
		{ echo "FAIL dd was not throttled (< 2 s for 16 MiB at 5 MB/s)"; fail=1; }
	qt_assert_near "throttled tenant io_wbytes vs 16 MiB" "$tw" $((16 << 20)) 10 || fail=1
	qt_assert_near "neighbour io_wbytes vs 8 MiB" "$tn" $((8 << 20)) 10 || fail=1
	rm -f "$QT_DIR"/io/*
}

qt_log "tenant $T ($UT) throttled to 5 MB/s on $MM (blkcg $BC, id $CGID), neighbour $N ($UN)"
out_n=1; run "$QT_DIR/tp_btf.out"
out_n=2; QUELL_BPF_FORCE_RAW_TP=1 run "$QT_DIR/raw_tp.out"
grep -q '^bpf variant=raw_tp' "$QT_DIR/raw_tp.out" || { echo "FAIL raw_tp not used"; fail=1; }
grep '^prog name=.._block_bio_queue' "$QT_DIR/tp_btf.out" "$QT_DIR/raw_tp.out" | sed 's/^.*prog/  prog/'

[ $fail = 0 ] || qt_fail "throttled IO accounting"
echo "PASS"
