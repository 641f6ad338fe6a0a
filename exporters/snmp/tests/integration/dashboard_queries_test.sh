#!/usr/bin/env bash
# Integration: a real Prometheus (Debian package) scrapes exporterd's /snmp (the built-in if_mib,
# embedded default config) against a real snmpd, and exporterd's /metrics. Every query of
# exporters/snmp/dashboard.json (panels, as instant and range queries, and template variables)
# must succeed and return data; every rule of exporters/snmp/alerts.yml must evaluate cleanly.
#
# usage: dashboard_queries_test.sh <exporterd binary> <module dir>     (KEEP=1 keeps the work dir)
# Needs: prometheus, promtool, snmpd, curl, jq, ss. No root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh" # dashboard_test, start_*, prom_*, check_*
[ -x /usr/sbin/snmpd ] || { echo "dashboard: missing snmpd"; exit 1; }
dashboard_test snmp "$1" "$2" snmpget

# --- a real agent ----------------------------------------------------------------------------
SP=$(free_port)
mkdir -p "$WORK/persist"
cat >"$WORK/snmpd.conf" <<CONF
[snmp] persistentDir $WORK/persist
agentAddress udp:127.0.0.1:$SP
rocommunity public 127.0.0.1
sysName snmp-dashboard-test
CONF
/usr/sbin/snmpd -f -C -c "$WORK/snmpd.conf" -Lf "$WORK/snmpd.log" -m '' -p "$WORK/snmpd.pid" \
  </dev/null >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  snmpget -v2c -c public -t 0.2 -r 0 "127.0.0.1:$SP" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break
  sleep 0.1
done
check "snmpd answers on 127.0.0.1:$SP" \
  sh -c "snmpget -v2c -c public -t 1 -r 1 127.0.0.1:$SP 1.3.6.1.2.1.1.3.0 >/dev/null"

# --- exporterd with the embedded default (snmp: {} -> built-in if_mib) -----------------------
EP=$(free_port)
"$BIN" --module.dir="$MODDIR" --web.listen-address="127.0.0.1:$EP" 2>"$WORK/exporterd.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$EP/-/ready" 20 || { cat "$WORK/exporterd.log"; exit 1; }
curl -s "http://127.0.0.1:$EP/snmp?target=127.0.0.1:$SP&module=if_mib" >"$WORK/scrape.prom"
# promtool's only complaints may be lint of upstream's names (camelCase, counters without _total)
check "/snmp with the built-in if_mib passes promtool check metrics (name lint aside)" \
  sh -c "grep -q '^ifOperStatus{' '$WORK/scrape.prom' &&
         test -z \"\$(promtool check metrics <'$WORK/scrape.prom' 2>&1 | grep -Ev \"should be written in 'snake_case'|should have .?_total.? suffix\")\""

# --- Prometheus: the /snmp job (relabelled as documented) and exporterd's /metrics -------------
start_prometheus "$WORK" "$RULES" "  - job_name: snmp
    metrics_path: /snmp
    params: {module: [if_mib]}
    static_configs:
      - targets: ['127.0.0.1:$SP']
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: '127.0.0.1:$EP'}" || exit 1

ok=0
prom_wait 'count_over_time(up{job="snmp"}[1m]) >= 8 and up{job="snmp"} == 1' 40 && ok=1
check "Prometheus scraped /snmp 8 times, up 1" test "$ok" = 1
[ "$ok" = 1 ] || { prom_query 'up' | head -c 600; echo; tail -20 "$WORK/exporterd.log"; }
check "exporterd_module_up{module=\"snmp\"} is 1" \
  test "$(prom_value 'exporterd_module_up{module="snmp"}')" = 1
INST=$(curl -sf --get "$API/label/instance/values" --data-urlencode 'match[]=ifOperStatus' | jq -r '.data[0] // empty' || true)
check "the instance variable offers the device (127.0.0.1:$SP)" test "$INST" = "127.0.0.1:$SP"

check_dashboard_queries "$DASH" instance='.*' -- "instance=$INST"
check_rules_health 7

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
