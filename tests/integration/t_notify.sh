#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# [notify] command (issue 16 item 2; src/quelld/notify_cmd.c, docs/notify.md):
#   quellctl throttle / release   -> the command ran with the audit event on
#                                    stdin within 1 s of the event's time_ms
#   1,000 actions for one tenant  -> at most max_per_tenant commands per
#                                    window plus one summary per window, and
#                                    commands + summarised == actions (none lost)
#   a command that does not exist -> logged, quelld answers, later actions fine
#   a command anyone may rewrite  -> refused (it would run as root), logged
#   a command that hangs          -> its process group (and its child) killed
#                                    after timeout, quelld's ticks keep time
#   user = TENANT                 -> the command runs with that uid
#   docs/notify.md's chat script  -> posts {"text": "release A ..."} to a
#                                    local HTTP server, as the docs promise
#   SIGTERM with a throttle       -> its release is notified, exit 0
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"

A=qna$$; B=qnb$$; C=qnc$$; D=qnd$$
for u in $A $B $C $D; do qt_user $u >/dev/null; done
OUT=$QT_DIR/notified
EV=$QT_DIR/events.jsonl
: > "$OUT"
chmod 666 "$OUT"
# the command: its own time (ms) when it starts, then the event line it got
cat > "$QT_DIR/notify.sh" <<EOF
#!/bin/sh
t=\$(date +%s%3N)
body=\$(cat)
printf '%s %s %s\n' "\$t" "\$(id -u)" "\$body" >> $OUT
EOF
cat > "$QT_DIR/hang.sh" <<EOF
#!/bin/sh
echo \$\$ > $QT_DIR/hang.pid
sleep 300 &
echo \$! > $QT_DIR/hang.child
cat > /dev/null
wait
EOF
chmod 755 "$QT_DIR/notify.sh" "$QT_DIR/hang.sh"

conf() {
	qt_config <<EOF
[events]
log = $EV

[notify]
command = $1
timeout = 2s
window = 15s
max_per_tenant = 3
max_running = 4
${2:-}
EOF
}
conf "$QT_DIR/notify.sh"
qt_quelld
fail() { echo "--- quelld.log (tail)"; tail -30 "$QT_DIR/quelld.log"; echo "--- $OUT (tail)"; tail -5 "$OUT"; qt_fail "$@"; }
for u in $A $B $C $D; do
	qt_sleeper $u 600
done
qt_until 5 qt_ctl show $D >/dev/null 2>&1 || fail "tenants not discovered"

# lines of OUT for tenant $1 (action $2, or any)
got() { grep -c "\"tenant\":\"$1\"${2:+.*\"action\":\"$2\"}" "$OUT"; }
more() { [ "$(got $1 $2)" -gt "$3" ]; }	# for qt_until: evaluated at each try
# delivery delay of the last line for tenant $1: command's ms - event's time_ms
delay() {
	grep "\"tenant\":\"$1\"" "$OUT" | tail -1 | python3 -c '
import json, sys
t, uid, body = sys.stdin.read().split(" ", 2)
print(int(t) - json.loads(body)["time_ms"])'
}

# 1. delivered within 1 s, the audit event on stdin
worst=0; all=
for act in throttle release throttle; do
	n=$(got $A $act)
	qt_ctl $act $A >/dev/null || fail "quellctl $act $A"
	qt_until 3 more $A $act $n || fail "no command ran for $act $A within 3 s"
	ms=$(delay $A)
	all="$all $ms"
	[ "$ms" -gt "$worst" ] && worst=$ms
done
qt_log "delivery (command start - event time_ms):$all ms"
[ "$worst" -lt 1000 ] || fail "a notification took $worst ms (want < 1000)"
grep "\"tenant\":\"$A\"" "$OUT" | tail -1 | cut -d' ' -f3- | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
assert e["action"] == "throttle" and e["rule"] == "manual" and "limits" in e and "evidence" in e, e
assert sys.argv[1] in e["cgroup"], e' "$QT_ID" || fail "the event on stdin is not the audit event"
[ "$(grep -c "\"tenant\":\"$A\"" "$EV")" = "$(got $A)" ] || fail "audit events and commands for $A differ"
[ "$(grep "\"tenant\":\"$A\"" "$OUT" | head -1 | cut -d' ' -f2)" = 0 ] || fail "not run as root"

# 2. a flood: 1,000 actions for B
t0=$(date +%s%N)
# 4 clients side by side: one quellctl action takes ~75 ms here (load ~10 on 2 cores)
python3 - "$QT_BUILD/quellctl" "$QT_DIR/quell.sock" "$B" <<'PY' || fail "flood"
import subprocess, sys
from concurrent.futures import ThreadPoolExecutor
ctl, sock, t = sys.argv[1:]
def act(i):
    a = ("throttle", "release")[i % 2]
    subprocess.run([ctl, "-s", sock, a, t], stdout=subprocess.DEVNULL, check=True)
