#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Reload is a swap (issue 13) and exclude takes effect (issue 11 item 7):
#   1. exclude a throttled tenant A and a tenant C that has a uid-0 process
#      in its cgroup, SIGHUP: both leave `list` at once; A's cpu throttle
#      and static memory limit are lifted, A's process is moved out and its
#      cgroup removed in every hierarchy; C's root process is not moved, its
#      cgroup stays with every limit lifted; an audit "release" line each;
#      B (not excluded) keeps its static limit;
#   2. SIGHUP with each key of quell.conf changed, one at a time: a live key
#      is named in the "configuration reloaded: applied ..." line (and its
#      effect checked where it is visible: tick, /metrics port, history dir,
#      [limits]); a restart key is named in the "takes effect only after a
#      restart" warning and the running value stays (socket, managed).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"
command -v curl >/dev/null || qt_skip "curl missing"

A=qra$$; B=qrb$$; C=qrc$$
qt_users $A $B $C
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P1=$(freeport); P2=$(freeport)
qt_metrics_token
EV=$QT_DIR/events.jsonl
LOG=$QT_DIR/quelld.log
# explicit [history] dir and [events] log: a state_dir change is then only state_dir
base() {
	qt_config -s 1s -e "$EV" <<EOF
[tenants]
${1:-}

[history]
enabled = yes
step = 1s
dir = $QT_DIR/rrd

[metrics]
listen = 127.0.0.1:$P1
token_file = $QT_DIR/token

[limits]
nproc = 500

[tenant:$A]
mem = 512M

[tenant:$B]
mem = 256M
${2:-}
EOF
}
# SIGHUP and wait for its "configuration reloaded" line; prints the lines it logged
hup() {
	local before
	before=$(wc -l < "$LOG")
	kill -HUP $QT_QUELLD_PID
	qt_until 10 eval '[ $(tail -n +$((before + 1)) "$LOG" | grep -c "configuration reloaded") -ge 1 ]' ||
		{ tail -n +$((before + 1)) "$LOG"; qt_fail "no reload after SIGHUP"; }
	tail -n +$((before + 1)) "$LOG" | grep -v debug: > "$QT_DIR/hup.out"
}
quota() {	# cpu quota of tenant $1: "-1" when none
	local f
	f=$(qt_cgfile $1 cpu cpu.cfs_quota_us cpu.max) || { echo gone; return; }
	sed 's/^max.*/-1/; s/ .*//' $f
}
in_list() { qt_ctl --json list | python3 -c "import json,sys; r = json.load(sys.stdin); sys.exit(0 if any(t['name'] == '$1' for t in r['tenants']) else 1)"; }
cg_dirs() { find $CG -type d -path "*/$QT_ID/$1" 2>/dev/null; }

base
qt_quelld
for u in $A $B $C; do
	qt_sleeper $u 900
done
qt_until 5 eval 'PA=$(pgrep -u $A -x sleep)' || qt_fail "no process of $A"
qt_until 10 eval '[ "$(quota $A)" = -1 ] && [ "$(quota $C)" = -1 ]' || qt_fail "no cgroups for $A / $C"
qt_until 10 eval 'grep -q "/$QT_ID/$A\$" /proc/$PA/cgroup' || qt_fail "$A's process not placed"
# a uid-0 process inside C's cgroup, in every hierarchy (as a root su/sudo child would be)
sleep 900 &
QT_PIDS+=($!)
RP=$!
for dd in $(cg_dirs $C); do echo $RP > $dd/cgroup.procs; done
grep -q "/$QT_ID/$C\$" /proc/$RP/cgroup || qt_fail "could not put the root process into $C's cgroup"

