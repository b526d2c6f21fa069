#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Root integration suite: runs every tests/integration/t_*.sh (or those
# given in QT_ONLY="t_a t_b") against the binaries in $1 (build dir).
# A test exits 0 (pass), 77 (skipped: printed, not counted as passed) or
# anything else (fail). Each test cleans up after itself (lib.sh traps);
# this runner checks afterwards that no cgroup named quelltest-* is left.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
export QT_BUILD=$build
pass=0 fail=0 skip=0 failed=""
logs=$(mktemp -d /tmp/quell-it-logs.XXXXXX)
trap 'rm -rf "$logs"' EXIT
tests=${QT_ONLY:-$(cd "$here" && ls t_*.sh)}
for t in $tests; do
	t=${t%.sh}
	echo "=== integration: $t"
	export QT_ID_FILE=$(mktemp)
	start=$(date +%s)
	# a test that needs longer says so in a "# qt-timeout-min: S" line;
	# the larger of that and QT_TIMEOUT applies
	to=${QT_TIMEOUT:-600}
	min=$(sed -n 's/^# qt-timeout-min: *\([0-9][0-9]*\)$/\1/p' "$here/$t.sh" | head -1)
	[ -n "$min" ] && [ "$min" -gt "$to" ] && to=$min
	# the output goes to a log as well, for the digest of failures at the
	# end (CI shows an excerpt of a long run: its tail must say why). Not a
	# pipe into tee: a process a test leaked would hold it open for ever.
	log=$logs/$t.log
	timeout -k 10 $to bash "$here/$t.sh" > "$log" 2>&1 < /dev/null &
	tpid=$!
	tail -n +1 -s 0.2 -f --pid=$tpid "$log" &
	tailpid=$!
	wait $tpid
	rc=$?
	wait $tailpid
	dur=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); echo "--- PASS $t (${dur}s)";;
	77) skip=$((skip + 1)); echo "--- SKIP $t (${dur}s)";;
	*) fail=$((fail + 1)); failed="$failed $t"; echo "--- FAIL $t (rc=$rc, ${dur}s)"
	   cp "$log" "$logs/failed-$t.log";;
	esac
	# only this test's own (others may run side by side on a dev box)
	id=$(cat "$QT_ID_FILE"); rm -f "$QT_ID_FILE"
	left=
	[ -n "$id" ] && left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "--- FAIL $t left cgroups behind:"; echo "$left"
		fail=$((fail + 1)); failed="$failed $t(cleanup)"
	fi
done
# each failed test's FAIL lines and last lines, again, at the end
for f in "$logs"/failed-*.log; do
	[ -e "$f" ] || continue
	t=${f##*/failed-}; t=${t%.log}
	echo "=== why $t failed (its FAIL lines, then its last 8 lines)"
	grep -a -E '(^|[^a-z_])FAIL' "$f" | head -12
	echo "..."
	tail -n 8 "$f"
done
[ -n "$failed" ] && echo "integration failures:$failed"
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
