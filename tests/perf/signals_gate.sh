#!/bin/sh
# signals_gate.sh - the CI gate on what zpat_catch_signals () costs: a send
# or receive that need not wait may cost at most LIMIT (30) instructions per
# message more with signals caught than without (callgrind, through
# instructions.sh, so the numbers do not depend on the machine's load).
# SPDX-License-Identifier: MPL-2.0
#
# usage: tests/perf/signals_gate.sh [BENCH]
# PUSH/PULL is measured, over inproc and tcp, receiving into a buffer and
# into a message: its queues are never empty, so every call is a fast path.
# (A receive that has to wait costs more with signals caught, as it must
# watch the signal pipe too: see README, "What signals cost".)

set -eu
here=$(dirname "$0")
BENCH=${1:-build/tests/perf/zpat_bench}
LIMIT=${LIMIT:-30}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for recv in copy msg; do
    for signals in 0 1; do
        SIGNALS=$signals RECV=$recv PATTERNS=pushpull TRANSPORTS="inproc tcp" \
            IMPLS=zpat sh "$here/instructions.sh" "$BENCH" \
            >"$out/$recv.$signals"
        cat "$out/$recv.$signals"
    done
done

failed=0
for recv in copy msg; do
    for transport in inproc tcp; do
        off=$(awk -v t="$transport" '$2 == t { print $4 }' "$out/$recv.0")
        on=$(awk -v t="$transport" '$2 == t { print $4 }' "$out/$recv.1")
        cost=$((on - off))
        verdict=ok
        if [ "$cost" -gt "$LIMIT" ]; then
            verdict="FAIL (over $LIMIT)"
            failed=1
        fi
        echo "pushpull $transport --recv $recv: $off without signals, $on with: +$cost $verdict"
    done
done
exit $failed
