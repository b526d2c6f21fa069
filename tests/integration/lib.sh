# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for root integration tests. Source it first; it installs an
# EXIT trap that kills every process the test started, stops quelld, removes
# the test's cgroups (only those named $QT_ID, in every hierarchy) and its
# users, even when the test fails.
#
#   QT_ID        unique name, also quelld's managed subtree (quelltest-PID-RAND)
#   QT_DIR       temp dir: config, socket, state
#   qt_user NAME      useradd a test user (removed on exit); prints its uid
#   qt_users NAME...  the same for each NAME, printing nothing
#   qt_config [-s SWEEP] [-e LOG]  write QT_DIR/quell.conf (users mode)
#   qt_config_cgroups PARENT       the same in cgroups mode
#   qt_quelld [ARGS]  start quelld in the foreground on QT_DIR/quell.conf
#   qt_until SECS CMD...  run CMD every 0.1 s until it succeeds (1 if never)
#   qt_ctl ARGS       quellctl against the test daemon
#   qt_fail MSG       print and exit 1
#   qt_bg CMD...      start CMD in the background, remembered for cleanup
#   QT_KEEP_LOGS DIR  when a test fails, its QT_DIR logs (quelld.log, *.out,
#                     ...) are copied to DIR/<test>-<QT_ID>/ before QT_DIR goes
#   QT_SLOW           how much slower than the host this machine is (the VM
#                     exports 5); qt_sleep scales fixed waits by it
set -u
QT_BUILD=${QT_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build" && pwd)}
QT_ID=quelltest-$$-$RANDOM
QT_DIR=$(mktemp -d /tmp/$QT_ID.XXXX)
chmod 755 "$QT_DIR"
[ -n "${QT_ID_FILE:-}" ] && echo "$QT_ID" > "$QT_ID_FILE"
QT_PIDS=()
QT_USERS=()
QT_QUELLD_PID=
CG=/sys/fs/cgroup

qt_log() { echo "[$(date +%T)] $*"; }
qt_fail() { echo "FAIL: $*" >&2; exit 1; }
qt_skip() { echo "SKIP: $*"; exit 77; }

qt_bg() {
	"$@" &
	QT_PIDS+=($!)
}

# qt_sleeper USER SECONDS: a process of USER that sleeps (and so gets the
# tenant its cgroups once quell places it), killed at exit like every
# QT_PIDS entry; $! is its pid (the su).
qt_sleeper() {
	su -s /bin/sh "$1" -c "cd /tmp && exec sleep $2" &
	QT_PIDS+=($!)
}

# qt_busy USER N LOOP: N copies of the shell loop LOOP run by USER (a CPU
# hog, a fork storm), killed at exit like every QT_PIDS entry; QT_BUSY is
# the su's pid. qt_busy_stop USER: every process of USER killed, and gone.
qt_busy() {
	su -s /bin/sh "$1" -c "cd /tmp && for i in \$(seq $2); do ($3) & done; wait" &
	QT_PIDS+=($!)
	QT_BUSY=$!
}
qt_busy_stop() {
	local i
	pkill -9 -u "$1" 2>/dev/null
	wait "$QT_BUSY" 2>/dev/null
	for i in $(seq 50); do pgrep -u "$1" >/dev/null || break; sleep 0.1; done
}

# qt_idle_file USER OTHER: USER's cpu.idle once USER and OTHER were placed
# (each has a process, qt_sleeper); fails the test after 5 s.
qt_idle_file() {
	local i f
	for i in $(seq 50); do
		f=$(qt_cgfile "$1" cpu cpu.idle) && qt_cgfile "$2" cpu cpu.idle >/dev/null &&
			{ echo "$f"; return 0; }
		sleep 0.1
	done
	qt_fail "no cpu.idle for $1 (this kernel's cpu controller lacks it?)"
}

# qt_mem_box MIB: a memory limit of MIB MiB on the managed root, in whichever
# hierarchy has the memory controller, so the tenants under it share one box
# (memory pressure on a 24 GiB machine without touching anything else).
# Sets BOXD, BOXF; fails the test when the root does not come.
qt_mem_box() {
	if [ -d $CG/memory ]; then
		BOXD=$CG/memory/$QT_ID; BOXF=memory.limit_in_bytes
	else
		BOXD=$CG/$QT_ID; BOXF=memory.max
	fi
	local i
	for i in $(seq 50); do [ -d $BOXD ] && break; sleep 0.1; done
	[ -d $BOXD ] || qt_fail "no managed root $BOXD"
	echo $(($1 << 20)) > $BOXD/$BOXF || qt_fail "box limit $BOXD/$BOXF"
}

# qt_lines FILE: its number of lines, 0 when it is not there yet (an audit log)
qt_lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }

