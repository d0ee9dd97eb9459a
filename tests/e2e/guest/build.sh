#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh - the tiny TCG test guest: a Debian kernel plus a busybox initramfs.
# Owns: fetching the kernel package, the initramfs (virtio-net and fw_cfg
#   modules, busybox, socat and iperf3 with their libraries, init, udhcpc hook).
# Not here: running the guest (tests/e2e/lib.sh, e2e_guest_run).
#
# Usage: build.sh [CACHE_DIR]
#   Prints the guest directory (kernel, initrd.img, manifest) as its last
#   line. CACHE_DIR defaults to ${USERNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usernet}.
#   The guest lives in CACHE_DIR/guest-HASH, HASH covering every build input;
#   an existing one is reused. Nothing is written into the source tree.
#
# The init (guest/init) runs the script QEMU hands over with
#   -fw_cfg name=opt/usernet/script,file=SCRIPT
# (the manifest says "script=fw_cfg ...") or, for a kernel without the
# qemu_fw_cfg module, /usernet/script from an initramfs appended at boot
# ("script=initrd ...").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${USERNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usernet}}
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"
programs="/usr/bin/socat /usr/bin/iperf3"

log() { echo "guest/build.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# The versioned kernel package that linux-image-amd64 points at, with the
# version it pins: "linux-image-6.1.0-56-amd64 6.1.192-2".
kernel_package() {
	apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
		sed -n 's/^Depends: .*\(linux-image-[0-9][^ ]*-amd64\) (= \([^)]*\)).*/\1 \2/p' | head -n1
}

read -r pkg pkg_version <<<"$(kernel_package)"
if [ -z "$pkg" ]; then
	log "apt knows no linux-image-amd64; running apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	read -r pkg pkg_version <<<"$(kernel_package)"
fi
[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package"

for p in busybox cpio $programs; do
	command -v "$p" >/dev/null || die "$p is missing (apt-get install busybox-static cpio socat iperf3)"
done
# grep reads the whole list: with -q it may exit first, and pipefail
# would see busybox die of SIGPIPE.
busybox --list | grep -x udhcpc >/dev/null || die "busybox has no udhcpc: install busybox-static"

# The uncompressed ELF kernel inside a bzImage. QEMU boots it through its PVH
# note, which skips SeaBIOS's slow initrd load and the in-guest decompression
# (a TCG boot drops from about 9 s to about 4.5 s).
extract_vmlinux() {
	local magic off
	for magic in $'\xfd7zXZ\x00' $'\x1f\x8b\x08' $'\x28\xb5\x2f\xfd'; do
		off=$(LC_ALL=C grep -abo -m1 "$magic" "$1" | head -n1 | cut -d: -f1)
		[ -n "$off" ] || continue
		tail -c +"$((off + 1))" "$1" | case $magic in
		*7zXZ*) xz -dc --single-stream ;;
		$'\x1f\x8b'*) gzip -dc ;;
		*) zstd -qdc ;;
		esac >"$2" 2>/dev/null
		if [ "$(head -c4 "$2")" = $'\x7fELF' ] && grep -q Xen "$2"; then
			return 0
		fi
	done
	return 1
}

inputs() {
	echo "$pkg $pkg_version $modules"
	dpkg-query -W busybox-static socat iperf3 libiperf0 2>/dev/null || true
	cat "$0" "$here/init" "$here/udhcpc.script"
}
hash=$(inputs | sha256sum | cut -c1-16)
out=$cache/guest-$hash
if [ -f "$out/manifest" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work" # apt-get download runs as _apt where it can

log "downloading $pkg $pkg_version"
if ! (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
	log "apt-get download failed; running apt-get update and retrying"
	apt-get update -qq >&2 || die "apt-get update failed"
	(cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || die "apt-get download $pkg failed"
fi
dpkg -x "$work"/"$pkg"_*.deb "$work/kpkg"
kver=${pkg#linux-image-}
moddir=$work/kpkg/lib/modules/$kver
[ -d "$moddir" ] || moddir=$work/kpkg/usr/lib/modules/$kver

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules,lib64,usr/bin,usernet}

# qemu_fw_cfg hands the guest its script; without it, e2e_guest_run
# appends the script to the initramfs as /usernet/script instead.
find_module() {
	find "$moddir" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" -o -name "$1.ko.gz" | head -n1
}
script_via="initrd /usernet/script"
if [ -n "$(find_module qemu_fw_cfg)" ]; then
	modules="$modules qemu_fw_cfg"
	script_via="fw_cfg opt/usernet/script"
fi

# Modules, decompressed now so the guest needs no xz/zstd support in insmod.
for m in $modules; do
	f=$(find_module "$m")
	[ -n "$f" ] || die "module $m not in $pkg"
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -qdc "$f" ;;
	*.gz) gzip -dc "$f" ;;
	*) cat "$f" ;;
	esac >"$root/lib/modules/$m.ko"
done
echo "$modules" | tr ' ' '\n' >"$root/etc/modules"

cp /bin/busybox "$root/bin/busybox"
for applet in $(busybox --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

# Dynamic programs with the libraries ldd names, at the same paths.
for prog in $programs; do
	cp "$prog" "$root/usr/bin/"
	for lib in $(ldd "$prog" | grep -o '/[^ ]*'); do
		real=$(readlink -f "$lib")
		dest=$root/lib/${lib#*/lib/}
		case $lib in /lib64/*) dest=$root$lib ;; esac
		mkdir -p "$(dirname "$dest")"
		cp "$real" "$dest"
	done
done

cp "$here/init" "$root/init"
cp "$here/udhcpc.script" "$root/etc/udhcpc.script"
chmod 0755 "$root/init" "$root/etc/udhcpc.script"
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
: >"$root/etc/resolv.conf"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$work/initrd.img"
if extract_vmlinux "$work/kpkg/boot/vmlinuz-$kver" "$work/kernel"; then
	kernel_format="vmlinux (ELF, PVH entry)"
else
	cp "$work/kpkg/boot/vmlinuz-$kver" "$work/kernel"
	kernel_format="bzImage"
fi
chmod 0644 "$work/kernel" "$work/initrd.img"
cat >"$work/manifest" <<MANIFEST
kernel=$pkg $pkg_version
kernel_format=$kernel_format
modules=$modules
script=$script_via
programs=$programs
MANIFEST

mkdir -p "$out.tmp.$$"
mv "$work/kernel" "$work/initrd.img" "$work/manifest" "$out.tmp.$$/"
mv -T "$out.tmp.$$" "$out" 2>/dev/null || rm -rf "$out.tmp.$$" # lost a race: theirs is as good
# Guests from other inputs, untouched for a day, are stale.
find "$cache" -maxdepth 1 -name 'guest-*' ! -name "guest-$hash" -mtime +0 -exec rm -rf {} +
log "built $out ($(du -sh "$out" | cut -f1))"
echo "$out"
