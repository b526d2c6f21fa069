#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Accounting accuracy (issue 7.4): quell's per-tenant counters (quellctl
# --json show: counters.cpu_ns, io_rbytes, io_wbytes; BPF-sourced) against
# the kernel's own counters of the tenant's cgroup (v1 cpuacct.usage and
# blkio.throttle.io_service_bytes on v1/hybrid; cpu.stat usage_usec and
# io.stat on v2) over the same window. Both are read before the load and
# again after the load has ended and quelld has ticked twice.
#   CPU: tenant A runs stress-ng --cpu 2 (on a shared 2-CPU box: contended,
#        so it is switched in and out often).
#   IO:  tenant B writes then reads a file with O_DIRECT (dd, 1 MiB blocks);
#        buffered writeback is attributed to kworkers (docs/attribution.md),
#        so it is not what is compared here.
. "$(dirname "$0")/lib.sh"

command -v stress-ng >/dev/null || qt_skip "stress-ng missing"
if [ "$BENCH_QUICK" = 1 ]; then CPU_S=4; MB=64; else CPU_S=10; MB=256; fi
A=qba$$; B=qbb$$
qt_user $A >/dev/null; qt_user $B >/dev/null
UA=$(id -u $A) && UB=$(id -u $B) || qt_fail "users"
qt_quelld
mkdir -m 0777 "$QT_DIR/w"
cd "$QT_DIR/w"

# kernel counters of tenant $1: "cpu_ns rbytes wbytes"
kern() {
	local c r w
	if [ "$B_UNI" = "$CG" ]; then
		c=$(awk '$1 == "usage_usec" { print $2 * 1000 }' "$CG/$QT_ID/$1/cpu.stat")
		read -r r w < <(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "=");
			if (kv[1] == "rbytes") r += kv[2]; if (kv[1] == "wbytes") w += kv[2] } }
			END { print r + 0, w + 0 }' "$CG/$QT_ID/$1/io.stat")
	else
		c=$(cat "$CG/cpuacct/$QT_ID/$1/cpuacct.usage")
		read -r r w < <(awk '$2 == "Read" { r += $3 } $2 == "Write" { w += $3 }
			END { print r + 0, w + 0 }' "$CG/blkio/$QT_ID/$1/blkio.throttle.io_service_bytes")
	fi
	echo "${c:-0} ${r:-0} ${w:-0}"
}
quell() {
	qt_ctl --json show "$1" | jq -r '.tenant.counters | "\(.cpu_ns // 0) \(.io_rbytes // 0) \(.io_wbytes // 0)"'
}
# wait until both tenants have cgroups (created when the users appear)
for _ in $(seq 50); do
	[ "$(qt_ctl --json tenants 2>/dev/null | jq --arg a $A --arg b $B \
		'[.tenants[] | select((.name == $a or .name == $b) and .cgroup != "")] | length')" = 2 ] && break
	sleep 0.2
done
as() { local u=$1; shift; setpriv --reuid="$(id -u "$u")" --regid=65534 --clear-groups -- "$@"; }
# the loads sleep 0.5 s first: quell moves them into the tenant's cgroup on the
# setresuid event, and the kernel's cgroup counters only see what runs inside

sleep 2
read -r qa0 _ _ < <(quell $A); read -r ka0 _ _ < <(kern $A)
read -r _ qr0 qw0 < <(quell $B); read -r _ kr0 kw0 < <(kern $B)
b_log "CPU: $A stress-ng --cpu 2 for ${CPU_S}s; IO: $B dd ${MB} MiB O_DIRECT write + read"
as $A sh -c "sleep 0.5; exec stress-ng --cpu 2 --timeout ${CPU_S}s --temp-path $QT_DIR/w -q" &
QT_PIDS+=($!); hog=$!
as $B sh -c "sleep 0.5; dd if=/dev/zero of=$QT_DIR/w/f bs=1M count=$MB oflag=direct status=none &&
	dd if=$QT_DIR/w/f of=/dev/null bs=1M iflag=direct status=none" || qt_fail "dd"
wait $hog
sleep 2.5	# two ticks: quell's counters are read once per tick
read -r qa1 _ _ < <(quell $A); read -r ka1 _ _ < <(kern $A)
read -r _ qr1 qw1 < <(quell $B); read -r _ kr1 kw1 < <(kern $B)

printf '\n%-22s %16s %16s %9s %7s\n' counter quell kernel "quell/k" goal
row() {
	local name=$1 q=$2 k=$3 r
	r=$(b_ratio "$q" "$k")
	printf '%-22s %16s %16s %9s %7s\n' "$name" "$q" "$k" "$r" "±10%"
	bj "$4" "$(jq -n --argjson q "$q" --argjson k "$k" --argjson r "$r" \
		'{quell: $q, kernel: $k, ratio: $r, goal: "within 10%"}')"
}
row "cpu_ns ($A)" $((qa1 - qa0)) $((ka1 - ka0)) cpu_ns
row "io_wbytes ($B)" $((qw1 - qw0)) $((kw1 - kw0)) io_wbytes
row "io_rbytes ($B)" $((qr1 - qr0)) $((kr1 - kr0)) io_rbytes
echo "(written by dd: $((MB << 20)) bytes each way)"
bj dd_bytes $((MB << 20)); bj cpu_seconds "$CPU_S"
exit 0
