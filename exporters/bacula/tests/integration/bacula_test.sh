#!/usr/bin/env bash
# Integration (real Bacula daemons, real exporterd through the module loader): the bacula
# module's per-job metrics must show exactly what bconsole `list jobs` shows - JobStatus,
# JobBytes, JobFiles of each job's newest run - plus run counts, last-success times (JobTDate
# from `llist`), the running job while one runs, and pool volumes from `list volumes`.
# Then the catalog file is removed: the module must answer within its deadline with
# exporterd_module_up 0 while the daemon keeps serving.
#
# usage: bacula_test.sh <exporterd binary> <module dir>     (KEEP=1 keeps the work directory)
# Needs (run as root): bacula-director-sqlite3 bacula-director bacula-sd bacula-fd
# bacula-console sqlite3 curl iproute2 (ss); postgresql and bacula-director-pgsql's schema
# (BACULA_PGSQL_SCHEMA) for the PostgreSQL part; promtool (prometheus) when present.
set -euo pipefail
BIN=$(realpath "$1")
MODDIR=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh"
ENV_SH=$HERE/bacula_env.sh
need_tools bacula-dir bacula-sd bacula-fd bconsole sqlite3 curl ss
[ "$(id -u)" -eq 0 ] || { echo "bacula_test: run as root (Bacula daemons)"; exit 1; }
[ -f "$MODDIR/exporterd_bacula.so" ] || { echo "bacula_test: $MODDIR/exporterd_bacula.so not built"; exit 1; }

work_dir bacula
export BAC_STATE=$WORK/bacula
BAC_DIR_PORT=$(free_port)
BAC_FD_PORT=$(free_port)
BAC_SD_PORT=$(free_port)
BAC_DEAD_PORT=$(free_port)
export BAC_DIR_PORT BAC_FD_PORT BAC_SD_PORT BAC_DEAD_PORT
DB=$BAC_STATE/work/dir/bacula.db
on_exit() { # the daemons (PIDS) are stopped by then
  if declare -F pg_stop >/dev/null; then pg_stop; fi
  "$ENV_SH" stop || true
}

# metric_value <file> <name> <labels substring>: value of the first series of <name> whose
# label set contains the substring, or ""
metric_value() {
  awk -v n="$2" -v m="$3" 'index($0, n "{") == 1 && index($0, m) { print $NF; exit }
                           $1 == n && m == "" { print $2; exit }' "$1"
}
# metric_sum <file> <name> <labels substring>: sum over matching series ("" if none)
metric_sum() {
  awk -v n="$2" -v m="$3" 'index($0, n "{") == 1 && index($0, m) { s += $NF; f = 1 }
                           END { if (f) print s }' "$1"
}
num_eq() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 == b + 0) }'; }
bcon() { bconsole -c "$BAC_STATE/etc/bconsole.conf"; }
scrape() { # scrape <out file> [timeout header seconds]
  curl -sf -H "X-Prometheus-Scrape-Timeout-Seconds: ${2:-10}" -o "$1" "http://127.0.0.1:$PORT/metrics"
}

t0=$(date +%s)
"$ENV_SH" start
"$ENV_SH" jobs

cat >"$WORK/exporterd.yml" <<YML
modules:
  bacula:
    catalog:
      sqlite: $DB
    lookback: 1d
    timeout: 3s
YML
check "--config.check accepts the config" \
  "$BIN" --config.check --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR"
PORT=$(free_port)
"$BIN" --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR" \
  --web.listen-address="127.0.0.1:$PORT" 2>"$WORK/exporterd.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/-/healthy" 20 || { cat "$WORK/exporterd.log"; exit 1; }

# A running job: the catalog's own count of JobStatus R must be what the module exports.
"$ENV_SH" slow_start
sleep 1
scrape "$WORK/running.prom"
r_cat=$(sqlite3 "$DB" "SELECT COUNT(*) FROM Job WHERE JobStatus = 'R'")
check "bacula_jobs_running = catalog's R jobs ($r_cat) while BackupSlow runs" \
  num_eq "$(metric_value "$WORK/running.prom" bacula_jobs_running "")" "$r_cat"
act=$(awk '$1 == "bacula_jobs_running" { s += $2 } index($0, "bacula_jobs_waiting{") == 1 { s += $NF } END { print s + 0 }' "$WORK/running.prom")
check "running + waiting = 1 while BackupSlow runs (got $act)" num_eq "$act" 1
"$ENV_SH" slow_cancel

