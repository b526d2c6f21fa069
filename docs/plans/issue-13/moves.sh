#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# moves.sh CHECKOUT - issue 13, the structural step, part 1: the file moves.
#
# Moves files (git mv), rewrites every citation of a moved path in the tree
# (comments, docs, test scripts: "src/quelld/prom.c" -> "src/quelld/prom.c"),
# and edits the Makefile (per-layer -I, generated dependencies). It does NOT
# refactor code: what only a code change can cut (the circles, proto.c's
# struct tenant, the tick's stages) is in plan.md, steps R1..R8.
#
# Idempotent: a file already at its destination is skipped, a Makefile edit
# already made is skipped. Files it does not know (added by branches merged
# after this was written) are placed by a rule when the rule is certain, and
# listed at the end otherwise, for a human to place.
#
# Usage: moves.sh CHECKOUT      (a git work tree of quell, clean or not)
# Then:  make -j2 && tests/check-layers.sh
set -euo pipefail

top=${1:?usage: moves.sh CHECKOUT}
cd "$top"
git rev-parse --is-inside-work-tree >/dev/null
[ -f Makefile ] && [ -d include ] && [ -d collectors ] || { echo "not a quell tree: $top" >&2; exit 1; }

declare -a MOVED=() UNPLACED=() NOTES=()

# mv_ SRC DST: git mv when SRC is there; nothing when DST already is.
mv_() {
	local src=$1 dst=$2
	if [ -e "$src" ] && [ ! -e "$dst" ]; then
		mkdir -p "$(dirname "$dst")"
		git mv "$src" "$dst"
		MOVED+=("$src $dst")
		echo "  mv    $src -> $dst"
	elif [ -e "$dst" ] && [ ! -e "$src" ]; then
		MOVED+=("$src $dst")	# done by an earlier run: its citations are rewritten again (no-op)
	elif [ -e "$src" ] && [ -e "$dst" ]; then
		UNPLACED+=("$src (both $src and $dst exist)")
	else
		NOTES+=("$src: not in this tree (renamed or removed since the plan?)")
	fi
}

echo "== 1. src/lib/ -> the layers"
# common: utilities every binary and layer uses, the metric table, the protocol
for f in units log metrics tenant_name proto; do mv_ src/lib/$f.c src/common/$f.c; done
# policy: static limits, the rules and the ladder, quell.conf that holds them
for f in limits policy config; do mv_ src/lib/$f.c src/policy/$f.c; done
# history: the RRD schema, fetch/report/graph, the audit log (writer and the one reader)
for f in rrd_schema history_read events_log; do mv_ src/lib/$f.c src/history/$f.c; done
# used by one program only: beside it
mv_ src/quelld/prom.c src/quelld/prom.c
mv_ src/quelld/fairshare.c src/quelld/fairshare.c
mv_ src/quellctl/lve.c src/quellctl/lve.c
mv_ src/pam/pam_decide.c src/pam/pam_decide.c
# the daemon's RRD writer, named for what it does (src/history/ is the reading side;
# the same stem made include/history.h look like the writer's own header)
mv_ src/quelld/history_writer.c src/quelld/history_writer.c

echo "== 2. include/: private headers beside their sources"
for h in api authz bpf_dump bpf_loader daemon enforcer hooks kernel_events metrics_http \
	 notify placement quelld state prom; do
	mv_ include/$h.h src/quelld/$h.h
done
mv_ src/quellctl/lve.h src/quellctl/lve.h
mv_ src/pam/pam_quell.h src/pam/pam_quell.h

# What stays in include/: it crosses a boundary (plan.md, "include/").
# tenant.h stays only until step R3 (src/common/proto.c stops encoding struct tenant).
KEEP="quell_bpf.h proto.h cgroup.h procfs.h psi.h hostinfo.h policy.h tenant_limits.h config.h
units.h log.h clock.h metrics.h tenant_name.h history.h events_log.h tenant.h"

