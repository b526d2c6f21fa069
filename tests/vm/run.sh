#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run quell's tests inside a pure cgroup-v2 guest: Debian bookworm's
# linux-image-amd64 (6.1) under qemu-system-x86_64 with TCG, root = the host
# root read-only over virtio-9p + a tmpfs overlay (see tests/vm/init).
#
#   tests/vm/run.sh [BUILD]              smoke test + the integration selection
#   tests/vm/run.sh BUILD -- CMD [ARG]   run CMD inside instead (cwd = repo)
#
# Exit status: the guest command's; 124 timeout, 125 the VM itself failed.
#
# Environment:
#   QUELL_VM_TESTS     integration tests to run (default $default_tests below;
#                      missing ones are left out and listed)
#   QUELL_VM_TIMEOUT   hard limit for the whole guest run, seconds (900)
#   QUELL_VM_MEM       guest memory (2G); QUELL_VM_SMP  vCPUs (2)
#   QUELL_VM_KPKG      kernel package (default: what linux-image-amd64 depends on)
#   QUELL_VM_CACHE     cache dir (tests/vm/cache: kernel + initramfs, reused)
#
# Needs root (installs packages, shares / with the guest). KVM is not used on
# purpose: it hangs on the machines this was written on; TCG boots in ~5 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# the tests that make sense under TCG (slow CPU: no benchmarks, no timing-
# tight latency numbers); the rest run on the host. Keep it under ~15 min.
default_tests="t_smoke t_bpf t_placement t_limits t_pids t_memory t_freeze t_kill t_adopt"

build=${1:-build}
[ $# -gt 0 ] && shift
if [ "${1:-}" = -- ]; then
	shift
fi
user_cmd=("$@")

cache=${QUELL_VM_CACHE:-$here/cache}
timeout_s=${QUELL_VM_TIMEOUT:-900}
mem=${QUELL_VM_MEM:-2G}
smp=${QUELL_VM_SMP:-2}

t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "vm [$(elapsed)s] $*"; }
die() { echo "vm: $*" >&2; exit 125; }

[ "$(id -u)" = 0 ] || die "needs root (apt-get, a 9p share of /)"
[ -d "$build" ] || die "no build dir $build (run make first)"
build=$(cd "$build" && pwd)

# --- host packages -----------------------------------------------------------

apt_q() {
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -qq "$@"
}

need_pkgs() {
	local p missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	log "installing:$missing"
	apt_q install --no-install-recommends $missing >"$cache/apt.log" 2>&1 ||
		{ apt_q update >>"$cache/apt.log" 2>&1 &&
		  apt_q install --no-install-recommends $missing >>"$cache/apt.log" 2>&1; } ||
		{ cat "$cache/apt.log"; die "apt-get install$missing failed"; }
}

mkdir -p "$cache" || die "cannot create $cache"

need_pkgs qemu-system-x86 busybox-static kmod cpio gzip

# --- kernel + initramfs (cached) ----------------------------------------------

