#!/bin/sh
# run.sh - proves that role misuse does not compile: builds every case in
# CASE_DIR twice, once with -DZPAT_MISUSE (must fail, with a _Generic error
# naming the type on the case's "// EXPECT:" line) and once without (the
# correct twin, must compile cleanly with all warnings as errors).
# SPDX-License-Identifier: MPL-2.0
#
# Usage: run.sh CASE_DIR INCLUDE_DIR CC [CC_ARGS...]
# meson passes the C compiler as cc.cmd_array (), so CC may be several words.
#
# The misuse is built with plain "-std=c11 -c" and no -Werror: a role check
# that only warns (an incompatible pointer, say) does not count.

set -u

# meson's valgrind setup (tests/meson.build) wraps every test, this script
# included, in valgrind, which would then judge the shell's own memory.
# valgrind does not follow exec without --trace-children, so one exec of a
# fresh shell runs the checks natively.
if [ -z "${ZPAT_SCRIPT_REEXEC:-}" ]; then
    ZPAT_SCRIPT_REEXEC=1
    export ZPAT_SCRIPT_REEXEC
    exec /bin/sh "$0" "$@"
fi

if [ $# -lt 3 ]; then
    echo "usage: $0 CASE_DIR INCLUDE_DIR CC [CC_ARGS...]" >&2
    exit 2
fi
cases=$1
include=$2
shift 2

# Plain-ASCII diagnostics, so the type name can be matched.
LC_ALL=C
export LC_ALL

work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT

total=0
failed=0
for source in "$cases"/*.c; do
    [ -e "$source" ] || continue
    name=$(basename "$source" .c)
    total=$((total + 1))
    type=$(sed -n 's|^// EXPECT: *||p' "$source")
    if [ -z "$type" ]; then
        echo "FAIL $name: no '// EXPECT: <type>' line"
        failed=$((failed + 1))
        continue
    fi

    if ! "$@" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$include" \
        -c "$source" -o "$work/$name.twin.o" >"$work/$name.twin.log" 2>&1; then
        echo "FAIL $name: the correct twin does not compile"
        sed 's/^/    /' "$work/$name.twin.log"
        failed=$((failed + 1))
        continue
    fi

    if "$@" -std=c11 -DZPAT_MISUSE -I"$include" \
        -c "$source" -o "$work/$name.misuse.o" >"$work/$name.misuse.log" 2>&1; then
        echo "FAIL $name: the misuse compiles"
        sed 's/^/    /' "$work/$name.misuse.log"
        failed=$((failed + 1))
        continue
    fi
    # It must fail for the right reason: the role check, not a typo.
    if ! grep -i 'generic' "$work/$name.misuse.log" | grep -qF "$type"; then
        echo "FAIL $name: the misuse fails, but not with a _Generic error about $type"
        sed 's/^/    /' "$work/$name.misuse.log"
        failed=$((failed + 1))
        continue
    fi
    echo "ok   $name"
done

if [ "$total" -eq 0 ]; then
    echo "FAIL no cases found in $cases"
    exit 1
fi
echo "$((total - failed)) of $total cases behave"
[ "$failed" -eq 0 ]
