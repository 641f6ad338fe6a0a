#!/usr/bin/env bash
# bacula_env.sh - a throwaway Bacula (Debian 12's 9.6) for the bacula module's integration test:
# bacula-dir with a SQLite catalog built from the package's own schema, bacula-sd with file
# volumes and bacula-fd, all on 127.0.0.1, state and ports from the environment.
#
# usage: bacula_env.sh start|jobs|slow_start|slow_cancel|stop    env: BAC_STATE (required), BAC_DIR_PORT, BAC_FD_PORT,
#        BAC_SD_PORT, BAC_DEAD_PORT (a port nothing listens on: the unreachable client)
# Jobs (bacula_env.sh jobs): BackupOK Full -> T; BackupWarn (a missing file) -> T with
# JobErrors > 0; BackupFail (RunBeforeJob /bin/false) -> f; BackupNoClient (client on a closed
# port, FD connect timeout 3 s) -> f; BackupOK Incremental -> T; a restore of job 1 -> T;
# BackupSlow (RunBeforeJob sleep 6): slow_start, then slow_cancel -> A.
# Needs: bacula-director-sqlite3 bacula-director bacula-sd bacula-fd bacula-console sqlite3.
set -euo pipefail
STATE=${BAC_STATE:?BAC_STATE must name a scratch directory}
BAC_DIR_PORT=${BAC_DIR_PORT:-19101}
BAC_FD_PORT=${BAC_FD_PORT:-19102}
BAC_SD_PORT=${BAC_SD_PORT:-19103}
BAC_DEAD_PORT=${BAC_DEAD_PORT:-19109}
SCHEMA=${BACULA_SQLITE_SCHEMA:-/usr/share/dbconfig-common/data/bacula-director-sqlite3/install/sqlite3}
E=$STATE/etc
DB=$STATE/work/dir/bacula.db
log() { echo "[bacula_env] $*" >&2; }
bcon() { bconsole -c "$E/bconsole.conf"; }