kpkg=${QUELL_VM_KPKG:-}
if [ -z "$kpkg" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$kpkg" ]; then
		apt_q update >/dev/null 2>&1
		kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	fi
	# offline: whatever kernel the cache already holds
	[ -z "$kpkg" ] && kpkg=$(ls -d "$cache"/linux-image-* 2>/dev/null | tail -1 | xargs -r basename)
fi
[ -n "$kpkg" ] || die "cannot find the linux-image-amd64 kernel package (apt-cache)"
kver=${kpkg#linux-image-}
kdir=$cache/$kpkg
kernel=$kdir/root/boot/vmlinuz-$kver
moddir=$kdir/root/lib/modules/$kver

if [ ! -f "$kernel" ] || [ ! -f "$moddir/modules.dep" ]; then
	log "fetching $kpkg into $kdir"
	rm -rf "$kdir"
	mkdir -p "$kdir/deb"
	(cd "$kdir/deb" && apt-get -qq -o APT::Sandbox::User=root download "$kpkg") ||
		die "apt-get download $kpkg failed"
	dpkg-deb -x "$kdir"/deb/*.deb "$kdir/root" || die "dpkg-deb -x failed"
	rm -rf "$kdir/deb"
	depmod -b "$kdir/root" "$kver" || die "depmod failed"
fi

initrd=$kdir/initrd.img
# what the initramfs needs to reach the 9p root; everything else the tests
# want is modprobe'd inside from $moddir (bind-mounted by guest.sh)
initrd_mods="virtio_pci 9pnet_virtio 9p overlay virtio_blk ext4"
if [ ! -f "$initrd" ] || [ "$here/init" -nt "$initrd" ] || [ "$0" -nt "$initrd" ]; then
	log "building initramfs"
	ir=$(mktemp -d "$cache/initrd.XXXX")
	mkdir -p "$ir/bin" "$ir/lib/modules"
	cp /bin/busybox "$ir/bin/busybox"
	install -m 0755 "$here/init" "$ir/init"
	for m in $initrd_mods; do
		modprobe -d "$kdir/root" -S "$kver" --show-depends "$m" ||
			die "module $m not found for $kver"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
	while read -r ko; do
		cp "$ko" "$ir/lib/modules/" && basename "$ko" >> "$ir/lib/modules/modules.list"
	done
	[ -s "$ir/lib/modules/modules.list" ] || die "no modules for the initramfs"
	(cd "$ir" && find . | cpio -o -H newc --quiet) > "$initrd.tmp" &&
		mv "$initrd.tmp" "$initrd" || die "cpio failed"
	rm -rf "$ir"
fi

# --- the guest's command --------------------------------------------------------

rundir=$(mktemp -d "$cache/run.XXXX")
chmod 755 "$rundir"
trap 'rm -rf "$rundir"' EXIT
echo "$moddir" > "$rundir/modules-dir"
# the guest's /tmp: a sparse ext4 image on a virtio disk (see init)
qemu_disk=()
if truncate -s "${QUELL_VM_SCRATCH_GB:-4}G" "$rundir/scratch.img" &&
	mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$rundir/scratch.img"; then
	qemu_disk=(-drive "file=$rundir/scratch.img,if=virtio,format=raw,cache=unsafe,discard=unmap")
else
	log "warning: no scratch disk, the guest's /tmp is tmpfs"
fi
{
	echo "# written by tests/vm/run.sh"
	echo "cd $(printf %q "$repo") || exit 125"
	if [ ${#user_cmd[@]} -gt 0 ]; then
		printf '%q ' "${user_cmd[@]}"
		echo
	else
		sel=
		missing=
		for t in ${QUELL_VM_TESTS:-$default_tests}; do
			t=${t%.sh}
			if [ -f "$repo/tests/integration/$t.sh" ]; then
				sel="$sel $t"
			else
				missing="$missing $t"
			fi
		done
		[ -n "$missing" ] && echo "echo 'vm: not written yet, not run:$missing'"
		echo "bash tests/vm/smoke.sh $(printf %q "$build") /run/quell-vm/core_probe.bpf.o; smoke=\$?"
		if [ -n "$sel" ]; then
			echo "QT_ONLY='${sel# }' tests/integration/run.sh $(printf %q "$build"); integ=\$?"
		else
			echo "echo 'vm: no integration test selected'; integ=0"
		fi
		echo "[ \$smoke -eq 0 ] && exit \$integ; exit \$smoke"
	fi
} > "$rundir/cmd.sh"

# the CO-RE probe, built against the HOST kernel's BTF, for smoke.sh to
# load on the guest's: proves relocation on a second kernel
if [ ${#user_cmd[@]} -eq 0 ]; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$rundir/vmlinux.h" &&
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$rundir" -Wall -Werror \
		-c "$here/core_probe.bpf.c" -o "$rundir/core_probe.bpf.o" &&
	llvm-strip -g "$rundir/core_probe.bpf.o" ||
		log "warning: could not build the CO-RE probe (clang, bpftool, host BTF)"
	rm -f "$rundir/vmlinux.h"
fi

# --- boot --------------------------------------------------------------------------

log "booting $kpkg (TCG, $smp vCPUs, $mem, timeout ${timeout_s}s)"
qemu_t0=$(date +%s.%N)
boot_t=
rc=
qemu_rc=
cmdline="console=ttyS0 quiet loglevel=4 panic=1 rdinit=/init mitigations=off"
cmdline="$cmdline systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all psi=1"
cmdline="$cmdline quell.stage2=$here/guest.sh"
# the guest is its own world: -nodefaults (no NIC, no VGA), host root
# read-only, only $rundir writable; -no-reboot turns the guest's power-off
# and a panic into qemu's exit
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	QUELL-VM-READY*)
		boot_t=$(awk -v a="$qemu_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		log "guest up ${boot_t}s after qemu started: ${line#QUELL-VM-READY }";;
	*"sysrq: Power Off"|*"reboot: Power down")
		;;
	QUELL-VM-EXIT=*)
		rc=${line#QUELL-VM-EXIT=};;
	QUELL-VM-QEMU-RC=*)
		qemu_rc=${line#QUELL-VM-QEMU-RC=};;
	*)
		printf '%s\n' "$line";;
	esac
done < <(timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-machine q35 -accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem" \
	-nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev local,id=quellout,path="$rundir",security_model=none \
	-device virtio-9p-pci,fsdev=quellout,mount_tag=quellout \
	-device virtio-rng-pci \
	"${qemu_disk[@]}" \
	< /dev/null 2>&1; echo "QUELL-VM-QEMU-RC=$?")

# the rc file (9p share) is the reliable channel; the console line the backup
[ -f "$rundir/rc" ] && rc=$(cat "$rundir/rc")
total=$(elapsed)
if [ -z "$rc" ]; then
	if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
		log "timeout: no exit status from the guest after ${timeout_s}s"
		exit 124
	fi
	log "guest gave no exit status (qemu rc ${qemu_rc:-?}); total ${total}s"
	exit 125
fi
log "guest exit status $rc; boot ${boot_t:-?}s, total ${total}s"
exit "$rc"
