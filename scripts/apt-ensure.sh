#!/bin/sh
# apt-ensure.sh PACKAGE...: installs the Debian packages that are missing
# (apt is not touched when all are installed). Needs root, or sudo.
set -eu

missing=""
for p in "$@"; do
	status=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
echo "apt-ensure: installing:$missing"
$sudo apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
