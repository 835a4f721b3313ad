#!/bin/sh
# check_man.sh - the generated man pages cover the API and render cleanly.
# SPDX-License-Identifier: MPL-2.0
#
# Usage: check_man.sh PAGEDIR HEADER [LIBRARY.so]
# PAGEDIR holds what docs/man/gen_man.py wrote (family pages, ".so" link
# pages, zpat.7). Checks:
#  1. every zpat_ function LIBRARY.so exports (nm -D --defined-only) and
#     every "#define zpat_..." macro of HEADER (outside #ifdef __cplusplus)
#     has PAGEDIR/NAME.3, a family page or a link to one, and is in the
#     NAME section of exactly one family page;
#  2. "man --warnings -E UTF-8 -l" renders each family page and zpat.7 with
#     nothing on standard error (LC_ALL=C.UTF-8, MANWIDTH=80).
# Exits 77 (skipped) when man is missing and 1 passed.

set -u

# meson's valgrind setup (tests/meson.build) wraps every test in valgrind;
# it does not follow exec, so one exec of a fresh shell runs natively.
if [ -z "${ZPAT_SCRIPT_REEXEC:-}" ]; then
    ZPAT_SCRIPT_REEXEC=1
    export ZPAT_SCRIPT_REEXEC
    exec /bin/sh "$0" "$@"
fi

if [ $# -lt 2 ]; then
    echo "usage: $0 PAGEDIR HEADER [LIBRARY.so]" >&2
    exit 2
fi
dir=$1
header=$2
library=${3:-}
nm=${NM:-nm}
failed=0

fail() {
    echo "FAIL $*"
    failed=1
}

# The family pages: every .3 that is not a ".so" link.
families=
for page in "$dir"/*.3; do
    [ -f "$page" ] || continue
    if ! grep -q '^\.so ' "$page"; then
        families="$families $(basename "$page" .3)"
    fi
done
if [ -z "$families" ]; then
    echo "FAIL no family pages in $dir"
    exit 1
fi

# The names a family page's NAME section lists, one a line.
name_section() {
    awk '/^\.SH NAME/ { getline; sub(/ \\- .*/, ""); gsub(/, */, "\n");
                        print; exit }' "$dir/$1.3"
}

# The names to find: the library's exports ...
names=
if [ -n "$library" ]; then
    exported=$("$nm" -D --defined-only "$library" |
        awk 'NF == 3 && $2 != "A" && $3 ~ /^zpat_/ { print $3 }') || {
        fail "$nm could not read $library"
    }
    [ -n "$exported" ] || fail "$library exports no zpat_ names"
    names="$exported"
fi
# ... and the header's zpat_ macros, skipping "#ifdef __cplusplus" blocks.
macros=$(awk '
    function top() { return depth ? cxx[depth] : 0 }
    /^[ \t]*#[ \t]*(if|ifdef|ifndef)[ \t(]/ {
        kind = 0
        if ($0 ~ /__cplusplus/) {
            neg = ($0 ~ /ifndef/ || $0 ~ /![ \t]*(defined[ \t]*)?\(?[ \t]*__cplusplus/)
            kind = neg ? -1 : 1
        }
        cxx[++depth] = kind; next
    }
    /^[ \t]*#[ \t]*(else|elif)/ { if (depth) cxx[depth] = -cxx[depth]; next }
    /^[ \t]*#[ \t]*endif/ { if (depth) depth--; next }
    {
        for (i = 1; i <= depth; i++) if (cxx[i] == 1) next
    }
    /^[ \t]*#[ \t]*define[ \t]+zpat_/ {
        name = $0; sub(/^[ \t]*#[ \t]*define[ \t]+/, "", name)
        sub(/[^A-Za-z0-9_].*/, "", name); print name
    }' "$header")
[ -n "$macros" ] || fail "no zpat_ macros found in $header"
names=$(printf '%s\n%s\n' "$names" "$macros" | sed '/^$/d' | sort -u)

listed=$(for f in $families; do name_section "$f" | sed "s/\$/ $f/"; done)
count=0
for name in $names; do
    count=$((count + 1))
    page="$dir/$name.3"
    if [ ! -f "$page" ]; then
        fail "$name has no page ($page)"
        continue
    fi
    target=$(sed -n 's|^\.so man3/\(.*\)\.3$|\1|p' "$page")
    if [ -n "$target" ] && [ ! -f "$dir/$target.3" ]; then
        fail "$name.3 points at a missing page $target.3"
    fi
    on=$(printf '%s\n' "$listed" | awk -v n="$name" '$1 == n { print $2 }')
    if [ "$(printf '%s\n' "$on" | sed '/^$/d' | wc -l)" -ne 1 ]; then
        fail "$name is in the NAME section of: ${on:-no family page}" \
            "(should be exactly one)"
    elif [ -n "$target" ] && [ "$on" != "$target" ]; then
        fail "$name.3 points at $target.3 but $on.3 lists it"
    fi
done
[ "$failed" -eq 0 ] &&
    echo "ok   $count names, each on one of $(echo "$families" | wc -w)" \
        "family pages, each with a page of its name"

if ! command -v man >/dev/null 2>&1; then
    echo "SKIP man is not installed: pages not rendered"
    [ "$failed" -eq 0 ] && exit 77
    exit 1
fi
rendered=0
for f in $families zpat; do
    case $f in zpat) page="$dir/zpat.7" ;; *) page="$dir/$f.3" ;; esac
    if [ ! -f "$page" ]; then
        fail "missing $page"
        continue
    fi
    errors=$(LC_ALL=C.UTF-8 MANWIDTH=80 MANROFFSEQ='' \
        man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
    status=$?
    if [ "$status" -ne 0 ] || [ -n "$errors" ]; then
        fail "man -l $page (status $status):"
        printf '%s\n' "$errors" | sed 's/^/    /'
    fi
    rendered=$((rendered + 1))
done
[ "$failed" -eq 0 ] && echo "ok   $rendered pages render without warnings"
exit "$failed"
