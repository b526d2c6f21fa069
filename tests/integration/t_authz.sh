#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Who may do what (issue 12, items 1 and 2), as real non-root users on a
# real quelld, through quellctl, a raw socket client and /metrics:
#  - tenant alice sees its own show / events / list row, and cannot read,
#    throttle, release (even its own throttle), freeze, set or kill tenant
#    bob (exit 4, "permission denied"); bob is untouched afterwards;
#  - a readonly_group member reads everyone and acts on no one;
#  - an admin_group member (supplementary group) freezes, releases,
#    throttles and kills;
#  - a uid that is neither gets ping only;
#  - /metrics: no token or a wrong one -> 401, the token -> 200.
# Users run the client with setpriv --reuid --regid --init-groups, so their
# supplementary groups are the real ones from /etc/group.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || qt_skip "setpriv missing (util-linux)"
command -v curl >/dev/null || qt_skip "curl missing"

alice=qta$$a
bob=qta$$b
staff=qta$$s
watch=qta$$w
other=qta$$o
gadm=qtadm$$
gro=qtro$$
# groups are this test's own: removed on exit, before lib.sh's cleanup
t_cleanup() {
	local rc=$?
	groupdel "$gadm" 2>/dev/null
	groupdel "$gro" 2>/dev/null
	(exit $rc)
	qt_cleanup
}
trap t_cleanup EXIT
groupadd "$gadm" || qt_fail "groupadd $gadm"
groupadd "$gro" || qt_fail "groupadd $gro"

qt_user $alice >/dev/null
qt_user $bob >/dev/null
qt_user $staff >/dev/null
qt_user $watch >/dev/null
qt_user $other >/dev/null
usermod -aG "$gadm" $staff || qt_fail "usermod $staff"
usermod -aG "$gro" $watch || qt_fail "usermod $watch"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/metrics
head -c 24 /dev/urandom | base64 > "$QT_DIR/token"
chmod 600 "$QT_DIR/token"
token=$(cat "$QT_DIR/token")

# staff, watch and other are users in the tenant uid range but excluded:
# not tenants, so what they may do comes from their groups only
QT_TICK=500ms qt_config <<CONF

[daemon]
admin_group = $gadm
readonly_group = $gro

[tenants]
exclude = nobody, $staff, $watch, $other

[metrics]
listen = 127.0.0.1:$port
token_file = $QT_DIR/token
CONF
# (sections may repeat: the keys above add to qt_config's)
qt_quelld

