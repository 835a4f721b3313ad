#!/bin/sh
# check_symbols.sh - libzpat.so exports zpat_ names only, and every function
# the public headers declare with ZPAT_EXPORT.
# SPDX-License-Identifier: MPL-2.0
#
# Usage: check_symbols.sh LIBRARY.so [HEADER...]
# Symbols come from "nm -D --defined-only" (set NM to use another nm). Every
# exported function or variable must start with zpat_: anything else leaks a
# name into every program that links zpat. With HEADERs, each function they
# declare after ZPAT_EXPORT must be exported, so a missing ZPAT_EXPORT on a
# definition is caught too.

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

if [ $# -lt 1 ]; then
    echo "usage: $0 LIBRARY.so [HEADER...]" >&2
    exit 2
fi
library=$1
shift
nm=${NM:-nm}

symbols=$("$nm" -D --defined-only "$library") || {
    echo "FAIL $nm could not read $library"
    exit 1
}

# "address type name": type A marks version nodes, which are not functions
# or variables.
exported=$(printf '%s\n' "$symbols" | awk 'NF == 3 && $2 != "A" { print $3 }')
if [ -z "$exported" ]; then
    echo "FAIL $library exports nothing: is it the right file?"
    exit 1
fi

failed=0
foreign=$(printf '%s\n' "$exported" | grep -v '^zpat_')
if [ -n "$foreign" ]; then
    echo "FAIL exported without the zpat_ prefix:"
    printf '%s\n' "$foreign" | sed 's/^/    /'
    failed=1
fi

for header in "$@"; do
    # "ZPAT_EXPORT const char *zpat_strerror (int errnum);" gives
    # zpat_strerror: the last word before the parenthesis, without stars.
    declared=$(grep '^ZPAT_EXPORT' "$header" | sed 's/(.*//' |
        awk '{ print $NF }' | tr -d '*')
    if [ -z "$declared" ]; then
        echo "FAIL no ZPAT_EXPORT declarations found in $header"
        failed=1
    fi
    for name in $declared; do
        if ! printf '%s\n' "$exported" | grep -qx "$name"; then
            echo "FAIL $name is declared in $header but not exported"
            failed=1
        fi
    done
done

count=$(printf '%s\n' "$exported" | wc -l)
if [ "$failed" -eq 0 ]; then
    echo "ok   $count symbols exported, all zpat_"
fi
exit "$failed"
