#!/bin/sh
# The source tree's import rules, which the compiler does not check:
#  - src/transport/: a folder uses only the folders before it in ORDER, and
#    the files at its top (counters.rs, ratelimit.rs) use no folder;
#  - src/config/: table.rs describes the parameters and reads nothing else of
#    config/.
# Prints each import that breaks a rule and exits 1 if there is one.
set -eu
cd "$(dirname "$0")/.."
ORDER="associations settings send receive control"
bad=0
for f in $(find src/transport src/config -name '*.rs' | sort); do
	case $f in
	src/transport/*/*) here=$(echo "$f" | cut -d/ -f3) ;;
	src/transport/mod.rs) continue ;;
	src/transport/*) here="" ;;
	src/config/table.rs)
		if grep -n -E 'super::(params|profile|peers)|config::(params|profile|peers)' "$f"; then
			echo "$f: the table reads the rest of config/" >&2
			bad=1
		fi
		continue
		;;
	*) continue ;;
	esac
	# the folders this file may not use: its own is fine, those after it are not
	allowed=1
	[ -n "$here" ] || allowed=0
	for d in $ORDER; do
		if [ "$d" = "$here" ]; then
			allowed=0
			continue
		fi
		[ $allowed = 1 ] && continue
		if grep -n -E "transport::($d\b|\{)|super::super::" "$f"; then
			if [ -n "$here" ]; then
				echo "$f: uses $d/ (or a grouped or super::super path), which comes after $here/ in: $ORDER" >&2
			else
				echo "$f: a file at the top of transport/ uses $d/ (or a grouped path)" >&2
			fi
			break
			bad=1
		fi
	done
done
[ $bad = 0 ] && echo "layers: ok"
exit $bad
