#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The audit log read cheaply (issue 11 item 4) and kept private (issue 12
# item 3): a full default-size log (events.jsonl + 5 rotated files of 10 MB,
# written 0644 as an older version left them) sits in quelld's state dir;
# `quellctl events --limit 50` answers the newest 50 in under 100 ms and
# quelld's RSS grows by less than 5 MB (the first version read all 60 MB
# into memory inside the loop: 4.9 s, RSS 44 -> 530 MB). A query for a rare
# tenant scans everything and is still bounded. The files end up 0640 and a
# tenant cannot read them.
. "$(dirname "$0")/lib.sh"

U=ev$$
qt_user $U >/dev/null
qt_config <<CONF
[events]
max_size = 10M
keep = 5
CONF
fail() { echo "--- quelld.log (tail)"; tail -20 "$QT_DIR/quelld.log"; qt_fail "$@"; }
LOG=$QT_DIR/state/events.jsonl
mkdir -p "$QT_DIR/state"

# 6 files of 10 MB, oldest .5; lines like the enforcer's (~300 bytes); "rare"
# has one event, in the oldest file; the newest line is time $now - 1.
now=$(date +%s)
t_gen0=$(date +%s%N)
gen=$(umask 022; python3 - "$LOG" "$now" <<'PY'
import json, sys
path, now = sys.argv[1], int(sys.argv[2])
per, files = 10 * 1000 * 1000, 6
line = lambda t, who, i: json.dumps({"time": t, "tenant": who, "action": "apply", "rule": "cpu-hog",
    "step": i % 4, "evidence": {"cpu_pct": 187.5, "inflicted_ms_s": 412.0, "suffered_ms_s": 3.1,
    "host_psi_cpu_some": 41.2, "for_s": 30, "neighbours_suffering": 17}, "dry_run": False,
    "note": "x" * 60}, separators=(",", ":")) + "\n"
# build newest-last content for each file, oldest file first
t, i = now - 16600, 0
for k in range(files - 1, -1, -1):
    name = path if k == 0 else "%s.%d" % (path, k)
    out, size = [], 0
    if k == files - 1:
        l = line(t, "rare", i); out.append(l); size += len(l)
    while size < per - 400:
        l = line(t, "site%d" % (i % 300), i); out.append(l); size += len(l); i += 1
        t = min(t + 1 if i % 12 == 0 else t, now - 1)
    if k == 0:
        l = line(now - 1, "newest", i); out.append(l)
    open(name, "w").write("".join(out))
print(i, t)
PY
) || fail "generating the log"
t_last=${gen#* }	# time of the last regular line (12 lines per second)
t_gen1=$(date +%s%N)
qt_log "generated $(du -sb "$QT_DIR/state" | cut -f1) bytes of audit log in $(((t_gen1 - t_gen0) / 1000000)) ms: $(ls "$QT_DIR/state" | tr '\n' ' ')"

qt_quelld
rss() { awk '/^VmRSS/ {print $2}' /proc/$QT_QUELLD_PID/status; }
ms_of() { local a b; a=$(date +%s%N); "$@" > "$QT_DIR/out.json" || return 1; b=$(date +%s%N); echo $(((b - a) / 1000000)); }
rss0=$(rss)
worst=0; all=
for run in 1 2 3 4 5; do
	ms=$(ms_of qt_ctl --json events --limit 50) || fail "events --limit 50"
	[ "$ms" -gt "$worst" ] && worst=$ms
	all="$all $ms"
done
python3 - "$QT_DIR/out.json" "$now" <<'PY' || fail "events --limit 50: wrong reply"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert len(ev) == 50, len(ev)
assert ev[-1]["tenant"] == "newest" and ev[-1]["time"] == int(sys.argv[2]) - 1, ev[-1]
assert all(ev[i]["time"] <= ev[i + 1]["time"] for i in range(49))
PY
rss1=$(rss)
# the median of 5: the machine is shared (load 10 on 2 cores seen), one run may be unlucky
med=$(echo $all | tr ' ' '\n' | sort -n | sed -n 3p)
qt_log "events --limit 50: runs$all ms (median $med); quellctl ping: $(ms_of qt_ctl ping) ms; quelld RSS $rss0 -> $rss1 kB"
[ "$med" -lt 100 ] || fail "events --limit 50 took $med ms (median of 5; want < 100)"
[ $((rss1 - rss0)) -lt 5120 ] || fail "quelld's RSS grew by $((rss1 - rss0)) kB (want < 5 MB)"

# --since stops at the time asked for: the last ~9 s of lines, no limit reached
since=$((t_last - 8))
ms=$(ms_of qt_ctl --json events --since $since --limit 10000) || fail "events --since"
n=$(python3 -c "import json,sys; e=json.load(open('$QT_DIR/out.json'))['events']; assert all(x['time'] >= $since for x in e); print(len(e))") ||
	fail "events --since: an older event"
qt_log "events --since (last ~9 s of the log): $n events in $ms ms"
[ "$n" -ge 90 ] && [ "$n" -le 130 ] || fail "events --since: $n events, want ~109"
[ "$ms" -lt 100 ] || fail "events --since took $ms ms (want < 100)"

# the worst case: a tenant with one event in the oldest file (every line scanned)
ms=$(ms_of qt_ctl --json events --tenant rare --limit 50) || fail "events --tenant rare"
n=$(python3 -c "import json; print(len(json.load(open('$QT_DIR/out.json'))['events']))")
rss2=$(rss)
qt_log "events --tenant rare (scans all 60 MB): $n event in $ms ms; RSS $rss2 kB"
[ "$n" = 1 ] || fail "events --tenant rare: $n events, want 1"
[ "$ms" -lt 2000 ] || fail "events --tenant rare took $ms ms"
[ $((rss2 - rss0)) -lt 5120 ] || fail "quelld's RSS grew by $((rss2 - rss0)) kB on a full scan"

# private: 0640, a tenant cannot read them
for f in "$LOG" "$LOG".{1,2,3,4,5}; do
	m=$(stat -c %a "$f")
	[ "$m" = 640 ] || fail "$f has mode $m, want 640"
done
su -s /bin/sh $U -c "cat '$LOG'" >/dev/null 2>&1 && fail "tenant $U could read the audit log"
qt_log "audit log files 0640, unreadable by a tenant"
kill -0 $QT_QUELLD_PID || fail "quelld died"
echo "PASS t_events_log"
