#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# pam_quell.so for real: a PAM service file in /etc/pam.d/quelltest-* (removed
# on exit) loads the built module with config=$QT_DIR/quell.conf (managed=$QT_ID,
# the test's uid block). A python/ctypes PAM client opens a session and prints
# its /proc/self/cgroup before and after, and how long pam_open_session took;
# run as root it is sshd's monitor or root's `su - user`, with --as-user it
# is a process whose real uid is already the user's. pamtester is the second
# client. quelld is not running (down) until the last step: nothing may wait for it.
# Checks:
#  - a root caller is never moved (its cgroup unchanged), for any user;
#  - the user's own process is placed in every hierarchy;
#  - a frozen tenant: the session is not moved in (it would stop there) and
#    open_session returns within the bound;
#  - a user outside quell.conf's uid range, or in its exclude list, or in an
#    exempt group: not moved, and no cgroup created for it;
#  - bad cgroup_root, bad arguments, broken quell.conf: still PAM_SUCCESS;
#  - a cgroupfs whose files block: open_session returns after timeout=;
#  - every open_session (python or pamtester) under BOUND_MS;
#  - with quelld up, root's session process stays, its setuid child is
#    placed by quelld's set*uid event.
. "$(dirname "$0")/lib.sh"

so=$QT_BUILD/pam_quell.so
[ -f "$so" ] || qt_fail "$so not built"
command -v python3 >/dev/null || qt_skip "python3 missing"
command -v pamtester >/dev/null || qt_skip "pamtester missing (make deps)"

# pam_quell's timeout= default is 500 ms; a login may take that plus the
# module's own work (quell.conf parse, passwd lookups), never more than this
BOUND_MS=${BOUND_MS:-1000}

svc=$QT_ID
pamfile=/etc/pam.d/$svc
# thaw what we froze, drop the service file, then lib.sh's cleanup with our exit code
pam_cleanup() {
	local rc=$? d
	for d in $(qt_cgroups); do
		[ -f $d/cgroup.freeze ] && echo 0 > $d/cgroup.freeze
		[ -f $d/freezer.state ] && echo THAWED > $d/freezer.state
	done 2>/dev/null
	rm -f "$pamfile"
	(exit $rc)
	qt_cleanup
}
trap pam_cleanup EXIT

qt_config <<CONF
CONF

# service file with the given module arguments
pam_service() {
	cat > "$pamfile" <<PAM
auth     required pam_permit.so
account  required pam_permit.so
session  required $so $*
PAM
}

cat > "$QT_DIR/pamclient.py" <<'PY'
import ctypes, os, pwd, sys, time
svc, user = sys.argv[1], sys.argv[2]
if len(sys.argv) > 3 and sys.argv[3] == "--as-user":
    # real uid the user's, effective root: what a login looks like after
    # the setuid, and still allowed to write cgroup.procs
    os.setreuid(pwd.getpwnam(user).pw_uid, 0)
pam = ctypes.CDLL("libpam.so.0")
class Conv(ctypes.Structure):
    _fields_ = [("conv", ctypes.c_void_p), ("appdata_ptr", ctypes.c_void_p)]
conv = Conv(None, None)
h = ctypes.c_void_p()
rc = pam.pam_start(svc.encode(), user.encode(), ctypes.byref(conv), ctypes.byref(h))
if rc != 0:
    print("pam_start", rc); sys.exit(2)
before = open("/proc/self/cgroup").read()
t0 = time.monotonic()
rc = pam.pam_open_session(h, 0)
ms = (time.monotonic() - t0) * 1000
print("open_session", rc)
print("open_ms %.1f" % ms)
after = open("/proc/self/cgroup").read()
print("moved", "no" if before == after else "yes")
sys.stdout.write(after)
if len(sys.argv) > 4 and sys.argv[3] == "--fork-setuid":
    # what sshd and su do next: fork, setuid to the user, run the shell;
    # the child reports when it finds itself in sys.argv[4]
    pid = os.fork()
    if pid == 0:
        u = pwd.getpwnam(user).pw_uid
        os.setresuid(u, u, u)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            if sys.argv[4] in open("/proc/self/cgroup").read():
                print("child_placed_ms %.1f" % ((time.monotonic() - t0) * 1000), flush=True)
                os._exit(0)
            time.sleep(0.002)
        print("child_placed no", flush=True)
        os._exit(1)
    os.waitpid(pid, 0)
    print("parent_after", "unchanged" if open("/proc/self/cgroup").read() == before else "moved")
