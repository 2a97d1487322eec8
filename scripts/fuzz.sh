#!/bin/sh
# fuzz.sh [SECONDS [TARGET...]]: builds the libFuzzer targets in fuzz/ and runs
# each from its committed corpus (fuzz/corpus/TARGET), SECONDS in all (default
# 25) shared evenly. FUZZ_RUNS=N runs each target N executions instead.
#
# With a nightly toolchain installed (rustup), the targets are built with
# AddressSanitizer; otherwise with the default one, coverage-guided but without
# a sanitizer (a CI machine has one toolchain and cannot fetch another).
# FUZZ_TOOLCHAIN=stable forces the latter, FUZZ_TOOLCHAIN=NAME another nightly.
# New inputs found go to a scratch directory, not into the committed corpus; an
# input that fails is kept as fuzz/artifacts/TARGET/crash-*.
set -eu
cd "$(dirname "$0")/.."
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
secs=${1:-25}
[ $# -gt 0 ] && shift
targets=${*:-notification cmsg sockaddr rpc_param params assoc_status peers pieces}

# libFuzzer itself is C++, built by libfuzzer-sys
sh scripts/apt-ensure.sh g++

# what cargo-fuzz passes, without needing cargo-fuzz
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags="$flags -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table"
flags="$flags -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
toolchain=""
case "${FUZZ_TOOLCHAIN:-}" in
"") command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly' && toolchain="+nightly" ;;
stable) ;;
*) toolchain="+$FUZZ_TOOLCHAIN" ;;
esac
[ -n "$toolchain" ] && flags="$flags -Zsanitizer=address"

# --target: the flags then apply to the targets only, not to build scripts
host=$(rustc $toolchain -vV | sed -n 's/^host: //p')
echo "== fuzz: building (${toolchain:-stable}${toolchain:+, AddressSanitizer})"
(cd fuzz && RUSTFLAGS="$flags" cargo $toolchain build --quiet --release --target "$host" --bins)

n=$(echo $targets | wc -w)
per=$(( secs / n ))
[ "$per" -ge 1 ] || per=1
if [ -n "${FUZZ_RUNS:-}" ]; then limit="-runs=$FUZZ_RUNS"; else limit="-max_total_time=$per"; fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in $targets; do
	mkdir -p "$scratch/$t" "fuzz/corpus/$t" "fuzz/artifacts/$t"
	log="$scratch/$t.log"
	if "fuzz/target/$host/release/$t" $limit -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="fuzz/artifacts/$t/" "$scratch/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz $t: ok, $runs executions"
	else
		echo "fuzz $t: FAILED" >&2
		tail -n 40 "$log" >&2
		status=1
	fi
done
exit $status