scrape "$WORK/final.prom"
M=$WORK/final.prom
check "exporterd_module_up{module=\"bacula\"} 1" \
  num_eq "$(metric_value "$M" exporterd_module_up 'module="bacula"')" 1
check "bacula_jobs_running 0 after the cancel" num_eq "$(metric_value "$M" bacula_jobs_running "")" 0

# bconsole list jobs: | JobId | Name | StartTime | Type | Level | JobFiles | JobBytes | JobStatus |
echo "list jobs" | bcon >"$WORK/list_jobs.txt"
awk -F'|' 'NF >= 9 && $2 ~ /^ *[0-9]+ *$/ {
  for (i = 2; i <= 9; i++) { gsub(/^ +| +$/, "", $i); gsub(/,/, "", $i) }
  print $2, $3, $5, $6, $7, $8, $9 }' "$WORK/list_jobs.txt" | sort -n >"$WORK/jobs.tsv"
check "bconsole list jobs shows 7 jobs" num_eq "$(wc -l <"$WORK/jobs.tsv")" 7
declare -A LAST COUNT
while read -r id name type level files bytes status; do
  LAST[$name]="$id $type $level $files $bytes $status"
  COUNT[$name]=$((${COUNT[$name]:-0} + 1))
done <"$WORK/jobs.tsv"
for name in "${!LAST[@]}"; do
  read -r id type level files bytes status <<<"${LAST[$name]}"
  sel="job_name=\"$name\",client=\"it-fd\""
  [ "$name" = BackupNoClient ] && sel="job_name=\"$name\",client=\"dead-fd\""
  [ "$type" = R ] && sel="$sel,type=\"restore\""
  check "$name (jobid $id): status_info code=$status" \
    num_eq "$(metric_value "$M" bacula_job_last_status_info "$sel,code=\"$status\"")" 1
  check "$name (jobid $id): bytes $bytes" num_eq "$(metric_value "$M" bacula_job_last_bytes "$sel}")" "$bytes"
  check "$name (jobid $id): files $files" num_eq "$(metric_value "$M" bacula_job_last_files "$sel}")" "$files"
  check "$name: runs over lookback = ${COUNT[$name]} rows of list jobs" \
    num_eq "$(metric_sum "$M" bacula_job_runs "$sel,result=")" "${COUNT[$name]}"
done
cls() { metric_value "$M" bacula_job_last_status "job_name=\"$1\",client=\"$2\"$3,status=\"$4\""; }
check "BackupOK last status ok" num_eq "$(cls BackupOK it-fd "" ok)" 1
check "BackupWarn last status warning (T with JobErrors)" num_eq "$(cls BackupWarn it-fd "" warning)" 1
check "BackupFail last status error (E)" num_eq "$(cls BackupFail it-fd "" error)" 1
check "BackupNoClient last status fatal (f)" num_eq "$(cls BackupNoClient dead-fd "" fatal)" 1
check "BackupSlow last status canceled (A)" num_eq "$(cls BackupSlow it-fd "" canceled)" 1
check "RestoreFiles last status ok, type restore" num_eq "$(cls RestoreFiles it-fd ',type="restore"' ok)" 1
check "one-hot: ${#LAST[@]} job names, exactly ${#LAST[@]} status series at 1" \
  num_eq "$(metric_sum "$M" bacula_job_last_status "status=")" "${#LAST[@]}"

# Last success per level against llist's JobTDate (epoch; never the local-time strings).
tdate() { printf 'gui on\nllist jobid=%s\n' "$1" | bcon | awk -F': *' 'tolower($1) ~ /^ *jobtdate$/ { gsub(/,/, "", $2); print $2 }'; }
full_id=$(awk '$2 == "BackupOK" && $4 == "F" && $7 == "T" { id = $1 } END { print id }' "$WORK/jobs.tsv")
incr_id=$(awk '$2 == "BackupOK" && $4 == "I" && $7 == "T" { id = $1 } END { print id }' "$WORK/jobs.tsv")
full_t=$(tdate "$full_id")
incr_t=$(tdate "$incr_id")
check "BackupOK last full success = JobTDate $full_t of jobid $full_id" \
  num_eq "$(metric_value "$M" bacula_job_last_success_timestamp_seconds 'job_name="BackupOK",client="it-fd",level="full"')" "$full_t"
