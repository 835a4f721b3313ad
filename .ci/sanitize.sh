#!/usr/bin/env bash
# ASan + UBSan leg: a gcc build with both sanitizers, and the whole test
# suite run under them. Any report fails the run: UBSan would otherwise print
# and carry on with exit status 0.
# BUILD_DIR overrides the build directory (default build-asan): an absolute
# path, or one relative to the source tree, as in the other .ci scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build-asan}
# From here on the directory is absolute, so that paths built from it (the
# LeakSanitizer suppressions) hold wherever a test runs.
case $dir in
  /*) ;;
  *) dir="$(pwd)/$dir" ;;
esac

rm -rf "$dir"
CC=${CC:-gcc} meson setup "$dir" -Db_sanitize=address,undefined \
  -Db_lundef=false
meson compile -C "$dir"

# allocator_may_return_null=1: a request too large to satisfy gets NULL, as
# it does from glibc's malloc, instead of ASan ending the process. libzmq
# (outside zpat) asks for a peer's announced frame size when no size limit is
# set, and the hardening suite checks that such a frame is survived.
export ASAN_OPTIONS=halt_on_error=1:print_stacktrace=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# LeakSanitizer: the czmq leaks that valgrind.supp also names. czmq 4.2.1's
# pthread_atfork child handler (zsys_cleanup) drops the IPv6 multicast
# address string zsys_init () strdup ()ed, so a child forked after the context
# started loses 19 bytes that only czmq could free; and it leaves zsys_init's
# list of open sockets in place, which the child's own zsys_init () replaces,
# so a child that starts a context of its own and then calls exit () loses
# that list too (48 bytes; zsys_init's frame is missing from LeakSanitizer's
# stacks, hence zlist_new, which only czmq calls here).
lsan_supp="$dir/lsan.supp"
cat > "$lsan_supp" <<'SUPP'
leak:zsys_set_ipv6_mcast_address
leak:zlist_new
SUPP
export LSAN_OPTIONS="suppressions=$lsan_supp:print_suppressions=0"
# Check forks a child per test, so a leak fails the exact test that leaked.
meson test -C "$dir" --print-errorlogs "$@"
