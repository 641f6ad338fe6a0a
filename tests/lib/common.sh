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

# need_tools TOOL...: exits 1 naming the first TOOL not in PATH.
need_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null ||
      { echo "$(basename "$0"): missing $t (run scripts/setup.sh)"; exit 1; }
  done
}

# work_dir NAME: WORK, a fresh /tmp/exporterd-NAME-* directory, and PIDS.
# At exit, also on SIGTERM and SIGINT, the PIDS are killed and waited for,
# then the function on_exit runs if the script defines one (non-zero fails
# the script; it may set KEEP=1 to keep WORK), then WORK is removed (KEEP=1
# keeps it and says so on stderr), never through a mount still under it.
work_dir() {
  WORK=$(mktemp -d "/tmp/exporterd-$1-XXXXXX")
  PIDS=()
  trap _work_dir_exit EXIT
  trap "exit 143" TERM
  trap "exit 130" INT
}
_work_dir_exit() {
  local rc=$? p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if declare -F on_exit >/dev/null; then on_exit || rc=1; fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept $WORK" >&2
  elif findmnt -rn -o TARGET | grep -q "^$WORK/"; then
    echo "WARNING: mounts left under $WORK, not removed:"
    findmnt -rn -o TARGET | grep "^$WORK/"
  else
    rm -rf --one-file-system "$WORK"
  fi
  exit "$rc"
}

