#!/usr/bin/env bash
# valgrind leg: the unit suite under memcheck, through the 'valgrind' test
# setup in tests/meson.build (CK_FORK=no, --error-exitcode=1, definite leaks
# are errors, suppressions in tests/valgrind.supp). Reuses the normal build
# directory when .ci/run has made it; otherwise makes one.
# BUILD_DIR overrides the build directory (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}

if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir"
fi
meson compile -C "$dir"
# The unit and hardening suites: the interop suite drives Python peers (its
# interop-leaks test runs each C port under valgrind itself), and the
# benchmarks measure time, which valgrind would only distort.
meson test -C "$dir" --setup valgrind --suite unit --suite hardening --print-errorlogs \
  --num-processes "${VALGRIND_JOBS:-$(nproc)}" "$@"
