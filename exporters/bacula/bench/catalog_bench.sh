#!/usr/bin/env bash
# Scrape time of the bacula module on big catalogs: 1,000,000 Job rows over 500 jobs and 100
# clients (one job every 100 s for ~3.2 years, ending now; 1 in 7 Full, 1 in 50 f, 1 in 31 E),
# 2,000 volumes, in SQLite, PostgreSQL 15 and MariaDB 10.11, all from the Debian packages' schema
# files.
# Prints the first scrape (a full pass over Job) and five following ones (primary-key delta).
#
# usage: catalog_bench.sh <exporterd binary> <module dir>
#   env: BACULA_SQLITE_SCHEMA, BACULA_PGSQL_SCHEMA, BACULA_MYSQL_SCHEMA, ROWS (default 1000000),
#        ONLY (sqlite, postgresql or mysql: run that catalog only). Run as root.
set -euo pipefail
BIN=$(realpath "$1")
MODDIR=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../tests/lib/common.sh" # free_port, wait_http, work_dir
ROWS=${ROWS:-1000000}
SQLITE_SCHEMA=${BACULA_SQLITE_SCHEMA:-/usr/share/dbconfig-common/data/bacula-director-sqlite3/install/sqlite3}
PG_SCHEMA=${BACULA_PGSQL_SCHEMA:-/usr/share/dbconfig-common/data/bacula-director-pgsql/install/pgsql}
[ -f "$PG_SCHEMA" ] || PG_SCHEMA=/usr/local/share/exporterd/bacula-director-pgsql.sql
PG_BIN=${BACULA_PG_BINDIR:-/usr/lib/postgresql/15/bin}
MY_SCHEMA=${BACULA_MYSQL_SCHEMA:-/usr/share/dbconfig-common/data/bacula-director-mysql/install/mysql}
[ -f "$MY_SCHEMA" ] || MY_SCHEMA=/usr/local/share/exporterd/bacula-director-mysql.sql
ONLY=${ONLY:-}
work_dir bacbench
chmod 755 "$WORK"
PG_UP=0
on_exit() { # after the daemons and mariadbd (PIDS)
  [ "$PG_UP" = 1 ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1
  return 0
}
NOW=$(date +%s)
# INSERT ... SELECT over row numbers i (SQLite: a recursive CTE, PostgreSQL: generate_series,
# MariaDB: the Sequence engine's seq_1_to_N, with || as concatenation).
rows_sql() { # rows_sql <dialect>
  local src
  if [ "$1" = sqlite ]; then
    src="WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS) SELECT"
    datef() { echo "datetime($1, 'unixepoch')"; }
  elif [ "$1" = mysql ]; then
    src="SELECT"
    datef() { echo "FROM_UNIXTIME($1)"; }
  else
    src="SELECT"
    datef() { echo "to_timestamp($1) AT TIME ZONE 'UTC'"; }
  fi
  local from=" FROM c"
  [ "$1" = pg ] && from=" FROM generate_series(1, $ROWS) AS c(i)"
  [ "$1" = mysql ] && from=" FROM (SELECT seq AS i FROM seq_1_to_$ROWS) AS c"
  local t="($NOW - ($ROWS - i) * 100)"
  if [ "$1" = sqlite ]; then
    echo "INSERT INTO Client (ClientId, Name, Uname) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100) SELECT i, 'client' || i || '-fd', 'bench' FROM c;"
    echo "INSERT INTO Media (MediaId, VolumeName, PoolId, MediaType, VolStatus, VolBytes) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000) SELECT i, 'Vol-' || i, 1, 'File1', CASE i % 5 WHEN 0 THEN 'Append' ELSE 'Full' END, 1000000000 FROM c;"
  elif [ "$1" = mysql ]; then
    echo "SET SESSION sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT'); SET SESSION time_zone = '+00:00';"
    echo "INSERT INTO Client (ClientId, Name, Uname) SELECT seq, 'client' || seq || '-fd', 'bench' FROM seq_1_to_100;"
    echo "INSERT INTO Media (MediaId, VolumeName, PoolId, MediaType, VolStatus, VolBytes) SELECT seq, 'Vol-' || seq, 1, 'File1', CASE seq % 5 WHEN 0 THEN 'Append' ELSE 'Full' END, 1000000000 FROM seq_1_to_2000;"
  else
    echo "INSERT INTO Client (ClientId, Name, Uname) SELECT i, 'client' || i || '-fd', 'bench' FROM generate_series(1, 100) AS c(i);"
    echo "INSERT INTO Media (MediaId, VolumeName, PoolId, MediaType, VolStatus, VolBytes) SELECT i, 'Vol-' || i, 1, 'File1', CASE i % 5 WHEN 0 THEN 'Append' ELSE 'Full' END, 1000000000 FROM generate_series(1, 2000) AS c(i);"
  fi
  cat <<SQL
INSERT INTO Pool (PoolId, Name, PoolType, LabelFormat) VALUES (1, 'File', 'Backup', 'Vol-');
INSERT INTO Job (JobId, Job, Name, Type, Level, ClientId, JobStatus, SchedTime, StartTime, EndTime, RealEndTime, JobTDate, JobFiles, JobBytes, JobErrors, JobMissingFiles, PoolId)
$src i, 'Job' || (i % 500) || '.' || i, 'Job' || (i % 500), 'B', CASE WHEN i % 7 = 0 THEN 'F' ELSE 'I' END,
  1 + (i % 500) % 100, CASE WHEN i % 50 = 0 THEN 'f' WHEN i % 31 = 0 THEN 'E' ELSE 'T' END,
  $(datef "$t - 60"), $(datef "$t - 60"), $(datef "$t"), $(datef "$t"), $t, i % 1000, i * 10, 0, 0, 1$from;
SQL
  [ "$1" = pg ] && echo "ANALYZE;"
  [ "$1" = mysql ] && echo "ANALYZE TABLE Job, Client, Pool, Media;"
  return 0
}
bench() { # bench <name> <catalog yaml line>
  local port
  port=$(free_port)
  printf 'modules:\n  bacula:\n    catalog: {%s}\n    timeout: 60s\n' "$2" >"$WORK/$1.yml"
  "$BIN" --config.file="$WORK/$1.yml" --module.dir="$MODDIR" --web.listen-address="127.0.0.1:$port" \
    2>"$WORK/$1.log" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/-/healthy" 20
  local times=()
  for _ in 1 2 3 4 5 6; do
    times+=("$(curl -s -o "$WORK/$1.prom" -w '%{time_total}' -H 'X-Prometheus-Scrape-Timeout-Seconds: 60' \
      "http://127.0.0.1:$port/metrics")")
  done
  echo "$1: first scrape ${times[0]} s; following: ${times[*]:1} s;" \
    "$(grep -c '^bacula_' "$WORK/$1.prom") bacula_ series; module_up" \
    "$(awk '/^exporterd_module_up\{module="bacula"\}/ { print $2 }' "$WORK/$1.prom")"
}

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

if want sqlite; then
  t=$(date +%s.%N)
  sqlite3 "$WORK/bacula.db" <"$SQLITE_SCHEMA"
  rows_sql sqlite | sqlite3 "$WORK/bacula.db"
  echo "sqlite: $ROWS jobs generated in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  bench sqlite "sqlite: $WORK/bacula.db"
fi

if ! want postgresql; then
  :
elif [ -f "$PG_SCHEMA" ] && [ -x "$PG_BIN/initdb" ]; then
  mkdir -p "$WORK/pg" && chown postgres: "$WORK/pg"
  PGP=$(free_port)
  runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg/data" -A trust -U postgres --no-sync >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
    -o "-p $PGP -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_UP=1
  runuser -u postgres -- createdb -h 127.0.0.1 -p "$PGP" -U postgres bacula
  t=$(date +%s.%N)
  { cat "$PG_SCHEMA"; rows_sql pg; } | runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGP" -U postgres -d bacula >/dev/null
  echo "postgresql: $ROWS jobs generated in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  bench postgresql "postgresql: 'host=127.0.0.1 port=$PGP dbname=bacula user=postgres'"
else
  echo "postgresql: skipped (needs $PG_SCHEMA and $PG_BIN/initdb)"
fi

# MariaDB: a private mariadbd on loopback; the module reads as a SELECT-only user.
if ! want mysql; then
  :
elif [ -f "$MY_SCHEMA" ] && [ -x /usr/sbin/mariadbd ]; then
  MYP=$(free_port)
  MYOPTS=(--innodb-log-file-size=256M --innodb-buffer-pool-size=1G)
  mariadb-install-db --no-defaults --auth-root-authentication-method=normal --skip-test-db \
    --datadir="$WORK/my/data" --user="$(id -un)" "${MYOPTS[@]}" >"$WORK/my-install.log" 2>&1
  /usr/sbin/mariadbd --no-defaults --datadir="$WORK/my/data" --socket="$WORK/my/sock" --port="$MYP" \
    --bind-address=127.0.0.1 --skip-log-bin --skip-name-resolve --user="$(id -un)" \
    --log-error="$WORK/my/server.log" --innodb-flush-log-at-trx-commit=0 "${MYOPTS[@]}" &
  PIDS+=($!)
  for _ in $(seq 300); do
    mariadb-admin --no-defaults -S "$WORK/my/sock" -u root ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  my() { mariadb --no-defaults -S "$WORK/my/sock" -u root "$@"; }
  my -e "CREATE DATABASE bacula; CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'bench-pw';
         GRANT SELECT ON bacula.* TO 'exporter'@'127.0.0.1';"
  echo bench-pw >"$WORK/my.pw"
  t=$(date +%s.%N)
  { cat "$MY_SCHEMA"; rows_sql mysql; } | my bacula >/dev/null
  echo "mysql: $ROWS jobs generated in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  bench mysql "mysql: {host: 127.0.0.1, port: $MYP, user: exporter, password_file: $WORK/my.pw}"
else
  echo "mysql: skipped (needs $MY_SCHEMA and /usr/sbin/mariadbd)"
fi
