#!/bin/sh
# run.sh - proves that role misuse does not compile in C++ either: builds
# every case in CASE_DIR twice, once with -DZPAT_MISUSE (must fail, with an
# overload or conversion error that names the type on the case's
# "// EXPECT:" line) and once without (the correct twin, must compile
# cleanly with all warnings as errors). Every case of C_CASE_DIR (the C
# cases, tests/compile_fail) must have its C++ mirror here, of the same name.
# SPDX-License-Identifier: MPL-2.0
#
# Usage: run.sh CASE_DIR C_CASE_DIR INCLUDE_DIR CXX [CXX_ARGS...]
# meson passes the C++ compiler as cmd_array (), so CXX may be several words.
#
# The misuse is built with plain "-std=c++17 -c" and no -Werror: a role
# check that only warns does not count.

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

if [ $# -lt 4 ]; then
    echo "usage: $0 CASE_DIR C_CASE_DIR INCLUDE_DIR CXX [CXX_ARGS...]" >&2
    exit 2
fi
cases=$1
c_cases=$2
include=$3
shift 3

# Plain-ASCII diagnostics, so the type name can be matched.
LC_ALL=C
export LC_ALL

work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT

total=0
failed=0
missing=0

for source in "$c_cases"/*.c; do
    [ -e "$source" ] || continue
    name=$(basename "$source" .c)
    if [ ! -e "$cases/$name.cpp" ]; then
        echo "FAIL $name: $source has no C++ mirror $cases/$name.cpp"
        missing=$((missing + 1))
    fi
done

# What a role check looks like to g++ and clang++: no overload for the
# role (the generic verbs), a pointer that does not convert (the
# role-specific functions), or ZPAT_ONLY's static assertion.
reasons='no matching function|cannot convert|invalid conversion'
reasons="$reasons|no known conversion|cannot initialize"
reasons="$reasons|static.assert(ion)? failed"

for source in "$cases"/*.cpp; do
    [ -e "$source" ] || continue
    name=$(basename "$source" .cpp)
    total=$((total + 1))
    type=$(sed -n 's|^// EXPECT: *||p' "$source")
    if [ -z "$type" ]; then
        echo "FAIL $name: no '// EXPECT: <type>' line"
        failed=$((failed + 1))
        continue
    fi

    if ! "$@" -std=c++17 -Wall -Wextra -Wpedantic -Werror -I"$include" \
        -c "$source" -o "$work/$name.twin.o" >"$work/$name.twin.log" 2>&1; then
        echo "FAIL $name: the correct twin does not compile"
        sed 's/^/    /' "$work/$name.twin.log"
        failed=$((failed + 1))
        continue
    fi

    if "$@" -std=c++17 -DZPAT_MISUSE -I"$include" \
        -c "$source" -o "$work/$name.misuse.o" >"$work/$name.misuse.log" 2>&1; then
        echo "FAIL $name: the misuse compiles"
        sed 's/^/    /' "$work/$name.misuse.log"
        failed=$((failed + 1))
        continue
    fi
    # It must fail for the right reason: the role check, not a typo. clang
    # may name a role by its struct tag (zpat_sub for zpat_sub_t).
    tag=${type%_t}
    if ! grep -Eq "$reasons" "$work/$name.misuse.log" ||
        ! grep -E 'error:|note:' "$work/$name.misuse.log" |
        grep -Eq "(^|[^A-Za-z0-9_])$tag(_t)?([^A-Za-z0-9_]|\$)"; then
        echo "FAIL $name: the misuse fails, but not with a role error about $type"
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
[ "$missing" -eq 0 ] || echo "$missing C cases have no C++ mirror"
[ "$failed" -eq 0 ] && [ "$missing" -eq 0 ]
