#!/bin/sh
# Writes (to stdout) a C program that prints, for every item of
# kamailio-headers/abi-items.txt, its offset/size or value, one line each:
#   TYPE MEMBER OFFSET SIZE   |   TYPE - SIZE ALIGN   |   const NAME VALUE
# The program includes the header named by $1 ("kamailio_abi.h" for this
# project's declarations, "core_headers.h" for a wrapper of the core's own);
# the same items compiled against both must print the same lines.
set -eu
items=${2:-$(dirname "$0")/../kamailio-headers/abi-items.txt}
cat <<HDR
#include <stdio.h>
#include <stddef.h>
#include "$1"
int main(void)
{
HDR
grep -v '^#' "$items" | while read -r type member; do
	[ -n "$type" ] || continue
	ctype=$(printf '%s' "$type" | sed 's/^struct_/struct /')
	if [ "$type" = const ]; then
		printf '\tprintf("const %s %%lld\\n", (long long)(%s));\n' "$member" "$member"
	elif [ "$member" = - ]; then
		printf '\tprintf("%s - %%zu %%zu\\n", sizeof(%s), _Alignof(%s));\n' "$type" "$ctype" "$ctype"
	elif [ "$member" = mcast ]; then
		# only with USE_MCAST
		printf '#ifdef USE_MCAST\n\tprintf("%s %s %%zu %%zu\\n", offsetof(%s, %s), sizeof(((%s *)0)->%s));\n#endif\n' \
			"$type" "$member" "$ctype" "$member" "$ctype" "$member"
	else
		printf '\tprintf("%s %s %%zu %%zu\\n", offsetof(%s, %s), sizeof(((%s *)0)->%s));\n' \
			"$type" "$member" "$ctype" "$member" "$ctype" "$member"
	fi
done
printf '\treturn 0;\n}\n'
