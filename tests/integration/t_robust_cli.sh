#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bad command lines (issue 2 / man pages: exit 2 is a usage error). Every
# binary gets garbage arguments, missing values, huge and negative numbers,
# empty strings and unknown commands, and must exit 2 with a message on
# stderr - never crash, never hang, never print a sanitizer report. Best run
# against the ASan/UBSan build (QT_BUILD=build/NAME/san: make SANITIZE=1),
# where any overflow on the way aborts the binary and fails the test.
# quellctl talks to a test quelld, so well-formed commands get 0 or 1 and
# only the malformed ones 2. quelld is only ever given command lines that
# must be refused (or -t), so no stray daemon starts on the real socket.
. "$(dirname "$0")/lib.sh"

fail=0 n=0
bad() { echo "FAIL $*"; fail=1; }
BIN=$QT_BUILD
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98

T=qcl$$
qt_user $T >/dev/null
qt_config </dev/null
qt_quelld
S=$QT_DIR/quell.sock

# expect WANT PROG ARGS...: run with a timeout, stdin closed; WANT is an exit
# status or "any" (0..3 but no crash); 2 must come with a message on stderr
expect() {
	local want=$1 prog=$2 rc err args
	shift 2
	args=$(printf '%s ' "$@" | cut -c1-120)
	n=$((n + 1))
	timeout -k 2 10 "$BIN/$prog" "$@" </dev/null >"$QT_DIR/out" 2>"$QT_DIR/err"
	rc=$?
	err=$(head -c 300 "$QT_DIR/err" | tr '\n' ' ')
	if grep -qE "AddressSanitizer|runtime error|LeakSanitizer" "$QT_DIR/err"; then
		bad "$prog $args: sanitizer report: $err"; return
	fi
	if [ $rc -ge 124 ] || { [ "$want" = any ] && [ $rc -gt 3 ]; }; then
		bad "$prog $args: exit $rc (crash, hang or sanitizer) $err"; return
	fi
	if [ "$want" != any ] && [ $rc != "$want" ]; then
		bad "$prog $args-> exit $rc, want $want: $err"; return
	fi
	if [ $rc = 2 ] && [ ! -s "$QT_DIR/err" ]; then
		bad "$prog $args: exit 2 without a message on stderr"; return
	fi
}
LONG=$(head -c 5000 /dev/zero | tr '\0' x)
HUGE=99999999999999999999999999999

# --- quellctl: usage errors -> 2 ---------------------------------------------
for args in "" "nosuchcmd" "--nosuch" "-s" "--socket" "-c" "--json" "-x status" \
	"list --sort" "list --sort nosuch" "list --sort ''" "list --bogus" "list extra" \
	"show" "show a b" "limits" "set" "set $T" "set $T cpu" "set $T =5" "set $T cpu=" \
	"set $T nosuch=5" "set $T cpu=-5%" "set $T cpu=$HUGE%" "set $T mem=1Q" \
	"set $T mem=-1G" "set $T nproc=1.5" "set $T io=$HUGE" "throttle" \
	"throttle $T --for" "throttle $T --for -5m" "throttle $T --for $HUGE" \
	"throttle $T --for xyz" "freeze" "freeze $T --for" "freeze $T --for 0x10" "release" \
	"kill" "place" "place abc" "place -1" "place 0" "place $HUGE" "place 12abc" "where" \
	"where ''" "where 2147483648" "events --since" "events --since yesterday-ish" \
	"events --limit" "events --limit -3" "events --limit $HUGE" "history" \
	"history $T --since" "history $T --since 99999999999999d" "report --since" \
	"report --top -1" "graph" "graph $T" "graph $T --out" "status extra" "ping extra" \
	"tenants extra" "$LONG" "list --sort $LONG" "--json --json nosuchcmd"; do
	eval "set -- $args"
	expect 2 quellctl -s "$S" "$@"
done
echo "  quellctl: $n usage errors checked"

# --- quellctl: well-formed, odd values -> answered (0 or 1), never 2+ ----------
m=$n
for args in "status" "list" "list --sort name" "list --json" "tenants" "show $T" \
	"show nosuch" "show ''" "show ../../etc" "show $LONG" "show -- -x" "limits nosuch" \
	"where 1" "where 2147483647" "release nosuch" "kill nosuch --yes" "freeze nosuch" \
	"events" "events --limit 1" "events --since 1h" "ping"; do
	eval "set -- $args"
	expect any quellctl -s "$S" "$@"
done
echo "  quellctl: $((n - m)) odd but well-formed commands checked"
# no daemon there: 3
expect 3 quellctl -s "$QT_DIR/nosuch.sock" status
expect 3 quellctl -s "$LONG" status

# --- quelltop: usage errors -> 2 ---------------------------------------------
m=$n
for args in "--nosuch" "-d" "-d 0" "-d -1" "-d 0.1" "-d $HUGE" "-d abc" "-d nan" "-d inf" \
	"-n" "-n -1" "-n $HUGE" "-n abc" "-t" "-t -5" "-t $HUGE" "-w" "-w 0" "-w -1" \
	"-w $HUGE" "-o" "-o nosuch" "-s" "-a" "-a never" "-a 99999999999999-01-01" "-f" \
	"extra" "-b extra" "--rrd-dir" "-c"; do
	eval "set -- $args"
	expect 2 quelltop -s "$S" "$@"
done
echo "  quelltop: $((n - m)) usage errors checked"
# well-formed batch runs still work after all that
expect 0 quelltop -s "$S" -b -n 1
expect 0 quelltop -s "$S" -b -n 1 -w 40 -f "$LONG" -o name -r -t 1
expect 1 quelltop -s "$QT_DIR/nosuch.sock" -b -n 1

# --- quelld: refused command lines -> 2; -t checks a config ---------------------
m=$n
printf '[daemon]\ntick = %s\n' "$HUGE" > "$QT_DIR/bad.conf"
printf '[daemon]\n\0\n' > "$QT_DIR/nul.conf"
for args in "--nosuch" "-c" "extra" "-t extra" "-c $QT_DIR/nosuch.conf" \
	"-t -c $QT_DIR/bad.conf" "-t -c $QT_DIR/nul.conf" "-t -c /" "-t -c $LONG" "-t -c ''" \
	"-x" "--config"; do
	eval "set -- $args"
	expect 2 quelld "$@"
done
"$BIN/quelld" -t -c "$QT_DIR/bad.conf" 2>&1 | grep -q "bad.conf:2: " ||
	bad "quelld -t: bad value not reported as file:line"
expect 0 quelld -t -c "$QT_DIR/quell.conf"
for args in "--seconds" "--seconds -1" "--seconds abc" "--seconds $HUGE" \
	"--cgroup-level" "--cgroup-level -1" "--cgroup-level $HUGE" "--nosuch"; do
	eval "set -- $args"
	expect 2 quelld --bpf-dump "$@"
done
echo "  quelld: $((n - m)) refused command lines checked"

kill -0 $QT_QUELLD_PID 2>/dev/null || bad "the test quelld died"
echo "  $n command lines in all"
[ $fail = 0 ] || qt_fail "bad command lines"
echo PASS