with ThreadPoolExecutor(4) as ex:
    list(ex.map(act, range(1000)))
PY
t1=$(date +%s%N)
acts=$(grep -c "\"tenant\":\"$B\"" "$EV")
flood_s=$(((t1 - t0) / 1000000000 + 1))
qt_log "flood: $acts actions for $B in $(((t1 - t0) / 1000000)) ms; waiting for the last window to close"
[ "$acts" -ge 1000 ] || fail "only $acts audit events for $B"
summed() {
	grep "\"tenant\":\"$B\".*\"action\":\"summary\"" "$OUT" | cut -d' ' -f3- |
		python3 -c 'import json, sys; print(sum(json.loads(l)["suppressed"] for l in sys.stdin))'
}
accounted() { [ $(($(got $B) - $(got $B summary) + $(summed))) -ge "$acts" ]; }
qt_until 35 accounted || fail "after 35 s: $(got $B) commands, $(summed) summarised, $acts actions"
runs=$(($(got $B) - $(got $B summary))); sums=$(got $B summary)
# windows of 15 s: the flood's span, plus the one a late action opened
wins=$((flood_s / 15 + 2))
qt_log "flood: $runs commands + $sums summaries (of $(summed) suppressed actions) for $acts actions in $flood_s s (bound: $((wins * 3)) + $wins)"
[ "$runs" -le $((wins * 3)) ] && [ "$sums" -le "$wins" ] && [ "$sums" -ge 1 ] ||
	fail "not bounded: $runs commands, $sums summaries for $acts actions"
[ $((runs + $(summed))) = "$acts" ] || fail "$runs run + $(summed) summarised != $acts actions"
grep "\"action\":\"summary\"" "$OUT" | head -1 | grep -q "more actions for $B suppressed in the last 1[5-9] s" ||
	fail "summary text"
grep -q "notify: [0-9]* more actions for $B suppressed" "$QT_DIR/quelld.log" || fail "summary not logged"
med() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "median %s ms, max %s ms (%d commands:", v[int((NR + 1) / 2)], v[NR], NR; for (i = 1; i <= NR; i++) printf " %s", v[i]; printf ")" }'; }
qt_log "in the loop per command (json + queue): $(sed -n 's/.*notify: .* queued (\([0-9.]*\) ms in the loop).*/\1/p' "$QT_DIR/quelld.log" | med)"
qt_log "in the spawner thread (check, pipe, vfork, write): $(sed -n 's/.*notify: .* started, pid [0-9]* (\([0-9.]*\) ms in the spawner thread).*/\1/p' "$QT_DIR/quelld.log" | med)"

# 3. a command that does not exist
conf /nonexistent/notify-cmd
kill -HUP $QT_QUELLD_PID
qt_until 5 grep -q "nonexistent/notify-cmd: No such file" "$QT_DIR/quelld.log" || fail "reload did not warn"
qt_ctl throttle $C >/dev/null || fail "throttle $C"
qt_until 3 grep -q "throttle $C: cannot start /nonexistent/notify-cmd: No such file" "$QT_DIR/quelld.log" ||
	fail "a missing command was not logged"
qt_ctl status >/dev/null || fail "quelld does not answer"
# a command anyone may rewrite is not run as root
cp "$QT_DIR/notify.sh" "$QT_DIR/open.sh"
chmod 777 "$QT_DIR/open.sh"
conf "$QT_DIR/open.sh"
kill -HUP $QT_QUELLD_PID
qt_until 5 grep -q "open.sh: writable by its group or others" "$QT_DIR/quelld.log" || fail "reload did not warn (777)"
n=$(got $C)
qt_ctl release $C >/dev/null || fail "release $C"
qt_until 3 grep -q "release $C: cannot start $QT_DIR/open.sh" "$QT_DIR/quelld.log" || fail "a 0777 command was not refused"
[ "$(got $C)" = "$n" ] || fail "a 0777 command ran"

