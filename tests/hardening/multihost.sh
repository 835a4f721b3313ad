#!/usr/bin/env bash
# multihost.sh - the dying-peer pipeline across "hosts": ventilator, two
# workers and sink each in its own network namespace, joined by veth pairs
# (a private /30 per link, 10.77.x.0/30, which exists only inside these
# namespaces), talking tcp:// between the namespaces' own addresses. Worker
# 1 is SIGKILLed mid-stream; the jobs lost are counted and must stay within
# three high-water marks plus the 50 jobs the byte buffers on the way may
# hold (BYTE_SLACK in test_peers_die.c), with none duplicated or corrupted.
#
#   multihost.sh PATH/TO/hardening_node
#
# Needs root and iproute2; exits 77 (skipped) with the reason otherwise.
# Namespaces, links and files are removed on every exit path.
# SPDX-License-Identifier: MPL-2.0
set -u

node=${1:?usage: multihost.sh PATH/TO/hardening_node}
jobs=20000
hwm=100
kill_after=5000           # records in the sink before worker 1 is killed
delay_us=50               # work per job in a worker
byte_slack=50             # jobs the byte buffers may hold (test_peers_die.c)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (ip netns)"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"

tag=$$
v=zpat-v-$tag; w1=zpat-w1-$tag; w2=zpat-w2-$tag; s=zpat-s-$tag
dir=$(mktemp -d /tmp/zpat-h6-multihost.XXXXXX)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  wait 2>/dev/null
  # Deleting a namespace deletes the veth ends inside it, and so the pairs.
  for ns in "$v" "$w1" "$w2" "$s"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$v" 2>"$dir/err" || skip "ip netns add failed: $(cat "$dir/err")"
# Some places let a namespace be made but not entered (a chroot, whose root
# is not a mount point, refuses "ip netns exec"): that is the place, not
# zpat, so skip there too.
ip netns exec "$v" true 2>"$dir/err" ||
  skip "ip netns exec does not work here: $(cat "$dir/err")"
ip -n "$v" link set lo up 2>"$dir/err" ||
  skip "cannot configure a namespace here: $(cat "$dir/err")"
for ns in "$w1" "$w2" "$s"; do
  ip netns add "$ns" || fail "ip netns add $ns"
done
for ns in "$v" "$w1" "$w2" "$s"; do
  ip -n "$ns" link set lo up || fail "lo up in $ns"
done

# link NUMBER NS_A NS_B: a veth pair, 10.77.NUMBER.1 on A's end and
# 10.77.NUMBER.2 on B's.
link() {
  local a=zp$1a$tag b=zp$1b$tag
  ip link add "$a" netns "$2" type veth peer name "$b" netns "$3" ||
    fail "veth pair $1"
  ip -n "$2" addr add "10.77.$1.1/30" dev "$a" || fail "address on $a"
  ip -n "$3" addr add "10.77.$1.2/30" dev "$b" || fail "address on $b"
  ip -n "$2" link set "$a" up || fail "$a up"
  ip -n "$3" link set "$b" up || fail "$b up"
}
link 1 "$v" "$w1"   # ventilator - worker 1
link 2 "$v" "$w2"   # ventilator - worker 2
link 3 "$w1" "$s"   # worker 1 - sink
link 4 "$w2" "$s"   # worker 2 - sink

vent_ep="tcp://10.77.1.1:5570,tcp://10.77.2.1:5570"
sink_ep="tcp://10.77.3.2:5571,tcp://10.77.4.2:5571"
out=$dir/sink.bin

ip netns exec "$s" "$node" sink "$sink_ep" "$hwm" "$out" 1 >"$dir/sink.out" &
pids+=($!); sink=$!
ip netns exec "$w1" "$node" worker 1 tcp://10.77.1.1:5570 \
  tcp://10.77.3.2:5571 "$hwm" "$delay_us" 1 &
pids+=($!); worker1=$!
ip netns exec "$w2" "$node" worker 2 tcp://10.77.2.1:5570 \
  tcp://10.77.4.2:5571 "$hwm" "$delay_us" 1 &
pids+=($!); worker2=$!
# The sink says its port once it is bound.
for _ in $(seq 500); do
  grep -q port "$dir/sink.out" 2>/dev/null && break
  sleep 0.01
done
grep -q port "$dir/sink.out" || fail "the sink did not start"

start=$(date +%s%N)
ip netns exec "$v" "$node" vent "$vent_ep" "$jobs" "$hwm" 1 >"$dir/vent.out" &
pids+=($!); vent=$!

records() { echo $(( $(stat -c %s "$out" 2>/dev/null || echo 0) / 8 )); }

# Kill worker 1 mid-stream, once the sink has kill_after records.
for _ in $(seq 3000); do
  [ "$(records)" -ge "$kill_after" ] && break
  sleep 0.01
done
at=$(records)
[ "$at" -ge "$kill_after" ] || fail "only $at jobs arrived in 30 s"
kill -9 "$worker1"
wait "$worker1" 2>/dev/null

wait "$vent" || fail "the ventilator failed"
# Then wait for the sink to go quiet: no new record for a second.
last=-1; quiet=0
for _ in $(seq 300); do
  now=$(records)
  if [ "$now" = "$last" ]; then
    quiet=$((quiet + 1)); [ $quiet -ge 10 ] && break
  else
    quiet=0; last=$now
  fi
  sleep 0.1
done
took=$(( ($(date +%s%N) - start) / 1000000 ))
kill -0 "$worker2" 2>/dev/null || fail "worker 2 died"
kill -0 "$sink" 2>/dev/null || fail "the sink died"
kill -TERM "$worker2" "$sink"
wait "$worker2" || fail "worker 2 did not end cleanly on SIGTERM"
wait "$sink" || fail "the sink did not end cleanly on SIGTERM"

echo "[figures] multihost: 4 network namespaces, veth links 10.77.{1..4}.0/30;" \
  "$jobs jobs, HWM $hwm, 4 KiB kernel buffers; worker 1 SIGKILLed after" \
  "$at jobs had arrived; run took ${took} ms"
sed 's/^/[figures] multihost: /' "$dir/vent.out"
# The kill happened around job $at (what had arrived by then).
"$node" analyze "$jobs" $((3 * hwm + byte_slack)) "$at" "$out" |
  sed 's/^/[figures] multihost: /'
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || fail "analysis: lost beyond 3 x HWM + $byte_slack, duplicated or corrupted jobs"
echo "PASS"
