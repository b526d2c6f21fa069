#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# --help and the man pages agree:
#  - every option any --help mentions (quellctl: also every COMMAND --help)
#    is documented in the binary's man page, and every option in the page's
#    OPTIONS / COMMANDS sections exists in --help;
#  - every quellctl command has an entry, and every entry is a command;
#  - the exit codes of --help and EXIT STATUS are the same set;
#  - quell.conf(5): every key it documents is accepted by `quelld -t` with
#    the documented default, and every key of docs/quell.conf is documented;
#  - groff finds nothing to warn about.
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")/../.." && pwd)
man=${QT_MANDIR:-$here/docs/man}
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

for p in quelld quellctl quelltop; do
	[ -x "$QT_BUILD/$p" ] || qt_fail "$QT_BUILD/$p not built"
done
command -v groff >/dev/null || qt_skip "groff missing"

for f in "$man"/*.[1-8]; do
	w=$(groff -ww -z -man "$f" 2>&1)
	[ -z "$w" ] || bad "groff warnings in $f: $w"
done

# roff source with escapes undone: \- -> -, font changes dropped
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\(em/-/g' "$1"; }
# lines of one .SH section
section() { plain "$1" | awk -v s="$2" '/^\.SH/ { on = ($0 ~ "^\\.SH \"?" s "\"?$"); next } on'; }
longopts() { grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
shortopts() { grep -E '^ +-[a-zA-Z],' | grep -oE -- '^ +-[a-zA-Z]' | tr -d ' ' | sort -u; }
exitcodes() { sed -n '/[Ee]xit status/,$p' | grep -oE '(^|[ ,:])[0-9]+ +[a-z(]' | grep -oE '[0-9]+' | sort -u; }

check_prog() {
	local prog=$1 page=$2 help=$3 o c
	local src opts
	src=$(plain "$page")
	# help -> man
	for o in $(echo "$help" | longopts) $(echo "$help" | shortopts); do
		echo "$src" | grep -qF -- "$o" || bad "$prog: $o is in --help but not in $(basename "$page")"
	done
	# man OPTIONS (and COMMANDS) -> help
	opts=$( { section "$page" OPTIONS; section "$page" COMMANDS; } | grep -E '^\.(B|BR|BI|TP|TQ)' | longopts)
	for o in $opts; do
		echo "$help" | grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" ||
			bad "$prog: $o is in $(basename "$page") but in no --help"
	done
	# exit codes, both ways
	local hc mc
	hc=$(echo "$help" | exitcodes | tr '\n' ' ')
	mc=$(section "$page" "EXIT STATUS" | grep -E '^\.B [0-9]+$' | awk '{print $2}' | sort -u | tr '\n' ' ')
	[ -n "$hc" ] || bad "$prog: --help lists no exit status"
	[ "$hc" = "$mc" ] || bad "$prog: exit codes differ: --help [$hc] man [$mc]"
	echo "  $prog: $(echo "$help" | longopts | wc -l) long options, exit codes [$hc] checked"
}

h=$("$QT_BUILD/quelld" --help) || bad "quelld --help failed"
check_prog quelld "$man/quelld.8" "$h"

h=$("$QT_BUILD/quelltop" --help) || bad "quelltop --help failed"
check_prog quelltop "$man/quelltop.1" "$h"

main=$("$QT_BUILD/quellctl" --help) || bad "quellctl --help failed"
cmds=$(echo "$main" | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ {print $1}')
[ -n "$cmds" ] || bad "quellctl --help lists no commands"
all=$main
for c in $cmds; do
	ch=$("$QT_BUILD/quellctl" $c --help 2>&1) || bad "quellctl $c --help failed"
	echo "$ch" | grep -q "$c" || bad "quellctl $c --help does not mention $c"
	all="$all
$ch"
	section "$man/quellctl.8" COMMANDS | grep -qE "^\.BI? \"?$c( |\"|\$)" ||
		bad "quellctl: command $c has no entry in quellctl.8 COMMANDS"
done
for c in $(section "$man/quellctl.8" COMMANDS | grep -A1 '^\.TP' | grep -E '^\.BI? ' |
	sed -E 's/^\.BI? "?([a-z-]+).*/\1/' | sort -u); do
	echo "$cmds" | grep -qx "$c" || bad "quellctl.8 documents command $c, which --help does not list"
done
check_prog quellctl "$man/quellctl.8" "$all"
echo "  quellctl: $(echo "$cmds" | wc -w) commands checked"

# quell.conf(5) keys against the real parser
conf5=$(plain "$man/quell.conf.5")
pairs=$(echo "$conf5" | awk '
	/^\.SS "\[/ { s = $0; sub(/^\.SS "\[/, "", s); sub(/\]"$/, "", s); next }
	/^\.SH/ { s = "" }
	s != "" && /^[a-z_]+ = / { k = $1; v = $0; sub(/^[a-z_]+ = /, "", v); print s "\t" k "\t" v }')
n=0
while IFS=$'\t' read -r sect key val; do
	[ -n "$sect" ] || continue
	case $sect in
	tenant:NAME) sect=tenant:alice ;;
	rule:NAME) sect=rule:cpu-hog ;;
	esac
	case $val in "<"*|"("*) val= ;; esac	# placeholders: an empty value or a path
	case $key in dir|log) val=$QT_DIR/x ;; esac
	printf '[%s]\n%s = %s\n' "$sect" "$key" "$val" > "$QT_DIR/k.conf"
	out=$("$QT_BUILD/quelld" -t -c "$QT_DIR/k.conf" 2>&1) ||
		bad "quell.conf.5 [$sect] $key = $val: quelld -t says: $out"
	n=$((n + 1))
done <<< "$pairs"
[ $n -gt 40 ] || bad "only $n keys found in quell.conf.5"
echo "  quell.conf.5: $n documented keys accepted by quelld -t"

if [ -f "$here/docs/quell.conf" ]; then
	sect=
	while read -r line; do
		case $line in
		'['*']'|';['*']') sect=${line#;}; sect=${sect#[}; sect=${sect%]}; continue ;;
		esac
		key=$(echo "$line" | sed -nE 's/^;?([a-z_]+) = .*/\1/p')
		[ -n "$key" ] || continue
		case $sect in tenant:*) sect=tenant:NAME ;; rule:*) sect=rule:NAME ;; esac
		s=$sect
		# [tenant:NAME] takes the [limits] keys, documented once there
		[ "$sect" = tenant:NAME ] && [ "$key" != exempt ] && s=limits
		echo "$pairs" | grep -qP "^\Q$s\E\t$key\t" ||
			bad "docs/quell.conf [$sect] $key is not in quell.conf.5"
	done < "$here/docs/quell.conf"
fi

[ $fails -eq 0 ] || qt_fail "$fails disagreements between --help, man pages and the parser"
echo "docs agree"
exit 0
