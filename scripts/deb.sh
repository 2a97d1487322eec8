#!/bin/sh
# deb.sh RELEASE: the Debian package kamailio-sctp-rs-module for the Kamailio
# of Debian RELEASE (bookworm, trixie or sid), in dist/RELEASE/, checked
# with lintian. Needs root (apt for the build dependencies, debootstrap for
# the release roots) the first time.
#
# How: the module is built on this machine with its Rust toolchain (rustup's,
# 1.83 or newer: bookworm's rustc 1.63 is too old) against RELEASE's Kamailio,
# which is this machine's when it runs RELEASE, else the one in the cached
# root of RELEASE made by tests/roots/make-root.sh (run through its wrapper:
# build.rs only needs `kamailio -v`). A module built on bookworm runs on the
# later releases (their libc and libsctp are newer). debian/rules does the
# build and dpkg-buildpackage -b the package, in a copy of the sources under
# target/deb/RELEASE/, with a changelog entry for RELEASE on top; its version
# is the changelog's plus +deb12 (bookworm), +deb13 (trixie) or +sid, in the
# order of the releases, so that an upgrade of the release upgrades it too.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "deb: error: $*" >&2; exit 1; }

[ $# = 1 ] || die "usage: $0 bookworm|trixie|sid"
release=$1
case $release in
bookworm) tag=deb12 ;;
trixie) tag=deb13 ;;
sid) tag=sid ;;
*) die "unknown release '$release' (bookworm, trixie or sid)" ;;
esac

sh "$REPO/scripts/install-build-deps.sh" >/dev/null
sh "$REPO/scripts/apt-ensure.sh" debhelper dpkg-dev lintian
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
# rustup's toolchain, whatever HOME the build steps see.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"

# RELEASE's Kamailio: this machine's, or the one of its root.
host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$host_release" = "$release" ]; then
	kamailio_bin=/usr/sbin/kamailio
	admindir=/var/lib/dpkg
else
	root=$(sh "$REPO/tests/roots/make-root.sh" "$release")
	kamailio_bin=$root-kamailio
	admindir=$root/var/lib/dpkg
fi
kamailio_version=$(dpkg-query --admindir="$admindir" -W -f '${Version}' kamailio) ||
	die "no kamailio package in $admindir"
echo "deb: $release: Kamailio $kamailio_version ($kamailio_bin); $(cargo --version)"

# A clean copy of the sources (no build output, no VCS data).
base_version=$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Version)
upstream_version=${base_version%-*}
version=$base_version+$tag
work=$REPO/target/deb/$release
src=$work/kamailio-sctp-rs-$upstream_version
rm -rf "$src" "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes
mkdir -p "$src"
tar -C "$REPO" --exclude=./target --exclude=./dist --exclude=./.git \
	--exclude=./fuzz/target --exclude=./fuzz/artifacts --exclude=__pycache__ \
	--exclude=./tests/e2e/out -cf - . | tar -C "$src" -xf -

# The changelog entry of this build, as for a rebuild of the package.
distribution=$release
[ "$release" != sid ] || distribution=unstable
maintainer=$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Maintainer)
{
	echo "kamailio-sctp-rs ($version) $distribution; urgency=medium"
	echo
	echo "  * Build for $release's Kamailio $kamailio_version."
	echo
	echo " -- $maintainer  $(date -R)"
	echo
	cat "$REPO/debian/changelog"
} >"$src/debian/changelog"

# One cargo output directory for every release: the dependencies are built
# once. Their module is built to the same file, so one build at a time.
cargo_dir=$REPO/target/deb/cargo
mkdir -p "$cargo_dir"
(cd "$src" &&
	KAMAILIO_BIN=$kamailio_bin KAMAILIO_VERSION=$kamailio_version \
	CARGO_TARGET_DIR=$cargo_dir \
	flock "$cargo_dir.lock" dpkg-buildpackage -b -us -uc -d) >"$work/build.log" 2>&1 || {
	tail -n 30 "$work/build.log" >&2
	die "dpkg-buildpackage failed (log: $work/build.log)"
}

dist=$REPO/dist/$release
rm -rf "$dist"
mkdir -p "$dist"
cp "$work"/*.deb "$dist"/
deb=$dist/kamailio-sctp-rs-module_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
[ -f "$deb" ] || die "no $deb"
dpkg-deb --field "$deb" Package Version Depends Provides Conflicts Replaces
dpkg-deb --contents "$deb" | awk '{ print "  " $6 }'
echo "deb: lintian $deb"
lintian --fail-on error,warning --info "$deb"
echo "deb: built $deb"
