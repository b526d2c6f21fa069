#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real host, an admin's day (issue 11 items 2, 6, 7): quelld with the shipped
# docs/quell.conf (history on, metrics on) and 500 Unix users with processes.
#   1. SIGHUP under load: 100 SIGHUPs while clients query and 4 tenants burn
#      CPU -> 0 deaths (a death is counted, quelld restarted, at most 5 times),
#      every query answered, reloads logged, the tick goes on;
#   2. SIGTERM: start/stop cycles for QT_RH_TERM_BUDGET s (default 90, at most
#      100 cycles): exit 0 each time, socket file gone;
#   3. a throttled tenant (`quellctl throttle`) is released by SIGTERM, a
#      static limit (`quellctl set`) stays; the restart picks everything up
#      (500 tenants, every process still placed, the static limit, no throttle);
#   4. userdel while quelld is down: after the restart the user's cgroups are
#      gone in every hierarchy and it is no tenant;
#   5. reload with `exclude` gaining a throttled user: it stops being a tenant
#      and its throttle is released.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/realhost.sh"

N=${QT_RH_TENANTS:-500}
TERM_BUDGET=${QT_RH_TERM_BUDGET:-90}
MAX_DEATHS=5

rh_lock_uids
rh_state_tmpfs 1G
rh_users $N
rh_sleepers
rh_config </dev/null
rh_quelld
qt_log "quelld $QT_QUELLD_PID up with $N users (uids $RH_UID_MIN..)"

status_get() {	# a key of `status` (python expression on s)
	qt_ctl --json status 2>/dev/null | python3 -c "import json,sys; s = json.load(sys.stdin); print($1)" 2>/dev/null
}
# a tenant's CPU limit as the cgroup files say: "unlimited" or the % of one core
cpu_limit() {
	local f p
	f=$(qt_cgfile "$1" cpu cpu.cfs_quota_us cpu.max) || { echo "no-cgroup"; return; }
	case $f in
	*cfs_quota_us)
		p=$(cat "${f%/*}/cpu.cfs_period_us")
		awk -v q="$(cat "$f")" -v p="$p" 'BEGIN { if (q < 0) print "unlimited"; else printf "%g%%\n", q * 100 / p }';;
	*)
		awk '{ if ($1 == "max") print "unlimited"; else printf "%g%%\n", $1 * 100 / $2 }' "$f";;
	esac
}
wait_for() {	# wait_for SECONDS CMD...: poll until CMD succeeds
	local i secs=$1
	shift
	for i in $(seq $((secs * 5))); do "$@" && return 0; sleep 0.2; done
	return 1
}

# --- 1. SIGHUP under load ----------------------------------------------------------------
for k in 10 11 12 13; do
	setpriv --reuid=${RH_UIDS[$k]} --regid=65534 --clear-groups -- \
		nice -n 19 sh -c 'while :; do :; done' &
	echo $! >> "$QT_DIR/rh_pids"
	burners+=($!)
	disown $!
done
(
	q=0 f=0
	while [ ! -e "$QT_DIR/hup.done" ]; do
		for c in status "show ${RH_NAMES[$((RANDOM % N))]}"; do
			t1=$(rh_ms)
			if timeout 5 "$QT_BUILD/quellctl" -s "$QT_DIR/quell.sock" $c >/dev/null 2> "$QT_DIR/hup.err"
			then q=$((q + 1))
			else
				echo "exit $? after $(($(rh_ms) - t1)) ms: $c: $(head -c 150 "$QT_DIR/hup.err")" >> "$QT_DIR/hup.failed"
				f=$((f + 1))
			fi
		done
	done
	echo "$q $f" > "$QT_DIR/hup.clients"
) &
cl=$!
QT_PIDS+=($cl)
sleep 2		# the burners show up as CPU use
tick0=$(status_get 's["tick"]')
deaths=0 sent=0 codes=
t=$(rh_ms)
for i in $(seq 100); do
	kill -HUP $QT_QUELLD_PID 2>/dev/null
	sent=$i
	sleep 0.15
	rh_alive && continue
	deaths=$((deaths + 1)) codes="$codes $RH_RC"
	[ $deaths -ge $MAX_DEATHS ] && break
	rh_quelld_start || { rh_bad "quelld does not restart after a SIGHUP death"; break; }
done
dt=$(($(rh_ms) - t))
touch "$QT_DIR/hup.done"
wait $cl
read -r q f < "$QT_DIR/hup.clients"
kill -9 "${burners[@]}" 2>/dev/null
[ $deaths = 0 ] && rh_ok "$sent SIGHUPs in $dt ms under load: 0 deaths" ||
	rh_bad "SIGHUP: $deaths deaths in the first $sent SIGHUPs (exit status:$codes)"