# --- 1. exclude a throttled tenant ------------------------------------------------
qt_ctl throttle $A >/dev/null || qt_fail "quellctl throttle $A"
qt_ctl throttle $C >/dev/null || qt_fail "quellctl throttle $C"
qt_until 5 eval '[ "$(quota $A)" != -1 ]' || qt_fail "throttle not written"
mA=$(qt_cgfile $A memory memory.limit_in_bytes memory.max)
mB=$(qt_cgfile $B memory memory.limit_in_bytes memory.max)
mC=$(qt_cgfile $C memory memory.limit_in_bytes memory.max)
[ "$(cat $mA)" = $((512 << 20)) ] || qt_fail "$A's static mem: $(cat $mA)"
in_list $A && in_list $C || qt_fail "$A / $C not listed before the reload"
qt_log "before: $A quota $(quota $A), mem $(cat $mA); $C quota $(quota $C)"
n0=$(wc -l < $EV)
base "exclude = nobody, $A, $C"
hup
sed 's/^[^ ]* [^ ]* /  /' $QT_DIR/hup.out
grep "configuration reloaded" $QT_DIR/hup.out | grep -q "applied \[tenants\] exclude" ||
	{ cat $QT_DIR/hup.out; qt_fail "reload line does not name [tenants] exclude"; }
in_list $A && qt_fail "$A still listed after being excluded"
in_list $C && qt_fail "$C still listed after being excluded"
in_list $B || qt_fail "$B dropped"
qt_ctl --json show $A >/dev/null 2>&1 && qt_fail "show $A still answers"
[ -z "$(cg_dirs $A)" ] || qt_fail "$A's cgroup left: $(cg_dirs $A)"
grep -q "/$QT_ID/" /proc/$PA/cgroup && qt_fail "$A's process still in the managed subtree: $(cat /proc/$PA/cgroup)"
grep -q "/$QT_ID/$C\$" /proc/$RP/cgroup || qt_fail "the uid-0 process was moved: $(cat /proc/$RP/cgroup)"
[ -n "$(cg_dirs $C)" ] || qt_fail "$C's cgroup removed under its root process"
[ "$(quota $C)" = -1 ] || qt_fail "$C's throttle kept: quota $(quota $C)"
case $(cat $mC) in max|9223372036854771712) ;; *) qt_fail "$C's memory limit kept: $(cat $mC)";; esac
[ "$(cat $mB)" = $((256 << 20)) ] || qt_fail "$B's static limit changed: $(cat $mB)"
for u in $A $C; do
	tail -n +$((n0 + 1)) $EV | grep "\"tenant\":\"$u\"" | grep '"action":"release"' |
		grep -q 'excluded' || qt_fail "no audit release line for $u"
done
grep -q "$C: cgroup .* kept, without limits: 1 uid-0" $QT_DIR/hup.out || { cat $QT_DIR/hup.out; qt_fail "no warning for $C's kept cgroup"; }
sleep 2	# a sweep later: nobody puts them back
in_list $A && qt_fail "$A back after a sweep"
grep -q "/$QT_ID/" /proc/$PA/cgroup && qt_fail "$A's process placed again"
qt_log "ok   exclude: $A and $C gone from list, limits lifted, $A's cgroup removed, root process in $C's kept"
# included again: a tenant once more, static limit back, throttle not
base
hup
qt_until 5 in_list $A || qt_fail "$A not a tenant again after un-excluding"
qt_until 5 eval 'grep -q "/$QT_ID/$A\$" /proc/$PA/cgroup' || qt_fail "$A's process not placed again"
mA=$(qt_cgfile $A memory memory.limit_in_bytes memory.max)
[ "$(cat $mA)" = $((512 << 20)) ] && [ "$(quota $A)" = -1 ] ||
	qt_fail "$A re-included: mem $(cat $mA) quota $(quota $A)"
qt_log "ok   re-included: $A placed again with its static limit, no throttle"

