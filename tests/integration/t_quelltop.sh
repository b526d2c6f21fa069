#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# quelltop end to end: quelld with a busy tenant (stress-ng) and an idle one;
# quelltop in a private tmux server (send-keys / capture-pane). Asserts: the
# busy tenant is the top row, sorting by another column changes the order,
# Enter shows its processes, a daemon restart is survived, 80x24 works,
# q and SIGTERM both exit with the terminal restored; batch text and JSON.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || qt_skip "tmux not installed"
command -v stress-ng >/dev/null || qt_skip "stress-ng not installed"
command -v jq >/dev/null || qt_skip "jq not installed"

# a private tmux server (socket in QT_DIR), killed with everything in it whatever happens
TMUX_S=$QT_DIR/tmux.sock
trap 'rc=$?; tmux -S "$TMUX_S" kill-server 2>/dev/null; (exit $rc); qt_cleanup' EXIT

qt_log "QT_ID $QT_ID"
TOK=q4$$			# both names share it: the filter shows just ours
BUSY=${TOK}z			# sorts last by name, first by CPU
IDLE=${TOK}a
qt_user "$BUSY" >/dev/null
qt_user "$IDLE" >/dev/null
qt_quelld
SOCK=$QT_DIR/quell.sock
TOP="$QT_BUILD/quelltop -s $SOCK -d 1"
qt_bg su -s /bin/sh "$BUSY" -c 'cd /tmp && exec stress-ng --cpu 1 --timeout 90s'
qt_bg su -s /bin/sh "$IDLE" -c 'cd /tmp && exec sleep 90'

cap() { tmux -S "$TMUX_S" capture-pane -p -t top; }
keys() { tmux -S "$TMUX_S" send-keys -t top "$@"; }
# first tenant row: the line after the column titles
first_row() { cap | awk '/^TENANT/ { getline; print $1; exit }'; }
# wait_for DESC SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for i in $(seq $((secs * 5))); do
		"$@" && return 0
		sleep 0.2
	done
	echo "--- screen:"; cap; echo "---"
	qt_fail "$what"
}
screen_has() { cap | grep -q -- "$1"; }
top_is() { [ "$(first_row)" = "$1" ]; }
stty_sane() {
	keys "clear; echo STTY=\$(stty -a | tr ' ;' '\n\n' | grep -cx -e echo -e icanon)" Enter
	wait_for "terminal restored (echo, icanon)" 5 screen_has "^STTY=2"
}

