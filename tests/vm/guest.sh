#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Stage 2 of the test VM, PID 1 after switch_root: the host's bash on the
# guest's 6.1 kernel, root = host root (read-only 9p) + tmpfs overlay.
#
# Mounts what a systemd host would (proc, sys, dev, cgroup2 ONLY at
# /sys/fs/cgroup, bpffs, tracefs, debugfs), enables the v2 controllers in the
# root like systemd does, runs /run/quell-vm/cmd.sh (written by run.sh on the
# host), stores its exit status in /run/quell-vm/rc (a writable 9p share of
# the host's run dir), prints QUELL-VM-EXIT=N on the console and powers off.
#
# bash as PID 1 reaps every orphan (its SIGCHLD handler waits on -1), so the
# tests' double-forked children do not pile up as zombies.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
out=/run/quell-vm

finish() {
	echo "$1" > $out/rc
	sync
	echo "QUELL-VM-EXIT=$1"
	echo o > /proc/sysrq-trigger
	sleep 10
	exit "$1"
}

# the mounts' failures are reported by the checks below, not here
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=000 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
mount -t bpf -o mode=700 bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
# the host's sandbox plumbing lives under /mnt: not the guest's business
mount -t tmpfs -o mode=755 tmpfs /mnt
hostname quell-vm
ip link set lo up 2>/dev/null
echo "QUELL-VM-READY uptime=$(cut -d' ' -f1 /proc/uptime)s kernel=$(uname -r)"

# the guest kernel's modules (extracted on the host, depmod'ed) for modprobe
kver=$(uname -r)
if [ -f "$out/modules-dir" ]; then
	mkdir -p "/usr/lib/modules/$kver"
	mount --bind "$(cat $out/modules-dir)" "/usr/lib/modules/$kver"
fi

# /tmp on a real block device (run.sh's scratch disk, ext4 made on the host):
# the tests use O_DIRECT, which tmpfs refuses before 6.6, and IO limits need
# a disk behind the files
if [ -f "$out/scratch-disk" ]; then
	modprobe virtio_blk
	for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
	if mount -t ext4 -o discard /dev/vda /tmp; then
		chmod 1777 /tmp
		echo "vm: /tmp is ext4 on /dev/vda ($(cat /sys/block/vda/queue/scheduler 2>/dev/null))"
	else
		echo "vm: no scratch disk, /tmp stays tmpfs (no O_DIRECT)"
	fi
fi

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
