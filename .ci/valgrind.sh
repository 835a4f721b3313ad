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
# Only the unit suite: other suites drive foreign programs (Python peers,
# benchmarks) whose memory is not zpat's to check.
meson test -C "$dir" --setup valgrind --suite unit --print-errorlogs \
  --num-processes "${VALGRIND_JOBS:-$(nproc)}" "$@"
