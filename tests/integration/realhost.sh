# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the real-host suite (t_realhost_*.sh, issue 11): quelld with the
# shipped configuration (docs/quell.conf: history on; metrics on at a free
# loopback port) in front of hundreds of real Unix users with processes.
# Source it after lib.sh. It chains its own cleanup before lib.sh's (EXIT
# trap): quelld stopped, every process it started killed, the test's cgroups
# removed (rmdir in batches: thousands of them), its users deleted, its
# tmpfs unmounted, even when the test fails.
#
#   rh_lock_uids           take a block of 500 uids of 62000-62999 (flock, held
#                          for the test's life): RH_UID_MIN, RH_UID_MAX
#   rh_users N             N users qrh<uid> in that block (useradd, ~10 ms each)
#   rh_sleepers            one sleeping process per user (setpriv), RH_PID[name]
#   rh_state_tmpfs SIZE    the state dir on its own tmpfs: RRD files of a broken
#                          build cannot fill the shared disk (9.2 MB per tenant
#                          on 9451f72, issue 11 item 5)
#   rh_config              QT_DIR/quell.conf = docs/quell.conf as shipped, plus
#                          only socket, state_dir, [history] dir, managed, uid
#                          range, metrics listen; RH_TENANTS_EXTRA lines go in
#                          [tenants]; stdin is appended (new sections).
#                          QT_RH_HISTORY=no turns history off: only to debug the
#                          harness on a tree where history kills quelld on
#                          SIGHUP/SIGTERM (9451f72); never the suite's verdict
#   rh_quelld_start        start quelld, wait until it answers (0/1, no exit)
#   rh_quelld_stop [SIG]   signal it (TERM), wait for it; RH_RC = its exit status
#   rh_ms                  monotonic-enough wall clock in ms
#   rh_ok / rh_bad MSG     record a check; rh_done prints the verdict and exits
#
# Users are created with useradd in a loop, not newusers: Debian's newusers
# hashes every password through PAM (yescrypt): 50 users took 1.69 s with
# newusers, 0.52 s with useradd -M -N (a locked password, no hashing), and
# 0.77 s to delete with userdel, on this 2-CPU machine (2026-12-01).

RH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RH_HERE=$RH_SRC/tests/integration
RH_NAMES=()
RH_UIDS=()
declare -A RH_PID=()
RH_MOUNTS=()
RH_FAIL=0
RH_RC=
RH_UID_MIN=
RH_UID_MAX=

rh_ok() { echo "ok   $*"; }
rh_bad() { echo "FAIL $*"; RH_FAIL=$((RH_FAIL + 1)); }
rh_ms() { date +%s%3N; }
# the CPU pid $1 has used so far, ms (utime + stime, counted in clock ticks)
rh_cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($14 + $15) * 1000 / hz }' /proc/$1/stat 2>/dev/null
}

rh_done() {
	grep -E "AddressSanitizer|runtime error" "$QT_DIR/quelld.log" 2>/dev/null && rh_bad "sanitizer report"
	if [ $RH_FAIL != 0 ]; then
		echo "--- last lines of quelld.log:"
		tail -25 "$QT_DIR/quelld.log" 2>/dev/null
		qt_fail "$RH_FAIL check(s) failed"
	fi
	echo PASS
	exit 0
}

# 62000-62999 lies above lib.sh's blocks (61000-61979): two blocks of 500.
# A block is held with an flock for the test's life; one whose lock is free
# but still holds qrh<uid> users was left by a killed run and is cleaned.
rh_lock_uids() {
	local i b u name
	for i in $(seq 600); do
		for b in 0 1; do
			exec {RH_UID_LOCK}>>"/tmp/quelltest-realhost-uids.$b.lock" || continue
			flock -n $RH_UID_LOCK && break 2
			exec {RH_UID_LOCK}>&-
		done
		[ $i = 1 ] && qt_log "waiting for a free block of 500 uids (another real-host test runs)"
		sleep 1
	done
	[ $i = 600 ] && qt_fail "no free uid block in 10 min"
	RH_UID_MIN=$((62000 + b * 500))
	RH_UID_MAX=$((RH_UID_MIN + 499))
	getent passwd | awk -F: -v a=$RH_UID_MIN -v b=$RH_UID_MAX '$3 >= a && $3 <= b { print $1 }' |
	while read -r name; do
		[[ $name =~ ^qrh[0-9]+$ ]] || qt_fail "uid block $RH_UID_MIN-$RH_UID_MAX holds '$name'"
		pkill -9 -u "$name" 2>/dev/null
		userdel -f "$name" >/dev/null 2>&1
	done || exit 1
	[ -z "$(getent passwd | awk -F: -v a=$RH_UID_MIN -v b=$RH_UID_MAX '$3 >= a && $3 <= b')" ] ||
		qt_fail "could not clear uid block $RH_UID_MIN-$RH_UID_MAX"
}

