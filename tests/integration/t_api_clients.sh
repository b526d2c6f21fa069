#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# One client must not stall the loop (issue 11, item 3). On main (9451f72)
# 500 idle connections made `quellctl status` take 7.6 s and four clients
# that never read stalled the loop, ticks included, for 7.3 s.
#   1. 200 hostile clients for 35 s (api_hostile.py: idle ones, ones that
#      pipeline requests and never read, slow senders), all reconnecting when
#      dropped: `quellctl status` answers in under 100 ms (every one of 30;
#      their times are printed), no tick is late by more than one period
#      (tick count against the wall clock, and no "tick overran: N" with
#      N >= 3 in the debug log), non-readers are dropped, slow senders served;
#   2. an idle connection is dropped after client_timeout (5 s here);
#   3. client_max_per_uid (8 here): a user's 12th connection closes its
#      oldest ones, the newest is served;
#   4. quelld alive, no fd leaked.
. "$(dirname "$0")/lib.sh"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
here=$(cd "$(dirname "$0")" && pwd)
U=qac$$
qt_user $U >/dev/null
uid=$(id -u $U)
qt_config <<'CONF'
CONF
# the new keys go in [daemon]; socket_mode 0666 so the test user can connect
sed -i "/^\[daemon\]/a client_timeout = 5s\nclient_max_per_uid = 8\nsocket_mode = 0666" "$QT_DIR/quell.conf"
qt_quelld
P=$QT_QUELLD_PID
sleep 1
nfd() { ls -l /proc/$P/fd 2>/dev/null | grep -c 'socket:'; }
fd0=$(nfd)
tick() { qt_ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["tick"])'; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- 1. 200 hostile clients --------------------------------------------------------
w0=$(ms); t0=$(tick)
qt_bg python3 "$here/api_hostile.py" "$QT_DIR/quell.sock" 200 35 > "$QT_DIR/hostile.out"
hp=${QT_PIDS[-1]}
sleep 2
maxfd=0 times=() rtimes=() slow=0 rslow=0
for i in $(seq 30); do
	a=$(ms)
	timeout 20 "$QT_BUILD/quellctl" -s "$QT_DIR/quell.sock" status >/dev/null 2>&1 || bad "status $i failed"
	d=$(( $(ms) - a ))
	times+=($d)
	[ $d -ge 100 ] && slow=$((slow + 1))
	# the same request without quellctl's exec (20-60 ms alone on this shared VM at load 10)
	d=$(python3 "$here/api_hostile.py" "$QT_DIR/quell.sock" --time-status) || bad "raw status $i"
	rtimes+=($d)
	[ "${d%.*}" -ge 100 ] && rslow=$((rslow + 1))
	f=$(nfd); [ $f -gt $maxfd ] && maxfd=$f
	sleep 0.2
done
w1=$(ms); t1=$(tick)
kill -0 $hp 2>/dev/null || bad "the hostile clients were gone before the last status (measured without them)"
echo "  quellctl status (ms): ${times[*]}"
echo "  connect + status request + reply (ms): ${rtimes[*]}"
echo "  quelld sockets: $fd0 idle, up to $maxfd with the hostile clients"
[ $((maxfd - fd0)) -ge 190 ] && ok "$((maxfd - fd0)) client connections open at once" ||
	bad "only $((maxfd - fd0)) client connections at once, want ~200"
[ $rslow = 0 ] && ok "30 status requests answered in under 100 ms with 200 hostile clients" ||
	bad "$rslow of 30 status requests took 100 ms or more"
# quellctl adds its exec: the median must stay under 100 ms, every one under 500 ms
med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 15p)
max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
[ "$med" -lt 100 ] && [ "$max" -lt 500 ] &&
	ok "quellctl status: median $med ms, max $max ms ($slow of 30 at 100 ms or more)" ||
	bad "quellctl status: median $med ms, max $max ms"
# timerfd: a stalled loop runs one tick for all the expirations it missed
want=$(( (w1 - w0) / 1000 ))
late=$(grep -o 'tick overran: [0-9]*' "$QT_DIR/quelld.log" | awk '$3 >= 3' | wc -l)
over=$(grep -c 'tick overran' "$QT_DIR/quelld.log")
echo "  ticks: $((t1 - t0)) in $((w1 - w0)) ms; 'tick overran' lines: $over, with >= 3 expirations: $late"
[ $((t1 - t0)) -ge $((want - 1)) ] && [ $late = 0 ] && ok "no tick late by more than one period" ||
	bad "ticks late: $((t1 - t0)) ticks in $((w1 - w0)) ms, $late overruns of >= 3 periods"
wait $hp
cat "$QT_DIR/hostile.out"
python3 - "$QT_DIR/hostile.out" <<'PY' || bad "hostile clients' fate"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["nonreader"]["drop"] > 0, "non-readers never dropped"
assert s["idle"]["drop"] > 0, "idle clients never dropped"
assert s["slow"]["replies"] > 0, "slow senders never served"
assert s["slow"]["drop"] == 0, "slow senders (a request every 3.4 s) dropped"
PY
[ $fail = 0 ] && ok "non-readers and idle clients dropped, slow senders served"

# --- 2. idle timeout -----------------------------------------------------------------
python3 - "$QT_DIR/quell.sock" <<'PY' && ok "idle connection dropped after client_timeout" || bad "idle timeout"
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.settimeout(30); t = time.monotonic()
assert s.recv(1) == b"", "data from quelld on an idle connection"
d = time.monotonic() - t
print(f"  idle connection closed after {d:.1f} s (client_timeout 5 s, 1 s sweep)")
assert 4.5 <= d <= 8, d
PY

# --- 3. per-uid cap --------------------------------------------------------------
setpriv --reuid=$uid --regid=$(id -g $U) --clear-groups /usr/bin/python3 - "$QT_DIR/quell.sock" <<'PY' &&
import socket, sys, time
ss = []
for i in range(12):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); ss.append(s)
    s.sendall(b'{"cmd":"ping"}\n')
    s.settimeout(5); assert s.recv(65536).endswith(b"\n")	# served: active now
    time.sleep(0.05)
time.sleep(0.3)
alive = []
for s in ss:
    s.setblocking(False)
    try:
        alive.append(s.recv(1) != b"")
    except BlockingIOError:
        alive.append(True)
print("  open after 12 connections of one uid:", "".join("1" if a else "0" for a in alive))
assert alive == [False] * 4 + [True] * 8, alive
ss[-1].setblocking(True); ss[-1].sendall(b'{"cmd":"ping"}\n')
assert b'"ok":true' in ss[-1].recv(65536)
PY
	ok "client_max_per_uid 8: the 4 oldest closed, the newest served" || bad "per-uid cap"

# --- 4. alive, no leak -----------------------------------------------------------------
sleep 1
kill -0 $P 2>/dev/null && qt_ctl status >/dev/null && ok "quelld alive and answering" || bad "quelld gone"
fd1=$(nfd)
[ "$fd1" = "$fd0" ] && ok "sockets: $fd0 before, $fd1 after" || bad "sockets: $fd0 before, $fd1 after"
[ $fail = 0 ] && echo PASS
exit $fail
