#!/usr/bin/env bash
# e2e, scale-out: /probe targets sharded over two exporterd replicas by two
# real Prometheus servers, with the shipped configs deploy/prometheus/
# shard-{0,1}.yml (Prometheus' own hashmod relabelling; exporterd knows
# nothing of shards). Only addresses, paths and intervals are rewritten for
# loopback. Checks: every target is scraped by exactly one Prometheus,
# through exactly one replica, and succeeds; after one replica is killed,
# exactly its shard's targets show `up 0` and the other shard stays up.
#
# usage: scale_out_test.sh <exporterd binary> <module dir> [targets (60)]
set -euo pipefail
BIN=$1
MODDIR=$2
N=${3:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh"
need_tools prometheus promtool python3 curl jq ss
work_dir scaleout

for s in 0 1; do
  check "promtool check config deploy/prometheus/shard-$s.yml" \
    sh -c "promtool check config '$ROOT/deploy/prometheus/shard-$s.yml' >/dev/null 2>&1"
done

# The probed service: one HTTP server, N distinct targets (?n=).
HP=$(free_port)
(cd "$WORK" && exec python3 -m http.server --bind 127.0.0.1 "$HP") >"$WORK/http.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$HP/" 20 || { echo "FAIL: http server"; exit 1; }
mkdir -p "$WORK/targets"
{
  echo "- targets:"
  for i in $(seq 1 "$N"); do echo "    - http://127.0.0.1:$HP/?n=$i"; done
} >"$WORK/targets/web.yml"

# Two replicas, the built-in blackbox modules (http_2xx).
printf 'modules:\n  blackbox: {}\n' >"$WORK/exporterd.yml"
declare -a RP RPID
for r in 0 1; do
  mkdir -p "$WORK/r$r"
  cp "$WORK/exporterd.yml" "$WORK/r$r/"
  start_exporterd "$BIN" "$MODDIR" "$WORK/r$r" || { echo "FAIL: replica $r"; exit 1; }
  RP[$r]=$EP
  RPID[$r]=${PIDS[-1]}
done

# Two Prometheus servers from the shipped shard files.
declare -a PAPI
for s in 0 1; do
  mkdir -p "$WORK/p$s"
  sed -e "s|exporterd-0.exporterd:19400|127.0.0.1:${RP[0]}|g" \
    -e "s|exporterd-1.exporterd:19400|127.0.0.1:${RP[1]}|g" \
    -e "s|/etc/prometheus/targets/probe/\*.yml|$WORK/targets/*.yml|" \
    -e "s|/etc/prometheus/targets/snmp/\*.yml|$WORK/none/*.yml|" \
    -e "s|scrape_interval: 30s|scrape_interval: 1s|" \
    -e "s|scrape_timeout: 10s|scrape_timeout: 1s|" \
    "$ROOT/deploy/prometheus/shard-$s.yml" >"$WORK/p$s/prometheus.yml"
  port=$(free_port)
  prometheus --config.file="$WORK/p$s/prometheus.yml" --storage.tsdb.path="$WORK/p$s/data" \
    --web.listen-address="127.0.0.1:$port" >"$WORK/p$s/prometheus.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/-/ready" 60 || { tail -20 "$WORK/p$s/prometheus.log"; exit 1; }
  PAPI[$s]=http://127.0.0.1:$port/api/v1
done

# q SHARD PROMQL: the JSON result vector.
q() { curl -sf --get "${PAPI[$1]}/query" --data-urlencode "query=$2" | jq -c '.data.result'; }
# Active targets of the blackbox job, per shard.
active() {
  curl -sf "${PAPI[$1]}/targets?state=active" |
    jq -r '.data.activeTargets[] | select(.labels.job == "blackbox") | .labels.instance' | sort
}
# Until both shards have scraped every one of their targets at least 3 times.
for _ in $(seq 1 60); do
  done_all=1
  for s in 0 1; do
    n=$(active "$s" | wc -l)
    got=$(q "$s" 'count(count_over_time(up{job="blackbox"}[1m]) >= 3)' | jq -r '.[0].value[1] // 0')
    [[ $n -gt 0 && $got == "$n" ]] || done_all=0
  done
  [[ $done_all == 1 ]] && break
  sleep 1
done
active 0 >"$WORK/s0"
active 1 >"$WORK/s1"
n0=$(wc -l <"$WORK/s0") n1=$(wc -l <"$WORK/s1")
echo "shard 0: $n0 targets, shard 1: $n1 targets"
check "the two shards together hold all $N targets" test "$((n0 + n1))" = "$N"
check "no target is in both shards" test "$(comm -12 "$WORK/s0" "$WORK/s1" | wc -l)" = 0
check "every target appears once over both shards" \
  test "$(sort -u "$WORK/s0" "$WORK/s1" | wc -l)" = "$N"
check "both shards have targets" test "$n0" -gt 0 -a "$n1" -gt 0
for s in 0 1; do
  want=127.0.0.1:${RP[$s]}
  check "shard $s: every target went through replica $s only (exporterd_replica)" \
    test "$(q "$s" "count(group by (instance, exporterd_replica) (last_over_time(up{job=\"blackbox\"}[1m])))" |
      jq -r '.[0].value[1]')" = "$(wc -l <"$WORK/s$s")"
  check "shard $s: no series names another replica" \
    test "$(q "$s" "count(up{job=\"blackbox\",exporterd_replica!=\"$want\"})" | jq -r 'length')" = 0
  check "shard $s: every target up 1 and probe_success 1" \
    test "$(q "$s" 'count(up{job="blackbox"} == 1 and on(instance) probe_success == 1)' |
      jq -r '.[0].value[1]')" = "$(wc -l <"$WORK/s$s")"
done
# Each replica answered probes (its own counter), none was left idle.
for r in 0 1; do
  probes=$(curl -sf "http://127.0.0.1:${RP[$r]}/metrics" |
    awk '/^blackbox_probes_total/ {n += $2} END {print n + 0}')
  check "replica $r ran probes ($probes)" test "${probes%.*}" -gt 0
done

# Lose replica 1: exactly shard 1's targets go down; shard 0 stays up.
kill "${RPID[1]}"
sleep 4
for _ in $(seq 1 20); do
  down1=$(q 1 'count(up{job="blackbox"} == 0)' | jq -r '.[0].value[1] // 0')
  [[ $down1 == "$n1" ]] && break
  sleep 1
done
check "replica 1 lost: all $n1 targets of shard 1 are up 0" test "$down1" = "$n1"
check "replica 1 lost: shard 0's $n0 targets are all still up 1" \
  test "$(q 0 'count(up{job="blackbox"} == 1)' | jq -r '.[0].value[1] // 0')" = "$n0"
check "replica 1 lost: no target of shard 0 is down" \
  test "$(q 0 'count(up{job="blackbox"} == 0)' | jq -r 'length')" = 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