rh_users() {
	local n=$1 i uid name t0=$(rh_ms)
	[ -n "$RH_UID_MIN" ] || rh_lock_uids
	for i in $(seq 0 $((n - 1))); do
		uid=$((RH_UID_MIN + i)) name=qrh$((RH_UID_MIN + i))
		echo "$name" >> "$QT_DIR/rh_users"	# before: a half-made user is removed too
		useradd -M -N -g 65534 -u $uid -d /nonexistent -s /bin/sh "$name" >/dev/null 2>&1 ||
			qt_fail "useradd $name"
		RH_NAMES+=("$name")
		RH_UIDS+=($uid)
	done
	qt_log "$n users ${RH_NAMES[0]}..${RH_NAMES[-1]} created in $(($(rh_ms) - t0)) ms"
}

rh_sleepers() {
	local i t0=$(rh_ms)
	for i in "${!RH_NAMES[@]}"; do
		setpriv --reuid=${RH_UIDS[$i]} --regid=65534 --clear-groups -- sleep 100000 &
		RH_PID[${RH_NAMES[$i]}]=$!
		echo $! >> "$QT_DIR/rh_pids"
		disown $!	# killed by rh_cleanup; no "Killed" line per process
	done
	qt_log "${#RH_NAMES[@]} sleeping processes started in $(($(rh_ms) - t0)) ms"
}

rh_state_tmpfs() {
	mkdir -p "$QT_DIR/state"
	mount -t tmpfs -o "size=$1,mode=0755" quelltest-rh "$QT_DIR/state" || qt_fail "mount tmpfs"
	RH_MOUNTS+=("$QT_DIR/state")
}

rh_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

RH_TENANTS_EXTRA=
rh_config() {
	[ -n "${RH_PORT:-}" ] || RH_PORT=$(rh_free_port)
	[ -n "${QT_TOKEN:-}" ] || qt_metrics_token
	awk -v d="$QT_DIR" -v id="$QT_ID" -v lo="${RH_UID_MIN:-$QT_UID_MIN}" \
	    -v hi="${RH_UID_MAX:-$QT_UID_MAX}" -v port="$RH_PORT" -v extra="$RH_TENANTS_EXTRA" \
	    -v hist="${QT_RH_HISTORY:-yes}" '
		{ print }
		$0 == "[daemon]" { print "socket = " d "/quell.sock"; print "state_dir = " d "/state" }
		$0 == "[tenants]" {
			print "managed = " id; print "min_uid = " lo; print "max_uid = " hi
			if (extra != "") print extra
		}
		$0 == "[history]" { print "dir = " d "/state/rrd"; if (hist == "no") print "enabled = no" }
		$0 == "[metrics]" { print "listen = 127.0.0.1:" port; print "token_file = " d "/token" }
	' "$RH_SRC/docs/quell.conf" > "$QT_DIR/quell.conf.new"
	cat >> "$QT_DIR/quell.conf.new"
	mv "$QT_DIR/quell.conf.new" "$QT_DIR/quell.conf"
}

# start quelld (log appended: restarts keep the earlier runs); 0 when it answers
rh_quelld_start() {
	echo "=== start $(date +%T.%N)" >> "$QT_DIR/quelld.log"
	"$QT_BUILD/quelld" --foreground -c "$QT_DIR/quell.conf" >> "$QT_DIR/quelld.log" 2>&1 &
	QT_QUELLD_PID=$!
	qt_quelld_wait 300
}

rh_quelld() {
	rh_quelld_start || { tail -30 "$QT_DIR/quelld.log"; qt_fail "quelld did not come up"; }
}

