# shellcheck shell=sh
# Shared settings of the test VM scripts (sourced, not run).
#
# VM_CACHE: where the kernel, initramfs and downloaded kernel package live.
# Defaults to /var/cache/kamailio-sctp-rs-vm when writable (root), else a
# per-user directory under $TMPDIR. Never inside the repository.

vm_die() { echo "vm: error: $*" >&2; exit 1; }

if [ -z "${VM_CACHE:-}" ]; then
	if mkdir -p /var/cache/kamailio-sctp-rs-vm 2>/dev/null &&
	   [ -w /var/cache/kamailio-sctp-rs-vm ]; then
		VM_CACHE=/var/cache/kamailio-sctp-rs-vm
	else
		VM_CACHE=${TMPDIR:-/tmp}/kamailio-sctp-rs-vm-$(id -u)
	fi
fi
mkdir -p "$VM_CACHE" || vm_die "cannot create $VM_CACHE"
export VM_CACHE
