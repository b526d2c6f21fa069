#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# history_lazy.sh BUILD [N] [SECONDS] - issue 11 item 5's measurement: quelld in
# `[tenants] mode = cgroups` with N (2000) tenant cgroups of its own under the
# v2 tree, history on (default step 10), each tenant given a moment of CPU so
# it has usage (files are created lazily). Prints quelld's CPU (utime+stime
# from /proc/PID/stat) per 60 s window while the files are being created, the
# file count and `du` of the RRD directory, until all N files exist or
# SECONDS (600) have passed. A window with history off comes first, as the
# baseline of what quelld costs without history. Root; cleans up after itself.
set -u
B=${1:-build}; N=${2:-2000}; MAXS=${3:-600}
V2=/sys/fs/cgroup; [ -d $V2/unified ] && V2=$V2/unified
P=quelltest-hlazy-$$; D=$(mktemp -d /tmp/quell-hlazy.XXXXXX); Q=
HZ=$(getconf CLK_TCK)
cleanup() {
	[ -n "$Q" ] && kill $Q 2>/dev/null && wait $Q 2>/dev/null
	for i in $(seq $N); do rmdir $V2/$P/t$i 2>/dev/null; done
	rmdir $V2/$P 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' TERM INT
mkdir $V2/$P && for i in $(seq $N); do mkdir $V2/$P/t$i; done
conf() {
	printf '[daemon]\nsocket = %s/q.sock\nstate_dir = %s/state\n[tenants]\nmode = cgroups\nparent = %s\n[history]\nenabled = %s\n' \
		"$D" "$D" "$P" "$1" > "$D/q.conf"
}
start() {
	"$B/quelld" -f -c "$D/q.conf" > "$D/log.$1" 2>&1 & Q=$!
	for _ in $(seq 100); do "$B/quellctl" -s "$D/q.sock" ping >/dev/null 2>&1 && return; sleep 0.1; done
	echo "quelld did not start"; cat "$D/log.$1"; exit 1
}
ticks() { awk '{print $14 + $15}' /proc/$Q/stat; }
rss() { awk '/^VmRSS/ {print $2}' /proc/$Q/status; }
# give every tenant a moment of CPU: one short process in each cgroup
touch_all() {
	for i in $(seq $N); do sh -c "echo \$\$ > $V2/$P/t$i/cgroup.procs && exec true"; done
}

conf no; start off; touch_all
sleep 5; c0=$(ticks); sleep 60; c1=$(ticks)
echo "history off: quelld $(awk -v a=$c0 -v b=$c1 -v hz=$HZ 'BEGIN {printf "%.2f", (b - a) / hz / 60 * 100}') % of a core over 60 s ($N tenants); RSS $(rss) kB"
kill $Q; wait $Q; Q=

conf yes; start on; t0=$(date +%s); touch_all
c0=$(ticks); cstart=$c0; w=0
while :; do
	sleep 60; w=$((w + 1)); c1=$(ticks)
	n=$(ls "$D/state/rrd/tenants" | grep -c '\.rrd$')
	echo "history on, window $w: quelld $(awk -v a=$c0 -v b=$c1 -v hz=$HZ 'BEGIN {printf "%.2f", (b - a) / hz / 60 * 100}') % of a core; $n files; du $(du -sb "$D/state/rrd" | cut -f1) bytes; RSS $(rss) kB"
	c0=$c1
	[ "$n" -ge "$N" ] && break
	[ $(($(date +%s) - t0)) -ge "$MAXS" ] && break
done
el=$(($(date +%s) - t0))
echo "history on: quelld $(awk -v a=$cstart -v b=$c1 -v hz=$HZ -v s=$el 'BEGIN {printf "%.2f", (b - a) / hz / s * 100}') % of a core over $el s; $n files"
echo "rrd dir: $(du -sb "$D/state/rrd" | cut -f1) bytes apparent, $(du -sk "$D/state/rrd" | cut -f1) KiB on disk; per file: $(stat -c %s "$D/state/rrd/tenants/t1.rrd") bytes"
grep -E 'history.*(err|warn)' "$D/log.on" | head -5