# signal quelld and wait up to 20 s for it; RH_RC: its exit status (137: had to be killed)
rh_quelld_stop() {
	local p=$QT_QUELLD_PID i
	RH_RC=
	[ -n "$p" ] || return 0
	kill -"${1:-TERM}" "$p" 2>/dev/null
	for i in $(seq 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && kill -9 "$p"
	wait "$p" 2>/dev/null
	RH_RC=$?
	QT_QUELLD_PID=
}

# is quelld still running? (reaps it if not, setting RH_RC)
rh_alive() {
	[ -n "$QT_QUELLD_PID" ] && kill -0 "$QT_QUELLD_PID" 2>/dev/null && return 0
	[ -n "$QT_QUELLD_PID" ] && { wait "$QT_QUELLD_PID" 2>/dev/null; RH_RC=$?; }
	return 1
}

# the hierarchies quelld made its managed subtree in (v2 or unified, v1 controllers)
rh_hierarchies() {
	local h
	for h in $CG $CG/unified $CG/cpu $CG/cpuacct $CG/memory $CG/blkio $CG/pids $CG/freezer; do
		[ -d "$h/$QT_ID" ] && echo "$h"
	done
}

# how many of the sleepers sit in <managed>/<their user> in every hierarchy quelld uses
rh_placed() {
	local n
	for n in "${RH_NAMES[@]}"; do echo "$n ${RH_PID[$n]}"; done |
	python3 "$RH_HERE/realhost_placed.py" "$CG" "$QT_ID"
}

rh_cleanup() {
	local p i d u t n
	set +e
	[ -n "$QT_QUELLD_PID" ] && rh_quelld_stop TERM
	[ -f "$QT_DIR/rh_pids" ] && kill -9 $(cat "$QT_DIR/rh_pids") 2>/dev/null
	[ -f "$QT_DIR/rh_users" ] && RH_NAMES=($(sort -u "$QT_DIR/rh_users"))
	for u in "${RH_NAMES[@]}"; do id -u "$u" 2>/dev/null; done | paste -sd, | {
		read -r list && [ -n "$list" ] && pkill -9 -U "$list"
	}
	# thousands of cgroups: rmdir in batches (lib.sh's loop forks once per directory)
	for i in 1 2 3 4 5; do
		find $CG -mindepth 1 -depth -type d -path "*$QT_ID*" -exec rmdir {} + 2>/dev/null
		[ -z "$(find $CG -mindepth 1 -type d -path "*$QT_ID*" -print -quit 2>/dev/null)" ] && break
		qt_kill_cgroup_procs
		sleep 0.3
	done
	t=$(rh_ms) n=0
	for u in "${RH_NAMES[@]}"; do
		id -u "$u" >/dev/null 2>&1 || continue
		userdel "$u" >/dev/null 2>&1 || userdel -f "$u" >/dev/null 2>&1
		n=$((n + 1))
	done
	[ $n -gt 0 ] && qt_log "cleanup: $n users deleted in $(($(rh_ms) - t)) ms"
	rm -f "$QT_DIR/rh_users"
	for d in "${RH_MOUNTS[@]}"; do umount "$d" 2>/dev/null || umount -l "$d"; done
}
rh_exit() {
	local rc=$?
	trap '' INT TERM	# run.sh's timeout must not cut the userdels short (it SIGKILLs 10 s later)
	# the watchdog first (it would signal us), then its sleep
	[ -n "${RH_WATCHDOG:-}" ] && kill -9 "$RH_WATCHDOG" 2>/dev/null
	[ -f "$QT_DIR/watchdog.pid" ] && kill "$(cat "$QT_DIR/watchdog.pid")" 2>/dev/null
	rh_cleanup
	(exit $rc)
	qt_cleanup
}
trap rh_exit EXIT

# run.sh kills a test after QT_TIMEOUT (600 s) and SIGKILLs it 10 s later: too
# soon to delete 500 users (userdel took 90-120 ms each with the machine at
# load 7-15). So the test stops itself first and keeps that time for cleanup.
RH_DEADLINE=${QT_RH_DEADLINE:-$((${QT_TIMEOUT:-600} - 180))}
(
	sleep "$RH_DEADLINE" &
	echo $! > "$QT_DIR/watchdog.pid"
	wait $!
	echo "FAIL: still running after $RH_DEADLINE s: stopping to clean up" >&2
	kill -TERM $$
) &
RH_WATCHDOG=$!
disown $RH_WATCHDOG	# no "Killed" line when rh_exit stops it