# --- 2. every key, one SIGHUP each ------------------------------------------------
# key | [tenants]-section line (\$1) or other sections (\$2) | live or restart
check_key() {	# NAME LIVE TENANTS_LINES OTHER_LINES
	local name=$1 live=$2
	base "$3" "$4"
	hup
	if [ $live = live ]; then
		grep "configuration reloaded" $QT_DIR/hup.out | grep -qF "$name" ||
			{ cat $QT_DIR/hup.out; qt_fail "$name: not in the reload line"; }
		grep "takes effect only after a restart" $QT_DIR/hup.out | grep -qF "$name" &&
			{ cat $QT_DIR/hup.out; qt_fail "$name: reported as needing a restart"; }
	else
		grep "takes effect only after a restart" $QT_DIR/hup.out | grep -qF "$name" ||
			{ cat $QT_DIR/hup.out; qt_fail "$name: no restart warning"; }
		grep "configuration reloaded" $QT_DIR/hup.out | grep -qF "$name" &&
			{ cat $QT_DIR/hup.out; qt_fail "$name: reported as applied"; }
	fi
	qt_log "ok   $name: $live"
}
revert() { base; hup; }
sec() { printf '[%s]\n%s\n' "$1" "$2"; }

check_key "[daemon] tick" live "" "$(sec daemon 'tick = 500ms')"
t0=$(qt_ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["tick"])')
sleep 2
t1=$(qt_ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["tick"])')
[ $((t1 - t0)) -ge 3 ] || qt_fail "tick = 500ms: $((t1 - t0)) ticks in 2 s"
revert
check_key "[daemon] log_level" live "" "$(sec daemon 'log_level = info')"
grep -q "debug:" "$QT_DIR/hup.out" && true	# (debug lines are filtered out above)
revert
check_key "[daemon] socket" restart "" "$(sec daemon "socket = $QT_DIR/other.sock")"
qt_ctl ping >/dev/null || qt_fail "socket: the running socket stopped answering"
[ -e $QT_DIR/other.sock ] && qt_fail "socket: a second socket appeared"
revert
check_key "[daemon] socket_mode" restart "" "$(sec daemon 'socket_mode = 0600')"
revert
check_key "[daemon] socket_group" restart "" "$(sec daemon 'socket_group = adm')"
revert
check_key "[daemon] state_dir" restart "" "$(sec daemon "state_dir = $QT_DIR/state2")"
revert
check_key "[daemon] bpf" restart "" "$(sec daemon 'bpf = off')"
revert
check_key "[daemon] max_tenants" restart "" "$(sec daemon 'max_tenants = 100')"
revert
check_key "[daemon] cgroup_root" restart "" "$(sec daemon "cgroup_root = $QT_DIR")"
revert
check_key "[daemon] proc_root" restart "" "$(sec daemon "proc_root = $QT_DIR")"
revert
check_key "[tenants] mode" restart "mode = cgroups" ""
revert
bpf=$(grep -c "BPF loaded" $LOG)
check_key "[tenants] min_uid" live "min_uid = $((QT_UID_MIN - 1))" ""
[ $bpf = 0 ] || grep -q "is wider than $QT_UID_MIN..$QT_UID_MAX, the range the BPF" $QT_DIR/hup.out ||
	qt_fail "min_uid widened: no warning about BPF's range"
revert
check_key "[tenants] max_uid" live "max_uid = $((QT_UID_MAX + 1))" ""
[ $bpf = 0 ] || grep -q "is wider than $QT_UID_MIN..$QT_UID_MAX, the range the BPF" $QT_DIR/hup.out ||
	qt_fail "max_uid widened: no warning about BPF's range"
