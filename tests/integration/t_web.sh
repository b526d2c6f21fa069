#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The web view (issue 16, item 1; docs/web.md) in a real browser: headless
# Chromium (tests/integration/web_browser.py, DevTools over a pipe) against
# a running quelld with two tenant users, one of them busy:
#  - admin view (#token=): the tenant table lists both, sorts by a click on
#    each column (name both ways, CPU puts the busy one first), refreshes
#    itself; host pressure and recent actions shown;
#  - tenant page: librrd graphs (1 h, 30 d) and the events with evidence;
#  - customer view (a link from `quellctl web-link` run by the tenant
#    itself): its own usage and its story in words, nothing of the other
#    tenant; the same link asking for the other tenant is refused (403)
#    by the server; a link edited to name the other tenant is refused (401);
#  - the JSON endpoints over curl: same authz as the socket, no acting
#    command, no data without credentials;
#  - a reload that moves the listener: the JSON endpoints still answer.
# Screenshots are kept in $QT_KEEP_LOGS (or /tmp) under t_web-<id>/: the
# paths are printed.
. "$(dirname "$0")/lib.sh"

command -v chromium >/dev/null || qt_skip "chromium missing (make deps)"
command -v setpriv >/dev/null || qt_skip "setpriv missing (util-linux)"
command -v curl >/dev/null || qt_skip "curl missing"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
shots=${QT_KEEP_LOGS:-/tmp}/t_web-$QT_ID
mkdir -p "$shots"

a=qtw$$a
b=qtw$$b
qt_user $a >/dev/null
qt_user $b >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# with a '+' and a '/' for sure: the page must not read '+' as a blank
echo "$(head -c 24 /dev/urandom | base64)+A/b" > "$QT_DIR/webtoken"
chmod 600 "$QT_DIR/webtoken"
token=$(cat "$QT_DIR/webtoken")

QT_TICK=500ms qt_config <<CONF

[history]
enabled = yes
step = 1s

[metrics]
listen = 127.0.0.1:$port

[web]
enabled = yes
token_file = $QT_DIR/webtoken
CONF
qt_quelld
grep -q "web: serving" "$QT_DIR/quelld.log" || { cat "$QT_DIR/quelld.log"; qt_fail "no web view"; }
[ "$(stat -c %a "$QT_DIR/state/web.secret")" = 600 ] && ok "link secret made, mode 0600" ||
	bad "web.secret: $(stat -c %a "$QT_DIR/state/web.secret" 2>&1)"

# a busy tenant and an idle one
qt_bg setpriv --reuid=$a --regid="$(id -g $a)" --clear-groups sh -c 'while :; do :; done'
qt_bg setpriv --reuid=$b --regid="$(id -g $b)" --clear-groups sleep 600
for i in $(seq 100); do
	n=$(qt_ctl --json list 2>/dev/null | python3 -c "import json,sys; print(sum(t['name'] in ('$a','$b') for t in json.load(sys.stdin)['tenants']))" 2>/dev/null)
	[ "$n" = 2 ] && break
	sleep 0.2
done
[ "$n" = 2 ] || qt_fail "tenants $a and $b not seen"
qt_ctl throttle $a --for 1m >/dev/null || bad "throttle $a"
sleep 4	# rates, a few history steps

cp "$QT_BUILD/quellctl" "$QT_DIR/quellctl"
chmod 755 "$QT_DIR/quellctl"
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups \
		"$QT_DIR/quellctl" -s "$QT_DIR/quell.sock" "$@"
}