[ "$f" = 0 ] && [ "$q" -gt 20 ] && rh_ok "$q client queries during the SIGHUPs, all answered" || {
	rh_bad "client queries during the SIGHUPs: $q answered, $f failed (timeout 5 s each); the first:"
	head -5 "$QT_DIR/hup.failed" 2>/dev/null | sed 's/^/  /'
}
if rh_alive; then
	sleep 1.5
	tick1=$(status_get 's["tick"]')
	reloads=$(grep -ci "reload" "$QT_DIR/quelld.log")
	[ -n "$tick0" ] && [ "${tick1:-0}" -gt "$tick0" ] && [ "$reloads" -ge 1 ] &&
		rh_ok "tick $tick0 -> $tick1, $reloads log lines about reloads" ||
		rh_bad "after the SIGHUPs: tick $tick0 -> $tick1, $reloads log lines about reloads"
else
	rh_quelld
fi

# --- 2. SIGTERM cycles --------------------------------------------------------------------------
cyc=0 bad_rc=0 sock_left=0 nostart=0 codes=
t=$(rh_ms)
# and leave the rest of the file 150 s before the watchdog (a loaded machine: 8.5 s a cycle)
while [ $cyc -lt 100 ] && [ $(($(rh_ms) - t)) -lt $((TERM_BUDGET * 1000)) ] &&
      [ $SECONDS -lt $((RH_DEADLINE - 150)) ]; do
	if [ -z "$QT_QUELLD_PID" ]; then
		rh_quelld_start || { nostart=$((nostart + 1)); rh_quelld_stop KILL; break; }
	fi
	rh_quelld_stop TERM
	cyc=$((cyc + 1))
	[ "$RH_RC" = 0 ] || { bad_rc=$((bad_rc + 1)); codes="$codes $RH_RC"; }
	[ -e "$QT_DIR/quell.sock" ] && sock_left=$((sock_left + 1))
done
dt=$(($(rh_ms) - t))
qt_log "$cyc SIGTERM cycles in $dt ms ($((dt / (cyc > 0 ? cyc : 1))) ms per start + stop)"
[ $bad_rc = 0 ] && [ $nostart = 0 ] && rh_ok "$cyc SIGTERMs: exit 0 each time" ||
	rh_bad "SIGTERM: $bad_rc of $cyc exits not 0 (exit status, count:$(echo $codes | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ')), $nostart failed starts"
[ $cyc -ge 5 ] || rh_bad "only $cyc start/stop cycles in $TERM_BUDGET s (want >= 5: is the start that slow?)"
[ $sock_left = 0 ] && rh_ok "socket file removed after every stop" ||
	rh_bad "socket file left behind after $sock_left of $cyc stops"

# --- 3. SIGTERM releases a throttle, keeps static limits; restart picks it all up ------------------
rh_quelld
A=${RH_NAMES[30]} B=${RH_NAMES[31]}
qt_ctl set "$B" cpu=50% >/dev/null || rh_bad "quellctl set $B cpu=50%"
qt_ctl throttle "$A" --for 10m >/dev/null || rh_bad "quellctl throttle $A"
la=$(cpu_limit "$A") lb=$(cpu_limit "$B")
[ "$la" = 25% ] && [ "$lb" = 50% ] && rh_ok "throttled $A: cpu $la; static $B: cpu $lb" ||
	rh_bad "before SIGTERM: $A cpu $la (want 25%), $B cpu $lb (want 50%)"
rh_quelld_stop TERM
la=$(cpu_limit "$A") lb=$(cpu_limit "$B")
[ "$RH_RC" = 0 ] && [ ! -e "$QT_DIR/quell.sock" ] && rh_ok "SIGTERM with a throttle: exit 0, socket gone" ||
	rh_bad "SIGTERM with a throttle: exit $RH_RC, socket $([ -e "$QT_DIR/quell.sock" ] && echo left || echo gone)"
[ "$la" = unlimited ] && rh_ok "$A's throttle released by SIGTERM" ||
	rh_bad "$A still limited to $la after SIGTERM (release_on_exit = yes)"
[ "$lb" = 50% ] && rh_ok "$B's static limit kept: $lb" || rh_bad "$B's static limit after SIGTERM: $lb"
python3 - "$QT_DIR/state/events.jsonl" "$A" <<'PY' && rh_ok "audit log: $A released on stop" ||
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [e for e in ev if e.get("tenant") == sys.argv[2]]
# the last word on A: a release after its manual throttle
sys.exit(0 if mine and mine[-1].get("action") == "release" else 1)
PY
	rh_bad "audit log: no release of $A on stop"