# the client binary must be reachable by the test users
cp "$QT_BUILD/quellctl" "$QT_DIR/quellctl"
chmod 755 "$QT_DIR/quellctl"
as() {	# as USER quellctl-args...: run quellctl as USER with USER's real groups
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
		"$QT_DIR/quellctl" -s "$QT_DIR/quell.sock" "$@"
}
# expect RC USER ARGS...: quellctl's exit status; output kept in $QT_DIR/last.*
expect() {
	local want=$1 u=$2 rc
	shift 2
	as "$u" "$@" > "$QT_DIR/last.out" 2> "$QT_DIR/last.err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		cat "$QT_DIR/last.out" "$QT_DIR/last.err"
		qt_fail "$u: quellctl $* exited $rc, want $want"
	fi
	if [ "$want" = 4 ]; then
		grep -q "permission denied" "$QT_DIR/last.err" ||
			qt_fail "$u: quellctl $*: no \"permission denied\" in: $(cat "$QT_DIR/last.err")"
	fi
}
# a process that exists and is not a zombie (our own children stay zombies until waited)
alive() { ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'; }
state_of() { qt_ctl --json show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tenant"]["state"])'; }

stat -c %a "$QT_DIR/quell.sock" | grep -qx 666 || qt_fail "socket mode $(stat -c %a "$QT_DIR/quell.sock")"

# a process each, so show has processes and kill has something to kill
qt_bg setpriv --reuid=$bob --regid="$(id -g $bob)" --init-groups sleep 600
bobpid=$!
qt_bg setpriv --reuid=$alice --regid="$(id -g $alice)" --init-groups sleep 600
for i in $(seq 50); do
	[ "$(qt_show_get $bob "len(t['procs'])" 2>/dev/null)" -ge 1 ] 2>/dev/null &&
		[ "$(qt_show_get $alice "len(t['procs'])" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
	sleep 0.2
done

# root acts, so both tenants have audit events and bob is throttled
qt_ctl throttle $bob --for 10m >/dev/null || qt_fail "root: throttle $bob"
qt_ctl throttle $alice --for 10m >/dev/null || qt_fail "root: throttle $alice"
[ "$(state_of $bob)" = throttled ] || qt_fail "$bob not throttled by root"

# --- tenant alice: itself, and nothing else -------------------------------
expect 0 $alice ping
grep -q "tenant $alice" "$QT_DIR/last.out" || qt_fail "ping as alice: $(cat "$QT_DIR/last.out")"
expect 0 $alice show $alice
grep -q "$alice" "$QT_DIR/last.out" || qt_fail "alice's show does not name alice"
expect 0 $alice --json show $alice
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tenant"]; assert t["name"]==sys.argv[2] and "sleep" in [p["comm"] for p in t["procs"]], t' \
	"$QT_DIR/last.out" $alice || qt_fail "alice's own show"
expect 0 $alice --json events
python3 - "$QT_DIR/last.out" $alice <<'PY' || qt_fail "alice's events"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert ev, "no events"
assert all(e.get("tenant") == sys.argv[2] for e in ev), [e.get("tenant") for e in ev]
assert any(e.get("action") == "throttle" for e in ev), ev
PY
for cmd in "--json list" "--json tenants"; do
	expect 0 $alice $cmd
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["tenants"] if isinstance(d,dict) else d; n=[x["name"] for x in r]; assert n==[sys.argv[2]], n' \
		"$QT_DIR/last.out" $alice || qt_fail "alice: quellctl $cmd: $(cat "$QT_DIR/last.out")"
done
expect 0 $alice --json status
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "bpf" not in d and "tenants" not in d["host"], d' \
	"$QT_DIR/last.out" || qt_fail "alice's status is not the minimal view"
grep -q "$bob" "$QT_DIR/last.out" && qt_fail "alice's status names bob"

expect 4 $alice show $bob
expect 4 $alice limits $bob
expect 4 $alice events --tenant $bob
expect 4 $alice throttle $bob
expect 4 $alice release $bob
expect 4 $alice release $alice
expect 4 $alice freeze $bob
expect 4 $alice set $bob cpu=1%
expect 4 $alice kill $bob --yes
expect 4 $alice where $bobpid
expect 4 $alice place $bobpid
# a raw client, not quellctl: a filter naming bob, and a request without one
setpriv --reuid=$alice --regid="$(id -g $alice)" --init-groups /usr/bin/python3 - "$QT_DIR/quell.sock" $alice $bob <<'PY' || qt_fail "raw socket as alice"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
def call(req):
    f.write(json.dumps(req) + "\n"); f.flush(); return json.loads(f.readline())
r = call({"cmd": "snapshot", "tenant": sys.argv[3]})
assert not r["ok"] and r["code"] == "permission_denied", r
r = call({"cmd": "tenant", "name": sys.argv[3]})
assert not r["ok"] and r["code"] == "permission_denied", r
r = call({"cmd": "snapshot"})
assert r["ok"] and [t["name"] for t in r["tenants"]] == [sys.argv[2]], r
assert sys.argv[3] not in json.dumps(r), "bob in alice's snapshot"
r = call({"cmd": "ping"})
assert r["caller"]["class"] == "tenant" and r["caller"]["tenant"] == sys.argv[2], r
PY
# bob is as root left him
[ "$(state_of $bob)" = throttled ] || qt_fail "$bob's state changed: $(state_of $bob)"
alive $bobpid || qt_fail "$bob's process died"
[ "$(state_of $alice)" = throttled ] || qt_fail "alice released its own throttle"
qt_log "ok: tenant $alice sees itself only, 11 commands on $bob / itself refused with exit 4"

# /metrics: every local user reaches loopback; the token is what guards it
setpriv --reuid=$alice --regid="$(id -g $alice)" --init-groups \
	curl -s -w '\n%{http_code}\n' "$url" > "$QT_DIR/m.alice"
code=$(tail -1 "$QT_DIR/m.alice")
[ "$code" = 401 ] || qt_fail "alice without token: /metrics gave $code"
grep -q "tenant=\"$bob\"" "$QT_DIR/m.alice" && qt_fail "401 body carries bob's series"
grep -q "Authorization: Bearer" "$QT_DIR/m.alice" || qt_fail "401 body does not say what to send"
setpriv --reuid=$alice --regid="$(id -g $alice)" --init-groups cat "$QT_DIR/token" >/dev/null 2>&1 &&
	qt_fail "alice can read the token file"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong$token" "$url")
[ "$code" = 401 ] || qt_fail "wrong token: /metrics gave $code"
for i in $(seq 20); do
	code=$(curl -s -o "$QT_DIR/m.ok" -w '%{http_code}' -H "Authorization: Bearer $token" "$url")
	[ "$code" = 200 ] && break
	sleep 0.25
done
[ "$code" = 200 ] || qt_fail "with the token: /metrics gave $code"
grep -q "^quell_tenant_cpu_seconds_total{tenant=\"$bob\"}" "$QT_DIR/m.ok" ||
	qt_fail "no $bob series with the token"
qt_log "ok: /metrics 401 without or with a wrong token, 200 with it"

# --- readonly member: reads all, acts on none -----------------------------
expect 0 $watch show $bob
expect 0 $watch --json list
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=sorted(x["name"] for x in (d["tenants"] if isinstance(d,dict) else d)); assert n==sorted(sys.argv[2:]), n' \
	"$QT_DIR/last.out" $alice $bob || qt_fail "readonly list"
expect 0 $watch events --tenant $bob
expect 0 $watch limits $bob
expect 4 $watch throttle $bob
expect 4 $watch release $bob
expect 4 $watch freeze $bob
expect 4 $watch kill $bob --yes
expect 4 $watch set $bob cpu=1%
[ "$(state_of $bob)" = throttled ] || qt_fail "$bob's state changed by readonly"
qt_log "ok: readonly member $watch reads both tenants, 5 actions refused"

# --- nobody in particular: ping only ---------------------------------------
expect 0 $other ping
grep -q ", none" "$QT_DIR/last.out" || qt_fail "ping as $other: $(cat "$QT_DIR/last.out")"
expect 4 $other status
expect 4 $other list
expect 4 $other show $alice
expect 4 $other events
qt_log "ok: $other (no tenant, no group) gets ping only"

# --- admin member (supplementary group): acts ------------------------------
expect 0 $staff freeze $bob --for 1m
[ "$(state_of $bob)" = frozen ] || qt_fail "admin freeze: $bob is $(state_of $bob)"
expect 0 $staff release $bob
[ "$(state_of $bob)" = ok ] || qt_fail "admin release: $bob is $(state_of $bob)"
expect 0 $staff throttle $bob --for 1m
[ "$(state_of $bob)" = throttled ] || qt_fail "admin throttle: $bob is $(state_of $bob)"
expect 0 $staff kill $bob --yes
for i in $(seq 50); do alive $bobpid || break; sleep 0.1; done
alive $bobpid && qt_fail "admin kill: $bob's process lives"
qt_log "ok: admin member $staff froze, released, throttled and killed $bob"
exit 0
