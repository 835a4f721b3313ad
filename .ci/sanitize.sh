#!/usr/bin/env bash
# ASan + UBSan leg: a gcc build with both sanitizers, and the whole test
# suite run under them. Any report fails the run: UBSan would otherwise print
# and carry on with exit status 0.
# BUILD_DIR overrides the build directory (default build-asan).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build-asan}

rm -rf "$dir"
CC=${CC:-gcc} meson setup "$dir" -Db_sanitize=address,undefined \
  -Db_lundef=false
meson compile -C "$dir"

export ASAN_OPTIONS=halt_on_error=1:print_stacktrace=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Check forks a child per test, so a leak fails the exact test that leaked.
meson test -C "$dir" --print-errorlogs "$@"
