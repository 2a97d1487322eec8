#!/bin/bash
# in-vm.sh OUR_DEB C_DEB: the package test, inside the test VM on a root of
# one Debian release (tests/deb/run.sh starts it; the root is a throw-away
# overlay, so apt and dpkg may change it). With kamailio-sctp-modules
# installed from C_DEB:
#  1. apt-get install OUR_DEB replaces kamailio-sctp-modules: that package is
#     gone, ours owns the module directory's sctp.so, the file is ours;
#  2. Kamailio with the stock `loadmodule "sctp.so"` (tests/deb/stock.cfg)
#     maps that file and carries the sipp UAC scenario over SCTP;
#  3. removing our package leaves nothing of it; dpkg -i C_DEB brings the C
#     module back (its file, byte for byte) and it serves the same scenario.
# Prints what it checks; exits 1 at the first failure.
set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e" && pwd)
# shellcheck source-path=SCRIPTDIR/../e2e
. "$E2E_DIR/lib.sh"
. "$E2E_DIR/scenarios.sh"

[ $# = 2 ] || { echo "usage: $0 OUR_DEB C_DEB" >&2; exit 2; }
our_deb=$1 c_deb=$2
ours=kamailio-sctp-rs-module c_pkg=kamailio-sctp-modules
module=/usr/lib/x86_64-linux-gnu/kamailio/modules/sctp.so
calls=${DEB_CALLS:-200}
E2E_WORK=${E2E_WORK:-$VM_OUT_DIR/work}
export DEBIAN_FRONTEND=noninteractive
# No pseudo-terminal for dpkg's log: the VM has no /dev/pts.
apt=(apt-get -o Dpkg::Use-Pty=0)

fail() { say "FAIL: $*"; exit 1; }
trap 'stop_all; rm -rf "$CTL_DIR"' EXIT
# status PACKAGE: its dpkg status ("install ok installed", "" when unknown).
status() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null; }
# sum_in_deb DEB: sha256 of the module file inside package DEB.
sum_in_deb() { dpkg-deb --fsys-tarfile "$1" | tar -xOf - ".$module" | sha256sum | cut -d' ' -f1; }
sum_of_module() { sha256sum "$module" | cut -d' ' -f1; }
# step TEXT CMD...: run CMD (output indented), fail with TEXT if it fails.
step() {
	local text=$1
	shift
	say "\$ $*"
	"$@" 2>&1 | indent
	[ "${PIPESTATUS[0]}" = 0 ] || fail "$text"
}
# serve LABEL: Kamailio with stock.cfg maps $module and answers $calls sipp
# calls over SCTP.
serve() {
	local label=$1
	begin_scenario "$label"
	start_kamailio uas ../../deb/stock.cfg SCTP_MODULE="$module" LISTEN=sctp:127.0.0.1:5060 &&
		wait_ready uas sctp:5060 || { show_logs; fail "$label: Kamailio did not start"; }
	grep -q " $module\$" "/proc/${KAM_PID[uas]}/maps" ||
		{ show_logs; fail "$label: Kamailio did not map $module"; }
	say "kamailio[uas] maps $module"
	sipp_uac uac "$calls" -t s1 -i 127.0.0.1 127.0.0.1:5060 && check_alive uas ||
		{ show_logs; fail "$label: the sipp scenario failed"; }
	stop_all
}
# consistent: dpkg and apt see no broken or half-installed package.
consistent() {
	step "dpkg --audit found problems" sh -c '! dpkg --audit | grep .'
	step "apt-get check failed" apt-get check -q
}

our_sum=$(sum_in_deb "$our_deb") c_sum=$(sum_in_deb "$c_deb")
echo "deb test on $(. /etc/os-release && echo "$PRETTY_NAME"): $(kamailio -v | head -n 1)"
echo "ours: $our_deb (sctp.so sha256 $our_sum)"
echo "C:    $c_deb (sctp.so sha256 $c_sum)"
[ "$our_sum" != "$c_sum" ] || fail "the two packages hold the same sctp.so"

echo
echo "=== before: $c_pkg installed"
[ "$(status $c_pkg)" = "install ok installed" ] || fail "$c_pkg is not installed"
[ "$(sum_of_module)" = "$c_sum" ] || fail "$module is not $c_pkg's"
say "$c_pkg installed, $module is its file"

echo
echo "=== install: apt-get install ./$(basename "$our_deb")"
cp "$our_deb" /tmp/ && our_copy=/tmp/$(basename "$our_deb")
step "apt-get install failed" "${apt[@]}" install -y "$our_copy"
say "status $ours: $(status $ours); $c_pkg: $(status $c_pkg || true)"
[ "$(status $ours)" = "install ok installed" ] || fail "$ours is not installed"
case $(status $c_pkg) in "" | *not-installed | *config-files) ;; *) fail "$c_pkg is still installed" ;; esac
[ "$(dpkg-query -S "$module" | cut -d: -f1)" = "$ours" ] || fail "$module does not belong to $ours"
[ "$(sum_of_module)" = "$our_sum" ] || fail "$module is not the file of $ours"
say "$ours replaced $c_pkg; $module is ours ($(dpkg-query -S "$module"))"
consistent

echo
echo "=== ours serves: loadmodule \"sctp.so\", sipp uac, $calls calls over SCTP"
serve ours

echo
echo "=== remove ours, reinstall $c_pkg from its .deb (dpkg -i)"
step "apt-get remove failed" "${apt[@]}" remove -y "$ours"
case $(status $ours) in "" | *not-installed | *config-files) ;; *) fail "$ours is still installed" ;; esac
[ ! -e "$module" ] || fail "$module is still there after the removal"
[ ! -e /usr/share/doc/$ours ] || fail "/usr/share/doc/$ours is still there after the removal"
say "$ours removed ($(status $ours || true)), nothing of it left"
step "dpkg -i $c_deb failed" dpkg -i "$c_deb"
[ "$(status $c_pkg)" = "install ok installed" ] || fail "$c_pkg is not installed again"
[ "$(sum_of_module)" = "$c_sum" ] || fail "$module is not $c_pkg's file again"
say "$c_pkg installed again, $module is its file (sha256 $c_sum)"
consistent

echo
echo "=== the C module serves again: loadmodule \"sctp.so\", sipp uac, $calls calls"
serve c-again

echo
echo "deb test: PASS"
