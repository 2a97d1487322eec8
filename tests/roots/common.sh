# shellcheck shell=sh
# Shared settings of the release-root scripts (sourced, not run).
#
# ROOTS_CACHE: where the debootstrapped roots live, one directory a release.
# Defaults to /var/cache/kamailio-sctp-rs-roots when writable (root), else a
# per-user directory under $TMPDIR. Never inside the repository.

roots_die() { echo "roots: error: $*" >&2; exit 1; }

if [ -z "${ROOTS_CACHE:-}" ]; then
	if mkdir -p /var/cache/kamailio-sctp-rs-roots 2>/dev/null &&
	   [ -w /var/cache/kamailio-sctp-rs-roots ]; then
		ROOTS_CACHE=/var/cache/kamailio-sctp-rs-roots
	else
		ROOTS_CACHE=${TMPDIR:-/tmp}/kamailio-sctp-rs-roots-$(id -u)
	fi
fi
mkdir -p "$ROOTS_CACHE" || roots_die "cannot create $ROOTS_CACHE"
export ROOTS_CACHE
