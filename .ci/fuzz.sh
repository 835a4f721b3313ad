#!/usr/bin/env bash
# Fuzzing leg: builds the libFuzzer targets of tests/fuzz with clang, the
# library included, under ASan + UBSan and with coverage instrumentation,
# and runs each target for a bounded time from its committed seed corpus.
# Any crash, leak, sanitizer report, broken invariant or stuck input fails.
# BUILD_DIR overrides the build directory (default build-fuzz);
# FUZZ_SECONDS the time per target (default 15, about 60 s in all).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-15}
targets=(recv_msg recv_topic recv_str recv)

rm -rf "$dir"
# -fsanitize=fuzzer-no-link puts coverage counters in libzpat too, so that
# libFuzzer is guided by the library's branches, not just the harness's.
CC=clang meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined \
  -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
meson compile -C "$dir" "${targets[@]/#/fuzz_}"

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "${targets[@]}"; do
  # New inputs go to a scratch directory, never into the committed seeds.
  work="$dir/fuzz-corpus/$t"
  mkdir -p "$work"
  echo "== fuzz_$t: ${seconds}s"
  "$dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/fuzz-$t-" "$work" "tests/fuzz/corpus/$t"
done
echo "fuzz: OK"
