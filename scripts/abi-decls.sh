#!/bin/sh
# Prints the function and variable declarations and the function-pointer
# typedefs of kamailio_abi.h ($1; further arguments are passed to the
# preprocessor, e.g. -DKSR_ABI_VERSION=...), preprocessed, without its
# struct definitions: for compiling after the core's own headers.
set -eu
hdr=$1
shift
cc -E "$@" "$hdr" | awk -v want="$(basename "$hdr")" '
/^# [0-9]+ "/ { infile = index($3, want) > 0; next }
!infile { next }
{
	line = $0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (c == "{") depth++
		if (c == "}") depth--
	}
	if (acc != "") { acc = acc " " line; if (line ~ /;/) { emit(acc); acc = "" }; next }
	if (depth != 0 || line ~ /[{}]/) next
	if (line ~ /^typedef/ && line !~ /\(\*/) next
	if (line ~ /^(extern|typedef|int|void|struct|unsigned|char|cfg_|counter_|sip_msg_t)/) {
		if (line ~ /;/) emit(line); else acc = line
	}
}
function emit(s) { if (s !~ /^struct [a-z_]+;$/) print s }
'
