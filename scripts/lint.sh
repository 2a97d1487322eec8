#!/bin/sh
# Static and undefined-behaviour checks:
#  0. formatting (cargo fmt --check, the crate and the fuzz targets), the
#     fuzz targets' copy of the dependencies (fuzz/lib), the hot path's one
#     text section, the import order of src/transport's folders and
#     src/config (layers.sh);
#  1. clippy on every target, warnings as errors (the crate also denies unsafe
#     operations outside `unsafe` blocks and `unsafe` without a SAFETY comment);
#  2. the unit tests (--lib: the integration tests run cc and kamailio) under
#     Miri (Stacked Borrows), with the nightly toolchain's
#     miri component, added with rustup when missing. Tests needing syscalls
#     Miri cannot emulate (sockets) are ignored under Miri.
set -eu
cd "$(dirname "$0")/.."
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"

echo "== formatting (rustfmt.toml)"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo fmt --check
(cd fuzz && cargo fmt --check)

echo "== the fuzz targets' rlib has the module's dependencies"
# fuzz/lib/Cargo.toml builds src/ again as an rlib: its dependency sections
# ([dependencies] and [build-dependencies]) must be the module's, line for line
deps() { awk '/^\[/ { on = ($0 == "[dependencies]" || $0 == "[build-dependencies]") } on && NF' "$1"; }
deps Cargo.toml >"${TMPDIR:-/tmp}/lint-deps.$$"
deps fuzz/lib/Cargo.toml | diff -u "${TMPDIR:-/tmp}/lint-deps.$$" - || {
	echo "fuzz/lib/Cargo.toml: dependencies differ from Cargo.toml's (above)" >&2
	rm -f "${TMPDIR:-/tmp}/lint-deps.$$"
	exit 1
}
rm -f "${TMPDIR:-/tmp}/lint-deps.$$"

echo "== one section for the hot path"
# the receive and send paths' functions share one text section (docs/design.md,
# "Building for a core"): a second spelling would split them again
if grep -rn 'link_section' src | grep -v 'link_section = ".text.hot.kamailio_sctp"'; then
	echo "src: a link_section other than .text.hot.kamailio_sctp (above)" >&2
	exit 1
fi

echo "== import order of src/transport and src/config"
sh scripts/layers.sh

echo "== clippy"
cargo clippy --release --all-targets -- -D warnings

echo "== unit tests under Miri"
if ! cargo +nightly miri --version >/dev/null 2>&1; then
	rustup component add --toolchain nightly miri rust-src ||
		rustup toolchain install nightly --profile minimal --component miri,rust-src || true
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
	# The machines come with a nightly that has Miri; a machine that has none
	# and cannot fetch it says so loudly (LINT_REQUIRE_MIRI=1 makes it fatal).
	echo "WARNING: no Miri on this machine and none could be installed: Miri run SKIPPED" >&2
	[ "${LINT_REQUIRE_MIRI:-0}" != 1 ] || exit 1
	exit 0
fi
# A target directory of its own: Miri's build flags differ from the release
# build's. Leaks are not errors: shared-memory tables live as long as the
# process by design (the tests check instead that every entry is freed).
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-ignore-leaks" cargo +nightly miri test --lib --target-dir target/miri