# qt_mem_usage TENANT: the bytes its memory cgroup holds (v1 or v2)
qt_mem_usage() { cat $(qt_cgfile $1 memory memory.usage_in_bytes memory.current); }

# qt_apply_ns EVENTS TENANT FROM [RULE]: wall-clock ns of TENANT's first
# "apply" (of RULE, if given) after line FROM of the audit log EVENTS (its
# time_ms: when quelld acted, not when the test looked); nothing if none
qt_apply_ns() {
	tail -n +$(($3 + 1)) "$1" 2>/dev/null | grep "\"tenant\":\"$2\"" | grep '"action":"apply"' |
		grep "\"rule\":\"${4:-}" | head -1 | sed -n 's/.*"time_ms":\([0-9]*\).*/\1000000/p'
}

# qt_refaults STAT: the page cache refaults (pages read again) of the
# cgroup whose memory.stat is STAT, its subtree included on v1
qt_refaults() {
	awk '$1 == "total_workingset_refault_file" { t = $2 } $1 == "workingset_refault_file" { w = $2 }
		END { print (t != "" ? t : w) + 0 }' "$1"
}

# qt_load_script: copy tests/integration/tenant_load.py (fork storms, memory
# touchers) into $QT_DIR, where test users can read it; prints its path.
qt_load_script() {
	install -m 644 "$(dirname "${BASH_SOURCE[0]}")/tenant_load.py" "$QT_DIR/tenant_load.py" &&
		echo "$QT_DIR/tenant_load.py"
}

# Test users get uids in [QT_UID_MIN, QT_UID_MAX], and test daemons only
# treat that range as tenants, so the machine's own users are never touched.
# Each test draws its own block of 20 uids, so that tests running side by
# side (developers' machines) do not adopt each other's users.
# A random draw alone collides often (10 tests at once share a block with
# p ~ 0.6, and then two daemons fight over the same users), so the block is
# also held with an flock for the test's life (the fd is closed on exit).
for _qt_i in $(seq 200); do
	_qt_b=$((RANDOM % 49))
	exec {QT_UID_LOCK}>>"/tmp/quelltest-uids.$_qt_b.lock" || continue
	flock -n $QT_UID_LOCK && break
	exec {QT_UID_LOCK}>&-
done
QT_UID_MIN=$((61000 + _qt_b * 20))
QT_UID_MAX=$((QT_UID_MIN + 19))
qt_user() {
	local name=$1 uid
	userdel -r "$name" >/dev/null 2>&1
	for uid in $(shuf -i $QT_UID_MIN-$QT_UID_MAX); do
		getent passwd $uid >/dev/null && continue
		useradd -M -N -u $uid -s /bin/sh "$name" >/dev/null 2>&1 && break
	done
	id -u "$name" >/dev/null 2>&1 || qt_fail "useradd $name"
	# remembered in a file: qt_user is often called as $(qt_user NAME), a subshell
	echo "$name" >> "$QT_DIR/users"
	id -u "$name"
}

qt_users() {
	local name
	for name in "$@"; do qt_user "$name" >/dev/null; done
}

# the cgroup dirs that belong to this test, deepest first
qt_cgroups() {
	find $CG -mindepth 1 -depth -type d -path "*$QT_ID*" 2>/dev/null
}

