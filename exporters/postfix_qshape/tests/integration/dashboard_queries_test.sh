#!/usr/bin/env bash
# Integration: every query of exporters/postfix_qshape/dashboard.json, run against a real
# Prometheus (Debian package) scraping a real exporterd whose postfix_qshape module reads a real
# Postfix queue, must succeed and return data. The same Prometheus loads
# exporters/postfix_qshape/alerts.yml: every rule must evaluate without error.
#
# Panel queries are run as instant queries with Grafana's variables filled in: $instance = .+
# (the "All" value), $queue x $mode = deferred x recipients and hold x senders, $__rate_interval
# etc. = short windows. Template variable queries (label_values(selector, label)) go through
# /api/v1/label/<label>/values?match[]=selector.
#
# usage: dashboard_queries_test.sh <exporterd binary> <module dir>    (KEEP=1 keeps the work dir)
# Needs: postfix, perl, prometheus (prometheus + promtool), curl, jq, iproute2. Run as root.
set -euo pipefail
BIN=$(realpath "$1")
MODDIR=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh" # free_port, wait_http, start_exporterd, start_prometheus
ROOT=$(cd "$HERE/../../../.." && pwd)
DASH=$ROOT/exporters/postfix_qshape/dashboard.json
RULES=$ROOT/exporters/postfix_qshape/alerts.yml
PFENV=$HERE/postfix_env.sh
for tool in prometheus promtool curl jq ss qshape smtp-source perl; do
  command -v "$tool" >/dev/null || { echo "dashboard: missing $tool (run scripts/setup.sh)"; exit 1; }
done
[ -f "$MODDIR/exporterd_postfix_qshape.so" ] ||
  { echo "dashboard: $MODDIR/exporterd_postfix_qshape.so not built"; exit 1; }

WORK=$(mktemp -d /tmp/exporterd-pqdash-XXXXXX)
chmod 755 "$WORK" # Postfix's daemons (user postfix) must reach the queue below it
export PF_STATE=$WORK/pf
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$PFENV" stop || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

check "dashboard is valid JSON with schemaVersion and panels" \
  sh -c "jq -e '.schemaVersion >= 36 and (.panels | length) > 0 and .uid != null' '$DASH' >/dev/null"
ds_ok() {
  jq -e '[.panels[] | (., .panels[]?) | select(.type != "row") | .datasource.uid, (.targets[]?.datasource.uid)]
         | all(. == "${DS_PROMETHEUS}")' "$DASH" >/dev/null
}
check "every panel datasource is \${DS_PROMETHEUS}" ds_ok
check "promtool check rules" sh -c "promtool check rules '$RULES' >/dev/null"

"$PFENV" start
"$PFENV" populate
"$PFENV" rebase
eval "$("$PFENV" env)"

cat >"$WORK/exporterd.yml" <<YML
modules:
  postfix_qshape:
    queue_directory: $PF_SPOOL
    queues: [incoming, active, deferred, hold, corrupt]
YML
start_exporterd "$BIN" "$MODDIR" "$WORK" || exit 1
start_prometheus "$WORK" "$RULES" || exit 1
check "promtool check config" sh -c "promtool check config '$WORK/prometheus.yml' >/dev/null"

# 10 samples, so range functions (deriv over [30m], ...) have something to work on
check "Prometheus has 10 samples of the module's series" \
  prom_wait 'count_over_time(postfix_queue_messages{queue="deferred"}[1m]) >= 10' 30
check "exporterd_module_up{module=\"postfix_qshape\"} is 1 in Prometheus" \
  sh -c "curl -sf --get '$API/query' --data-urlencode 'query=exporterd_module_up{module=\"postfix_qshape\"}' |
         jq -e '.data.result[0].value[1] == \"1\"' >/dev/null"

