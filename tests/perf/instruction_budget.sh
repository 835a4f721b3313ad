#!/bin/sh
# instruction_budget.sh - fails when zpat costs more instructions per message
# over raw libzmq than tests/perf/instruction_budget.txt allows, on any of
# the paths listed there. Instruction counts (callgrind) do not flake the
# way timings do, so this gates CI where the benchmarks' timings never do.
# SPDX-License-Identifier: MPL-2.0
#
# usage: tests/perf/instruction_budget.sh BENCH PINGPONG [BUDGET_FILE]
#   BENCH        the zpat_bench binary
#   PINGPONG     the pingpong binary (the "pingpong" lines: an inproc
#                ping-pong whose every receive waits; per message)
#   BUDGET_FILE  default: instruction_budget.txt beside this script
# Exits 0 when every path is within budget, 1 when one is over, 77 (skip)
# without valgrind.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
bench=${1:?usage: instruction_budget.sh BENCH PINGPONG [BUDGET_FILE]}
pingpong=${2:?usage: instruction_budget.sh BENCH PINGPONG [BUDGET_FILE]}
budgets=${3:-$here/instruction_budget.txt}

# Instructions of one pingpong run (all threads).
pingpong_ir() {
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$pingpong" "$@" >/dev/null 2>"$out.log" || {
        echo "instruction_budget.sh: pingpong $* failed:" >&2
        cat "$out.log" >&2
        rm -f "$out" "$out.log"
        exit 1
    }
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out"
    rm -f "$out" "$out.log"
}

# Per message (two per exchange), N2 - N1 exchanges apart; recv is "wait"
# (no timeout) or "timed" (a receive timeout: the path that notes when the
# wait began).
pingpong_line() {
    n1=${N1:-1000} n2=${N2:-6000}
    timeout=
    [ "$1" = timed ] && timeout=5000
    for impl in zpat raw; do
        a=$(pingpong_ir "$impl" "$n1" $timeout)
        b=$(pingpong_ir "$impl" "$n2" $timeout)
        eval "$impl=$(( (b - a) / (2 * (n2 - n1)) ))"
    done
    echo "pingpong inproc 16 $zpat $raw"
}

# meson's valgrind setup would wrap this script in valgrind too: run the
# checks in a fresh shell, which valgrind does not follow.
if [ -z "${ZPAT_SCRIPT_REEXEC:-}" ]; then
    ZPAT_SCRIPT_REEXEC=1
    export ZPAT_SCRIPT_REEXEC
    exec /bin/sh "$0" "$@"
fi

# meson test sets MALLOC_PERTURB_, which makes glibc fill memory on every
# allocation and free: instructions that are not zpat's or libzmq's.
unset MALLOC_PERTURB_

command -v valgrind >/dev/null || {
    echo "SKIP: valgrind is not installed"
    exit 77
}

over=0
# Each line: pattern transport recv budget (the rest is comment).
grep -v '^#' "$budgets" | while read -r pattern transport recv budget _; do
    [ -n "${pattern:-}" ] || continue
    if [ "$pattern" = pingpong ]; then
        line=$(pingpong_line "$recv")
    else
        line=$(PATTERNS=$pattern TRANSPORTS=$transport RECV=$recv SIZES=16 \
            IMPLS="zpat raw" N1=${N1:-1000} N2=${N2:-6000} \
            "$here/instructions.sh" "$bench" | tail -n 1)
    fi
    # pattern transport size zpat raw ratio ...
    zpat=$(echo "$line" | awk '{print $4}')
    raw=$(echo "$line" | awk '{print $5}')
    cost=$((zpat - raw))
    if [ "$cost" -gt "$budget" ]; then
        verdict="OVER BUDGET"
    else
        verdict=ok
    fi
    printf '%-9s %-7s %-5s zpat %6d  raw %6d  +%-5d budget +%-5d %s\n' \
        "$pattern" "$transport" "$recv" "$zpat" "$raw" "$cost" "$budget" \
        "$verdict"
    [ "$verdict" = ok ] || echo over >>"${TMPDIR:-/tmp}/zpat-budget-$$"
done
if [ -e "${TMPDIR:-/tmp}/zpat-budget-$$" ]; then
    rm -f "${TMPDIR:-/tmp}/zpat-budget-$$"
    echo "instruction_budget.sh: a path is over its budget (see above)"
    exit 1
fi
echo "instruction_budget.sh: every path within budget"
