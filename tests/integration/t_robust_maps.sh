#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A full BPF accounting map (issue 2: "a full map is counted and reported,
# never silent"). [daemon] max_tenants = 2, four busy test users:
#   - quellctl --json status reports bpf.acct_full > 0 and acct_used = 2;
#   - quelld keeps running and answering;
#   - the map's two slots go to tenants (root and system users, outside
#     [min_uid, max_uid], never take one), and those two are accounted right:
#     cpu_ns from bpf within 10 % of the kernel's cgroup counter over a still
#     window;
#   - the two without a slot are not shown as idle BPF zeros: their cpu_ns
#     comes from cgroupfs (source "cgroup"), also within 10 %.
. "$(dirname "$0")/lib.sh"

command -v stress-ng >/dev/null || qt_fail "stress-ng missing (make deps)"
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
jpy() {
	local prog=$1
	shift
	qt_ctl --json "$@" | python3 -c "import json,sys; d=json.load(sys.stdin); $prog"
}

U=()
for i in 1 2 3 4; do
	qt_user qm$i$$ >/dev/null
	U+=(qm$i$$)
done
QT_TICK=250ms qt_config </dev/null
sed -i -e "s/^\[daemon\]\$/[daemon]\nmax_tenants = 2/" \
	-e "s/^\[tenants\]\$/[tenants]\nsweep = 1s/" "$QT_DIR/quell.conf"
qt_quelld
jpy "assert d['bpf']['loaded'], 'BPF not loaded'" status 2>/dev/null ||
	qt_skip "BPF does not load here: no map to fill"

# name src cpu_ns, one line per test user
snap() {
	jpy "
for t in d['tenants']:
    print(t['name'], t['sources'].get('cpu_ns'), int(t['counters']['cpu_ns'] or 0))" list
}

# four users: placed by the sweep while they wait for $QT_DIR/go, then burn
# 4 s of CPU each and sleep; the counters are read before go and after the
# hogs exited, so both ends of the window are still (no tick sampling skew)
chmod 0711 "$QT_DIR"
for u in "${U[@]}"; do
	qt_bg su -s /bin/sh $u -c "cd /tmp && while [ ! -e $QT_DIR/go ]; do sleep 0.2; done;
		stress-ng --cpu 1 --timeout 4s --quiet; exec sleep 60"
done
placed() {
	local u h
	for u in "${U[@]}"; do
		for h in $CG/cpuacct $CG/unified $CG; do
			grep -q . $h/$QT_ID/$u/cgroup.procs 2>/dev/null && continue 2
		done
		return 1
	done
}
for i in $(seq 50); do placed && break; sleep 0.1; done
placed || bad "test users not placed"
sleep 0.6
snap > "$QT_DIR/s0"
for u in "${U[@]}"; do echo "$u $(qt_kernel_cpu_ns $u)"; done > "$QT_DIR/k0"
touch "$QT_DIR/go"
sleep 4
for i in $(seq 100); do pgrep -u "$(id -u ${U[0]}),$(id -u ${U[1]}),$(id -u ${U[2]}),$(id -u ${U[3]})" \
	-f stress-ng >/dev/null || break; sleep 0.1; done
sleep 0.6
snap > "$QT_DIR/s1"
for u in "${U[@]}"; do echo "$u $(qt_kernel_cpu_ns $u)"; done > "$QT_DIR/k1"

st=$(jpy "b=d['bpf']; print(b.get('acct_full'), b.get('acct_used'), b.get('acct_max'))" status)
read -r full used max <<<"$st"
echo "  bpf: acct_full=$full acct_used=$used acct_max=$max"
[ "$max" = 2 ] || bad "acct_max $max, want 2"
[ "$full" -gt 0 ] 2>/dev/null && ok "acct_full = $full (reported, not silent)" || bad "acct_full '$full'"
[ "$used" = 2 ] && ok "acct_used = 2" || bad "acct_used $used"
qt_ctl status | grep -E "^(tick|bpf):" | sed 's/^/  /'
kill -0 $QT_QUELLD_PID && qt_ctl ping >/dev/null && ok "quelld alive and answering" || bad "quelld dead"

nbpf=0 ncg=0
for u in "${U[@]}"; do
	read -r _ src0 c0 <<<"$(grep "^$u " "$QT_DIR/s0")"
	read -r _ src1 c1 <<<"$(grep "^$u " "$QT_DIR/s1")"
	k0=$(awk -v u=$u '$1 == u { print $2 }' "$QT_DIR/k0")
	k1=$(awk -v u=$u '$1 == u { print $2 }' "$QT_DIR/k1")
	echo "  $u: source $src0 -> $src1, quell $((c1 - c0)) ns, kernel $((k1 - k0)) ns"
	case $src1 in
	bpf) nbpf=$((nbpf + 1));;
	cgroup) ncg=$((ncg + 1));;
	*) bad "$u: cpu_ns source '$src1'";;
	esac
	[ "$src0" = "$src1" ] || { bad "$u: source changed in the window"; continue; }
	[ $((k1 - k0)) -gt 200000000 ] || bad "$u got < 0.2 s CPU: $((k1 - k0)) ns"
	qt_assert_near "$u cpu_ns ($src1) vs kernel cgroup" $((c1 - c0)) $((k1 - k0)) 10 || fail=1
done
[ $nbpf = 2 ] && ok "2 tenants accounted by BPF (the map's 2 slots)" || bad "$nbpf tenants by BPF, want 2"
[ $ncg = 2 ] && ok "the other 2 fall back to cgroupfs" || bad "$ncg tenants on cgroupfs, want 2"
grep -E "AddressSanitizer|runtime error" "$QT_DIR/quelld.log" && bad "sanitizer report"

[ $fail = 0 ] || { tail -20 "$QT_DIR/quelld.log"; qt_fail "full maps"; }
echo PASS
