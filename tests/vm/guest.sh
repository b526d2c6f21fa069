#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Stage 2 of the test VM, PID 1 after switch_root: the host's bash on the
# guest's 6.1 kernel, root = host root (read-only 9p) + tmpfs overlay.
#
# The initramfs' /init mounted what a systemd host would (proc, sys, dev,
# cgroup2 ONLY at /sys/fs/cgroup, bpffs, tracefs, debugfs, /tmp on ext4);
# this enables the v2 controllers in the root like systemd does, runs
# /run/quell-vm/cmd.sh (written by run.sh on the host), stores its exit status in /run/quell-vm/rc (a writable 9p share of
# the host's run dir), prints QUELL-VM-EXIT=N on the console and powers off.
#
# bash as PID 1 reaps every orphan (its SIGCHLD handler waits on -1), so the
# tests' double-forked children do not pile up as zombies.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
out=/run/quell-vm

finish() {
	dmesg > $out/dmesg.txt 2>/dev/null
	# what the quiet console hid but a test run must not: kernel warnings,
	# oopses, hung tasks, BPF/cgroup complaints
	grep -E 'WARNING:|BUG:|Oops|blocked for more than|general protection|bpf.*(fail|error)' \
		$out/dmesg.txt | head -40 | sed 's/^/vm: kernel: /'
	echo "$1" > $out/rc
	sync
	echo "QUELL-VM-EXIT=$1"
	echo o > /proc/sysrq-trigger
	sleep 10 2>/dev/null
	exit "$1"
}

# builtins only until READY: every exec of a host binary goes through 9p
read -r up _ < /proc/uptime
read -r kver < /proc/sys/kernel/osrelease
echo "QUELL-VM-READY uptime=${up}s kernel=$kver"

# what systemd does on a pure-v2 host: every controller available in the
# root's children, PID 1 out of the root into init.scope
ctrls=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)
echo "vm: cgroup2 at /sys/fs/cgroup, controllers: $ctrls"
for c in $ctrls; do
	echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
		echo "vm: cannot enable $c in the root"
done
mkdir -p /sys/fs/cgroup/init.scope
echo $$ > /sys/fs/cgroup/init.scope/cgroup.procs
if grep -q '^cgroup ' /proc/mounts; then
	echo "vm: a cgroup v1 hierarchy is mounted: not a pure-v2 guest"
	finish 125
fi

[ -f $out/cmd.sh ] || { echo "vm: no $out/cmd.sh"; finish 125; }
echo "vm: running $out/cmd.sh"
bash $out/cmd.sh < /dev/null
finish $?