# dashboard_test MODULE BIN MODDIR [TOOL...]: how each module's
# tests/integration/dashboard_queries_test.sh starts. Sets BIN and MODDIR
# (absolute), ROOT, DASH ($DASHBOARD, else exporters/MODULE/dashboard.json)
# and RULES (exporters/MODULE/alerts.yml); exits unless prometheus,
# promtool, curl, jq, ss and TOOL... are there and exporterd_MODULE.so is
# built; work_dir MODULEdash; checks the dashboard (check_dashboard_json)
# and the rules (promtool).
dashboard_test() {
  local module=$1
  BIN=$(realpath "$2")
  MODDIR=$(realpath "$3")
  shift 3
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  DASH=${DASHBOARD:-$ROOT/exporters/$module/dashboard.json}
  RULES=$ROOT/exporters/$module/alerts.yml
  need_tools prometheus promtool curl jq ss "$@"
  [ -f "$MODDIR/exporterd_$module.so" ] ||
    { echo "dashboard: $MODDIR/exporterd_$module.so not built"; exit 1; }
  work_dir "${module}dash"
  check_dashboard_json "$DASH"
  check "promtool check rules" sh -c "promtool check rules '$RULES' >/dev/null"
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

# start_prometheus WORK RULES [JOBS]: a Prometheus scraping 127.0.0.1:$EP
# (job exporterd) and JOBS (more scrape_configs entries, YAML indented by
# two) every second with RULES (a file, or "": none) loaded, data in
# WORK/data; its config passes
# promtool (a check); sets PP and API (its /api/v1 URL), appends the pid to
# PIDS.
start_prometheus() {
  PP=$(free_port)
  cat >"$1/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [${2:+"$2"}]
scrape_configs:
  - job_name: exporterd
    static_configs:
      - targets: ['127.0.0.1:$EP']
${3:-}
YML
  local before=$failed
  check "promtool check config" sh -c "promtool check config '$1/prometheus.yml' >/dev/null"
  [ "$failed" = "$before" ] || return 1
  prometheus --config.file="$1/prometheus.yml" --storage.tsdb.path="$1/data" \
    --web.listen-address="127.0.0.1:$PP" >"$1/prometheus.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$PP/-/ready" 60 || { tail -20 "$1/prometheus.log"; return 1; }
  API=http://127.0.0.1:$PP/api/v1
}

# check_dashboard_json DASH: valid JSON (schemaVersion >= 36, a uid, panels)
# and every panel's (and nested panel's) datasource is ${DS_PROMETHEUS}.
check_dashboard_json() {
  check "dashboard is valid JSON with schemaVersion, uid and panels" \
    sh -c "jq -e '.schemaVersion >= 36 and (.panels | length) > 0 and .uid != null' '$1' >/dev/null"
  check "every panel datasource is \${DS_PROMETHEUS}" \
    sh -c "jq -e '[.panels[] | (., .panels[]?) | select(.type != \"row\") | .datasource.uid, (.targets[]?.datasource.uid)]
                  | all(. == \"\${DS_PROMETHEUS}\")' '$1' >/dev/null"
}

# dashboard_fill EXPR NAME=VALUE...: EXPR with Grafana's interval variables
# and the given template variables ($name and ${name}) replaced.
# shellcheck disable=SC2016 # the single-quoted words are literal Grafana variables
dashboard_fill() {
  local e=$1 kv
  shift
  e=${e//'$__rate_interval'/10s}
  e=${e//'$__interval'/1s}
  e=${e//'$__range'/1m}
  for kv in "$@"; do
    e=${e//"\${${kv%%=*}}"/${kv#*=}}
    e=${e//"\$${kv%%=*}"/${kv#*=}}
  done
  printf '%s' "$e"
}

# dashboard_query query|query_range EXPR: succeeds when the query against
# $API succeeds and returns data; prints the query and reply otherwise.
dashboard_query() {
  local out now
  now=$(date +%s)
  if [ "$1" = query ]; then
    out=$(curl -s --get "$API/query" --data-urlencode "query=$2")
  else
    out=$(curl -s --get "$API/query_range" --data-urlencode "query=$2" \
      --data-urlencode "start=$((now - 30))" --data-urlencode "end=$now" --data-urlencode "step=1")
  fi
  if jq -e '.status == "success" and (.data.result | length) > 0' >/dev/null 2>&1 <<<"$out"; then
    return 0
  fi
  echo "  $1: $2"
  echo "  reply: $(head -c 400 <<<"$out")"
  return 1
}

# check_dashboard_queries DASH NAME=VALUE...: every panel query of DASH (rows'
# nested panels too), with
# the template variables set to each given value in turn (NAME=VALUE pairs,
# separated by "--" between sets: a=1 b=2 -- a=.* b=.*), runs against $API as
# an instant query and, unless the target is instant, as a range query, and
# returns data; every query variable label_values(selector, label) has
# values. Counts in $passed/$failed like check.
check_dashboard_queries() {
  local dash=$1 title kind b64 raw e vq sel lab nq nrun=0 nvar=0
  shift
  local -a sets=() cur=()
  local a
  for a in "$@" --; do
    if [ "$a" = -- ]; then
      sets+=("${cur[*]:-}")
      cur=()
    else
      cur+=("$a")
    fi
  done
  # shellcheck disable=SC2016 # jq's $t
  local exprs='.panels[] | (., .panels[]?) | select(has("targets")) | .title as $t | .targets[]
               | select(has("expr")) | [$t, (if .instant == true then "instant" else "range" end), (.expr | @base64)] | @tsv'
  nq=$(jq -r "$exprs" "$dash" | wc -l)
  check "dashboard has panel queries ($nq)" test "$nq" -gt 0
  local -A seen=()
  while IFS=$'\t' read -r title kind b64; do
    raw=$(base64 -d <<<"$b64")
    for a in "${sets[@]}"; do
      # shellcheck disable=SC2086 # one set = words NAME=VALUE
      e=$(dashboard_fill "$raw" $a)
      [ -z "${seen[$e]:-}" ] || continue
      seen[$e]=1
      check "panel \"$title\" has no unfilled variable" test "${e//\$/}" = "$e"
      check "panel \"$title\" returns data: $e" dashboard_query query "$e"
      nrun=$((nrun + 1))
      if [ "$kind" = range ]; then
        check "panel \"$title\" returns data (range): $e" dashboard_query query_range "$e"
        nrun=$((nrun + 1))
      fi
    done
  done < <(jq -r "$exprs" "$dash")
  while IFS= read -r vq; do
    [ -n "$vq" ] || continue
    nvar=$((nvar + 1))
    # shellcheck disable=SC2086 # the first set fills chained variables
    vq=$(dashboard_fill "$vq" ${sets[0]})
    if [[ $vq =~ ^label_values\((.*),[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)\)$ ]]; then
      sel=${BASH_REMATCH[1]} lab=${BASH_REMATCH[2]}
      check "variable $vq has values" sh -c "curl -sf --get '$API/label/$lab/values' \
        --data-urlencode 'match[]=$sel' | jq -e '.status == \"success\" and (.data | length) > 0' >/dev/null"
    else
      check "variable $vq is label_values(selector, label)" false
    fi
  done < <(jq -r '.templating.list[] | select(.type == "query") | .query.query // .query' "$dash")
  echo "ran $nrun panel queries ($nq panel targets) and $nvar variable queries"
}

# check_rules_health N: Prometheus at $API has N rules loaded, all healthy.
check_rules_health() {
  local rules
  rules=$(curl -sf "$API/rules" || true)
  check "all $1 alert rules evaluate without error" \
    sh -c "jq -e '[.data.groups[].rules[] | .health] | length == $1 and all(. == \"ok\")' >/dev/null" <<<"$rules"
  jq -r '.data.groups[].rules[] | select(.health != "ok") | "  \(.name): \(.lastError)"' <<<"$rules"
}
