#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Signals under the default configuration (issue 11 item 2): history ON and
# /metrics ON, i.e. with the RRD writer and libmicrohttpd threads running.
# Before the fix a signal could land on one of those threads, whose mask
# let it through: SIGHUP killed quelld (exit 129), SIGTERM skipped the
# clean stop (exit 143: throttles kept, socket file left).
#   1. SIGHUP x100 (QT_SIG_N), one every 50 ms, clients querying meanwhile:
#      quelld never dies, reloads, keeps ticking and serving /metrics;
#   2. SIGTERM with a tenant under `quellctl throttle`: exit 0, socket
#      gone, the cgroup's cpu quota back to its static value (none), the
#      static memory limit kept;
#   3. SIGTERM x100 (QT_SIG_N) start/stop cycles: exit 0 each time, socket
#      gone each time; every 4th SIGTERM is sent as soon as the socket file
#      appears (start-up not finished), the others once it answers; every
#      10th signal is SIGINT (same clean stop). History
#      and /metrics are on in every cycle; BPF (bpf = auto) in every 5th:
#      loading it is ~2.5 s of a ~3 s start here (100 such cycles took
#      309 s), and it starts no thread, so the other cycles use bpf = off
#      (0.08 s to start).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"
command -v curl >/dev/null || qt_skip "curl missing"

N=${QT_SIG_N:-100}
T=qsd$$
qt_user $T >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
qt_metrics_token
# qt_config's base turns history off; the sections below turn the defaults back on
qt_config <<EOF
[history]
enabled = yes
step = 1s

[metrics]
listen = 127.0.0.1:$port
token_file = $QT_DIR/token

[tenant:$T]
mem = 512M
EOF
SOCK=$QT_DIR/quell.sock

gone() { ! kill -0 "$1" 2>/dev/null; }
metrics_ok() { curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" | grep -q '^quell_'; }
quota() { qt_cpu_quota $T; }
unthrottled() { [ "$(quota | cut -d' ' -f1)" = -1 ]; }

qt_sleeper $T 900
SLEEPER=$!

# --- 1. SIGHUP x N --------------------------------------------------------------
qt_quelld
P=$QT_QUELLD_PID
qt_until 10 metrics_ok || qt_fail "no /metrics on port $port"
grep -q "history: .*step 1 s" "$QT_DIR/quelld.log" || qt_fail "history writer not running"
(
	q=0 f=0
	while [ ! -f "$QT_DIR/hup.done" ]; do
		if timeout 5 "$QT_BUILD/quellctl" -s "$SOCK" status >/dev/null 2>&1
		then q=$((q + 1)); else f=$((f + 1)); fi
	done
	echo "$q $f" > "$QT_DIR/clients"
) &
QT_PIDS+=($!)
cl=$!
deaths=0
for i in $(seq $N); do
	kill -HUP $P 2>/dev/null
	sleep 0.05
	if gone $P; then
		wait $P; rc=$?
		deaths=1
		qt_log "quelld died after SIGHUP $i with exit status $rc"
		break
	fi
done
touch "$QT_DIR/hup.done"
wait $cl
read -r q f < "$QT_DIR/clients"
[ $deaths = 0 ] || { tail -5 "$QT_DIR/quelld.log"; qt_fail "SIGHUP killed quelld (default config)"; }
sleep 0.5
reloaded=$(grep -c "configuration reloaded" "$QT_DIR/quelld.log")
# signalfd coalesces HUPs that arrive within one loop wake-up: most, not all, reload
[ "$reloaded" -ge $((N / 2)) ] || qt_fail "only $reloaded reloads for $N SIGHUPs"
[ "$f" = 0 ] && [ "$q" -gt 0 ] || qt_fail "clients during the HUPs: $q answered, $f failed"
t0=$(qt_ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["tick"])')
sleep 1.5
t1=$(qt_ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["tick"])')
[ "$t1" -gt "$t0" ] || qt_fail "tick stuck at $t1 after the HUPs"
metrics_ok || qt_fail "/metrics gone after the HUPs"
qt_log "ok   $N SIGHUPs: alive, $reloaded reloads, $q client queries all answered, tick $t0 -> $t1, /metrics served"

# --- 2. SIGTERM releases a dynamic throttle --------------------------------------
qt_until 10 qt_cgfile $T cpu cpu.cfs_quota_us cpu.max >/dev/null || qt_fail "no cpu cgroup for $T"
mf=$(qt_cgfile $T memory memory.limit_in_bytes memory.max)
unthrottled || qt_fail "$T starts with quota $(quota)"
qt_ctl throttle $T >/dev/null || qt_fail "quellctl throttle"
qt_until 5 eval '! unthrottled' || qt_fail "throttle not written: $(quota)"
qt_log "throttled: quota $(quota)"
kill -TERM $P
qt_until 15 gone $P || qt_fail "quelld did not exit on SIGTERM"
wait $P; rc=$?
QT_QUELLD_PID=
[ $rc = 0 ] || qt_fail "SIGTERM: exit status $rc, want 0"
[ -e "$SOCK" ] && qt_fail "SIGTERM left the socket file"
unthrottled || qt_fail "SIGTERM left the dynamic throttle: quota $(quota)"
[ "$(cat $mf)" = $((512 << 20)) ] || qt_fail "SIGTERM dropped the static memory limit: $(cat $mf)"
qt_log "ok   SIGTERM: exit 0, socket gone, throttle released, static mem 512M kept"

# --- 3. SIGTERM x N start/stop cycles --------------------------------------------
{ cat "$QT_DIR/quell.conf"; printf '[daemon]\nbpf = off\n'; } > "$QT_DIR/nobpf.conf"
bad=0
for i in $(seq $N); do
	conf=$QT_DIR/nobpf.conf
	[ $((i % 5)) = 0 ] && conf=$QT_DIR/quell.conf
	"$QT_BUILD/quelld" --foreground -c "$conf" > "$QT_DIR/quelld.$i.log" 2>&1 &
	P=$!
	QT_QUELLD_PID=$P
	if [ $((i % 4)) = 0 ]; then
		qt_until 20 test -S "$SOCK" || { bad=1; qt_log "cycle $i: no socket"; break; }
	else
		qt_until 20 eval '"$QT_BUILD/quellctl" -s "$SOCK" ping >/dev/null 2>&1' ||
			{ bad=1; qt_log "cycle $i: no answer"; break; }
	fi
	sig=TERM
	[ $((i % 10)) = 3 ] && sig=INT
	kill -$sig $P
	qt_until 15 gone $P || { bad=1; qt_log "cycle $i: still running 15 s after SIG$sig"; break; }
	wait $P; rc=$?
	QT_QUELLD_PID=
	if [ $rc != 0 ] || [ -e "$SOCK" ]; then
		bad=1
		qt_log "cycle $i: SIG$sig: exit status $rc, socket $([ -e "$SOCK" ] && echo left || echo gone)"
		tail -3 "$QT_DIR/quelld.$i.log"
		break
	fi
	rm -f "$QT_DIR/quelld.$i.log"
done
[ $bad = 0 ] || qt_fail "SIGTERM start/stop cycles"
qt_log "ok   $N SIGTERM cycles ($((N / 5)) with BPF): exit 0 and socket gone every time"
grep -hE "AddressSanitizer|runtime error" "$QT_DIR"/quelld*.log && qt_fail "sanitizer report"
echo PASS
