#!/usr/bin/env bash
# The consumer projects (tests/consumers/): a Meson project with zpat as a
# subproject, from this tree; and, with "cmake", a CMake project against
# the zpat that pkg-config finds (CI calls that while the Debian packages
# are installed). Each builds consumer.c and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "${1:-meson}" = cmake ]; then
  cp -a tests/consumers "$work/"
  cmake -S "$work/consumers/cmake" -B "$work/build" >"$work/step.log" 2>&1 ||
    { cat "$work/step.log"; exit 1; }
  cmake --build "$work/build" >"$work/step.log" 2>&1 ||
    { cat "$work/step.log"; exit 1; }
  "$work/build/consumer"
  echo "cmake consumer: built and ran against the installed zpat"
  exit 0
fi

# Runs a step quietly, showing its output if it fails.
quiet() {
  "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log"; return 1; }
}

# The subproject is this tree: its tracked files, with any uncommitted
# changes to them (git stash create; HEAD in a clean checkout), and no
# build directories.
cp -a tests/consumers/meson "$work/project"
mkdir -p "$work/project/subprojects/zpat"
rev=$(git -C "$root" stash create)
git -C "$root" archive "${rev:-HEAD}" | tar -x -C "$work/project/subprojects/zpat"
quiet meson setup "$work/build" "$work/project"
quiet meson compile -C "$work/build"
quiet meson test -C "$work/build" --print-errorlogs
"$work/build/consumer"
echo "meson consumer: zpat as a subproject, dependency ('zpat') found"