print("close_session", pam.pam_close_session(h, 0))
pam.pam_end(h, 0)
PY

# session USER [--as-user]: run the client, bounded so a hang cannot hang the test
session() {
	timeout -s KILL 20 python3 "$QT_DIR/pamclient.py" "$svc" "$@" || echo "client died rc=$?"
}

# check_bound LABEL OUTPUT: open_session returned PAM_SUCCESS within BOUND_MS
check_bound() {
	echo "$2" | grep -q '^open_session 0$' || { echo "$2"; qt_fail "$1: no PAM_SUCCESS"; }
	local ms=$(echo "$2" | awk '/^open_ms/ {print $2}')
	awk -v m="$ms" -v b=$BOUND_MS 'BEGIN { exit !(m + 0 < b) }' ||
		qt_fail "$1: open_session took $ms ms (bound $BOUND_MS ms)"
	qt_log "ok: $1: open_session $ms ms (bound $BOUND_MS)"
}

not_moved() {
	echo "$2" | grep -q '^moved no$' || { echo "$2"; qt_fail "$1: the session process was moved"; }
	echo "$2" | grep -q "$QT_ID" && qt_fail "$1: in $QT_ID"
	return 0
}

no_cgroup() {
	local d=$(find $CG -maxdepth 3 -type d -path "*/$QT_ID/$1" 2>/dev/null | head -1)
	[ -z "$d" ] || qt_fail "a cgroup was created for $1: $d"
}

u1=qtp$$a
uid1=$(qt_user $u1)
want="/$QT_ID/$u1"
pam_service "config=$QT_DIR/quell.conf debug"

# 1. root opens the session (sshd's monitor, root's `su - u1`): not moved
out=$(session $u1)
echo "$out" | head -3
check_bound "root caller" "$out"
not_moved "root caller" "$out"
no_cgroup $u1
qt_log "ok: root's process opening $u1's session not moved, nothing created"

# 2. the user's own process is placed, in every hierarchy
out=$(session $u1 --as-user)
check_bound "own process" "$out"
echo "$out" | grep -q '^moved yes$' || { echo "$out"; qt_fail "$u1's own process not moved"; }
if [ -d $CG/unified ] || [ ! -d $CG/cpu ]; then
	echo "$out" | grep -q "^0::$want\$" || { echo "$out"; qt_fail "not placed in the v2 hierarchy"; }
fi
for c in cpu memory pids; do
	[ -d $CG/$c ] || continue
	echo "$out" | grep -Eq "^[0-9]+:([a-z_,]*,)?$c(,[a-z_,]*)?:$want\$" || qt_fail "not placed in $c"
done
qt_log "ok: $u1's own process placed in $want ($(echo "$out" | grep -c ":$want\$") hierarchies)"

# 3. frozen tenant: neither root's nor the user's process goes in, no hang
froze=
for f in $CG/unified$want/cgroup.freeze $CG$want/cgroup.freeze; do
	[ -f $f ] && { echo 1 > $f; froze=$f; break; }
done
[ -z "$froze" ] && [ -f $CG/freezer$want/freezer.state ] &&
	{ echo FROZEN > $CG/freezer$want/freezer.state; froze=$CG/freezer$want/freezer.state; }
[ -n "$froze" ] || qt_fail "no freezer for $want"
out=$(session $u1)
check_bound "frozen tenant, root caller" "$out"
not_moved "frozen tenant, root caller" "$out"
out=$(session $u1 --as-user)
check_bound "frozen tenant, own process" "$out"
not_moved "frozen tenant, own process" "$out"
case $froze in *freezer.state) echo THAWED > $froze ;; *) echo 0 > $froze ;; esac
qt_log "ok: frozen $want: sessions not moved in, returned within the bound"

# 4. outside quell.conf's uid range (max_uid below the user), and excluded: nothing created
u2=qtp$$b
uid2=$(qt_user $u2)
u3=qtp$$c
uid3=$(qt_user $u3)
sed -i -e "s/^min_uid = .*/min_uid = $((uid2 - 5))/" -e "s/^max_uid = .*/max_uid = $((uid2 - 1))/" \
	"$QT_DIR/quell.conf"
