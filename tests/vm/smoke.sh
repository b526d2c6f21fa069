#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Smoke test of the pure cgroup-v2 guest, run first by tests/vm/run.sh:
#   smoke.sh BUILD [CORE_PROBE_OBJ]
# 1. the hierarchy is v2 only and offers cpu, io, memory, pids (+ PSI);
# 2. BPF loads on this (second) kernel: the CO-RE probe built against the
#    host's BTF, every BUILD/*.bpf.o, and quelld --bpf-dump if it has it;
# 3. a quelltest-* cgroup can be created, limited (cpu.max, memory.max,
#    pids.max, io.max on a null_blk disk), and the limits bite; freeze, kill.
# Exits 0 all passed, 1 a check failed, 77 not a cgroup-v2 system (skipped).
set -u
build=$(cd "${1:-build}" && pwd)
probe=${2:-}
cg=/sys/fs/cgroup
fails=0
id=quelltest-vm-$$
test_cg=$cg/$id
bpfdir=/sys/fs/bpf/$id
pids=()

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check NAME CMD...: ok if CMD succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
# value of KEY in a flat-keyed cgroup file (memory.events, cpu.stat, ...)
kv() { awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$1" 2>/dev/null; }

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ -d "$test_cg" ]; then
		echo 0 > "$test_cg/cgroup.freeze" 2>/dev/null
		echo 1 > "$test_cg/cgroup.kill" 2>/dev/null
		for p in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$test_cg"/* "$test_cg" 2>/dev/null
			[ -d "$test_cg" ] || break
			sleep 0.2
		done
	fi
	rm -rf "$bpfdir"
	[ -n "${nullb:-}" ] && modprobe -r null_blk 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

[ "$(stat -fc %T $cg 2>/dev/null)" = cgroup2fs ] ||
	{ echo "SKIP: $cg is not a cgroup2 mount (not the pure-v2 VM)"; exit 77; }

echo "== smoke: kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"

# --- 1. pure v2 -------------------------------------------------------------
ctrls=$(cat $cg/cgroup.controllers)
for c in cpu io memory pids; do
	check "controller $c available (cgroup.controllers: $ctrls)" grep -qw "$c" <<< "$ctrls"
done
check "no cgroup v1 hierarchy mounted" bash -c '! grep -q "^cgroup " /proc/mounts'
check "cgroup v1 disabled (cgroup_no_v1=all)" grep -q 'cgroup_no_v1=all' /proc/cmdline
check "PSI available (cpu/memory/io.pressure)" test -r /proc/pressure/cpu -a -r $cg/init.scope/memory.pressure

# --- 2. BPF on this kernel ----------------------------------------------------
mkdir -p "$bpfdir"
if [ -n "$probe" ] && [ -f "$probe" ]; then
	if out=$(bpftool prog loadall "$probe" "$bpfdir/probe" 2>&1); then
		ok "CO-RE probe (built against the host's BTF) loads: $(bpftool prog show pinned $bpfdir/probe/probe_exec | head -1)"
	else
		bad "CO-RE probe does not load:"
		echo "$out" | tail -20
	fi
else
	echo "note: no CO-RE probe object given"
