#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Guest-side driver of the integration selection, run by tests/vm/run.sh's
# default command inside the VM:
#   suite.sh BUILD BUDGET_SECONDS TEST...
# Runs each test through tests/integration/run.sh (QT_ONLY=one test, so its
# leftover-cgroup check applies) while the budget lasts: a test is started
# only if QT_TIMEOUT still fits, so the VM's hard timeout never eats the
# summary. Tests left out for lack of time are listed and, like the suite's
# skips, not counted as passed. Exits 0 if nothing failed and something passed.
set -u
build=$1
budget=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
runner=$here/../integration/run.sh
per_test=${QT_TIMEOUT:-300}
start=$SECONDS
pass=() fail=() skip=() left=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$@"; do
	used=$((SECONDS - start))
	# a test's own "# qt-timeout-min: S" (tests/integration/run.sh) counts too
	need=$(sed -n 's/^# qt-timeout-min: *\([0-9][0-9]*\)$/\1/p' \
		"$here/../integration/$t.sh" 2>/dev/null | head -1)
	[ -n "$need" ] && [ "$need" -gt "$per_test" ] || need=$per_test
	if [ $((used + need)) -gt "$budget" ]; then
		left+=("$t")
		continue
	fi
	t0=$SECONDS
	QT_ONLY=$t "$runner" "$build" 2>&1 | grep -v '^integration: [0-9]* passed' | tee "$log"
	dur=$((SECONDS - t0))
	if grep -q -- '--- FAIL' "$log"; then
		fail+=("$t(${dur}s)")
	elif grep -q -- '--- PASS' "$log"; then
		pass+=("$t(${dur}s)")
	elif grep -q -- '--- SKIP' "$log"; then
		skip+=("$t(${dur}s)")
	else
		fail+=("$t(${dur}s,no-result)")
	fi
done

echo "vm integration: ${#pass[@]} passed, ${#fail[@]} failed, ${#skip[@]} skipped," \
	"${#left[@]} not run (budget ${budget}s, each test up to ${per_test}s)"
[ ${#pass[@]} -gt 0 ] && echo "  passed: ${pass[*]}"
[ ${#fail[@]} -gt 0 ] && echo "  failed: ${fail[*]}"
[ ${#skip[@]} -gt 0 ] && echo "  skipped: ${skip[*]}"
[ ${#left[@]} -gt 0 ] && echo "  not run: ${left[*]}"
[ ${#fail[@]} -eq 0 ] && [ ${#pass[@]} -gt 0 ]
