#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make install DESTDIR=tmp puts every piece where it belongs (binaries, man
# pages, default config, systemd unit with @SBINDIR@ substituted, PAM
# module); the unit passes systemd-analyze verify; the installed man pages
# render; make uninstall leaves no file behind; an edited config survives
# uninstall.
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")/../.." && pwd)
dest=$QT_DIR/root
mk() { make -s --no-print-directory -C "$here" BUILD="$QT_BUILD" DESTDIR="$dest" PREFIX=/usr/local "$@"; }

mk install >"$QT_DIR/install.log" 2>&1 || { cat "$QT_DIR/install.log"; qt_fail "make install"; }
for f in usr/local/sbin/quelld usr/local/sbin/quellctl usr/local/bin/quelltop \
	usr/local/share/man/man8/quelld.8 usr/local/share/man/man8/quellctl.8 \
	usr/local/share/man/man1/quelltop.1 usr/local/share/man/man5/quell.conf.5 \
	etc/quell/quell.conf usr/local/lib/systemd/system/quelld.service \
	usr/local/lib/security/pam_quell.so; do
	[ -f "$dest/$f" ] || qt_fail "not installed: /$f"
done
[ -x "$dest/usr/local/sbin/quelld" ] || qt_fail "quelld not executable"
unit=$dest/usr/local/lib/systemd/system/quelld.service
grep -q '@SBINDIR@' "$unit" && qt_fail "@SBINDIR@ left in the unit"
grep -q '^ExecStart=/usr/local/sbin/quelld --foreground$' "$unit" || qt_fail "ExecStart not substituted"
grep -q '^Type=notify$' "$unit" || qt_fail "unit is not Type=notify"
"$dest/usr/local/sbin/quelld" -t -c "$dest/etc/quell/quell.conf" >/dev/null 2>&1 ||
	qt_fail "the installed default config does not pass quelld -t"
for m in "$dest"/usr/local/share/man/man*/*; do
	MANWIDTH=80 man -l "$m" >/dev/null 2>&1 || qt_fail "man -l $m"
done
n=$(find "$dest" \( -type f -o -type l \) | wc -l)
qt_log "ok: $n files installed"

if command -v systemd-analyze >/dev/null; then
	# verify with the installed binary's real path substituted in
	sed "s|/usr/local/sbin/|$dest/usr/local/sbin/|g" "$unit" > "$QT_DIR/quelld.service"
	out=$(systemd-analyze verify --man=no "$QT_DIR/quelld.service" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ -z "$out" ] || { echo "$out"; qt_fail "systemd-analyze verify: rc=$rc"; }
	qt_log "ok: systemd-analyze verify clean"
	if out=$(systemd-analyze security --offline=yes "$QT_DIR/quelld.service" 2>/dev/null | tail -1); then
		qt_log "systemd-analyze security: $out"
	fi
else
	qt_log "systemd-analyze missing: unit not verified"
fi

# a second install keeps an edited config
echo "# edited" >> "$dest/etc/quell/quell.conf"
mk install >/dev/null 2>&1 || qt_fail "second make install"
grep -q '^# edited$' "$dest/etc/quell/quell.conf" || qt_fail "install overwrote an edited config"
mk uninstall >"$QT_DIR/uninstall.log" 2>&1 || { cat "$QT_DIR/uninstall.log"; qt_fail "make uninstall"; }
grep -q 'kept .*quell.conf' "$QT_DIR/uninstall.log" || qt_fail "uninstall did not say it kept the edited config"
[ -f "$dest/etc/quell/quell.conf" ] || qt_fail "uninstall removed an edited config"
left=$(find "$dest" \( -type f -o -type l \) ! -path '*/etc/quell/quell.conf')
[ -z "$left" ] || { echo "$left"; qt_fail "uninstall left files behind"; }

# pristine config: uninstall leaves nothing at all
rm -rf "$dest"
mk install >/dev/null 2>&1 || qt_fail "third make install"
mk uninstall >/dev/null 2>&1 || qt_fail "second make uninstall"
left=$(find "$dest" \( -type f -o -type l \))
[ -z "$left" ] || { echo "$left"; qt_fail "uninstall left files behind"; }
[ -e "$dest/etc/quell" ] && qt_fail "uninstall left /etc/quell"
qt_log "ok: make uninstall leaves no file"
exit 0
