#!/usr/bin/env bash
# Static checks: the C sources must match .clang-format exactly, and cppcheck
# must find nothing in lib/. Called from .ci/run; exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

# Both checks run, so that one report shows every finding.

# Format: every C file in the tree's source folders, tests and examples
# included; any difference from clang-format's output is an error.
mapfile -t sources < <(find include lib tests examples tools \
  -type f \( -name '*.c' -o -name '*.h' \) | sort)
echo "clang-format: ${#sources[@]} files"
status=0
clang-format --dry-run --Werror "${sources[@]}" || status=1

# cppcheck on the library, in the configuration the build uses
# (-DZPAT_BUILDING and the POSIX level from meson.build), so that it checks
# the code that is compiled rather than every #ifdef combination. System
# headers (libc, zmq.h, czmq.h) are not given to it: --library=posix tells
# it what the libc calls do, and reading czmq's headers only slows it down.
# No check is suppressed; an inline suppression must carry its reason on
# the line above it.
echo "cppcheck: lib/"
cppcheck --quiet --std=c11 --library=posix --error-exitcode=1 \
  --enable=warning,style,performance,portability --inline-suppr \
  -I include -I lib -DZPAT_BUILDING -D_DEFAULT_SOURCE -D__GNUC__ \
  lib/ || status=1

if [ "$status" -ne 0 ]; then
  echo "checks: FAILED" >&2
  exit 1
fi
echo "checks: OK"
