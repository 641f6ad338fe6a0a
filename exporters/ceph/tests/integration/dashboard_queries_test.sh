#!/usr/bin/env bash
# Integration: every query of exporters/ceph/dashboard.json, run against a real Prometheus scraping a
# real exporterd whose ceph module reads a real cluster (ceph_env.sh), must succeed and return data;
# the same Prometheus loads exporters/ceph/alerts.yml and every rule must evaluate without error.
# Data is written during the test so growth-based panels (days until full) have a trend.
# usage: dashboard_queries_test.sh <exporterd binary> <module dir>   (KEEP=1 keeps the work dir)
# Needs: ceph packages, prometheus + promtool, curl, jq, bc. Run as root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh" # dashboard_test, start_*, prom_*, check_*
ENV=$HERE/ceph_env.sh
on_exit() { "$ENV" stop >/dev/null 2>&1 || true; }
dashboard_test ceph "$1" "$2" ceph rados bc
export STATE=$WORK/ceph
base=$(shuf -i 30000-32500 -n 1) # below the ephemeral ports
export MON_V2=$base MON_V1=$((base + 1)) MS_PORT_MIN=$((base + 10)) MS_PORT_MAX=$((base + 200))

"$ENV" start 2>"$WORK/env.log" || { cat "$WORK/env.log"; echo "FAIL: cluster start"; exit 1; }
"$ENV" fill 2>>"$WORK/env.log" || { cat "$WORK/env.log"; echo "FAIL: cluster fill"; exit 1; }

cat >"$WORK/exporterd.yml" <<YML
modules:
  ceph:
    conf_file: $STATE/ceph.conf
    user: exporter
    keyring: $STATE/exporter.keyring
    timeout: 4s
YML
start_exporterd "$BIN" "$MODDIR" "$WORK" || exit 1
start_prometheus "$WORK" "$RULES" || exit 1

# grow the data while Prometheus samples: 64 KiB objects, 2 per second
head -c 1048576 /dev/urandom >"$WORK/obj"
# Stopped at exit (PIDS) before the cluster: the TERM trap lets a running put finish (bounded
# by timeout) instead of orphaning it; an orphaned rados blocks on the stopped cluster and
# holds ctest's output pipe open until the test times out.
(
  trap 'exit 0' TERM
  for i in $(seq 1 60); do
    timeout 20 rados -c "$STATE/ceph.conf" -p bench put "grow-$i" "$WORK/obj" >/dev/null 2>&1
    sleep 0.5
  done
) &
PIDS+=($!)
check "Prometheus has 20 samples and a growing OSD" \
  prom_wait 'count_over_time(ceph_osd_utilization_ratio{ceph_daemon="osd.0"}[5m]) >= 20
             and on() count(deriv(ceph_osd_utilization_ratio[5m]) > 0) >= 1' 45
check "exporterd_module_up{module=\"ceph\"} is 1 in Prometheus" \
  sh -c "curl -sf --get '$API/query' --data-urlencode 'query=exporterd_module_up{module=\"ceph\"}' | jq -e '.data.result[0].value[1] == \"1\"' >/dev/null"

fill() { # Grafana's variables as the dashboard sends them with "All"
  local e=$1
  e=${e//'$instance'/.+}
  e=${e//'$device_class'/.*}
  printf '%s' "$e"
}
run_expr() {
  local out
  out=$(curl -s --get "$API/query" --data-urlencode "query=$2")
  if jq -e '.status == "success" and (.data.result | length) > 0' >/dev/null 2>&1 <<<"$out"; then return 0; fi
  echo "  query: $2"; echo "  reply: $(head -c 400 <<<"$out")"; return 1
}
while IFS=$'\t' read -r title b64; do
  expr=$(fill "$(base64 -d <<<"$b64")")
  check "panel \"$title\": $expr" run_expr "$title" "$expr"
done < <(jq -r '.panels[] | .title as $t | .targets[]? | [$t, (.expr | @base64)] | @tsv' "$DASH")
while IFS=$'\t' read -r name b64; do
  q=$(fill "$(base64 -d <<<"$b64")")
  sel=$(sed -E 's/^label_values\((.*), *([a-z_]+)\)$/\1/' <<<"$q")
  lab=$(sed -E 's/^label_values\((.*), *([a-z_]+)\)$/\2/' <<<"$q")
  check "variable $name: $q" sh -c "curl -sf --get '$API/label/$lab/values' --data-urlencode 'match[]=$sel' | jq -e '(.data | length) > 0' >/dev/null"
done < <(jq -r '.templating.list[] | select(.type == "query") | [.name, (.query.query | @base64)] | @tsv' "$DASH")
sleep 2
check "every alert rule evaluates without error" \
  sh -c "curl -sf '$API/rules' | jq -e '[.data.groups[].rules[] | .health] | length > 0 and all(. == \"ok\")' >/dev/null"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
