#!/usr/bin/env bash
# clang leg: the library, examples and tests built with clang (whose
# warnings differ from gcc's, and are errors here too), and the unit suite run.
# BUILD_DIR overrides the build directory (default build-clang).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build-clang}

rm -rf "$dir"
CC=clang meson setup "$dir"
meson compile -C "$dir"
meson test -C "$dir" --suite unit --print-errorlogs "$@"
