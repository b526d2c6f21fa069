#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The web view at 1,000 tenants (issue 16 targets): cgroups mode, N tenant
# directories under a unique parent in the v2 tree (QT_WEB_TENANTS, default
# 1000), web view on.
#  - GET /api/table (what the admin table fetches every refresh) answers
#    in < 50 ms: median of 20 requests, each timed by curl (and
#    /api/snapshot, every counter of every tenant, is timed for comparison);
#  - headless Chromium renders all N rows; the time from navigation start to
#    rows present, one table render, a re-sort and the longest main-thread
#    stall while the table refreshes every second are printed, and the
#    page must not freeze: the first render (1,000 rows created) < 500 ms,
#    a re-sort < 300 ms, the longest stall over 3.5 s of refreshes < 500 ms
#    (at load average 12-23 on the shared 2-CPU VM the first render took
#    54-213 ms, a sort 46-80 ms, the stall 94 ms).
. "$(dirname "$0")/lib.sh"

command -v chromium >/dev/null || qt_skip "chromium missing (make deps)"
command -v curl >/dev/null || qt_skip "curl missing"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
N=${QT_WEB_TENANTS:-1000}
shots=${QT_KEEP_LOGS:-/tmp}/t_web_big-$QT_ID
mkdir -p "$shots"
qt_v2_tenants web $N

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
head -c 24 /dev/urandom | base64 | tr -d '+/=' > "$QT_DIR/webtoken"
chmod 600 "$QT_DIR/webtoken"
token=$(cat "$QT_DIR/webtoken")
qt_config_cgroups "$P" <<CONF
[metrics]
listen = 127.0.0.1:$port

[web]
enabled = yes
token_file = $QT_DIR/webtoken
CONF
qt_quelld
qt_wait_tenants $N

# "table" 1.05 s apart (a new tick each time: built, not served from the tick's
# cache), then back to back (mostly the cache); "snapshot" for comparison
timeit() {	# timeit NAME CMD GAP_S
	local name=$1 cmd=$2 gap=$3 n med max
	curl -s -H "Authorization: Bearer $token" $base/api/$cmd > "$QT_DIR/$cmd.json"
	n=$(python3 -c "import json; print(len(json.load(open('$QT_DIR/$cmd.json'))['tenants']))")
	[ "$n" = $N ] && ok "/api/$cmd: $N tenants ($(wc -c < "$QT_DIR/$cmd.json") bytes)" ||
		bad "/api/$cmd: ${n:-no} tenants of $N"
	for i in $(seq 20); do
		curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" $base/api/$cmd
		sleep $gap
	done | sort -n > "$QT_DIR/times"
	med=$(awk '{ t[NR] = $1 * 1000 } END { printf "%.1f", (t[10] + t[11]) / 2 }' "$QT_DIR/times")
	max=$(awk 'END { printf "%.1f", $1 * 1000 }' "$QT_DIR/times")
	echo "  /api/$cmd at $N tenants, 20 requests $gap s apart: median $med ms, max $max ms (curl time_total)"
	eval med_$name=$med
}
timeit table table 1.05
timeit table_cached table 0
timeit snapshot snapshot 0.2
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "web: (table|snapshot):" "$QT_DIR/quelld.log" | awk '{ c[$6]++; h[$6] += $8; d[$6] += $11 }
	END { for (k in c) printf "  loop, %s %d builds: handler %.1f ms, serialise %.1f ms on average\n", k, c[k], h[k] / c[k], d[k] / c[k] }'
# the admin table's endpoint is the one with the target; snapshot (every counter) is reported
awk -v m="$med_table" 'BEGIN { exit !(m < 50) }' && ok "/api/table median $med_table ms < 50 ms (built each time)" ||
	bad "/api/table median $med_table ms >= 50 ms"

python3 "$(dirname "$0")/web_browser.py" "$shots" big "$base/web/#token=$token&refresh=1" $N || fail=1
kill -0 $QT_QUELLD_PID && ok "quelld alive" || bad "quelld died"
echo "screenshots: $shots"
[ $fail = 0 ] && echo PASS
exit $fail
