#!/usr/bin/env bash
# Integration: every query of exporters/bacula/dashboard.json (panels and template variables) runs
# against a real Prometheus scraping a real exporterd whose bacula module reads a real Bacula
# catalog (bacula_env.sh: jobs ending T, T with errors, E, f, an incremental, a restore), and
# must succeed with a non-empty result. The alert rules must load into that Prometheus.
#
# usage: dashboard_queries_test.sh <exporterd binary> <module dir>     (KEEP=1 keeps the work dir)
# Needs (run as root): the Bacula packages of bacula_test.sh, prometheus, promtool, curl, jq, ss.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh" # dashboard_test, start_*, prom_*, check_*
ENV_SH=$HERE/bacula_env.sh
[ "$(id -u)" -eq 0 ] || { echo "dashboard: run as root (Bacula daemons)"; exit 1; }
on_exit() { "$ENV_SH" stop || true; }
dashboard_test bacula "$1" "$2" bacula-dir bconsole sqlite3
export BAC_STATE=$WORK/bacula
BAC_DIR_PORT=$(free_port)
BAC_FD_PORT=$(free_port)
BAC_SD_PORT=$(free_port)
BAC_DEAD_PORT=$(free_port)
export BAC_DIR_PORT BAC_FD_PORT BAC_SD_PORT BAC_DEAD_PORT

"$ENV_SH" start
"$ENV_SH" jobs

cat >"$WORK/exporterd.yml" <<YML
modules:
  bacula:
    catalog:
      sqlite: $BAC_STATE/work/dir/bacula.db
YML
start_exporterd "$BIN" "$MODDIR" "$WORK" || exit 1
start_prometheus "$WORK" "$RULES" || exit 1

check "Prometheus has 5 samples of the module's series" \
  prom_wait 'count_over_time(bacula_jobs_running[1m]) >= 5' 30
check "the rules loaded into Prometheus" \
  sh -c "curl -sf '$API/rules' | jq -e '[.data.groups[].rules[]] | length == 6' >/dev/null"

# Real data, real rules: the failed, fatal and canceled jobs make BaculaLastJobFailed pending.
pending() {
  for _ in $(seq 1 20); do
    prom_query 'ALERTS{alertname="BaculaLastJobFailed",alertstate="pending"}' |
      jq -e '[.data.result[].metric.job_name] | sort == ["BackupFail", "BackupNoClient"]' >/dev/null && return 0
    sleep 0.5
  done
  prom_query 'ALERTS' | head -c 600; echo
  return 1
}
check "BaculaLastJobFailed pending for BackupFail (E) and BackupNoClient (f) only" pending

check_dashboard_queries "$DASH" instance=.+ job_name=.+

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
