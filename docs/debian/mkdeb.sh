#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# mkdeb.sh STAGE VERSION ARCH OUT.deb - called by `make deb` after
# `make install DESTDIR=STAGE PREFIX=/usr ...`: turns the staged tree into a
# Debian binary package with dpkg-deb (no debhelper, no source package):
# strips the ELF files, compresses the man pages, adds the doc directory,
# the pam-auth-update profile and the DEBIAN/ control files kept beside
# this script, computes Depends with dpkg-shlibdeps. docs/debian/README.md.
set -eu

stage=$(cd "$1" && pwd) version=$2 arch=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

[ -x "$stage/usr/sbin/quelld" ] || { echo "mkdeb: $stage is not a staged install" >&2; exit 1; }
clver=$(sed -n '1s/^quell (\([^)]*\)).*/\1/p' "$here/changelog")
[ "$clver" = "$version" ] ||
	{ echo "mkdeb: docs/debian/changelog is at $clver, quelld says $version: add an entry" >&2; exit 1; }

# ELF files: no debug info in the package (lintian: unstripped-binary-or-object)
elves=$(find "$stage" -type f \( -perm -u+x -o -name '*.so' \) -exec sh -c \
	'head -c 4 "$1" | grep -q "ELF" && echo "$1"' sh {} \;)
for f in $elves; do
	strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"
done
find "$stage/usr/share/man" -type f ! -name '*.gz' -exec gzip -9n {} +

doc=$stage/usr/share/doc/quell
install -d "$doc/prometheus" "$stage/usr/share/pam-configs"
install -m 0644 "$here/copyright" "$doc/copyright"
gzip -9n -c "$here/changelog" > "$doc/changelog.gz"
install -m 0644 "$top/README.md" "$top/docs/migrating-from-lve.md" "$doc/"
install -m 0644 "$top/docs/prometheus/quell.rules.yml" "$top/docs/prometheus/quell.rules.test.yml" \
	"$doc/prometheus/"
install -m 0644 "$here/pam-config" "$stage/usr/share/pam-configs/quell"

# Depends from the libraries the ELF files link (libc, libbpf, libpam, ...)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debian"
printf 'Source: quell\n\nPackage: quell\nArchitecture: any\n' > "$tmp/debian/control"
deps=$(cd "$tmp" && dpkg-shlibdeps -O $(for f in $elves; do printf -- '-e%s ' "$f"; done) 2>"$tmp/err" |
	sed -n 's/^shlibs:Depends=//p') || true
[ -n "$deps" ] || { cat "$tmp/err" >&2; echo "mkdeb: dpkg-shlibdeps found no dependency" >&2; exit 1; }

install -d -m 0755 "$stage/DEBIAN"
install -m 0644 "$here/conffiles" "$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$stage/DEBIAN/$s"
done
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
size=$(du -k -s --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	-e "s/@DEPENDS@/$deps/" "$here/control.in" > "$stage/DEBIAN/control"

# dpkg checks these; a umask of 077 on the build host must not leak into them
find "$stage" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
