#!/bin/sh
# run-in-vm.sh DIR [TIMEOUT]
#
# Boot the test VM (building it first if needed, see mkvm.sh) and run
# DIR/cmd.sh inside it. DIR is shared read-write and mounted at the same path
# inside the VM; there $VM_OUT_DIR names it and $E2E_IN_VM is 1. The rest of
# the VM's filesystem is the host's root, read-only, under a throw-away tmpfs
# overlay. cmd.sh's output is written to DIR/log.txt and streamed to stdout
# while it runs (VM_STREAM=0 turns that off); the console goes to DIR/qemu.log.
#
# VMROOT=PATH shares that directory as the VM's root instead of the host's,
# e.g. a Debian root of another release (tests/roots/make-root.sh); the kernel
# stays the same. VM_BIND="PATH..." shares these host directories read-only
# at the same paths inside the VM (e.g. the repository, when VMROOT is not /).
#
# Exit code: cmd.sh's, or 125 if the VM failed or TIMEOUT (seconds,
# default 1500) expired before cmd.sh finished.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

[ $# -ge 1 ] || vm_die "usage: $0 DIR [TIMEOUT]"
dir=$(cd "$1" && pwd -P) || vm_die "no directory $1"
limit=${2:-1500}
[ -f "$dir/cmd.sh" ] || vm_die "$dir/cmd.sh does not exist"
vmroot=$(cd "${VMROOT:-/}" && pwd -P) || vm_die "no directory VMROOT=$VMROOT"
[ "$vmroot" = / ] || [ -x "$vmroot/bin/sh" ] || vm_die "VMROOT=$vmroot holds no root filesystem"
binds=""
for b in ${VM_BIND:-}; do
	b=$(cd "$b" && pwd -P) || vm_die "no directory $b (VM_BIND)"
	binds="$binds $b"
done
for p in "$dir" $binds; do
	case $p in
	*[!A-Za-z0-9/._+-]*) vm_die "shared paths must be plain (no spaces, commas...): $p" ;;
	esac
done

"$here/mkvm.sh" >&2
command -v qemu-system-x86_64 >/dev/null ||
	vm_die "qemu-system-x86_64 missing (run tests/e2e/install-deps.sh)"

rm -f "$dir/rc" "$dir/qemu.log"
: >"$dir/log.txt"

# One read-only 9p share per VM_BIND directory: tags bind0, bind1...; init
# mounts them at the paths listed in e2e_binds=.
set --
n=0
for b in $binds; do
	set -- "$@" -virtfs "local,path=$b,mount_tag=bind$n,security_model=none,readonly=on,multidevs=remap"
	n=$((n + 1))
done
bind_list=$(echo $binds | tr ' ' ,)

# Software emulation (TCG): works everywhere, KVM or not.
timeout -k 10 "$limit" qemu-system-x86_64 \
	-accel tcg -m 2048 -smp 2 \
	-nographic -no-reboot -nic none \
	-kernel "$VM_CACHE/vmlinuz" -initrd "$VM_CACHE/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet e2e_out=$dir e2e_binds=$bind_list" \
	-virtfs "local,path=$vmroot,mount_tag=host,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$dir,mount_tag=out,security_model=none" \
	"$@" \
	</dev/null >"$dir/qemu.log" 2>&1 &
qemu=$!
# Interrupted: take the VM down too (background jobs of sh ignore SIGINT).
trap 'kill "$qemu" 2>/dev/null; exit 130' INT TERM HUP

tailer=
if [ "${VM_STREAM:-1}" = 1 ]; then
	tail -n +1 -f --pid="$qemu" "$dir/log.txt" &
	tailer=$!
fi
qrc=0
wait "$qemu" || qrc=$?
[ -z "$tailer" ] || wait "$tailer" || true
[ "${VM_STREAM:-1}" = 1 ] || cat "$dir/log.txt"

if [ -s "$dir/rc" ]; then
	exit "$(cat "$dir/rc")"
fi
{
	echo
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		echo "vm: ERROR: the VM did not finish within $limit s (killed)."
	else
		echo "vm: ERROR: the VM stopped without running cmd.sh to the end (qemu exit $qrc)."
	fi
	echo "vm: last lines of $dir/qemu.log:"
	# Console output, without its carriage returns and terminal escapes.
	tr -d '\r' <"$dir/qemu.log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' |
		tail -n 40 | sed 's/^/  | /'
} >&2
exit 125