# fill <expr> <queue> <mode>: Grafana's variables, as the dashboard would send them
# shellcheck disable=SC2016 # the single-quoted words are literal Grafana variables
fill() {
  local e=$1
  e=${e//'${DS_PROMETHEUS}'/}
  e=${e//'$__rate_interval'/1m}
  e=${e//'$__interval'/15s}
  e=${e//'$__range'/5m}
  e=${e//'${instance}'/.+}
  e=${e//'$instance'/.+}
  e=${e//'${queue}'/$2}
  e=${e//'$queue'/$2}
  e=${e//'${mode}'/$3}
  e=${e//'$mode'/$3}
  printf '%s' "$e"
}
# run_expr <title> <promql>: succeeds with a non-empty result
run_expr() {
  local out
  out=$(curl -s --get "$API/query" --data-urlencode "query=$2")
  if jq -e '.status == "success" and (.data.result | length) > 0' >/dev/null 2>&1 <<<"$out"; then
    return 0
  fi
  echo "  query: $2"
  echo "  reply: $(head -c 400 <<<"$out")"
  return 1
}

# every target of every panel (rows' nested panels too), as "title<TAB>base64(expr)"
PANEL_EXPRS='.panels[] | (., .panels[]?) | select(has("targets")) | .title as $t
             | .targets[] | select(has("expr")) | "\($t)\t\(.expr | @base64)"'
n=$(jq -r "$PANEL_EXPRS" "$DASH" | wc -l)
check "dashboard has panel queries ($n)" test "$n" -gt 0
declare -A seen
while IFS=$'\t' read -r title b64; do
  raw=$(base64 -d <<<"$b64")
  for qm in "deferred recipients" "hold senders"; do
    read -r q m <<<"$qm"
    e=$(fill "$raw" "$q" "$m")
    [ -z "${seen[$e]:-}" ] || continue
    seen[$e]=1
    label=$title
    [[ $raw == *'$queue'* || $raw == *'$mode'* ]] && label="$title [queue=$q mode=$m]"
    check "panel \"$label\" returns data" run_expr "$title" "$e"
  done
done < <(jq -r "$PANEL_EXPRS" "$DASH")

# Template variables: label_values(<selector>, <label>)
while IFS= read -r vq; do
  [ -n "$vq" ] || continue
  e=$(fill "$vq" deferred recipients)
  if [[ $e =~ ^label_values\((.*),[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)\)$ ]]; then
    sel=${BASH_REMATCH[1]} lab=${BASH_REMATCH[2]}
    check "variable prom_query $vq has values" sh -c "curl -sf --get '$API/label/$lab/values' \
      --data-urlencode 'match[]=$sel' | jq -e '(.data | length) > 0' >/dev/null"
  else
    check "variable prom_query $vq is label_values(selector, label)" false
  fi
done < <(jq -r '.templating.list[] | select(.type == "query") | .query.query // .query' "$DASH")

# The qshape table query's TOTAL/T cell is the module's recipient count for the queue
table_expr=$(jq -r '.panels[] | select(.type == "table") | .targets[0].expr' "$DASH")
tot=$(prom_query "$(fill "$table_expr" deferred recipients)" |
  jq -r '.data.result[] | select(.metric.domain == "TOTAL" and .metric.age == "T") | .value[1]')
rc=$(prom_query 'sum(postfix_queue_recipients{queue="deferred"})' | jq -r '.data.result[0].value[1]')
check "qshape table TOTAL/T ($tot) = postfix_queue_recipients{queue=\"deferred\"} ($rc)" test "$tot" = "$rc"

# Alert rules: all evaluate cleanly on real data; the hold queue's alert is pending
sleep 2
rules=$(curl -sf "$API/rules")
check "every alert rule evaluates without error" \
  sh -c "jq -e '[.data.groups[].rules[] | .health] | length > 0 and all(. == \"ok\")' >/dev/null" <<<"$rules"
jq -r '.data.groups[].rules[] | select(.health != "ok") | "  \(.name): \(.lastError)"' <<<"$rules"
check "PostfixHoldQueueNotEmpty is pending (hold has messages)" \
  sh -c "curl -sf --get '$API/query' --data-urlencode 'query=ALERTS{alertname=\"PostfixHoldQueueNotEmpty\",alertstate=\"pending\"}' |
         jq -e '(.data.result | length) == 1' >/dev/null"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