fi
nobj=0
for o in "$build"/*.bpf.o; do
	[ -f "$o" ] || continue
	nobj=$((nobj + 1))
	n=$(basename "$o" .bpf.o)
	if out=$(bpftool prog loadall "$o" "$bpfdir/$n" 2>&1); then
		ok "$n.bpf.o loads via CO-RE: $(ls "$bpfdir/$n" | wc -l) programs ($(ls "$bpfdir/$n" | tr '\n' ' '))"
	else
		bad "$n.bpf.o does not load:"
		echo "$out" | grep -v '^libbpf: prog .*: -- BEGIN\|^[0-9]*: ' | tail -20
	fi
done
[ $nobj -eq 0 ] && echo "note: no $build/*.bpf.o yet (bpf/ not written), only the probe was loaded"
if [ -x "$build/quelld" ] && "$build/quelld" --help 2>&1 | grep -q -- --bpf-dump; then
	if out=$(timeout 120 "$build/quelld" --bpf-dump --seconds 3 2>&1); then
		ran=$(echo "$out" | grep -c '^ *prog .*run_cnt=[1-9]')
		nprog=$(echo "$out" | grep -c '^ *prog ')
		ok "quelld --bpf-dump --seconds 3: $(echo "$out" | head -1 | cut -c1-60)..., $ran of $nprog programs ran"
		echo "$out" | grep -v '^ *prog ' | sed -n '2,12p'
	else
		bad "quelld --bpf-dump --seconds 3:"
		echo "$out" | tail -30
	fi
else
	echo "note: quelld has no --bpf-dump yet, not run"
fi

# --- 3. a limited cgroup --------------------------------------------------------
mkdir "$test_cg" || { bad "mkdir $test_cg"; exit 1; }
echo "+cpu +io +memory +pids" > "$test_cg/cgroup.subtree_control" ||
	bad "enable cpu io memory pids in $id"
for c in cpu io memory pids; do
	mkdir "$test_cg/$c"
done

# cpu.max: a busy loop at 20% for 2 s must be throttled
echo "20000 100000" > "$test_cg/cpu/cpu.max"
bash -c "echo \$\$ > $test_cg/cpu/cgroup.procs; end=\$((SECONDS + 2)); while [ \$SECONDS -lt \$end ]; do :; done"
thr=$(kv "$test_cg/cpu/cpu.stat" nr_throttled)
use=$(kv "$test_cg/cpu/cpu.stat" usage_usec)
check "cpu.max 20%: 2 s busy loop throttled $thr times, used $((use / 1000)) ms" \
	test "$thr" -gt 0 -a "$use" -lt 1000000

# memory.max: 200 MiB of anonymous memory in a 32 MiB cgroup is stopped
echo 32M > "$test_cg/memory/memory.max"
echo 0 > "$test_cg/memory/memory.swap.max" 2>/dev/null
bash -c "echo \$\$ > $test_cg/memory/cgroup.procs; exec stress-ng --vm 1 --vm-bytes 200M --vm-keep --timeout 4s -q" >/dev/null 2>&1
oom=$(kv "$test_cg/memory/memory.events" oom_kill)
mx=$(kv "$test_cg/memory/memory.events" max)
check "memory.max 32M: stress-ng --vm 200M hit max $mx times, oom_kill $oom" \
	test "$mx" -gt 0 -a "$oom" -gt 0

# pids.max: the 9th process is refused
echo 8 > "$test_cg/pids/pids.max"
bash -c "echo \$\$ > $test_cg/pids/cgroup.procs; for i in \$(seq 20); do sleep 3 & done 2>/dev/null; wait" 2>/dev/null
pmax=$(kv "$test_cg/pids/pids.events" max)
check "pids.max 8: 20 forks refused $pmax times" test "$pmax" -gt 0

# io.max on a null_blk disk (module from the guest kernel's tree)
if modprobe null_blk nr_devices=1 gb=1 2>/dev/null && [ -b /dev/nullb0 ]; then
	nullb=1
	dev=$(stat -c '%Hr:%Lr' /dev/nullb0 2>/dev/null || printf '%d:%d' 0x$(stat -c %t /dev/nullb0) 0x$(stat -c %T /dev/nullb0))
	echo "$dev rbps=4194304" > "$test_cg/io/io.max"
	check "io.max set on nullb0 ($dev): $(cat $test_cg/io/io.max)" grep -q "rbps=4194304" "$test_cg/io/io.max"
	t=$(date +%s.%N)
	bash -c "echo \$\$ > $test_cg/io/cgroup.procs; exec dd if=/dev/nullb0 of=/dev/null bs=1M count=12 iflag=direct" 2>/dev/null
	secs=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	rb=$(awk -v d="$dev" '$1 == d { for (i = 2; i <= NF; i++) if ($i ~ /^rbytes=/) print substr($i, 8) }' "$test_cg/io/io.stat")
	check "io.max 4 MiB/s: 12 MiB direct read took ${secs}s (>= 2), io.stat rbytes=${rb:-0}" \
		awk -v s="$secs" -v r="${rb:-0}" 'BEGIN { exit !(s >= 2 && r >= 12582912) }'
else
	bad "modprobe null_blk (guest kernel modules not reachable?)"
fi

# freeze and kill a whole group
bash -c "echo \$\$ > $test_cg/pids/cgroup.procs; exec sleep 300" &
pids+=($!)
sleep 0.5
echo 1 > "$test_cg/pids/cgroup.freeze"
for i in $(seq 20); do grep -q 'frozen 1' "$test_cg/pids/cgroup.events" && break; sleep 0.1; done
check "cgroup.freeze: group frozen" grep -q 'frozen 1' "$test_cg/pids/cgroup.events"
echo 1 > "$test_cg/pids/cgroup.kill"
wait "${pids[@]}" 2>/dev/null
for i in $(seq 20); do [ -z "$(cat $test_cg/pids/cgroup.procs)" ] && break; sleep 0.1; done
check "cgroup.kill: group empty" test -z "$(cat $test_cg/pids/cgroup.procs)"

echo "== smoke: $fails failed"
[ $fails -eq 0 ]
