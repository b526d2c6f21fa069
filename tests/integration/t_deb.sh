#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `make deb` builds a package that lintian passes without errors; dpkg -i
# installs it (every file where Debian wants it, the conffile registered,
# quelld -t happy with the shipped config, the unit enabled, nothing started
# where systemd does not run, the login stack untouched); a reinstall
# (the upgrade path) works; dpkg -r keeps an edited conffile and removes the
# rest; dpkg --purge leaves nothing: no file, no enablement link, no
# state. The package is purged on every exit path, failure included.
# Skips when quell is already installed or its paths exist on this host:
# they are someone else's, and this test would remove them.
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || qt_skip "needs root (dpkg -i)"
for t in dpkg-deb dpkg-shlibdeps deb-systemd-helper; do
	command -v $t >/dev/null || qt_skip "$t missing (make deps)"
done

# one t_deb at a time on a host (two would install over each other)
exec 9>/run/lock/quell-t_deb.lock
flock -w 300 9 || qt_fail "another t_deb holds /run/lock/quell-t_deb.lock"

st=$(dpkg-query -W -f='${db:Status-Abbrev}' quell 2>/dev/null)
[ -z "$st" ] || [ "${st:1:1}" = n ] || qt_skip "package quell is on this host ($st): not ours to remove"
for p in /etc/quell /var/lib/quell /var/log/quell /run/quell /usr/sbin/quelld /usr/sbin/quellctl \
	/usr/bin/quelltop /lib/systemd/system/quelld.service /etc/systemd/system/quelld.service; do
	[ -e "$p" ] && qt_skip "$p exists: a quell installed by hand is not ours to remove"
done

pamfiles="/etc/pam.d/common-session /etc/pam.d/common-session-noninteractive /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password"
snap_pam() { for f in $pamfiles; do [ -f "$f" ] && md5sum "$f"; done; }
snap_pam > "$QT_DIR/pam.before"
mkdir -p "$QT_DIR/pam"
for f in $pamfiles; do [ -f "$f" ] && cp -p "$f" "$QT_DIR/pam/"; done
[ -f /var/lib/pam/seen ] && cp -p /var/lib/pam/seen "$QT_DIR/pam/seen"

# whatever happens: no quell package left, the login stack as it was
deb_exit() {
	local rc=$? f
	set +e
	if [ -n "$(dpkg-query -W -f='${db:Status-Abbrev}' quell 2>/dev/null | grep -v '^.n')" ]; then
		echo "t_deb: purging the package left by a failure"
		DEBIAN_FRONTEND=noninteractive dpkg --purge quell >/dev/null 2>&1
	fi
	if ! snap_pam | cmp -s - "$QT_DIR/pam.before"; then
		echo "t_deb: restoring /etc/pam.d/common-* changed by the test"
		for f in $pamfiles; do [ -f "$QT_DIR/pam/${f##*/}" ] && cp -p "$QT_DIR/pam/${f##*/}" "$f"; done
		rc=1
	fi
	[ -f "$QT_DIR/pam/seen" ] && cp -p "$QT_DIR/pam/seen" /var/lib/pam/seen
	(exit $rc)
	qt_cleanup
}
trap deb_exit EXIT

# --- build ---------------------------------------------------------------
make -s --no-print-directory -C "$here" BUILD="$QT_BUILD" deb >"$QT_DIR/make.log" 2>&1 ||
	{ cat "$QT_DIR/make.log"; qt_fail "make deb"; }
deb=$(ls "$QT_BUILD"/quell_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)
[ -f "$deb" ] || qt_fail "make deb made no $QT_BUILD/quell_*.deb"
qt_log "ok: make deb: $deb ($(stat -c %s "$deb") bytes)"
if command -v lintian >/dev/null; then
	lintian --allow-root "$deb" > "$QT_DIR/lintian.out" 2>&1
	grep -E '^E: ' "$QT_DIR/lintian.out" && qt_fail "lintian errors"
	qt_log "ok: lintian: no errors ($(grep -c '^W: ' "$QT_DIR/lintian.out") warnings, $(grep -c '^I: ' "$QT_DIR/lintian.out") info)"
else
	qt_log "lintian missing: not run (make deps installs it)"
fi
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || qt_fail "Depends has no libc6: dpkg-shlibdeps did not run"

# --- install --------------------------------------------------------------
# other engineers' quelld come and go: only the packaged binary counts
pkg_quelld() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/quelld ] && echo "${p#/proc/}"
	done
	return 0
}
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$QT_DIR/install.log" 2>&1 ||
	{ cat "$QT_DIR/install.log"; qt_fail "dpkg -i"; }
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' quell)" = "ii " ] || qt_fail "not installed: $(dpkg -s quell | head -3)"
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in /usr/sbin/quelld /usr/sbin/quellctl /usr/bin/quelltop /lib/systemd/system/quelld.service \
	/lib/$ma/security/pam_quell.so /etc/quell/quell.conf /usr/share/pam-configs/quell \
	/usr/share/man/man8/quelld.8.gz /usr/share/man/man8/quellctl.8.gz /usr/share/man/man1/quelltop.1.gz \
	/usr/share/man/man5/quell.conf.5.gz /usr/share/doc/quell/copyright /usr/share/doc/quell/changelog.gz \
	/usr/share/doc/quell/prometheus/quell.rules.yml /usr/share/doc/quell/migrating-from-lve.md; do
	[ -f "$f" ] || qt_fail "not installed: $f"
	dpkg -S "$f" >/dev/null 2>&1 || qt_fail "$f is not owned by the package"
