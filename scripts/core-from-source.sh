#!/bin/sh
# core-from-source.sh SRC PREFIX: builds a Kamailio core from a source tree
# (e.g. master, fetched in a session; CI never fetches), with the modules the
# e2e suite loads and the C sctp module as its reference, and installs them
# under PREFIX: PREFIX/sbin/{kamailio,kamcmd}, PREFIX/lib/kamailio/modules/.
# Then, for that core:
#   KAMAILIO_BIN=PREFIX/sbin/kamailio cargo build --release   # the module
#   E2E_RELEASES=PREFIX sh tests/e2e/releases.sh              # the e2e suite
# Needs gcc, make, bison, flex and libsctp-dev (installed here when missing).
set -eu
[ $# = 2 ] || { echo "usage: $0 KAMAILIO_SOURCE_DIR PREFIX" >&2; exit 2; }
src=$(cd "$1" && pwd)
prefix=$2
here=$(cd "$(dirname "$0")" && pwd)
MODULES="sctp sl tm ctl cfg_rpc cfgutils counters dispatcher jsonrpcs kex pv xlog"
sh "$here/apt-ensure.sh" gcc make bison flex libsctp-dev pkg-config
cd "$src"
make cfg PREFIX="$prefix" include_modules=sctp
make -C src -j"$(nproc)" kamailio
for m in $MODULES; do
	make -C "src/modules/$m"
done
make -C utils/kamcmd
mkdir -p "$prefix/sbin" "$prefix/lib/kamailio/modules"
install -m 0755 src/kamailio utils/kamcmd/kamcmd "$prefix/sbin/"
for m in $MODULES; do
	install -m 0644 "src/modules/$m/$m.so" "$prefix/lib/kamailio/modules/"
done
"$prefix/sbin/kamailio" -v | head -n 1
