# Shell helpers shared by the e2e and integration tests and the benchmarks.
# Source it: . "$(dirname "$0")/../lib/common.sh"

# check <description> <command...>: runs the command, prints "ok: ..." or
# "FAIL: ...", and counts in $passed / $failed.
passed=0
failed=0
check() {
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $what"
  else
    failed=$((failed + 1))
    echo "FAIL: $what"
  fi
}

# A free TCP port on loopback, from 20000-29999: below the kernel's ephemeral
# range (32768+ here), where a busy test's client connections take their
# local ports, and below 30000-32767, where the Ceph tests put their
# clusters. Ports in any state (listening or connected) are skipped.
free_port() {
  local lo p
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$lo" -gt 30000 ] && lo=30000
  [ "$lo" -gt 21000 ] || lo=30000
  for p in $(shuf -i 20000-$((lo - 1)) -n 100); do
    ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# wait_http URL SECONDS: until URL answers 2xx, or fail.
wait_http() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}

# start_exporterd BIN MODDIR WORK: runs BIN on WORK/exporterd.yml on a free
# loopback port until /-/ready answers; sets EP, appends the pid to PIDS.
start_exporterd() {
  EP=$(free_port)
  "$1" --config.file="$3/exporterd.yml" --module.dir="$2" \
    --web.listen-address="127.0.0.1:$EP" 2>"$3/exporterd.log" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$EP/-/ready" 20 || { cat "$3/exporterd.log"; return 1; }
}

# prom_query PROMQL: the JSON of an instant query against $API (start_prometheus).
prom_query() { curl -sf --get "$API/query" --data-urlencode "query=$1"; }

# prom_value PROMQL: the first result's value, or nothing.
prom_value() {
  prom_query "$1" | jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true
}

# prom_wait PROMQL SECONDS: until PROMQL has a result (write it as a filter:
# "count_over_time(x[1m]) >= 10"), or fail after SECONDS.
prom_wait() {
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    [ -n "$(prom_value "$1")" ] && return 0
    sleep 0.5
  done
  return 1
}

# start_prometheus WORK RULES: a Prometheus scraping 127.0.0.1:$EP every
# second with RULES loaded, data in WORK/data; sets PP and API (its
# /api/v1 URL), appends the pid to PIDS.
start_prometheus() {
  PP=$(free_port)
  cat >"$1/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $2
scrape_configs:
  - job_name: exporterd
    static_configs:
      - targets: ['127.0.0.1:$EP']
YML
  prometheus --config.file="$1/prometheus.yml" --storage.tsdb.path="$1/data" \
    --web.listen-address="127.0.0.1:$PP" >"$1/prometheus.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$PP/-/ready" 60 || { tail -20 "$1/prometheus.log"; return 1; }
  API=http://127.0.0.1:$PP/api/v1
}
