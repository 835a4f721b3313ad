#!/bin/sh
# curve_instructions.sh - CPU instructions per message for CURVE-encrypted
# zpat objects and raw libzmq sockets given the same keys, counted by
# valgrind's callgrind: stable where curve_bench's timings are not.
# SPDX-License-Identifier: MPL-2.0
#
# usage: tests/perf/curve_instructions.sh [BENCH] [OUTDIR]
#   BENCH   the curve_bench binary (default: build/tests/perf/curve_bench)
#   OUTDIR  keep callgrind's output files there, for callgrind_annotate
#           (default: a temporary directory, removed at the end)
# Environment: POINTS (pattern:bytes, default pushpull:64 pushpull:1024
# reqrep:64), N1 and N2 (messages, or round trips for reqrep: 2000 and
# 20000; about 45 seconds in all on 2 cores).
#
# Not a meson test or benchmark (like instructions.sh): run it by hand on a
# build, e.g.
#   meson setup build && ninja -C build && tests/perf/curve_instructions.sh
#
# Each point runs `curve_bench --run IMPL PATTERN SIZE COUNT` under
# callgrind twice, with N1 and with N2 messages, and prints
# (Ir(N2) - Ir(N1)) / (N2 - N1): the instructions one more message (or
# round trip) costs in every thread of the process (sender, receiver and
# libzmq's I/O threads, CURVE's encryption and decryption included), with
# the keys, the handshake and tear-down cancelled out. raw/zpat is the
# speed ratio those counts imply (curve_bench's target: 0.97 or more), and
# zpat-raw the instructions zpat adds per message. Counts vary by a few
# tenths of a per cent run to run (libzmq's batching depends on how the
# threads interleave), a little more at 1 KiB.

set -eu

BENCH=${1:-build/tests/perf/curve_bench}
POINTS=${POINTS:-pushpull:64 pushpull:1024 reqrep:64}
N1=${N1:-2000}
N2=${N2:-20000}

if [ ! -x "$BENCH" ]; then
    echo "curve_instructions.sh: no benchmark binary at $BENCH" >&2
    exit 2
fi
command -v valgrind >/dev/null || {
    echo "curve_instructions.sh: valgrind is not installed" >&2
    exit 2
}

if [ $# -ge 2 ]; then
    OUT=$2
    mkdir -p "$OUT"
else
    OUT=$(mktemp -d)
    trap 'rm -rf "$OUT"' EXIT
fi

# Prints the total instruction count of one run.
count_ir() {
    file=$OUT/callgrind.$1.$2.$3.$4.out
    valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$BENCH" --run "$1" "$2" "$3" "$4" >/dev/null 2>"$file.log" || {
        echo "curve_instructions.sh: $BENCH failed, see $file.log" >&2
        cat "$file.log" >&2
        exit 1
    }
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$file"
}

printf '%s\n' "CURVE instructions per message (callgrind, all threads; tcp; $N1 vs $N2 messages; reqrep: per round trip)"
printf '%-9s %6s %9s %9s %9s %9s\n' pattern bytes zpat raw raw/zpat zpat-raw

for point in $POINTS; do
    pattern=${point%%:*}
    size=${point#*:}
    printf '%-9s %6s' "$pattern" "$size"
    zpat=0 raw=0
    for impl in zpat raw; do
        a=$(count_ir "$impl" "$pattern" "$size" "$N1")
        b=$(count_ir "$impl" "$pattern" "$size" "$N2")
        per=$(( (b - a) / (N2 - N1) ))
        eval "$impl=$per"
        printf ' %9d' "$per"
    done
    awk -v z="$zpat" -v r="$raw" 'BEGIN {
        v = "-"
        if (z > 0) v = sprintf ("%.3f", r / z)
        printf " %9s %9d\n", v, z - r }'
done