check "BackupOK last incremental success = JobTDate $incr_t of jobid $incr_id" \
  num_eq "$(metric_value "$M" bacula_job_last_success_timestamp_seconds 'job_name="BackupOK",client="it-fd",level="incremental"')" "$incr_t"
check "BackupWarn (T with errors) counts as a full success" \
  test -n "$(metric_value "$M" bacula_job_last_success_timestamp_seconds 'job_name="BackupWarn",client="it-fd",level="full"')"
check "BackupFail has no success series" \
  test -z "$(metric_value "$M" bacula_job_last_success_timestamp_seconds 'job_name="BackupFail"')"
now=$(date +%s)
check "last run timestamp of BackupSlow is within the test's run time" \
  awk -v t="$(metric_value "$M" bacula_job_last_run_timestamp_seconds 'job_name="BackupSlow"')" -v a="$t0" -v b="$now" \
  'BEGIN { exit !(t >= a && t <= b) }'

# Volumes: list volumes pool=File rows by VolStatus.
echo "list volumes pool=File" | bcon >"$WORK/volumes.txt"
nvol=$(awk -F'|' 'NF > 5 && $2 ~ /^ *[0-9]+ *$/' "$WORK/volumes.txt" | wc -l)
nappend=$(awk -F'|' 'NF > 5 && $2 ~ /^ *[0-9]+ *$/ && $4 ~ /Append/' "$WORK/volumes.txt" | wc -l)
check "bacula_pool_volumes{pool=\"File\"} sums to list volumes' $nvol" \
  num_eq "$(metric_sum "$M" bacula_pool_volumes 'pool="File"')" "$nvol"
check "bacula_pool_volumes{pool=\"File\",status=\"Append\"} = $nappend" \
  num_eq "$(metric_value "$M" bacula_pool_volumes 'pool="File",status="Append"')" "$nappend"
vb=$(sqlite3 "$DB" "SELECT COALESCE(SUM(VolBytes), 0) FROM Media m JOIN Pool p ON p.PoolId = m.PoolId WHERE p.Name = 'File'")
check "bacula_pool_bytes{pool=\"File\"} = $vb" num_eq "$(metric_value "$M" bacula_pool_bytes 'pool="File"')" "$vb"
if command -v promtool >/dev/null; then
  check "promtool check metrics accepts the bacula families" \
    sh -c "grep -E '^(# (HELP|TYPE) )?bacula_' '$M' | promtool check metrics"
fi

# The same catalog in PostgreSQL (schema from bacula-director-pgsql, rows copied from the
# SQLite catalog): the module must export exactly the same bacula_ series; then PostgreSQL
# is stopped and the module answers module_up 0 within the deadline.
PG_SCHEMA=${BACULA_PGSQL_SCHEMA:-/usr/share/dbconfig-common/data/bacula-director-pgsql/install/pgsql}
[ -f "$PG_SCHEMA" ] || PG_SCHEMA=/usr/local/share/exporterd/bacula-director-pgsql.sql
PG_BIN=${BACULA_PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ -f "$PG_SCHEMA" ] && [ -x "$PG_BIN/initdb" ] && id postgres >/dev/null 2>&1; then
  PGD=$WORK/pg
  mkdir -p "$PGD" && chown postgres: "$PGD" && chmod 755 "$WORK"
  PG_PORT=$(free_port)
  asdb() { runuser -u postgres -- "$@"; }
  sqlite3 "$DB" >"$PGD/rows.sql" <<'SQL'
SELECT printf('INSERT INTO Client (ClientId, Name, Uname) VALUES (%d, %Q, %Q);', ClientId, Name, Uname) FROM Client;
SELECT printf('INSERT INTO Pool (PoolId, Name, PoolType, LabelFormat) VALUES (%d, %Q, %Q, %Q);', PoolId, Name, PoolType, COALESCE(LabelFormat, '*')) FROM Pool;
SELECT printf('INSERT INTO Media (MediaId, VolumeName, PoolId, MediaType, VolStatus, VolBytes) VALUES (%d, %Q, %d, %Q, %Q, %lld);',
              MediaId, VolumeName, PoolId, MediaType, VolStatus, VolBytes) FROM Media;