done
dpkg-query -W -f='${Conffiles}\n' quell | grep -q '^ /etc/quell/quell.conf ' || qt_fail "quell.conf is not a conffile"
out=$(/usr/sbin/quelld -t 2>&1) || { echo "$out"; qt_fail "quelld -t on the shipped /etc/quell/quell.conf"; }
/usr/sbin/quelld -t -c /etc/quell/quell.conf >/dev/null 2>&1 || qt_fail "quelld -t -c /etc/quell/quell.conf"
# and quelld -t does read that file (it prints "built-in defaults" either way)
cp -p /etc/quell/quell.conf "$QT_DIR/conf.orig"
printf '[limits]\nno_such_key = 1\n' >> /etc/quell/quell.conf
/usr/sbin/quelld -t >/dev/null 2>&1 && qt_fail "quelld -t does not read /etc/quell/quell.conf"
cp -p "$QT_DIR/conf.orig" /etc/quell/quell.conf
qt_log "ok: installed; quelld -t: $out"
grep -q '^ExecStart=/usr/sbin/quelld --foreground$' /lib/systemd/system/quelld.service ||
	qt_fail "unit ExecStart is not /usr/sbin/quelld"
file -L /usr/sbin/quelld | grep -q 'stripped' && ! file -L /usr/sbin/quelld | grep -q 'not stripped' ||
	qt_fail "quelld is not stripped"
man -w quellctl 2>/dev/null | grep -q '^/usr/share/man/man8/quellctl.8.gz$' || qt_fail "man quellctl not found"
printf '<lveconfig><defaults><pmem limit="262144"/></defaults></lveconfig>' |
	/usr/sbin/quellctl import-lve - | grep -q '^mem = 1G$' || qt_fail "installed quellctl import-lve"
[ -L /etc/systemd/system/multi-user.target.wants/quelld.service ] || qt_fail "quelld.service not enabled"
if [ -d /run/systemd/system ]; then
	qt_log "systemd runs here: the postinst started quelld (not checked: a shared host)"
else
	[ -z "$(pkg_quelld)" ] || qt_fail "the postinst started quelld without systemd: $(pkg_quelld)"
	qt_log "ok: no systemd here: enabled for the next boot, nothing started"
fi
snap_pam | cmp -s - "$QT_DIR/pam.before" || qt_fail "dpkg -i changed the login stack (/etc/pam.d/common-*)"
grep -qx quell /var/lib/pam/seen || qt_fail "pam-auth-update did not register the quell profile"
qt_log "ok: pam-auth-update knows the profile, the login stack is unchanged (Default: no)"

# reinstalling the same version runs the upgrade path of the scripts
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$QT_DIR/reinstall.log" 2>&1 ||
	{ cat "$QT_DIR/reinstall.log"; qt_fail "dpkg -i over itself"; }
files=$(dpkg -L quell | while read -r f; do [ -f "$f" ] && echo "$f"; done)

# --- remove: an edited conffile stays ---------------------------------------
echo "# edited by t_deb" >> /etc/quell/quell.conf
mkdir -p /var/lib/quell/rrd && echo 1 > /var/lib/quell/rrd/x.rrd	# what a running quelld leaves
DEBIAN_FRONTEND=noninteractive dpkg -r quell >"$QT_DIR/remove.log" 2>&1 ||
	{ cat "$QT_DIR/remove.log"; qt_fail "dpkg -r"; }
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' quell)" = "rc " ] || qt_fail "after dpkg -r: $(dpkg -s quell | sed -n 2p)"
grep -q '^# edited by t_deb$' /etc/quell/quell.conf || qt_fail "dpkg -r removed the edited conffile"
for f in $files; do
	[ "$f" = /etc/quell/quell.conf ] && continue
	[ -e "$f" ] && qt_fail "dpkg -r left $f"
done
grep -qx quell /var/lib/pam/seen && qt_fail "pam-auth-update still lists the removed profile"
qt_log "ok: dpkg -r: $(echo "$files" | wc -l) files gone, the edited conffile kept"

# --- purge: nothing left -------------------------------------------------
DEBIAN_FRONTEND=noninteractive dpkg --purge quell >"$QT_DIR/purge.log" 2>&1 ||
	{ cat "$QT_DIR/purge.log"; qt_fail "dpkg --purge"; }
left_check() {
	local what=$1 p
	[ -z "$(dpkg-query -W -f='${db:Status-Abbrev}' quell 2>/dev/null | grep -v '^.n')" ] ||
		qt_fail "$what: dpkg still knows quell"
	for p in /etc/quell /var/lib/quell /var/log/quell /run/quell /usr/share/doc/quell \
		/etc/systemd/system/multi-user.target.wants/quelld.service /etc/systemd/system/quelld.service \
		/var/lib/systemd/deb-systemd-helper-enabled/quelld.service.dsh-also \
		/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/quelld.service \
		/var/lib/systemd/deb-systemd-helper-masked/quelld.service $files; do
		[ -e "$p" ] || [ -L "$p" ] && qt_fail "$what left $p"
	done
	snap_pam | cmp -s - "$QT_DIR/pam.before" || qt_fail "$what changed /etc/pam.d/common-*"
	return 0
}
left_check "dpkg --purge after -r"
qt_log "ok: dpkg --purge leaves nothing"

# purge straight from installed
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >/dev/null 2>&1 || qt_fail "second dpkg -i"
DEBIAN_FRONTEND=noninteractive dpkg --purge quell >"$QT_DIR/purge2.log" 2>&1 ||
	{ cat "$QT_DIR/purge2.log"; qt_fail "dpkg --purge of an installed package"; }
left_check "dpkg --purge from installed"
qt_log "ok: install + purge leaves nothing"
exit 0
