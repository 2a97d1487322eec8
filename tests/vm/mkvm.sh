#!/bin/sh
# Build the test VM: Debian's stock kernel (it ships sctp.ko) plus a tiny
# busybox initramfs that mounts the host's root read-only over 9p.
#
# Output: $VM_CACHE/vmlinuz, $VM_CACHE/initrd.gz (see common.sh for VM_CACHE).
# Idempotent: does nothing when the artefacts match the current kernel
# package and these scripts. Needs: apt (download only, nothing is installed
# from the kernel package), busybox-static, cpio, binutils (strings).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

# Modules the VM needs; everything they depend on is added automatically.
# sch_prio, cls_u32, act_gact: tc drops chosen SCTP chunks (faults.sh).
WANT="virtio_pci 9pnet_virtio 9p overlay crc32c_generic sctp veth sctp_diag sch_prio cls_u32 act_gact"

# Name of the versioned kernel package that linux-image-amd64 points to now.
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

pkg=$(kernel_pkg)
if [ -z "$pkg" ]; then
	echo "vm: apt lists know no linux-image-amd64, running apt-get update" >&2
	apt-get update -qq >&2 || true
	pkg=$(kernel_pkg)
fi
if [ -z "$pkg" ]; then
	if [ ! -f "$VM_CACHE/vmlinuz" ] || [ ! -f "$VM_CACHE/initrd.gz" ]; then
		vm_die "cannot find the kernel package (apt-cache depends linux-image-amd64)"
	fi
	echo "vm: warning: kernel package unknown, reusing $VM_CACHE" >&2
	exit 0
fi

# The stamp ties the artefacts to the kernel package and to the scripts.
stamp="$pkg $(cat "$here/mkvm.sh" "$here/init" | cksum)"
if [ -f "$VM_CACHE/vmlinuz" ] && [ -f "$VM_CACHE/initrd.gz" ] &&
   [ "$(cat "$VM_CACHE/stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "vm: up to date in $VM_CACHE ($pkg)"
	exit 0
fi

for tool in busybox cpio strings gzip dpkg; do
	command -v "$tool" >/dev/null || vm_die "missing tool: $tool (run tests/e2e/install-deps.sh)"
done
busybox=$(command -v busybox)

# Download (not install) the kernel package; drop older downloads.
dl="$VM_CACHE/download"
mkdir -p "$dl"
if ! ls "$dl/${pkg}_"*.deb >/dev/null 2>&1; then
	rm -f "$dl"/*.deb
	echo "vm: downloading $pkg"
	(cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1) ||
		{ apt-get update -qq >&2; (cd "$dl" && apt-get download "$pkg" >/dev/null); } ||
		vm_die "apt-get download $pkg failed"
fi
deb=$(ls "$dl/${pkg}_"*.deb | head -n 1)

build="$VM_CACHE/build.$$"
trap 'rm -rf "$build"' EXIT
rm -rf "$build"
mkdir -p "$build/pkg" "$build/root/bin" "$build/root/modules"
dpkg -x "$deb" "$build/pkg"

moddir=$(find "$build/pkg" -type d -path '*/modules/*' -name kernel | head -n 1)
[ -n "$moddir" ] || vm_die "no modules directory in $deb"
builtin="$(dirname "$moddir")/modules.builtin"

# Copy module $1 into the initramfs (decompressed) and print its path there;
# print nothing when it is built into the kernel.
fetch_module() {
	for n in "$1" "$(echo "$1" | tr _ -)"; do
		src=$(find "$moddir" -name "$n.ko" -o -name "$n.ko.xz" -o -name "$n.ko.zst" | head -n 1)
		[ -n "$src" ] && break
	done
	if [ -z "$src" ]; then
		grep -q "/$1\.ko\$" "$builtin" 2>/dev/null && return 0
		vm_die "kernel module $1 not found in $pkg"
	fi
	dst="$build/root/modules/$1.ko"
	case $src in
	*.xz) xz -dc "$src" >"$dst" ;;
	*.zst) zstd -qdc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
	echo "$dst"
}

# Depth-first walk of the modules' own depends= fields, dependencies first.
# (The package has no modules.dep, and the order changes between builds.)
order=""
add_module() {
	case " $order " in *" $1 "*) return 0 ;; esac
	ko=$(fetch_module "$1")
	[ -n "$ko" ] || return 0
	for dep in $(strings "$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$dep"
	done
	order="$order $1"
}
for m in $WANT; do add_module "$m"; done
echo "$order" >"$build/root/modules/order"

# Initramfs: static busybox, the modules, and our init.
cp "$busybox" "$build/root/bin/busybox"
for applet in sh mount umount insmod mkdir chroot poweroff sync cat ip hostname echo sleep; do
	ln -s busybox "$build/root/bin/$applet"
done
mkdir -p "$build/root/dev" "$build/root/proc" "$build/root/sys" \
	"$build/root/host" "$build/root/rw" "$build/root/newroot"
cp "$here/init" "$build/root/init"
chmod 755 "$build/root/init"
(cd "$build/root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$build/initrd.gz"

cp "$(find "$build/pkg/boot" -name 'vmlinuz-*' | head -n 1)" "$build/vmlinuz"
mv -f "$build/vmlinuz" "$VM_CACHE/vmlinuz"
mv -f "$build/initrd.gz" "$VM_CACHE/initrd.gz"
echo "$stamp" >"$VM_CACHE/stamp"
echo "vm: built $VM_CACHE/vmlinuz and initrd.gz ($pkg; modules:$order)"
