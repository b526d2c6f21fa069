#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run each cmocka unit-test binary; print cmocka's own lines and one total.
# Exit non-zero if any binary fails or none ran.
pass=0 fail=0 bins=0
for b in "$@"; do
	bins=$((bins + 1))
	out=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$b" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	pass=$((pass + ${p:-0}))
	if [ $rc -ne 0 ]; then
		fail=$((fail + ${f:-1}))
		echo "unit: $b exited $rc"
	fi
done
echo "unit: $pass passed, $fail failed"
[ $bins -gt 0 ] && [ $pass -gt 0 ] && [ $fail -eq 0 ]