echo "== 3. files this script does not know"
# src/lib/*.c left: unknown (a new shared file): name it, do not guess a layer.
for f in src/lib/*.c src/lib/*.h; do
	[ -e "$f" ] || continue
	UNPLACED+=("$f (new shared file: choose src/common, src/policy or src/history by what it includes)")
done
# include/*.h not kept: if only one program's sources include it, it goes there.
for h in include/*.h; do
	b=$(basename "$h")
	case " $(echo $KEEP) " in *" $b "*) continue ;; esac
	users=$(grep -rlE "#include \"$b\"" src top collectors bpf include 2>/dev/null |
		sed -E 's|/[^/]*$||' | sort -u | tr '\n' ' ')
	set -- $users
	if [ $# -eq 1 ] && [[ $1 == src/quelld || $1 == src/quellctl || $1 == src/pam || $1 == top ]]; then
		mv_ "$h" "$1/$b"
	else
		UNPLACED+=("$h (included from: ${users:-nowhere}; keep in include/ only if it crosses a boundary)")
	fi
done
rmdir src/lib 2>/dev/null || true

echo "== 4. citations of moved paths (comments, docs, scripts)"
if [ ${#MOVED[@]} -gt 0 ]; then
	expr=""
	for m in "${MOVED[@]}"; do
		set -- $m
		# literal match: escape the dots
		expr+="s#(?<![\\w.])\\Q$1\\E(?![\\w])#$2#g;"
	done
	pats=$(mktemp)
	for m in "${MOVED[@]}"; do set -- $m; echo "$1"; done >"$pats"
	git ls-files -z | grep -zvE '\.(png|gz|rrd|o)$' |
		{ xargs -0 grep -lIF -f "$pats" 2>/dev/null || true; } |
		while read -r f; do
			if [ -f "$f" ]; then perl -pi -e "$expr" "$f"; fi
		done
	rm -f "$pats"
	# a file whose name changed is also cited by its bare name ("RRD (history_writer.c)")
	git ls-files -z | grep -zvE '\.(png|gz|rrd|o)$' | { xargs -0 grep -lIw 'history\.c' 2>/dev/null || true; } |
		while read -r f; do
			if [ -f "$f" ] && [ -e src/quelld/history_writer.c ]; then
				perl -pi -e 's#(?<![\w./])history\.c(?![\w])#history_writer.c#g' "$f"
			fi
		done
	# the bare "include/X.h" for a header now beside its sources, written without a
	# directory in comments ("see daemon.h") needs nothing: the name is unique.
fi

echo "== 5. Makefile"
mk() {	# mk DESCRIPTION PERL-EXPR CHECK-REGEX: apply once, say when the pattern is gone
	local what=$1 expr=$2 done_re=$3
	if grep -qE -- "$done_re" Makefile; then
		echo "  ok    $what (already)"
	elif perl -0pi -e "$expr" Makefile && grep -qE -- "$done_re" Makefile; then
		echo "  edit  $what"
	else
		echo "  FAIL  $what: pattern not found, edit by hand (plan.md, Makefile)"
		UNPLACED+=("Makefile: $what")
	fi
}
mk "sources of libquell.a by layer" \
   's#LIB_SRCS\t:= \$\(sort \$\(wildcard src/lib/\*\.c collectors/\*\.c\)\)#LIB_SRCS\t:= \$(sort \$(wildcard src/common/*.c collectors/*.c src/policy/*.c src/history/*.c))#' \
   'LIB_SRCS.*src/common/\*\.c'
mk "header comment" \
   's#\#   src/lib/\*\.c, collectors/\*\.c   -> libquell\.a   \(every binary; no libbpf, no ncurses\)#\#   src/common, collectors, src/policy, src/history -> libquell.a (every binary; no libbpf,\n\#                                   no ncurses), the layers in that order (docs/hacking.md)#' \
   'src/common, collectors, src/policy, src/history -> libquell'
mk "generated dependencies, no -I\$(BUILD) for all" \
   's#-D_GNU_SOURCE -Iinclude -I\$\(BUILD\) -fPIC#-D_GNU_SOURCE -Iinclude -fPIC -MMD -MP#' \
   '-D_GNU_SOURCE -Iinclude -fPIC -MMD -MP'
mk "PAM sources" \
   's#(TOP_SRCS\t:= \$\(sort \$\(wildcard top/\*\.c\)\)\n)#$1PAM_SRCS\t:= \$(sort \$(wildcard src/pam/*.c))\n#' \
   '^PAM_SRCS'
mk "PAM objects" \
   's#(TOP_OBJS\t:= \$\(call obj,\$\(TOP_SRCS\)\)\n)#$1PAM_OBJS\t:= \$(call obj,\$(PAM_SRCS))\n#' \
   '^PAM_OBJS'
mk "object rule: layer -I, no blanket include/*.h prerequisite" \
   's#\$\(BUILD\)/obj/%\.o: %\.c \$\(wildcard include/\*\.h\)\n(\t.*\n\t.*\n)\t\$\(Q\)\$\(CC\) \$\(CFLAGS\) -c \$< -o \$@#\$(BUILD)/obj/%.o: %.c\n$1\t\$(Q)\$(CC) \$(CFLAGS) \$(LAYER_INC) -c \$< -o \$@#' \
   'CFLAGS\) \$\(LAYER_INC\) -c'
mk "per-layer include paths" \
   's#(\# only the loader sees the skeleton\n)#\# Each directory sees include/ (what crosses a boundary) and its own headers,\n\# never a program above it: the compiler keeps the layers (docs/hacking.md;\n\# tests/check-layers.sh checks what -I cannot, the order among include/ headers).\n\$(BUILD)/obj/src/quelld/%.o: LAYER_INC := -Isrc/quelld\n\$(BUILD)/obj/src/quellctl/%.o: LAYER_INC := -Isrc/quellctl\n\$(BUILD)/obj/src/pam/%.o: LAYER_INC := -Isrc/pam\n\$(BUILD)/obj/top/%.o: LAYER_INC := -Itop\n\$(BUILD)/obj/collectors/%.o: LAYER_INC := -Icollectors\n\$(BUILD)/obj/src/quelld/bpf_loader.o: LAYER_INC := -Isrc/quelld -I\$(BUILD)\n\n$1#' \
   'LAYER_INC := -Isrc/quelld$'
# An object that includes a generated header of $(BUILD) (a rule "$(BUILD)/obj/X.o:
# $(BUILD)/...", like web.o and its web_assets.h) sees $(BUILD) too, and only it.
for o in $(grep -oE '^\$\(BUILD\)/obj/[^:]+\.o: \$\(BUILD\)/' Makefile | sed -E 's/: .*//' | sort -u); do
	srcf=${o#\$(BUILD)/obj/}
	line="$o: LAYER_INC := -I$(dirname "$srcf") -I\$(BUILD)"
	if grep -qxF "$line" Makefile; then
		echo "  ok    $line (already)"
	else
		L="$line" perl -0pi -e 's#(\$\(BUILD\)/obj/src/quelld/bpf_loader\.o: LAYER_INC := [^\n]*\n)#$1$ENV{L}\n#' Makefile
		if grep -qxF "$line" Makefile; then echo "  edit  $line"
		else echo "  FAIL  $line"; UNPLACED+=("Makefile: $line"); fi
	fi
done
mk "pam_quell.so from its objects" \
   's#\$\(BUILD\)/pam_quell\.so: src/pam/pam_quell\.c \$\(BUILD\)/libquell\.a\n(\t.*\n)\t\$\(Q\)\$\(CC\) \$\(CFLAGS\) -shared#\$(BUILD)/pam_quell.so: \$(PAM_OBJS) \$(BUILD)/libquell.a\n$1\t\$(Q)\$(CC) -shared#' \
   'pam_quell\.so: \$\(PAM_OBJS\)'
mk "unit tests: every program's headers, PAM's pure part" \
   's#(CTL_LIB_OBJS := \$\(call obj,\$\(filter-out src/quellctl/main\.c,\$\(CTL_SRCS\)\)\)\n)#$1PAM_LIB_OBJS := \$(call obj,\$(filter-out src/pam/pam_quell.c,\$(PAM_SRCS)))\nTEST_INC := -Itests/unit -Isrc/quelld -Isrc/quellctl -Isrc/pam -Itop -Icollectors -I\$(BUILD)\n#' \
   '^TEST_INC'
mk "unit test rule uses TEST_INC and PAM_LIB_OBJS" \
   's#(\$\(BUILD\)/tests/%: tests/unit/%\.c [^\n]*)\$\(CTL_LIB_OBJS\) tests/unit/fixture\.h\n(\t.*\n\t.*\n)\t\$\(Q\)\$\(CC\) \$\(CFLAGS\) -Itests/unit \$\(LDFLAGS\) \$< \$\(TOP_LIB_OBJS\) \$\(CTL_LIB_OBJS\) \\#$1\$(CTL_LIB_OBJS) \$(PAM_LIB_OBJS) tests/unit/fixture.h\n$2\t\$(Q)\$(CC) \$(CFLAGS) \$(TEST_INC) \$(LDFLAGS) \$< \$(TOP_LIB_OBJS) \$(CTL_LIB_OBJS) \$(PAM_LIB_OBJS) \\#' \
   'CFLAGS\) \$\(TEST_INC\)'
mk "include the generated dependencies" \
   's#\z#\n\# generated by -MMD: each object and test depends on the headers it includes\n-include \$(wildcard \$(BUILD)/obj/*/*.d \$(BUILD)/obj/*/*/*.d \$(BUILD)/tests/*.d)\n#' \
   '^-include \$\(wildcard \$\(BUILD\)/obj'

echo
echo "== in place: ${#MOVED[@]} files (moved now or by an earlier run)"
if [ ${#NOTES[@]} -gt 0 ]; then
	echo "== notes"
	printf '  %s\n' "${NOTES[@]}"
fi
if [ ${#UNPLACED[@]} -gt 0 ]; then
	echo "== NOT PLACED (decide by hand, then run tests/check-layers.sh)"
	printf '  %s\n' "${UNPLACED[@]}"
	exit 2
fi
echo "== everything placed; next: make -j2 && tests/check-layers.sh"
