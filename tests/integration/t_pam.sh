#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# pam_quell.so for real: a PAM service file in /etc/pam.d/quelltest-* (removed
# on exit) loads the built module with managed=$QT_ID. A python/ctypes PAM
# client opens a session and prints /proc/self/cgroup, so we see where the
# session process itself went. Checks: a tenant user is placed in every
# hierarchy; root, a user below min_uid and a user in an exempt group are
# not; a broken cgroup_root or bad arguments still give PAM_SUCCESS.
# pamtester (Debian package) is used as a second client when installed.
. "$(dirname "$0")/lib.sh"

so=$QT_BUILD/pam_quell.so
[ -f "$so" ] || qt_fail "$so not built"
command -v python3 >/dev/null || qt_skip "python3 missing"

svc=$QT_ID
pamfile=/etc/pam.d/$svc
trap 'rm -f "$pamfile"; qt_cleanup' EXIT

# service file with the given module arguments
pam_service() {
	cat > "$pamfile" <<PAM
auth     required pam_permit.so
account  required pam_permit.so
session  required $so $*
PAM
}

cat > "$QT_DIR/pamclient.py" <<'PY'
import ctypes, sys
pam = ctypes.CDLL("libpam.so.0")
class Conv(ctypes.Structure):
    _fields_ = [("conv", ctypes.c_void_p), ("appdata_ptr", ctypes.c_void_p)]
conv = Conv(None, None)
h = ctypes.c_void_p()
rc = pam.pam_start(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(conv), ctypes.byref(h))
if rc != 0:
    print("pam_start", rc); sys.exit(2)
rc = pam.pam_open_session(h, 0)
print("open_session", rc)
sys.stdout.write(open("/proc/self/cgroup").read())
print("close_session", pam.pam_close_session(h, 0))
pam.pam_end(h, 0)
PY

session() { python3 "$QT_DIR/pamclient.py" "$svc" "$1"; }

u1=qtp$$a
uid1=$(qt_user $u1)
# hybrid/v1: the cpu hierarchy line; v2: the 0:: line
want="/$QT_ID/$u1"

# 1. a tenant is placed
pam_service "managed=$QT_ID debug"
out=$(session $u1)
echo "$out"
echo "$out" | grep -q '^open_session 0$' || qt_fail "open_session did not return PAM_SUCCESS"
echo "$out" | grep -Eq "^[0-9]+:(cpu|cpu,cpuacct|cpuacct,cpu)?:$want\$|^0::$want\$" ||
	qt_fail "session of $u1 (uid $uid1) not in $want"
placed=$(echo "$out" | grep -c ":$want\$")
qt_log "ok: $u1 placed in $want in $placed hierarchies"
if [ -d $CG/unified ]; then
	echo "$out" | grep -q "^0::$want\$" || qt_fail "not placed in the unified hierarchy"
fi
for c in cpu memory pids; do
	[ -d $CG/$c ] || continue
	echo "$out" | grep -Eq "^[0-9]+:([a-z_,]*,)?$c(,[a-z_,]*)?:$want\$" || qt_fail "not placed in $c"
done

# 2. root is never moved
out=$(session root)
echo "$out" | grep -q "$QT_ID" && qt_fail "root was moved"
qt_log "ok: root not moved"

# 3. uid below min_uid
pam_service "managed=$QT_ID min_uid=$((uid1 + 1))"
out=$(session $u1)
echo "$out" | grep -q '^open_session 0$' || qt_fail "min_uid: not PAM_SUCCESS"
echo "$out" | grep -q "$QT_ID" && qt_fail "user below min_uid was moved"
qt_log "ok: uid below min_uid not moved"

# 4. exempt group (qt_user's users get the 'users' group as primary)
pam_service "managed=$QT_ID exempt_groups=nosuchgroup,$(id -gn $u1)"
out=$(session $u1)
echo "$out" | grep -q "$QT_ID" && qt_fail "user in an exempt group was moved"
qt_log "ok: exempt group $(id -gn $u1) not moved"

# 5. errors never fail the login
pam_service "managed=$QT_ID cgroup_root=/nonexistent-$QT_ID"
out=$(session $u1)
echo "$out" | grep -q '^open_session 0$' || qt_fail "bad cgroup_root failed the session"
pam_service "managed=/bad frobnicate"
out=$(session $u1)
echo "$out" | grep -q '^open_session 0$' || qt_fail "bad arguments failed the session"
qt_log "ok: bad cgroup_root and bad arguments still PAM_SUCCESS"

# 6. pamtester as an independent client
if command -v pamtester >/dev/null; then
	pam_service "managed=$QT_ID"
	pamtester -v "$svc" $u1 open_session close_session || qt_fail "pamtester open_session failed"
	qt_log "ok: pamtester open_session/close_session"
else
	qt_log "pamtester not installed: skipped that client"
fi
exit 0
