#!/usr/bin/env bash
# Integration: every query of exporters/postfix_qshape/dashboard.json, run against a real
# Prometheus (Debian package) scraping a real exporterd whose postfix_qshape module reads a real
# Postfix queue, must succeed and return data. The same Prometheus loads
# exporters/postfix_qshape/alerts.yml: every rule must evaluate without error.
#
# Panel queries are run as instant and range queries (check_dashboard_queries, tests/lib/common.sh)
# with Grafana's variables filled in: $instance = .+
# (the "All" value), $queue x $mode = deferred x recipients and hold x senders, $__rate_interval
# etc. = short windows. Template variable queries (label_values(selector, label)) go through
# /api/v1/label/<label>/values?match[]=selector.
#
# usage: dashboard_queries_test.sh <exporterd binary> <module dir>    (KEEP=1 keeps the work dir)
# Needs: postfix, perl, prometheus (prometheus + promtool), curl, jq, iproute2. Run as root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh" # dashboard_test, start_*, prom_*, check_*
PFENV=$HERE/postfix_env.sh
on_exit() { "$PFENV" stop || true; }
dashboard_test postfix_qshape "$1" "$2" qshape smtp-source perl
chmod 755 "$WORK" # Postfix's daemons (user postfix) must reach the queue below it
export PF_STATE=$WORK/pf

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

# 10 samples, so range functions (deriv over [30m], ...) have something to work on
check "Prometheus has 10 samples of the module's series" \
  prom_wait 'count_over_time(postfix_queue_messages{queue="deferred"}[1m]) >= 10' 30
check "exporterd_module_up{module=\"postfix_qshape\"} is 1 in Prometheus" \
  sh -c "curl -sf --get '$API/query' --data-urlencode 'query=exporterd_module_up{module=\"postfix_qshape\"}' |
         jq -e '.data.result[0].value[1] == \"1\"' >/dev/null"

# Every panel and variable, for the deferred queue by recipients and the hold queue by senders.
check_dashboard_queries "$DASH" instance=.+ queue=deferred mode=recipients -- \
  instance=.+ queue=hold mode=senders

# The qshape table query's TOTAL/T cell is the module's recipient count for the queue
table_expr=$(jq -r '.panels[] | select(.type == "table") | .targets[0].expr' "$DASH")
tot=$(prom_query "$(dashboard_fill "$table_expr" instance=.+ queue=deferred mode=recipients)" |
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