revert
check_key "[tenants] parent" restart "parent = quelltest-nowhere" ""
revert
check_key "[tenants] managed" restart "managed = $QT_ID-other" ""
[ -z "$(find $CG -maxdepth 2 -type d -name "$QT_ID-other")" ] || qt_fail "managed: a new subtree was created"
in_list $B || qt_fail "managed: $B lost"
revert
check_key "[tenants] place" restart "place = no" ""
revert
check_key "[tenants] sweep" live "sweep = 2s" ""
revert
check_key "[limits]" live "" "$(sec limits 'nproc = 400')"
pf=$(qt_cgfile $B pids pids.max)
qt_until 5 eval '[ "$(cat $pf)" = 400 ]' || qt_fail "[limits] nproc = 400 not written: $(cat $pf)"
revert
qt_until 5 eval '[ "$(cat $pf)" = 500 ]' || qt_fail "[limits] back to 500: $(cat $pf)"
check_key "[tenant:NAME]" live "" "$(sec tenant:$C 'mem = 1G')"
revert
check_key "[history] enabled" live "" "$(sec history 'enabled = no')"
grep -q "history: off" $QT_DIR/hup.out || qt_fail "history: not closed"
revert
check_key "[history] dir" live "" "$(sec history "dir = $QT_DIR/rrd2")"
qt_until 10 test -f $QT_DIR/rrd2/host.rrd || qt_fail "[history] dir: no host.rrd in the new dir"
revert
check_key "[history] step" live "" "$(sec history 'step = 2s')"
grep -q "history: .*step 2 s" $QT_DIR/hup.out || qt_fail "[history] step: writer not reopened"
revert
check_key "[history] rrdcached" live "" "$(sec history "rrdcached = unix:$QT_DIR/no-rrdcached.sock")"
grep -q "rrdcached unix:$QT_DIR/no-rrdcached.sock" $QT_DIR/hup.out || qt_fail "[history] rrdcached: not tried"
revert
check_key "[events] log" live "" "$(sec events "log = $QT_DIR/events2.jsonl")"
revert
check_key "[events] max_size" live "" "$(sec events 'max_size = 1M')"
revert
check_key "[events] keep" live "" "$(sec events 'keep = 2')"
revert
check_key "[metrics] listen" live "" "$(sec metrics "listen = 127.0.0.1:$P2")"
qt_until 5 eval 'curl -sf --max-time 5 http://127.0.0.1:$P2/metrics | grep -q ^quell_' ||
	qt_fail "[metrics] listen: nothing on the new port $P2"
curl -sf --max-time 2 http://127.0.0.1:$P1/metrics >/dev/null && qt_fail "[metrics] listen: old port $P1 still served"
revert
qt_until 5 eval 'curl -sf --max-time 5 http://127.0.0.1:$P1/metrics | grep -q ^quell_' ||
	qt_fail "[metrics] listen: not back on $P1"
check_key "[notify] command" live "" "$(sec notify 'command = /bin/true')"
revert
check_key "[notify] user" live "" "$(sec notify 'user = nobody')"
revert
check_key "[notify] timeout" live "" "$(sec notify 'timeout = 3s')"
revert
check_key "[notify] window" live "" "$(sec notify 'window = 2m')"
revert
check_key "[notify] max_per_tenant" live "" "$(sec notify 'max_per_tenant = 2')"
revert
check_key "[notify] max_running" live "" "$(sec notify 'max_running = 2')"
revert
check_key "[policy], [rule:NAME]" live "" "$(sec policy 'dry_run = yes')"
revert
check_key "[policy], [rule:NAME]" live "" "$(sec rule:cpu-hog 'above = 95')"
revert
# no change at all: nothing applied, nothing to restart
hup
grep -q "configuration reloaded (no change applies live)" $QT_DIR/hup.out || { cat $QT_DIR/hup.out; qt_fail "unchanged file"; }
grep -q "only after a restart" $QT_DIR/hup.out && qt_fail "unchanged file: restart warning"
kill -0 $QT_QUELLD_PID || qt_fail "quelld died"
grep -o "configuration reloaded.*ms)" "$LOG" | sed 's/.*(\([0-9.]*\) ms)/\1/' | sort -n |
	awk '{ v[NR] = $1 } END { printf "  %d reloads: median %.1f ms, max %.1f ms\n", NR, v[int((NR + 1) / 2)], v[NR] }'
grep -E "AddressSanitizer|runtime error" "$LOG" && qt_fail "sanitizer report"
echo PASS