t=$(rh_ms)
rh_quelld
nt=$(status_get 's["host"]["tenants"]')
qt_log "restart: answering after $(($(rh_ms) - t)) ms, $nt tenants"
[ "$nt" = $N ] && rh_ok "restart: $nt tenants" || rh_bad "restart: $nt tenants, want $N"
out=$(rh_placed)
[ $? = 0 ] && rh_ok "restart: $out" || rh_bad "restart: $out"
sa=$(qt_show_get "$A" 't["state"]' 2>&1) la=$(cpu_limit "$A") lb=$(cpu_limit "$B")
sb=$(qt_ctl --json limits "$B" | python3 -c 'import json,sys; print(json.load(sys.stdin)["limits"]["static_text"])' 2>&1)
[ "$sa" = ok ] && [ "$la" = unlimited ] && rh_ok "restart: $A not throttled (state $sa, cpu $la)" ||
	rh_bad "restart: $A state '$sa', cpu $la (want ok, unlimited)"
[ "$lb" = 50% ] && [[ $sb == *cpu=50%* ]] && rh_ok "restart: $B keeps cpu=50% ($sb)" ||
	rh_bad "restart: $B cpu $lb, static '$sb'"

# --- 4. userdel while quelld is down ---------------------------------------------------------
D=${RH_NAMES[40]}
mapfile -t hier < <(rh_hierarchies)
have=0
for h in "${hier[@]}"; do [ -d "$h/$QT_ID/$D" ] && have=$((have + 1)); done
[ $have = ${#hier[@]} ] || rh_bad "$D had cgroups in $have of ${#hier[@]} hierarchies before"
rh_quelld_stop TERM
kill -9 "${RH_PID[$D]}" 2>/dev/null
sleep 0.3
userdel "$D" || rh_bad "userdel $D"
unset "RH_PID[$D]"
names=()
for n in "${RH_NAMES[@]}"; do [ "$n" != "$D" ] && names+=("$n"); done
RH_NAMES=("${names[@]}")	# rh_placed checks the others
echo "$D" >> "$QT_DIR/rh_users"		# still removed at exit if something re-adds it
rh_quelld
gone() { local h; for h in "${hier[@]}"; do [ -d "$h/$QT_ID/$D" ] && return 1; done; return 0; }
if wait_for 20 gone; then
	rh_ok "deleted user $D: cgroups gone from all ${#hier[@]} hierarchies after the restart"
else
	left=$(for h in "${hier[@]}"; do [ -d "$h/$QT_ID/$D" ] && echo -n " $h"; done)
	rh_bad "deleted user $D: cgroups left in$left 20 s after the restart"
fi
qt_ctl show "$D" >/dev/null 2>&1 && rh_bad "deleted user $D is still a tenant" || rh_ok "$D is no tenant"

# --- 5. reload with `exclude` gaining a throttled user ------------------------------------------
E=${RH_NAMES[50]}
qt_ctl throttle "$E" --for 10m >/dev/null || rh_bad "quellctl throttle $E"
le=$(cpu_limit "$E")
[ "$le" = 25% ] || rh_bad "$E throttled: cpu $le, want 25%"
RH_TENANTS_EXTRA="exclude = nobody, $E"
rh_config </dev/null
"$QT_BUILD/quelld" -t -c "$QT_DIR/quell.conf" >/dev/null ||
	rh_bad "quelld -t refuses the config with exclude = nobody, $E"
kill -HUP $QT_QUELLD_PID
sleep 0.5
if ! rh_alive; then
	rh_bad "quelld died of the SIGHUP (exit $RH_RC): exclude not testable"
else
	notten() { ! qt_ctl show "$E" >/dev/null 2>&1; }
	wait_for 15 notten && rh_ok "$E excluded: no longer a tenant" || rh_bad "$E still a tenant after the reload"
	released() { [ "$(cpu_limit "$E")" != 25% ]; }
	wait_for 5 released; le=$(cpu_limit "$E")
	[ "$le" = unlimited ] || [ "$le" = no-cgroup ] && rh_ok "$E's throttle released (cpu: $le)" ||
		rh_bad "$E still limited after being excluded: cpu $le"
	kill -0 "${RH_PID[$E]}" 2>/dev/null && rh_ok "$E's process untouched" || rh_bad "$E's process is gone"
	# status' host view is the last tick's: give the next tick its second
	count_ok() { nt=$(status_get 's["host"]["tenants"]'); [ "$nt" = $((N - 2)) ]; }
	wait_for 5 count_ok
	[ "$nt" = $((N - 2)) ] && rh_ok "$nt tenants (500 - deleted - excluded)" || rh_bad "$nt tenants, want $((N - 2))"
fi
rh_alive && rh_ok "quelld alive" || rh_bad "quelld not running at the end (exit $RH_RC)"
rh_done
