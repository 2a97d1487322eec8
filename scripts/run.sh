#!/bin/sh
# The main job: build the module, start Kamailio with it listening on SCTP,
# drive it with sipp over SCTP (2000 calls) and print the result. Runs inside
# a small qemu VM when this machine's kernel has no SCTP.
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh
exec sh tests/e2e/run.sh uac-ours
