#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Load on the daemon's control paths (issue 2: "on SIGHUP a bad file keeps
# the old config"; "malformed or oversized requests get an error reply; the
# daemon never dies of them"):
#   1. a SIGHUP storm, 10/s for 5 s, the config file flipping between a good
#      and a bad version, while clients query without pause -> no crash,
#      every query answered, bad versions refused with file:line, the good
#      one reloaded, the tick keeps going;
#   2. 100 quellctl status in parallel -> all answered;
#   3. 200 raw clients at once: random bytes, half lines, oversized lines,
#      silent connections, hang-ups mid-reply -> quelld still answers;
#   4. no fd leak: /proc/PID/fd counts before and after are equal.
. "$(dirname "$0")/lib.sh"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
T=qsg$$
qt_user $T >/dev/null
QT_TICK=250ms qt_config </dev/null
cp "$QT_DIR/quell.conf" "$QT_DIR/good.conf"
{ cat "$QT_DIR/good.conf"; printf '[limits]\ncpu = lots\n'; } > "$QT_DIR/bad.conf"
qt_quelld
P=$QT_QUELLD_PID
sleep 1
nfd() { ls /proc/$P/fd 2>/dev/null | wc -l; }
fd0=$(nfd)
tick() { qt_ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["tick"])'; }
t0=$(tick)
qt_log "quelld $P: $fd0 fds, tick $t0"

# --- 1. SIGHUP storm with clients querying ------------------------------------
(
	q=0 f=0
	end=$((SECONDS + 6))
	while [ $SECONDS -lt $end ]; do
		if timeout 5 "$QT_BUILD/quellctl" -s "$QT_DIR/quell.sock" --json list >/dev/null 2>&1
		then q=$((q + 1)); else f=$((f + 1)); fi
	done
	echo "$q $f" > "$QT_DIR/clients"
) &
QT_PIDS+=($!)
cl=$!
for i in $(seq 50); do
	if [ $((i % 2)) = 0 ]; then cp "$QT_DIR/bad.conf" "$QT_DIR/quell.conf.new"
	else cp "$QT_DIR/good.conf" "$QT_DIR/quell.conf.new"; fi
	mv "$QT_DIR/quell.conf.new" "$QT_DIR/quell.conf"
	kill -HUP $P 2>/dev/null || { bad "quelld gone during the HUP storm (after $i)"; break; }
	sleep 0.1
done
cp "$QT_DIR/good.conf" "$QT_DIR/quell.conf"
kill -HUP $P
wait $cl
read -r q f < "$QT_DIR/clients"
kill -0 $P 2>/dev/null && ok "alive after 51 SIGHUPs in ~5 s" || bad "quelld died in the HUP storm"
[ "$f" = 0 ] && [ "$q" -gt 20 ] && ok "$q queries during the storm, all answered" ||
	bad "queries during the storm: $q answered, $f failed"
sleep 0.5
reloaded=$(grep -c "configuration reloaded" "$QT_DIR/quelld.log")
refused=$(grep -c "reload: keeping the previous configuration" "$QT_DIR/quelld.log")
lined=$(grep -c "quell.conf:[0-9]*: cpu" "$QT_DIR/quelld.log")
echo "  reloads: $reloaded done, $refused refused ($lined with file:line)"
# signals coalesce (signalfd): not every HUP is a reload, but both kinds happen
[ "$reloaded" -ge 5 ] && [ "$refused" -ge 5 ] && [ "$lined" = "$refused" ] &&
	ok "good files reloaded, bad ones refused with file:line" || bad "reload accounting"
t1=$(tick)
[ "$t1" -gt "$t0" ] && ok "ticking: $t0 -> $t1" || bad "tick stuck at $t1"
qt_ctl --json status | grep -q '"ok": *true' || bad "status after the storm"

# --- 2. 100 quellctl status at once --------------------------------------------
pids=()
for i in $(seq 100); do
	( timeout 20 "$QT_BUILD/quellctl" -s "$QT_DIR/quell.sock" status >/dev/null 2>&1
	  echo $? > "$QT_DIR/rc.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"	# not a bare wait: quelld is a child of this shell too
nok=$(cat "$QT_DIR"/rc.* | grep -c '^0$')
[ "$nok" = 100 ] && ok "100 parallel quellctl status: all answered" ||
	bad "100 parallel status: $nok answered ($(sort "$QT_DIR"/rc.* | uniq -c | tr '\n' ' '))"

# --- 3. 200 raw clients with garbage --------------------------------------------
python3 - "$QT_DIR/quell.sock" <<'PY' || bad "raw clients"
import os, random, socket, sys, threading
path = sys.argv[1]
random.seed(11)
results = {"reply": 0, "none": 0, "err": 0}
lock = threading.Lock()
def one(i):
    kind = i % 8
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(path)
        if kind == 0:   # random bytes with a newline
            s.sendall(bytes(random.getrandbits(8) for _ in range(random.randint(1, 3000))) + b"\n")
        elif kind == 1: # half a request, then hang up
            s.sendall(b'{"cmd":"snap'); s.close(); return
        elif kind == 2: # oversized line
            s.sendall(b'{"cmd":"ping","x":"' + b"a" * 300000 + b'"}\n')
        elif kind == 3: # silent connection, closed later
            threading.Event().wait(1.0); s.close(); return
        elif kind == 4: # a request, hang up before reading the reply
            s.sendall(b'{"cmd":"snapshot"}\n'); s.close(); return
        elif kind == 5: # many requests in one write
            s.sendall(b'{"cmd":"ping"}\n' * 50)
        elif kind == 6: # NUL bytes and invalid UTF-8 inside JSON
            s.sendall(b'{"cmd":"tenant","name":"a\x00\xff\xfe"}\n')
        else:           # deep nesting
            s.sendall(b"[" * 5000 + b"]" * 5000 + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            c = s.recv(1 << 16)
            if not c:
                break
            data += c
        s.close()
        with lock:
            results["reply" if data else "none"] += 1
    except OSError as e:
        with lock:
            results["err"] += 1
threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
for t in threads: t.start()
for t in threads: t.join()
print("  raw clients:", results)
# the clients that wait for an answer: 0,2,5,6,7 -> 125 of them
sys.exit(0 if results["reply"] >= 120 else 1)
PY
kill -0 $P 2>/dev/null && qt_ctl ping >/dev/null && ok "answers after 200 garbage clients" ||
	bad "quelld dead or mute after garbage clients"

# --- 4. no fd leak ------------------------------------------------------------------
sleep 1.5
fd1=$(nfd)
[ "$fd1" = "$fd0" ] && ok "fds: $fd0 before, $fd1 after" ||
	{ ls -l /proc/$P/fd; bad "fd leak: $fd0 before, $fd1 after"; }
grep -E "AddressSanitizer|runtime error" "$QT_DIR/quelld.log" && bad "sanitizer report in the log"

[ $fail = 0 ] || { tail -20 "$QT_DIR/quelld.log"; qt_fail "signals and clients"; }
echo PASS