out=$(session $u2 --as-user)
check_bound "uid above max_uid" "$out"
not_moved "uid above max_uid" "$out"
no_cgroup $u2
qt_log "ok: $u2 (uid $uid2 > max_uid $((uid2 - 1))) not moved, nothing created"
sed -i "s/^max_uid = .*/max_uid = $QT_UID_MAX/" "$QT_DIR/quell.conf"
sed -i "s/^min_uid = .*/min_uid = $((uid2 + 1))/" "$QT_DIR/quell.conf"
out=$(session $u2 --as-user)
check_bound "uid below min_uid" "$out"
not_moved "uid below min_uid" "$out"
no_cgroup $u2
sed -i "s/^min_uid = .*/min_uid = $QT_UID_MIN/" "$QT_DIR/quell.conf"
qt_log "ok: $u2 (uid $uid2 < min_uid $((uid2 + 1))) not moved, nothing created"
sed -i "s/^\[tenants\]/[tenants]\nexclude = nobody, $u3/" "$QT_DIR/quell.conf"
out=$(session $u3 --as-user)
check_bound "excluded user" "$out"
not_moved "excluded user" "$out"
no_cgroup $u3
qt_log "ok: excluded $u3 not moved, nothing created"

# 5. exempt group (qt_user's users get the 'users' group as primary)
pam_service "config=$QT_DIR/quell.conf exempt_groups=nosuchgroup,$(id -gn $u2)"
out=$(session $u2 --as-user)
not_moved "exempt group" "$out"
no_cgroup $u2
qt_log "ok: exempt group $(id -gn $u2) not moved"

# 6. errors never fail the login, nor move anyone
pam_service "config=$QT_DIR/quell.conf cgroup_root=/nonexistent-$QT_ID"
out=$(session $u2 --as-user)
check_bound "bad cgroup_root" "$out"
pam_service "managed=/bad frobnicate"
out=$(session $u2 --as-user)
check_bound "bad arguments" "$out"
not_moved "bad arguments" "$out"
echo "[tenants]
max_uid = banana" > "$QT_DIR/broken.conf"
pam_service "config=$QT_DIR/broken.conf"
out=$(session $u2 --as-user)
check_bound "broken quell.conf" "$out"
not_moved "broken quell.conf" "$out"
no_cgroup $u2
qt_log "ok: bad cgroup_root, bad arguments, broken quell.conf: PAM_SUCCESS, nobody moved"

# 7. a cgroupfs that does not answer: a fake v2 tree whose cgroup.freeze and
# cgroup.procs are FIFOs nobody opens, so every read or write of them blocks
# (main blocked there for ever); the login waits timeout=300 ms, not more
slow=$QT_DIR/slowcg
mkdir -p $slow/$QT_ID/$u1
echo "cpu memory io pids" > $slow/cgroup.controllers
echo "populated 0
frozen 0" > $slow/$QT_ID/$u1/cgroup.events
mkfifo $slow/$QT_ID/$u1/cgroup.freeze $slow/$QT_ID/$u1/cgroup.procs
pam_service "config=$QT_DIR/quell.conf cgroup_root=$slow timeout=300 debug"
out=$(session $u1 --as-user)
BOUND_MS=500 check_bound "cgroupfs that blocks, timeout=300" "$out"
not_moved "cgroupfs that blocks" "$out"

# 8. pamtester, as root for each user (quelld down): PAM_SUCCESS within the bound
pam_service "config=$QT_DIR/quell.conf"
for u in $u1 $u2 $u3 root; do
	t0=$(date +%s%N)
	timeout -s KILL 20 pamtester -v "$svc" $u open_session close_session >/dev/null ||
		qt_fail "pamtester open_session for $u failed"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ $ms -lt $BOUND_MS ] || qt_fail "pamtester for $u took $ms ms (bound $BOUND_MS)"
	qt_log "ok: pamtester open_session/close_session for $u: $ms ms (bound $BOUND_MS)"
done
no_cgroup $u2
no_cgroup $u3

# 9. end to end with quelld up: root opens u1's session (not moved), then
# forks and setuids to u1 as sshd and su do; quelld's set*uid event places
# that child, and root's process stays where it was
qt_quelld
out=$(session $u1 --fork-setuid "$want")
echo "$out" | grep -E "^(open_ms|child_placed|parent_after)"
check_bound "root caller, quelld up" "$out"
not_moved "root caller, quelld up" "$out"
echo "$out" | grep -q '^parent_after unchanged$' || qt_fail "root's process moved after the fork"
echo "$out" | grep -q '^child_placed_ms' || { echo "$out"; qt_fail "u1's child not placed by quelld"; }
qt_log "ok: quelld placed the setuid child in $(echo "$out" | awk '/^child_placed_ms/ {print $2}') ms; root's process not moved"
exit 0
