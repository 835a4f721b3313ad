#!/usr/bin/env bash
# exit_loop.sh PROGRAM [RUNS [ARG...]] - runs PROGRAM ARG... RUNS times
# (default 1000), each under `timeout`, and fails unless every run ended with
# the program's own exit status (EXIT_LOOP_STATUS, default 3: exit_busy's).
# An exit race shows as a run or two in a hundred that aborts (libzmq's
# "Assertion failed: pfd.revents & POLLIN (src/signaler.cpp:265)"), dies of
# another signal, exits with another status or hangs: the summary counts
# each kind, and the output of the first few failed runs is shown.
#
# Environment:
#   EXIT_LOOP_STATUS        the status a good run ends with (default 3)
#   EXIT_LOOP_TIMEOUT       seconds a run may take before it counts as hung
#                           (default 10, times ZPAT_TEST_TIME_FACTOR)
#   ZPAT_UNDER_VALGRIND     set by the 'valgrind' test setup: each run then
#                           goes under memcheck (memory errors only: a
#                           process that leaves on purpose while its threads
#                           are busy holds memory by design), and at most
#                           EXIT_LOOP_VALGRIND_RUNS (default 3) runs are made.
#   ZPAT_VALGRIND_SUPP      valgrind suppressions file, for that case.
# SPDX-License-Identifier: MPL-2.0
set -u

if [ $# -lt 1 ]; then
  echo "usage: exit_loop.sh PROGRAM [RUNS [ARG...]]" >&2
  exit 2
fi
program=$1
runs=${2:-1000}
shift
[ $# -gt 0 ] && shift
expect=${EXIT_LOOP_STATUS:-3}
factor=${ZPAT_TEST_TIME_FACTOR:-1}
limit=$(( ${EXIT_LOOP_TIMEOUT:-10} * factor ))

wrapper=()
if [ -n "${ZPAT_UNDER_VALGRIND:-}" ] && command -v valgrind >/dev/null; then
  max=${EXIT_LOOP_VALGRIND_RUNS:-3}
  [ "$runs" -gt "$max" ] && runs=$max
  wrapper=(valgrind -q --error-exitcode=99 --leak-check=no --num-callers=30)
  if [ -n "${ZPAT_VALGRIND_SUPP:-}" ]; then
    wrapper+=("--suppressions=$ZPAT_VALGRIND_SUPP")
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
name="$(basename "$program")${*:+ $*}"
ok=0 failed=0 shown=0
declare -A kinds=()
start=$SECONDS

for ((run = 1; run <= runs; run++)); do
  # -k: a run that ignores the TERM is killed 5 s later. timeout runs the
  # program in a process group of its own and signals the whole group, so a
  # child the program forked goes too. The subshell keeps bash's own
  # "Aborted" notices out of the output; the status says it.
  (
    timeout -k 5 "$limit" "${wrapper[@]}" "$program" "$@" >"$log" 2>&1 </dev/null
    exit $?
  ) 2>/dev/null
  status=$?
  if [ "$status" -eq "$expect" ]; then
    ok=$((ok + 1))
    continue
  fi
  failed=$((failed + 1))
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    kind="hang (no exit within ${limit} s)"
  elif [ "$status" -gt 128 ]; then
    kind="signal SIG$(kill -l $((status - 128)) 2>/dev/null || echo $((status - 128)))"
  else
    kind="exit status $status"
  fi
  kinds[$kind]=$(( ${kinds[$kind]:-0} + 1 ))
  if [ "$shown" -lt 5 ]; then
    shown=$((shown + 1))
    echo "--- run $run: $kind; its output:"
    tail -n 20 "$log"
  fi
done

echo "exit_loop: $runs runs of $name in $((SECONDS - start)) s:" \
  "$ok ended with status $expect, $failed did not"
for kind in "${!kinds[@]}"; do
  echo "  ${kinds[$kind]} x $kind"
done
[ "$failed" -eq 0 ]
