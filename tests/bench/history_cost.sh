#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Cost of the RRD history with N tenants (default 1000): bytes per tenant
# file, creation time, tick-path and writer cost per step, direct and
# through a private rrdcached (if installed). Needs ~9.3 MB of disk per
# tenant in $TMPDIR (about 9.3 GB for 1000 tenants), removed at the end.
#
#   tests/bench/history_cost.sh [BUILD] [NTENANTS] [NSTEPS]
set -eu
BUILD=${1:-build}
N=${2:-1000}
STEPS=${3:-30}
cd "$(dirname "$0")/../.."
make --no-print-directory BUILD="$BUILD" "$BUILD/libquelld.a" "$BUILD/libquell.a" >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/quell-hist-bench.XXXXXX")
CACHED_PID=
cleanup() {
	[ -n "$CACHED_PID" ] && kill "$CACHED_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
BIN=$W/history_cost
cc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc/quelld tests/bench/history_cost.c \
	"$BUILD/libquelld.a" "$BUILD/libquell.a" -o "$BIN" \
	$(pkg-config --libs libbpf libmicrohttpd libsystemd 2>/dev/null) -lelf -lz \
	$(pkg-config --libs jansson inih librrd) -lm -lpthread

echo "== direct writes, $N tenants, $STEPS steps"
"$BIN" "$W/direct" "$N" "$STEPS"
du -sh "$W/direct" | sed 's/^/disk: /'
rm -rf "$W/direct"

if command -v rrdcached >/dev/null; then
	echo "== rrdcached, $N tenants, $STEPS steps"
	# -w 300: values are written at most every 5 min (per file, jittered by -z)
	rrdcached -g -l "unix:$W/rrdcached.sock" -p "$W/rrdcached.pid" -j "$W/journal" \
		-w 300 -z 60 -f 3600 >"$W/rrdcached.log" 2>&1 &
	CACHED_PID=$!
	mkdir -p "$W/journal"
	i=0; while [ ! -S "$W/rrdcached.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	"$BIN" "$W/cached" "$N" "$STEPS" "unix:$W/rrdcached.sock"
else
	echo "== rrdcached not installed: skipped"
fi
