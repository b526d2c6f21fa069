#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The socket path (issue 11, item 8). On main (9451f72) quelld deleted
# whatever sat at the socket path when nothing answered a connect, and set
# the socket's mode with chmod() after bind(), so it existed for a moment
# with the umask's mode (0755).
#   1. a regular file at the socket path: kept, quelld refuses with a clear
#      message; the same for a symlink (and its target);
#   2. a stale socket (nobody listening): replaced, quelld starts;
#   3. a live daemon on the path: a second quelld refuses, the first keeps
#      answering;
#   4. socket_mode 0600: the socket is never seen with more bits, from the
#      moment it exists (a watcher stats it in a loop while quelld starts;
#      strace delays quelld's chmod by 0.3 s, so a mode set only by chmod
#      after bind would be seen for that long).
. "$(dirname "$0")/lib.sh"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
S=$QT_DIR/quell.sock
qt_config </dev/null
# quelld expected to refuse: its exit code and log
refuses() {
	timeout 20 "$QT_BUILD/quelld" --foreground -c "$QT_DIR/quell.conf" > "$QT_DIR/refused.log" 2>&1
}

# --- 1. not a socket -----------------------------------------------------------------
echo precious > "$S"
if refuses; then bad "quelld started over a regular file"; else
	grep -q "exists and is not a socket (a regular file); not removing it" "$QT_DIR/refused.log" &&
		ok "regular file: refused ($(grep -o 'socket .*not removing it' "$QT_DIR/refused.log"))" ||
		bad "regular file: no clear message: $(cat "$QT_DIR/refused.log")"
fi
[ -f "$S" ] && [ "$(cat "$S")" = precious ] && ok "the regular file is kept" || bad "the regular file is gone or changed"
rm -f "$S"
echo target > "$QT_DIR/target"
ln -s "$QT_DIR/target" "$S"
if refuses; then bad "quelld started over a symlink"; else
	grep -q "exists and is not a socket (a symlink)" "$QT_DIR/refused.log" &&
		ok "symlink: refused" || bad "symlink: no clear message: $(cat "$QT_DIR/refused.log")"
fi
[ -L "$S" ] && [ "$(cat "$QT_DIR/target")" = target ] && ok "the symlink and its target are kept" ||
	bad "the symlink or its target is gone"
rm -f "$S"

# --- 2. stale socket ---------------------------------------------------------------------
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$S"
[ -S "$S" ] || qt_fail "could not make a stale socket"
qt_quelld
qt_ctl ping >/dev/null && ok "stale socket replaced, quelld answers" || bad "quelld does not answer"

# --- 3. live daemon ----------------------------------------------------------------------
if refuses; then bad "a second quelld started on a live socket"; else
	grep -q "Address already in use" "$QT_DIR/refused.log" && ok "second quelld refused: $(grep -o 'socket .*' "$QT_DIR/refused.log" | head -1)" ||
		bad "second quelld: $(cat "$QT_DIR/refused.log")"
fi
qt_ctl ping >/dev/null && ok "the first daemon still answers" || bad "the first daemon lost its socket"
kill -TERM $QT_QUELLD_PID; wait $QT_QUELLD_PID 2>/dev/null; QT_QUELLD_PID=
[ -e "$S" ] && bad "socket left after SIGTERM"

# --- 4. never looser than socket_mode ------------------------------------------------------
sed -i "/^\[daemon\]/a socket_mode = 0600" "$QT_DIR/quell.conf"
command -v strace >/dev/null || qt_skip "strace missing"
python3 - "$S" > "$QT_DIR/modes" <<'PY' &
import os, stat, sys, time
p, seen, end = sys.argv[1], set(), time.monotonic() + 30
while time.monotonic() < end:
    try:
        seen.add(stat.S_IMODE(os.lstat(p).st_mode))
        break
    except FileNotFoundError:
        pass
t = time.monotonic() + 1
while time.monotonic() < t:
    try:
        seen.add(stat.S_IMODE(os.lstat(p).st_mode))
    except FileNotFoundError:
        pass
print(" ".join("%04o" % m for m in sorted(seen)))
PY
wp=$!
QT_PIDS+=($wp)
sleep 0.2
strace -f -qq -o /dev/null -e trace=chmod,fchmodat -e inject=chmod,fchmodat:delay_enter=300000 \
	"$QT_BUILD/quelld" --foreground -c "$QT_DIR/quell.conf" > "$QT_DIR/quelld.log" 2>&1 &
st=$!
QT_PIDS+=($st)
wait $wp
# the cleanup stops quelld itself (strace, told to stop, would only detach)
QT_QUELLD_PID=$(pgrep -P $st quelld)
modes=$(cat "$QT_DIR/modes")
echo "  modes seen while quelld started (socket_mode 0600): $modes"
[ "$modes" = 0600 ] && ok "the socket never had more than 0600" || bad "socket modes seen: $modes, want only 0600"
for i in $(seq 50); do qt_ctl ping >/dev/null 2>&1 && break; sleep 0.2; done
qt_ctl ping >/dev/null && ok "quelld answers under strace" || bad "quelld under strace does not answer"

[ $fail = 0 ] && echo PASS
exit $fail
