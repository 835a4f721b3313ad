#!/bin/sh
# instructions.sh - CPU instructions per message for zpat, raw libzmq and
# czmq, counted by valgrind's callgrind: stable where timings are not.
# SPDX-License-Identifier: MPL-2.0
#
# usage: tests/perf/instructions.sh [BENCH] [OUTDIR]
#   BENCH   the zpat_bench binary (default: build/tests/perf/zpat_bench)
#   OUTDIR  keep callgrind's output files there, for callgrind_annotate
#           (default: a temporary directory, removed at the end)
# Environment: PATTERNS (pushpull reqrep pubsub), TRANSPORTS (inproc tcp),
# SIZES (16), IMPLS (zpat raw czmq), RECV (msg: zero-copy receives, or
# copy: into a buffer), N1 and N2 (message counts, 2000 and 12000),
# SIGNALS (1: the benchmark calls zpat_catch_signals () first, as the
# tutorial ports do; zpat's instructions only change).
#
# Each point runs zpat_bench under callgrind twice, with N1 and with N2
# messages (round trips for reqrep, messages published for pubsub), and
# prints (Ir(N2) - Ir(N1)) / (N2 - N1): the instructions one more message
# costs in every thread of the process (sender, receiver and libzmq's I/O
# thread), with start-up, connection and tear-down cancelled out.

set -eu

BENCH=${1:-build/tests/perf/zpat_bench}
PATTERNS=${PATTERNS:-pushpull reqrep pubsub}
TRANSPORTS=${TRANSPORTS:-inproc tcp}
SIZES=${SIZES:-16}
IMPLS=${IMPLS:-zpat raw czmq}
RECV=${RECV:-msg}
N1=${N1:-2000}
N2=${N2:-12000}
SIGNALS=${SIGNALS:-0}
CATCH=
[ "$SIGNALS" = 1 ] && CATCH=--catch-signals

if [ ! -x "$BENCH" ]; then
    echo "instructions.sh: no benchmark binary at $BENCH" >&2
    exit 2
fi
command -v valgrind >/dev/null || {
    echo "instructions.sh: valgrind is not installed" >&2
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
    file=$OUT/callgrind.$1.$2.$3.$4.$5.out
    # The latency statistics (a sort of every round trip) are left out.
    valgrind --tool=callgrind --callgrind-out-file="$file" \
        --toggle-collect=latency_stats --collect-atstart=yes \
        "$BENCH" --pattern "$1" --transport "$2" --size "$3" --impl "$4" \
        --rounds 1 --count "$5" --rt-count "$5" --recv "$RECV" --csv '' $CATCH \
        >/dev/null 2>"$file.log" || {
        echo "instructions.sh: $BENCH failed, see $file.log" >&2
        cat "$file.log" >&2
        exit 1
    }
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$file"
}

printf '%s\n' "Instructions per message (callgrind, all threads; $N1 vs $N2 messages; --recv $RECV${CATCH:+; $CATCH})"
printf '%-9s %-7s %6s' pattern transp. size
for impl in $IMPLS; do
    printf ' %9s' "$impl"
done
printf ' %9s %9s\n' zpat/raw zpat/czmq

for pattern in $PATTERNS; do
    for transport in $TRANSPORTS; do
        for size in $SIZES; do
            printf '%-9s %-7s %6s' "$pattern" "$transport" "$size"
            zpat=0 raw=0 czmq=0
            for impl in $IMPLS; do
                a=$(count_ir "$pattern" "$transport" "$size" "$impl" "$N1")
                b=$(count_ir "$pattern" "$transport" "$size" "$impl" "$N2")
                per=$(( (b - a) / (N2 - N1) ))
                eval "$impl=$per"
                printf ' %9d' "$per"
            done
            awk -v z="$zpat" -v r="$raw" -v c="$czmq" 'BEGIN {
                vr = "-"; vc = "-"
                if (r > 0) vr = sprintf ("%.3f", z / r)
                if (c > 0) vc = sprintf ("%.3f", z / c)
                printf " %9s %9s\n", vr, vc }'
        done
    done
done