# --- links: a tenant gets its own, and only its own ---
link=$(as $a --json web-link | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
case "$link" in
$base/web/\#c=v1.$a.*) ok "$a's own link from quellctl web-link: ${link:0:60}...";;
*) bad "web-link as $a: '$link'";;
esac
cred=${link#*#c=}
out=$(as $a web-link $b 2>&1); rc=$?
[ $rc != 0 ] && grep -q "permission denied" <<<"$out" && ok "$a cannot get $b's link ($out)" ||
	bad "web-link $b as $a: rc $rc: $out"
# the same MAC with the other name: the signature does not match
forged=v1.$b.${cred#v1.$a.}

# --- JSON endpoints: the socket's rules ---
code() { rm -f "$QT_DIR/curl.out"; curl -s -o "$QT_DIR/curl.out" -w '%{http_code}' "$@"; }
[ "$(code $base/api/snapshot)" = 401 ] && ok "no credential: 401" || bad "no credential: $(cat $QT_DIR/curl.out)"
[ "$(code -H "Authorization: Bearer nottherighttoken123" $base/api/snapshot)" = 401 ] &&
	ok "a wrong token: 401" || bad "wrong token: $(cat $QT_DIR/curl.out)"
[ "$(code -H "Authorization: Bearer $token" $base/api/snapshot)" = 200 ] &&
	python3 -c "import json,sys; n={t['name'] for t in json.load(open('$QT_DIR/curl.out'))['tenants']}; sys.exit(not {'$a','$b'} <= n)" &&
	ok "admin token: snapshot of every tenant" || bad "admin snapshot: $(head -c 300 $QT_DIR/curl.out)"
[ "$(code -H "Authorization: Bearer $token" "$base/api/throttle?name=$b")" = 404 ] &&
	ok "admin token cannot act: /api/throttle is not served" || bad "throttle via web: $(cat $QT_DIR/curl.out)"
[ "$(code -H "Authorization: Bearer $cred" $base/api/snapshot)" = 200 ] &&
	python3 -c "import json,sys; n=[t['name'] for t in json.load(open('$QT_DIR/curl.out'))['tenants']]; sys.exit(n != ['$a'])" &&
	ok "$a's link: snapshot holds $a only" || bad "$a snapshot: $(head -c 300 $QT_DIR/curl.out)"
for u in "tenant?name=$b" "snapshot?tenant=$b" "events?tenant=$b" "limits?name=$b" \
	 "graph?tenant=$b&range=1h"; do
	c=$(code -H "Authorization: Bearer $cred" "$base/api/$u")
	[ "$c" = 403 ] && ok "$a's link, /api/$u: 403" || bad "$a's link, /api/$u: $c $(head -c 200 $QT_DIR/curl.out)"
done
[ "$(code -H "Authorization: Bearer $forged" $base/api/snapshot)" = 401 ] &&
	ok "a link edited to name $b: 401" || bad "forged link: $(cat $QT_DIR/curl.out)"
[ "$(code -H "Authorization: Bearer $cred" "$base/api/graph?range=1h&metric=cpu")" = 200 ] &&
	[ "$(head -c 4 $QT_DIR/curl.out | tail -c 3)" = PNG ] && ok "$a's own graph: a PNG" ||
	bad "own graph: $(head -c 200 $QT_DIR/curl.out)"
[ "$(code $base/metrics)" = 401 ] && ok "/metrics still wants its own token (none set: 401)" ||
	bad "/metrics without [metrics] token_file answered $(head -c 100 $QT_DIR/curl.out)"
for i in 1 2 3 4 5; do
	curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" $base/api/snapshot
done | sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "  /api/snapshot at 2 tenants: median %.1f ms\n", t[3] }'

# --- the browser ---
B="python3 $(dirname "$0")/web_browser.py $shots"
# raw in one (as README's echo pastes it: base64 may hold '+'), URL-encoded in the other
$B admin "$base/web/#token=$token&refresh=1" $a $b || fail=1
$B tenant "$base/web/#token=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$token")&view=tenant&name=$a" $a || fail=1
$B customer "$link" $a $b || fail=1
$B denied "$link&name=$b" $a $b || fail=1
$B forged "$base/web/#c=$forged" || fail=1
# a reload that moves the listener restarts the web view (a new eventfd, often
# with the old one's number): the loop must watch it again
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/^listen = 127.0.0.1:$port$/listen = 127.0.0.1:$port2/" "$QT_DIR/quell.conf"
kill -HUP $QT_QUELLD_PID
for i in $(seq 50); do
	[ "$(code -m 2 -H "Authorization: Bearer $token" http://127.0.0.1:$port2/api/ping)" = 200 ] && break
	sleep 0.2
done
[ "$(code -m 2 -H "Authorization: Bearer $token" http://127.0.0.1:$port2/api/ping)" = 200 ] &&
	ok "after a reload to port $port2: /api/ping answered by the loop" ||
	bad "after reload: $(cat $QT_DIR/curl.out); $(grep -i web "$QT_DIR/quelld.log" | tail -3)"
kill -0 $QT_QUELLD_PID && ok "quelld alive" || bad "quelld died"
echo "screenshots: $shots"
[ $fail = 0 ] && echo PASS
exit $fail
