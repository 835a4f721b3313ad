#!/usr/bin/env bash
# The Debian packages (packaging/debian): builds libzpat0, libzpat-dev and
# zpat-tools with dpkg-buildpackage in a copy of the tree, checks them with
# lintian (errors fail; packaging/debian/README.packaging explains the
# overrides), installs them, builds and runs the demo against the installed
# packages alone (and compiles the C++ example, and the CMake consumer of
# .ci/consumers.sh), checks that the man pages resolve, then removes the
# packages again. Runs as root on Debian 12 (CI), without stdin.
# SPDX-License-Identifier: MPL-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DEBIAN_FRONTEND=noninteractive

work=$(mktemp -d)
installed=0
cleanup() {
  if [ "$installed" -eq 1 ]; then
    apt-get remove -y -qq libzpat0 libzpat-dev zpat-tools </dev/null >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Runs a step quietly, showing its output if it fails.
quiet() {
  "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log"; return 1; }
}

updated=0
apt_install() {
  if [ "$updated" -eq 0 ]; then
    apt-get update -qq
    updated=1
  fi
  quiet apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

tools=(debhelper dpkg-dev lintian man-db)
if [ -f examples/reqrep_client.cpp ]; then tools+=(g++); fi
missing=()
for p in "${tools[@]}"; do
  # Installed, not merely known to dpkg (removed, its config files left).
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
    missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi

# The source: the tracked files with any uncommitted changes to them (git
# stash create; HEAD in a clean checkout), no build directories, and
# packaging/debian as it is on disk copied to debian/.
src="$work/zpat-0.1.0"
mkdir "$src"
rev=$(git -C "$root" stash create)
git -C "$root" archive "${rev:-HEAD}" | tar -x -C "$src"
rm -rf "$src/debian"
cp -a "$root/packaging/debian" "$src/debian"

# The build dependencies of debian/control, when some are missing.
if ! (cd "$src" && dpkg-checkbuilddeps >/dev/null 2>&1); then
  apt_install build-essential
  (cd "$src" && apt-get build-dep -y -qq ./ </dev/null >/dev/null)
fi

start=$SECONDS
(cd "$src" && quiet dpkg-buildpackage -us -uc -b)
debs=("$work"/libzpat0_*.deb "$work"/libzpat-dev_*.deb "$work"/zpat-tools_*.deb)
for deb in "${debs[@]}"; do
  test -f "$deb" || { echo "not built: $deb"; exit 1; }
done
echo "built ${debs[*]##*/} in $((SECONDS - start)) s"

# Errors fail; warnings and the rest are printed (lintian also warns about
# running as root: CI is root).
status=0
lintian --fail-on error --info "$work"/zpat_*.changes >"$work/lintian.log" 2>&1 ||
  status=$?
grep -v 'running with root privileges' "$work/lintian.log" || true
if [ "$status" -ne 0 ]; then
  echo "lintian reported errors (status $status)"
  exit 1
fi
echo "lintian: no errors"

# Installed, the packages alone (no -I or -L into the tree) build and run
# the demo.
installed=1
quiet apt-get install -y --no-install-recommends "${debs[@]}" </dev/null
cd "$work"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -std=c11 -D_POSIX_C_SOURCE=200809L "$src/examples/demo.c" -o demo \
  $(pkg-config --cflags --libs zpat)
./demo >/dev/null
echo "demo: built against the installed libzpat-dev, ran"
if [ -f "$src/examples/reqrep_client.cpp" ]; then
  # shellcheck disable=SC2046
  c++ -std=c++17 "$src/examples/reqrep_client.cpp" -o reqrep_client_cpp \
    $(pkg-config --cflags --libs zpat)
  echo "C++ example: examples/reqrep_client.cpp compiles against the package"
fi
if command -v cmake >/dev/null; then
  bash "$root/.ci/consumers.sh" cmake
fi

# The tools run from the package.
zpat --help | grep '^usage: zpat ROLE' >/dev/null
zpat-keygen ci-check "$work" >/dev/null
test "$(stat -c %a "$work/ci-check.key_secret")" = 600
echo "zpat-tools: zpat and zpat-keygen run"

# The man pages resolve (unless dpkg is configured to drop /usr/share/man,
# as minimal container images are).
pages=(zpat zpat-keygen)
dev_files=$(dpkg-deb -c "$work"/libzpat-dev_*.deb)
if grep -q '/man3/' <<<"$dev_files"; then
  pages+=(zpat_req_new zpat_recv_str)
fi
if [ -e /usr/share/man/man1/zpat.1.gz ]; then
  for page in "${pages[@]}"; do man -w "$page" >/dev/null; done
  if grep -q '/man7/' <<<"$dev_files"; then
    man -w 7 zpat >/dev/null
    pages+=("zpat(7)")
  fi
  echo "man pages resolve: ${pages[*]}"
else
  echo "man pages not checked: dpkg excludes /usr/share/man here"
fi

# The cleanup trap removes the packages.
cd "$root"
apt-get remove -y -qq libzpat0 libzpat-dev zpat-tools </dev/null >/dev/null
installed=0
if [ "$(dpkg-query -W -f='${db:Status-Status}' libzpat0 2>/dev/null)" = installed ]; then
  echo "libzpat0 still installed"
  exit 1
fi
echo "packages removed"