write_conf() {
  mkdir -p "$E" "$STATE"/{run,log,volumes,restore} "$STATE"/work/{dir,sd,fd} "$STATE/data/sub"
  for i in $(seq 1 50); do head -c $((i * 1000)) /dev/urandom > "$STATE/data/file$i.bin"; done
  echo hello > "$STATE/data/sub/hello.txt"
  cat > "$E/bacula-dir.conf" <<EOF
Director {
  Name = it-dir
  DIRport = $BAC_DIR_PORT
  DirAddress = 127.0.0.1
  QueryFile = "/etc/bacula/scripts/query.sql"
  WorkingDirectory = "$STATE/work/dir"
  PidDirectory = "$STATE/run"
  Maximum Concurrent Jobs = 10
  Password = "dir-secret"
  Messages = Daemon
  FD Connect Timeout = 3 sec
  SD Connect Timeout = 10 sec
}
JobDefs {
  Name = DefaultJob
  Type = Backup
  Level = Full
  Client = it-fd
  FileSet = SmallSet
  Storage = File1
  Messages = Standard
  Pool = File
  Priority = 10
  Write Bootstrap = "$STATE/work/dir/%c_%n.bsr"
}
Job { Name = BackupOK;   JobDefs = DefaultJob }
Job { Name = BackupWarn; JobDefs = DefaultJob; FileSet = WarnSet }
Job { Name = BackupFail; JobDefs = DefaultJob; RunBeforeJob = "/bin/false" }
Job { Name = BackupNoClient; JobDefs = DefaultJob; Client = dead-fd }
Job { Name = BackupSlow; JobDefs = DefaultJob; RunBeforeJob = "/bin/sleep 6" }
Job {
  Name = RestoreFiles
  Type = Restore
  Client = it-fd
  Storage = File1
  FileSet = SmallSet
  Pool = File
  Messages = Standard
  Where = "$STATE/restore"
}
FileSet {
  Name = SmallSet
  Include { Options { signature = MD5 } ; File = "$STATE/data" }
}
FileSet {
  Name = WarnSet
  Include { Options { signature = MD5 } ; File = "$STATE/data/sub"; File = "$STATE/data/does-not-exist" }
}
Client {
  Name = it-fd
  Address = 127.0.0.1
  FDPort = $BAC_FD_PORT
  Catalog = MyCatalog
  Password = "fd-secret"
  File Retention = 30 days
  Job Retention = 6 months
  AutoPrune = yes
}
Client {
  Name = dead-fd
  Address = 127.0.0.1
  FDPort = $BAC_DEAD_PORT
  Catalog = MyCatalog
  Password = "fd-secret"
}
Storage {
  Name = File1
  Address = 127.0.0.1
  SDPort = $BAC_SD_PORT
  Password = "sd-secret"
  Device = FileDev1
  Media Type = File1
  Maximum Concurrent Jobs = 10
}
Catalog {
  Name = MyCatalog
  dbname = "bacula"; dbuser = ""; dbpassword = ""
}
Pool {
  Name = File
  Pool Type = Backup
  Recycle = yes
  AutoPrune = yes
  Volume Retention = 365 days
  Maximum Volume Bytes = 1G
  Maximum Volumes = 100
  Label Format = "Vol-"
}
Pool { Name = Scratch; Pool Type = Backup }
Messages {
  Name = Standard
  console = all, !skipped, !saved
  append = "$STATE/log/bacula.log" = all, !skipped
  catalog = all
}
Messages {
  Name = Daemon
  console = all, !skipped, !saved
  append = "$STATE/log/bacula.log" = all, !skipped
}
Console {
  Name = it-mon
  Password = "mon-secret"
  CommandACL = status, .status, list, llist, .api
  JobACL = *all*
  ClientACL = *all*
  CatalogACL = *all*
}
EOF
  cat > "$E/bacula-sd.conf" <<EOF
Storage {
  Name = it-sd
  SDPort = $BAC_SD_PORT
  SDAddress = 127.0.0.1
  WorkingDirectory = "$STATE/work/sd"
  Pid Directory = "$STATE/run"
  Maximum Concurrent Jobs = 20
}
Director { Name = it-dir; Password = "sd-secret" }
Device {
  Name = FileDev1
  Media Type = File1
  Archive Device = "$STATE/volumes"
  LabelMedia = yes
  Random Access = yes
  AutomaticMount = yes
  RemovableMedia = no
  AlwaysOpen = no
  Maximum Concurrent Jobs = 5
}
Messages { Name = Standard; director = it-dir = all }
EOF
  cat > "$E/bacula-fd.conf" <<EOF
Director { Name = it-dir; Password = "fd-secret" }
FileDaemon {
  Name = it-fd
  FDport = $BAC_FD_PORT
  FDAddress = 127.0.0.1
  WorkingDirectory = "$STATE/work/fd"
  Pid Directory = "$STATE/run"
  Maximum Concurrent Jobs = 20
  Plugin Directory = "/usr/lib/bacula"
}
Messages { Name = Standard; director = it-dir = all, !skipped, !restored }
EOF
  cat > "$E/bconsole.conf" <<EOF
Director { Name = it-dir; DIRport = $BAC_DIR_PORT; address = 127.0.0.1; Password = "dir-secret" }
EOF
  chmod 600 "$E"/*.conf
}

start() {
  stop
  mkdir -p "$STATE"
  write_conf
  sqlite3 "$DB" <"$SCHEMA"
  local d i
  for d in dir sd fd; do "bacula-$d" -t -c "$E/bacula-$d.conf"; done
  # -f: foreground (backgrounded here), so $! is the daemon's pid
  for d in sd fd dir; do
    setsid "bacula-$d" -f -c "$E/bacula-$d.conf" </dev/null >>"$STATE/log/bacula-$d.out" 2>&1 &
    echo $! >"$STATE/$d.pid"
  done
  for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$BAC_DIR_PORT") 2>/dev/null && break; sleep 0.05; done
  for i in $(seq 1 100); do echo "status dir" | bcon >/dev/null 2>&1 && break; sleep 0.1; done
  for d in sd fd dir; do
    kill -0 "$(cat "$STATE/$d.pid")" || { cat "$STATE/log/bacula-$d.out" >&2; exit 1; }
  done
  log "dir/sd/fd up, catalog $DB"
}

jobs() {
  bcon >"$STATE/log/jobs.out" 2>&1 <<EOF
run job=BackupOK yes
wait
run job=BackupWarn yes
run job=BackupFail yes
run job=BackupNoClient yes
wait
run job=BackupOK level=Incremental yes
wait
restore jobid=1 client=it-fd restoreclient=it-fd all done yes where=$STATE/restore
wait
messages
quit
EOF
  log "jobs done: $(grep -c 'Termination:' "$STATE/log/jobs.out" || true) terminations"
}

# Starts BackupSlow (its RunBeforeJob sleeps 6 s) and returns while it runs.
slow_start() {
  echo "run job=BackupSlow yes" | bcon >"$STATE/log/slow.out" 2>&1
}

# Cancels BackupSlow and waits for it to end (A).
slow_cancel() {
  printf 'cancel job=BackupSlow yes\nwait\nquit\n' | bcon >>"$STATE/log/slow.out" 2>&1
}

stop() {
  local d p i
  for d in dir fd sd; do
    [ -f "$STATE/$d.pid" ] || continue
    p=$(cat "$STATE/$d.pid")
    if kill -0 "$p" 2>/dev/null; then
      kill "$p"
      for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$p" 2>/dev/null && kill -9 "$p" || true
    fi
    rm -f "$STATE/$d.pid"
  done
}

case "${1:-}" in
  start) start ;;
  jobs) jobs ;;
  slow_start) slow_start ;;
  slow_cancel) slow_cancel ;;
  stop) stop ;;
  *) echo "usage: $0 start|jobs|slow_start|slow_cancel|stop" >&2; exit 2 ;;
esac