qt_kill_cgroup_procs() {
	local d p
	for d in $(qt_cgroups); do
		[ -f "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill" 2>/dev/null
		[ -f "$d/freezer.state" ] && echo THAWED > "$d/freezer.state" 2>/dev/null
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
}

# copy what a failed test left in QT_DIR (small files only) to QT_KEEP_LOGS
qt_keep_logs() {
	[ -n "${QT_KEEP_LOGS:-}" ] && [ -d "$QT_DIR" ] || return 0
	local dst=$QT_KEEP_LOGS/$(basename "$0" .sh)-$QT_ID
	mkdir -p "$dst" || return 0
	find "$QT_DIR" -maxdepth 2 -type f -size -20M -exec cp -t "$dst" {} + 2>/dev/null
	echo "logs of the failed test kept in $dst" >&2
}

# sleep N seconds scaled by QT_SLOW (fixed waits only, not accuracy limits)
qt_sleep() { sleep "$(awk -v s="$1" -v k="${QT_SLOW:-1}" 'BEGIN { print s * k }')"; }

qt_cleanup() {
	local rc=$? p u d i
	set +e
	[ -f "$QT_DIR/users" ] && QT_USERS+=($(cat "$QT_DIR/users"))
	[ -n "$QT_QUELLD_PID" ] && kill -TERM "$QT_QUELLD_PID" 2>/dev/null
	for p in "${QT_PIDS[@]}"; do
		pkill -9 -P "$p" 2>/dev/null
		kill -9 "$p" 2>/dev/null
	done
	for u in "${QT_USERS[@]}"; do pkill -9 -u "$u" 2>/dev/null; done
	if [ -n "$QT_QUELLD_PID" ]; then
		for i in $(seq 50); do kill -0 "$QT_QUELLD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$QT_QUELLD_PID" 2>/dev/null
	fi
	for i in 1 2 3 4 5; do
		qt_kill_cgroup_procs
		for d in $(qt_cgroups); do rmdir "$d" 2>/dev/null; done
		[ -z "$(qt_cgroups)" ] && break
		sleep 0.3
	done
	for u in "${QT_USERS[@]}"; do userdel -r "$u" >/dev/null 2>&1 || userdel "$u" >/dev/null 2>&1; done
	wait 2>/dev/null
	[ "$rc" != 0 ] && [ "$rc" != 77 ] && qt_keep_logs
	rm -rf "$QT_DIR"
	exit $rc
}
trap qt_cleanup EXIT
trap 'exit 130' INT TERM

# write QT_DIR/quell.conf: base settings plus whatever is on stdin.
#   -s SWEEP  [tenants] sweep (the tests of tenants' processes use 1s: a new
#             user's processes are found within a second, not the default 10 s)
#   -e LOG    [events] log = LOG, the audit log the test reads
qt_config() {
	local opt sweep= events= OPTIND=1
	while getopts s:e: opt; do
		case $opt in
		s) sweep=$OPTARG ;;
		e) events=$OPTARG ;;
		*) qt_fail "qt_config: bad option" ;;
		esac
	done
	{
		cat <<CONF
[daemon]
tick = ${QT_TICK:-1s}
socket = $QT_DIR/quell.sock
state_dir = $QT_DIR/state
log_level = debug

[tenants]
managed = $QT_ID
min_uid = $QT_UID_MIN
max_uid = $QT_UID_MAX
${sweep:+sweep = $sweep}

[history]
enabled = no

CONF
		[ -n "$events" ] && printf '[events]\nlog = %s\n\n' "$events"
		cat
	} > "$QT_DIR/quell.conf"
}

# the same in cgroups mode: each directory under PARENT (in the v2 tree) is a
# tenant; qt_config's [tenants] is for users mode. QT_LOG_LEVEL: debug unless
# set. The rest on stdin.
qt_config_cgroups() {
	{
		cat <<CONF
[daemon]
tick = ${QT_TICK:-1s}
socket = $QT_DIR/quell.sock
state_dir = $QT_DIR/state
log_level = ${QT_LOG_LEVEL:-debug}

[tenants]
mode = cgroups
parent = $1

[history]
enabled = no
CONF
		cat
	} > "$QT_DIR/quell.conf"
}

# qt_v2_tenants NAME N: N tenant directories t1..tN under the v2 tree's
# $QT_ID/NAME, for qt_config_cgroups; sets V2 (the v2 root) and P ($QT_ID/NAME)
qt_v2_tenants() {
	local i
	V2=$CG/unified
	[ -d $V2 ] || V2=$CG
	P=$QT_ID/$1
	mkdir -p "$V2/$P" || qt_fail "mkdir $V2/$P"
	for i in $(seq $2); do mkdir "$V2/$P/t$i" || qt_fail "mkdir t$i"; done
}

# qt_quelld_wait TRIES: wait for the quelld of QT_QUELLD_PID to answer on
# its socket, TRIES times 0.1 s apart; 0 when it does, 1 when it exited, 2
# when it did not come up (realhost.sh's rh_quelld_start waits with it too)
qt_quelld_wait() {
	local i
	for i in $(seq $1); do
		[ -S "$QT_DIR/quell.sock" ] && qt_ctl status >/dev/null 2>&1 && return 0
		kill -0 $QT_QUELLD_PID 2>/dev/null || return 1
		sleep 0.1
	done
	return 2
}

qt_quelld() {
	local rc
	[ -f "$QT_DIR/quell.conf" ] || qt_config </dev/null
	"$QT_BUILD/quelld" --foreground -c "$QT_DIR/quell.conf" "$@" > "$QT_DIR/quelld.log" 2>&1 &
	QT_QUELLD_PID=$!
	# 30 s: in the cgroup key mode BPF takes 11-14 s to load on this host
	# (tp_btf past the verifier's limit, then raw_tp: docs/hacking.md "The
	# verifier's budget"), and t_api_big and t_web_big failed at 10 s
	qt_quelld_wait 300
	rc=$?
	[ $rc = 0 ] && return 0
	cat "$QT_DIR/quelld.log"
	[ $rc = 1 ] && qt_fail "quelld exited"
	qt_fail "quelld did not come up"
}

qt_ctl() { "$QT_BUILD/quellctl" -s "$QT_DIR/quell.sock" "$@"; }