# --- batch mode: the daemon's view, used to wait until the busy tenant shows CPU
# busy well above idle: right after the start the idle one's su and exec
# outran a stress-ng still ramping up on a loaded box (a CI run's first
# frame: idle 17.1 %, busy 9.1 %)
busy_cpu() {
	$TOP -b -n 1 --json -f "$TOK" | jq -e --arg b "$BUSY" --arg i "$IDLE" '
		(.tenants | map(select(.name == $b)) | .[0].cpu_pct // 0) > 30 and
		(.tenants | map(select(.name == $i)) | .[0].cpu_pct // 0) < 10' >/dev/null 2>&1
}
wait_for "busy tenant shows CPU use in quelltop --json" 30 busy_cpu
out=$($TOP -b -n 2 -f "$TOK")
[ "$(grep -c '^quelltop - ' <<<"$out")" = 2 ] || qt_fail "batch: want 2 frames: $out"
[ "$(awk '/^TENANT/ { getline; r = $1 } END { print r }' <<<"$out")" = "$BUSY" ] ||
	qt_fail "batch: busy tenant not first in the last frame: $out"
$TOP -b -n 1 --json -f "$TOK" | jq -e --arg b "$BUSY" --arg i "$IDLE" \
	'[.tenants[].name] == [$b, $i]' >/dev/null || qt_fail "batch --json order"
qt_log "ok   batch text and JSON: $BUSY first"
$TOP -b -n 1 --sort nope >/dev/null 2>&1
[ $? = 2 ] || qt_fail "bad --sort: want exit 2"

# --- interactive, in a shell in a 120x30 pane
tmux -S "$TMUX_S" new-session -d -s top -x 120 -y 30 "env -i TERM=xterm-256color PS1='qt\$ ' bash --norc --noprofile"
keys "$TOP; echo EXITED=\$?" Enter
wait_for "quelltop shows its header" 10 screen_has "daemon connected"
keys / "$TOK" Enter
wait_for "busy tenant is the top row" 10 top_is "$BUSY"
qt_log "ok   $BUSY is the top row (sorted by CPU%)"

keys N				# sort by name: the idle one ("...a") first
wait_for "sort by name puts $IDLE first" 5 top_is "$IDLE"
screen_has "TENANT^" || qt_fail "the sort column is not marked"
keys I				# inverted: z before a
wait_for "inverted name sort puts $BUSY first" 5 top_is "$BUSY"
keys P				# back to CPU%
wait_for "CPU sort again" 5 top_is "$BUSY"
qt_log "ok   sorting by name / inverted / CPU changes the order"

keys Home Enter
wait_for "drill-down shows the busy tenant" 5 screen_has "^TENANT $BUSY"
wait_for "drill-down lists stress-ng" 5 screen_has "stress-ng"
qt_log "ok   Enter shows $BUSY's processes (stress-ng)"
keys Escape
wait_for "Esc returns to the list" 5 screen_has "^TENANT .*CPU%"

# --- actions go through the daemon after a y/n question
busy_state() { cap | awk -v n="$BUSY" '$1 == n { print $NF }' | grep -q "^$1"; }
keys Home t
wait_for "throttle asks for confirmation" 5 screen_has "throttle $BUSY? \[y/N\]"
keys n
wait_for "n cancels" 5 screen_has "throttle $BUSY: cancelled"
busy_state ok || qt_fail "cancelled throttle changed the state"
keys t y
wait_for "throttle done" 5 screen_has "throttle $BUSY: done"
wait_for "busy tenant shown throttled" 10 busy_state throttled
keys Enter
wait_for "drill-down shows the throttle event" 10 screen_has ":[0-9][0-9] throttle manual"
keys Escape r y
wait_for "release done" 5 screen_has "release $BUSY: done"
wait_for "busy tenant back to ok" 10 busy_state ok
qt_log "ok   t / r with y/n: throttled, then released, through quelld"

# --- 80x24: everything still fits
tmux -S "$TMUX_S" resize-window -t top -x 80 -y 24
wait_for "80x24 redraw" 5 top_is "$BUSY"
long=$(cap | awk 'length > 80' | wc -l)
[ "$long" = 0 ] || qt_fail "lines wider than 80 at 80x24"
cap | grep -q "STATE" || qt_fail "STATE column missing at 80 columns"
tmux -S "$TMUX_S" resize-window -t top -x 120 -y 30
qt_log "ok   80x24 after a resize"

# --- the daemon restarts: quelltop says so, then reconnects
kill -TERM "$QT_QUELLD_PID"
wait "$QT_QUELLD_PID" 2>/dev/null
wait_for "daemon down is shown" 10 screen_has "unreachable, retrying"
kill -0 "$(pgrep -P "$(tmux -S "$TMUX_S" display -p -t top '#{pane_pid}')" quelltop)" ||
	qt_fail "quelltop died with the daemon"
qt_quelld
wait_for "reconnected to the new daemon" 15 screen_has "daemon connected"
wait_for "rows back after reconnect" 10 top_is "$BUSY"
qt_log "ok   daemon restart: 'unreachable, retrying', then reconnected"

# --- q quits and the terminal is usable again
keys q
wait_for "quelltop exits on q with status 0" 5 screen_has "^EXITED=0"
screen_has "daemon connected" && qt_fail "quelltop's screen still shown after q"
stty_sane
qt_log "ok   q exits 0, shell back, tty sane"

# --- SIGTERM: same restore
keys "clear; $TOP; echo EXITED=\$?" Enter
wait_for "quelltop restarted" 10 screen_has "daemon connected"
pid=$(pgrep -P "$(tmux -S "$TMUX_S" display -p -t top '#{pane_pid}')" quelltop)
[ -n "$pid" ] || qt_fail "no quelltop pid"
kill -TERM "$pid"
wait_for "quelltop exits on SIGTERM" 5 screen_has "^EXITED=0"
stty_sane
qt_log "ok   SIGTERM exits with the terminal restored"

keys "clear; $TOP; echo EXITED=\$?" Enter
wait_for "quelltop started again" 10 screen_has "daemon connected"
keys C-c
wait_for "quelltop exits on Ctrl-C" 5 screen_has "^EXITED=0"
stty_sane
qt_log "ok   Ctrl-C exits with the terminal restored"
exit 0
