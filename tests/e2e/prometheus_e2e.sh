#!/usr/bin/env bash
# e2e: a real Prometheus (Debian package) scrapes a real exporterd on
# loopback. Assertions go through Prometheus' HTTP API; `promtool check
# metrics` lints what the daemon serves.
#
# usage: prometheus_e2e.sh <exporterd binary> <test module dir>
set -euo pipefail
BIN=$1
MODDIR=$2
. "$(dirname "$0")/../lib/common.sh"
need_tools prometheus promtool curl jq ss

work_dir e2e

cat > "$WORK/exporterd.yml" <<YML
modules:
  testmod:
    series: 100
    labels: 3
  testmod2:
    series: 5
    route: /testprobe
YML
start_exporterd "$BIN" "$MODDIR" "$WORK" || exit 1

curl -sf "http://127.0.0.1:$EP/metrics" -o "$WORK/metrics.txt"
check "promtool check metrics on /metrics" \
  sh -c "promtool check metrics < '$WORK/metrics.txt'"
curl -sf "http://127.0.0.1:$EP/testprobe?target=a.example" -o "$WORK/probe.txt"
check "promtool check metrics on /testprobe" \
  sh -c "promtool check metrics < '$WORK/probe.txt'"
curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$EP/metrics" -o "$WORK/metrics.gz"
check "gzip output decompresses to a valid exposition" \
  sh -c "gzip -dc '$WORK/metrics.gz' | promtool check metrics"

start_prometheus "$WORK" "" "  - job_name: testprobe
    metrics_path: /testprobe
    params:
      target: [b.example]
    static_configs:
      - targets: ['127.0.0.1:$EP']" || exit 1

expect() {  # expect <promql> <value>: waits up to 30 s for the value
  local i v
  for ((i = 0; i < 60; i++)); do
    v=$(prom_value "$1")
    [ "$v" = "$2" ] && return 0
    sleep 0.5
  done
  echo "  $1 = '${v}', expected '$2'"
  return 1
}

check "up == 1 for exporterd" expect 'up{job="exporterd"}' 1
check "up == 1 for the multi-target route" expect 'up{job="testprobe"}' 1
check "exporterd_build_info stored" expect 'count(exporterd_build_info)' 1
check "module up stored" expect 'exporterd_module_up{module="testmod"}' 1
check "reload status stored" expect 'exporterd_config_last_reload_successful' 1
check "module series stored" expect 'count(testmod_value)' 100
check "process metrics stored" expect 'count(process_resident_memory_bytes{job="exporterd"})' 1
check "probe series stored" expect 'testprobe_success{target="b.example"}' 1
# Prometheus sends its timeout; the module saw less than 1 s.
check "scrape timeout header honoured" \
  expect 'testprobe_timeout_seconds < bool 1' 1

# A bad reload through SIGHUP is visible to Prometheus; the old config stays.
echo "modules: {testmod: {series: x}}" >"$WORK/exporterd.yml"
kill -HUP "${PIDS[0]}"
check "failed reload visible in Prometheus" \
  expect 'exporterd_config_last_reload_successful' 0
check "old config still served" expect 'count(testmod_value)' 100

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