# 4. a command that hangs: killed with its child after the timeout, ticks on time
conf "$QT_DIR/hang.sh"
kill -HUP $QT_QUELLD_PID
sleep 0.5
gap0=$(qt_ctl --json status | python3 -c 'import json, sys; print(json.load(sys.stdin)["ticks_late"])')
tick0=$(qt_ctl --json status | python3 -c 'import json, sys; print(json.load(sys.stdin)["tick"])')
h0=$(date +%s%N)
qt_ctl throttle $D >/dev/null || fail "throttle $D"
qt_until 2 test -s "$QT_DIR/hang.child" || fail "hang.sh did not start"
hp=$(cat "$QT_DIR/hang.pid"); hc=$(cat "$QT_DIR/hang.child")
# alive: exists and is not a zombie (the orphaned sleep waits for its new parent to reap it)
alive() { [ -r /proc/$1/stat ] && ! awk '{ sub(/.*\) /, ""); exit $1 == "Z" ? 0 : 1 }' /proc/$1/stat 2>/dev/null; }
alive "$hc" || fail "hang.sh's child is not running"
qt_until 5 eval '! alive $hp && ! alive $hc' || fail "hung command not killed in 5 s"
h1=$(date +%s%N)
qt_until 2 grep -q "throttle $D: $QT_DIR/hang.sh ran past the timeout" "$QT_DIR/quelld.log" || fail "timeout not logged"
sleep 1
st=$(qt_ctl --json status) || fail "quelld does not answer after the timeout"
tick1=$(echo "$st" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tick"])')
late=$(echo "$st" | python3 -c 'import json, sys; print(json.load(sys.stdin)["ticks_late"])')
qt_log "hung command and its child gone $(((h1 - h0) / 1000000)) ms after the action (timeout 2 s, tick 1 s); ticks $tick0 -> $tick1, late $gap0 -> $late"
[ $((h1 - h0)) -ge 2000000000 ] || fail "killed before the timeout"
[ $((tick1 - tick0)) -ge 3 ] && [ "$late" = "$gap0" ] || fail "ticks disturbed: $tick0 -> $tick1, late $gap0 -> $late"

# 5. user = a tenant: the command runs with its uid
conf "$QT_DIR/notify.sh" "user = $C"
kill -HUP $QT_QUELLD_PID
sleep 0.5
qt_ctl release $C >/dev/null || fail "release $C"
qt_until 3 more $C release 0 || fail "no command for release $C"
[ "$(grep "\"tenant\":\"$C\".*\"action\":\"release\"" "$OUT" | tail -1 | cut -d' ' -f2)" = "$(id -u $C)" ] ||
	fail "user = $C: not run as uid $(id -u $C)"

# 6. the chat-webhook example of docs/notify.md, as written there, against a local server
here=$(cd "$(dirname "$0")/../.." && pwd)
if command -v jq >/dev/null && command -v curl >/dev/null; then
	sed -n '/^# \/usr\/local\/lib\/quell\/notify-chat/,/^```/p' "$here/docs/notify.md" | sed '$d' |
		sed "1i #!/bin/sh" | sed "s|/etc/quell/webhook.url|$QT_DIR/webhook.url|" > "$QT_DIR/chat.sh"
	chmod 755 "$QT_DIR/chat.sh"
	grep -q curl "$QT_DIR/chat.sh" || fail "no chat script found in docs/notify.md"
	cat > "$QT_DIR/hook.py" <<'EOF'
import http.server, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(d + "/posted", "ab") as f:
            f.write(body + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(d + "/webhook.url.tmp", "w") as f:
    f.write("http://127.0.0.1:%d/hooks/x\n" % s.server_port)
import os
os.chmod(d + "/webhook.url.tmp", 0o644)
os.rename(d + "/webhook.url.tmp", d + "/webhook.url")
s.serve_forever()
EOF
	qt_bg python3 "$QT_DIR/hook.py" "$QT_DIR"
	qt_until 5 test -s "$QT_DIR/webhook.url" || fail "webhook server did not start"
	conf "$QT_DIR/chat.sh"
	kill -HUP $QT_QUELLD_PID
	sleep 0.5
	qt_ctl release $A >/dev/null || fail "release $A"
	qt_until 5 grep -q "release $A (rule manual" "$QT_DIR/posted" 2>/dev/null ||
		fail "the docs' chat script posted nothing: $(cat "$QT_DIR/posted" 2>/dev/null)"
	qt_log "chat webhook (docs/notify.md script): posted $(grep . "$QT_DIR/posted" | tail -1)"
else
	qt_log "jq or curl missing: the chat example not run"
fi

kill -0 $QT_QUELLD_PID || fail "quelld died"

# 7. stop: the release of a throttle at SIGTERM (release_on_exit) is still notified
conf "$QT_DIR/notify.sh"
kill -HUP $QT_QUELLD_PID
sleep 0.5
qt_ctl throttle $D >/dev/null || fail "throttle $D"
n=$(got $D release)
s0=$(date +%s%N)
kill -TERM $QT_QUELLD_PID
qt_until 5 eval '! kill -0 $QT_QUELLD_PID 2>/dev/null' || fail "quelld did not stop in 5 s"
s1=$(date +%s%N)
wait $QT_QUELLD_PID; rc=$?
[ $rc = 0 ] || fail "quelld exited $rc"
QT_QUELLD_PID=
more $D release $n || fail "the release at stop was not notified"
qt_log "stop: release of $D notified, quelld exited 0 in $(((s1 - s0) / 1000000)) ms"
qt_log "ok"