qt_until() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}

# qt_wait_tenants N: wait up to 30 s for quelld to count N tenants, then
# 1.5 s more (a tick with rates); the test asserts what it then sees
qt_wait_tenants() {
	local i
	for i in $(seq 100); do
		[ "$(qt_ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["tenants"])')" = $1 ] && break
		sleep 0.3
	done
	sleep 1.5
}

# the cpu quota of tenant $1 as "QUOTA PERIOD" (-1/max = none)
qt_cpu_quota() {
	local f
	if f=$(qt_cgfile $1 cpu cpu.cfs_quota_us cpu.max) && [ "${f##*/}" = cpu.cfs_quota_us ]; then
		echo "$(cat $f) $(cat ${f%/*}/cpu.cfs_period_us)"
	else
		sed 's/^max/-1/' $f
	fi
}

# qt_bpf_dump SECS OUT [ARGS]: quelld --bpf-dump for SECS seconds beside the
# test, its lines to OUT (errors OUT.err); returns once its programs are
# loaded (its first "bpf " line), fails the test if they are not within
# 10 s (times QT_SLOW). QT_DUMP_PID is its pid: qt_bpf_dump_wait OUT waits
# for it (not in $(): the dump is a child of the test's shell).
qt_bpf_dump() {
	local secs=$1 out=$2 i
	shift 2
	"$QT_BUILD/quelld" --bpf-dump --seconds "$secs" "$@" > "$out" 2> "$out.err" &
	QT_DUMP_PID=$!
	QT_PIDS+=($QT_DUMP_PID)
	# 30 s: in the cgroup key mode the tp_btf twin of sched_switch goes past
	# the verifier's 1,000,000 instructions and raw_tp is loaded after it,
	# 11-14 s of verifying on this host (docs/hacking.md "The verifier's budget")
	for i in $(seq $((300 * ${QT_SLOW:-1}))); do
		grep -q '^bpf ' "$out" 2>/dev/null && return 0
		kill -0 $QT_DUMP_PID 2>/dev/null || { cat "$out.err"; qt_fail "bpf-dump exited"; }
		sleep 0.1
	done
	qt_fail "bpf-dump did not load"
}

qt_bpf_dump_wait() { wait $QT_DUMP_PID || { cat "$1.err"; qt_fail "bpf-dump failed"; }; }

# the kernel's own CPU ns for tenant $1's cgroup (v1 cpuacct, else v2 cpu.stat)
qt_kernel_cpu_ns() {
	if [ -f $CG/cpuacct/$QT_ID/$1/cpuacct.usage ]; then
		cat $CG/cpuacct/$QT_ID/$1/cpuacct.usage
	elif [ -f $CG/unified/$QT_ID/$1/cpu.stat ]; then
		awk '/^usage_usec/ {printf "%.0f\n", $2 * 1000}' $CG/unified/$QT_ID/$1/cpu.stat
	else
		awk '/^usage_usec/ {printf "%.0f\n", $2 * 1000}' $CG/$QT_ID/$1/cpu.stat
	fi
}

# the file of controller $2 for tenant $1 in this test's cgroups:
# v1 name $3, v2 name $4 (default: the same as $3)
qt_cgfile() {
	local p
	for p in $CG/$2/$QT_ID/$1/$3 $CG/unified/$QT_ID/$1/${4:-$3} $CG/$QT_ID/$1/${4:-$3}; do
		[ -f "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

# a tenant's field from `quellctl show --json`: qt_show_get TENANT PY_EXPR (t = the tenant)
qt_show_get() {
	qt_ctl --json show "$1" | python3 -c "import json, sys; t = json.load(sys.stdin)['tenant']; print($2)"
}

# float compare: qt_assert_near NAME GOT WANT PCT
qt_assert_near() {
	awk -v n="$1" -v g="$2" -v w="$3" -v p="$4" 'BEGIN {
		d = g - w; if (d < 0) d = -d;
		if (w == 0 || d / w * 100 > p) { printf "FAIL %s: got %s want %s (+-%s%%)\n", n, g, w, p; exit 1 }
		printf "ok   %s: got %s want %s (%.1f%% off, limit %s%%)\n", n, g, w, d / w * 100, p }'
}

# /metrics wants a bearer token (t_authz.sh tests the refusals): qt_metrics_token
# writes one to $QT_DIR/token (for the config's token_file) and makes every
# `curl` of the calling test send it.
qt_metrics_token() {
	head -c 24 /dev/urandom | base64 > "$QT_DIR/token"
	chmod 600 "$QT_DIR/token"
	QT_TOKEN=$(cat "$QT_DIR/token")
	curl() { command curl -H "Authorization: Bearer $QT_TOKEN" "$@"; }
}