SELECT printf('INSERT INTO Job (JobId, Job, Name, Type, Level, ClientId, JobStatus, SchedTime, StartTime, EndTime, RealEndTime, JobTDate, JobFiles, JobBytes, JobErrors, JobMissingFiles, PoolId) VALUES (%d, %Q, %Q, %Q, %Q, %d, %Q, %Q, %Q, %Q, %Q, %lld, %d, %lld, %d, %d, %d);',
              JobId, Job, Name, Type, Level, ClientId, JobStatus, NULLIF(SchedTime, 0), NULLIF(StartTime, 0), NULLIF(EndTime, 0),
              NULLIF(RealEndTime, 0), JobTDate, JobFiles, JobBytes, JobErrors, JobMissingFiles, PoolId) FROM Job;
SQL
  cp "$PG_SCHEMA" "$PGD/schema.sql"
  chown postgres: "$PGD"/*.sql
  asdb "$PG_BIN/initdb" -D "$PGD/data" -A trust -U postgres --no-sync >"$PGD/initdb.log" 2>&1
  asdb "$PG_BIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PGD -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  pg_stop() { asdb "$PG_BIN/pg_ctl" -D "$PGD/data" -m immediate -w stop >/dev/null 2>&1 || true; }
  asdb createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres bacula
  for f in schema rows; do
    asdb psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bacula -f "$PGD/$f.sql" >/dev/null
  done
  cat >"$WORK/pg.yml" <<YML
modules:
  bacula:
    catalog:
      postgresql: host=127.0.0.1 port=$PG_PORT dbname=bacula user=postgres
    lookback: 1d
    timeout: 3s
YML
  PG_EXP_PORT=$(free_port)
  "$BIN" --config.file="$WORK/pg.yml" --module.dir="$MODDIR" \
    --web.listen-address="127.0.0.1:$PG_EXP_PORT" 2>"$WORK/exporterd-pg.log" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$PG_EXP_PORT/-/healthy" 20 || { cat "$WORK/exporterd-pg.log"; exit 1; }
  curl -sf -o "$WORK/pg.prom" "http://127.0.0.1:$PG_EXP_PORT/metrics"
  grep -E '^bacula_' "$M" | sort >"$WORK/sqlite.series"
  grep -E '^bacula_' "$WORK/pg.prom" | sort >"$WORK/pg.series"
  check "PostgreSQL catalog: module up" \
    num_eq "$(metric_value "$WORK/pg.prom" exporterd_module_up 'module="bacula"')" 1
  check "PostgreSQL catalog: the same $(wc -l <"$WORK/sqlite.series") bacula_ series as SQLite" \
    diff "$WORK/sqlite.series" "$WORK/pg.series"
  pg_stop
  s0=$(date +%s.%N)
  curl -sf -H "X-Prometheus-Scrape-Timeout-Seconds: 10" -o "$WORK/pg-gone.prom" \
    "http://127.0.0.1:$PG_EXP_PORT/metrics" || true
  el=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  check "PostgreSQL stopped: exporterd_module_up{module=\"bacula\"} 0" \
    num_eq "$(metric_value "$WORK/pg-gone.prom" exporterd_module_up 'module="bacula"')" 0
  check "PostgreSQL stopped: answered in ${el}s (< 3 s module timeout)" awk -v e="$el" 'BEGIN { exit !(e < 3) }'
else
  echo "skip: PostgreSQL part (needs $PG_SCHEMA, $PG_BIN/initdb and user postgres)"
fi

# The catalog goes away: module_up 0 within the deadline, the daemon keeps serving.
rm -f "$DB"
s0=$(date +%s.%N)
scrape "$WORK/gone.prom" 10 || true
el=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
check "catalog removed: exporterd_module_up{module=\"bacula\"} 0" \
  num_eq "$(metric_value "$WORK/gone.prom" exporterd_module_up 'module="bacula"')" 0
check "catalog removed: answered in ${el}s (< 3 s module timeout)" awk -v e="$el" 'BEGIN { exit !(e < 3) }'
check "catalog removed: no stale bacula_ series" test -z "$(grep -E '^bacula_' "$WORK/gone.prom" || true)"
check "daemon still healthy" curl -sf -o /dev/null "http://127.0.0.1:$PORT/-/healthy"
check "debug page names the error" \
  sh -c "curl -sf 'http://127.0.0.1:$PORT/metrics?debug=true' | grep -q 'cannot open SQLite catalog' || grep -q 'cannot open SQLite catalog' '$WORK/exporterd.log'"

echo "$passed passed, $failed failed ($(($(date +%s) - t0)) s)"
[ "$failed" -eq 0 ]
