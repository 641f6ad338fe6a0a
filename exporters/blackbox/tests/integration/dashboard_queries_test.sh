#!/usr/bin/env bash
# Integration: a real Prometheus (Debian package) scrapes exporterd's /probe, relabelled as the
# README documents, against a real nginx (HTTP, and HTTPS with a certificate made now) and a port
# that refuses connections, a ping (3 echoes) and a traceroute to 127.0.0.1, plus exporterd's
# /metrics. Every query of
# exporters/blackbox/dashboard.json (panels, as instant and range queries, and template variables)
# must succeed and return data; every rule of exporters/blackbox/alerts.yml must evaluate cleanly,
# and the failing target must make ProbeFailing and ProbeFailingByReason{reason="connect"} pending.
#
# usage: dashboard_queries_test.sh <exporterd binary> <module dir>     (KEEP=1 keeps the work dir)
# Needs: prometheus, promtool, nginx, openssl, curl, jq, ss; root or an open ping_group_range
# (the ping and traceroute probes).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh" # dashboard_test, start_*, prom_*, check_*
on_exit() {
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
}
dashboard_test blackbox "$1" "$2" openssl

# --- real targets: nginx over HTTP and HTTPS, and a port nothing listens on -------------------
HTTP=$(free_port)
HTTPS=$(free_port)
bash "$HERE/nginx_env.sh" "$WORK/nginx" "$HTTP" "$HTTPS" >"$WORK/nginx.log" 2>&1 ||
  { cat "$WORK/nginx.log"; exit 1; }
wait_http "http://127.0.0.1:$HTTP/" 10 || { echo "nginx not up"; exit 1; }
REFUSED=$(free_port)

# --- exporterd with a blackbox.yml of three modules -------------------------------------------
cat >"$WORK/blackbox.yml" <<YML
modules:
  http_2xx:
    prober: http
    http: {preferred_ip_protocol: ip4}
  https_ca:
    prober: http
    http:
      preferred_ip_protocol: ip4
      fail_if_not_ssl: true
      tls_config: {ca_file: $WORK/nginx/ca.crt}
  tcp_connect:
    prober: tcp
    tcp: {preferred_ip_protocol: ip4}
  ping:
    prober: icmp
    icmp: {preferred_ip_protocol: ip4, packets: 3, interval: 100ms}
  trace:
    prober: traceroute
    traceroute: {preferred_ip_protocol: ip4, max_hops: 4, probe_timeout: 300ms}
YML
cat >"$WORK/exporterd.yml" <<YML
modules:
  blackbox:
    config_file: $WORK/blackbox.yml
YML
start_exporterd "$BIN" "$MODDIR" "$WORK" || exit 1

# --- Prometheus: one /probe job per module (relabelled as documented) and /metrics ------------
probe_job() { # probe_job <job> <module> <target>
  cat <<YML
  - job_name: $1
    metrics_path: /probe
    params: {module: [$2]}
    static_configs:
      - targets: ['$3']
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {source_labels: [__param_module], target_label: module}
      - {target_label: __address__, replacement: '127.0.0.1:$EP'}
YML
}
start_prometheus "$WORK" "$RULES" "$(
  probe_job blackbox_http http_2xx "http://127.0.0.1:$HTTP/"
  probe_job blackbox_https https_ca "https://localhost:$HTTPS/"
  probe_job blackbox_tcp tcp_connect "127.0.0.1:$REFUSED"
  probe_job blackbox_ping ping 127.0.0.1
  probe_job blackbox_trace trace 127.0.0.1
)" || exit 1

ok=0
prom_wait 'count(count_over_time(probe_success[1m]) >= 8) == 5' 40 && ok=1
check "Prometheus scraped /probe 8 times for each of the 5 targets" test "$ok" = 1
[ "$ok" = 1 ] || { prom_query 'up' | head -c 600; echo; tail -20 "$WORK/exporterd.log"; }
check "http, https, ping and trace probes succeed, the refused port fails" \
  test "$(prom_query 'sort_desc(probe_success)' | jq -c '[.data.result[] | [.metric.job, .value[1]]] | sort')" = \
  '[["blackbox_http","1"],["blackbox_https","1"],["blackbox_ping","1"],["blackbox_tcp","0"],["blackbox_trace","1"]]'
check "3 pings answered" test "$(prom_value 'probe_icmp_packets_received{job="blackbox_ping"}')" = 3
check "no ping lost" test "$(prom_value 'probe_icmp_packet_loss_ratio{job="blackbox_ping"}')" = 0
check "the trace to 127.0.0.1 is one hop, answered by 127.0.0.1" \
  test "$(prom_value 'probe_traceroute_hop_info{job="blackbox_trace",hop="1",address="127.0.0.1"} * on() probe_traceroute_hops')" = 1
check "the refused port fails with reason connect" \
  test "$(prom_value 'probe_failure_info{job="blackbox_tcp",reason="connect"}')" = 1
check "the certificate expiry is the one nginx_env.sh made" \
  test "$(prom_value 'probe_ssl_earliest_cert_expiry{job="blackbox_https"}')" = "$(cat "$WORK/nginx/server.enddate")"

# All targets, then one succeeding and one failing target picked by the variables.
check_dashboard_queries "$DASH" job='.*' instance='.*' -- \
  'job=blackbox_https|blackbox_tcp|blackbox_ping|blackbox_trace' \
  "instance=https://localhost:$HTTPS/|127.0.0.1:$REFUSED|127.0.0.1"
check_rules_health 10
pending() {
  for _ in $(seq 1 20); do
    prom_query 'ALERTS{alertstate="pending"}' |
      jq -e '[.data.result[].metric | .job + ":" + .alertname + ":" + (.reason // "")]
             | sort == ["blackbox_tcp:ProbeFailing:", "blackbox_tcp:ProbeFailingByReason:connect"]' \
        >/dev/null && return 0
    sleep 0.5
  done
  prom_query 'ALERTS' | head -c 600; echo
  return 1
}
check "ProbeFailing and ProbeFailingByReason{reason=\"connect\"} pending for the refused port only" pending

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
