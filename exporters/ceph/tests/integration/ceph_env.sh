#!/usr/bin/env bash
# ceph_env.sh - throwaway single-host Ceph (Debian 12: Pacific 16.2.15) on 127.0.0.1 for the ceph
# module's integration tests: 1 mon, 1 mgr, N memstore OSDs of unequal size, cephx, and a read-only
# client.exporter key (mon 'allow r' mgr 'allow r'). Adapted from the project's shared recipe.
# Needs ceph-mon ceph-osd ceph-mgr ceph-common bc (scripts/setup.sh).
#
# usage: ceph_env.sh [start|fill|check|stop]    (start+fill leave it running; always stop afterwards)
# env:
#   CEPH_OSD_SIZES  "256M 512M 1G 1G"  one entry per OSD (memstore_device_bytes, or bluestore block file size)
#   CEPH_STORE      memstore | bluestore (bluestore: sparse files $STATE/osd.N/block, needs >= ~1G each)
#   CEPH_EQUAL_WEIGHT 1  -> every OSD gets CRUSH weight 1.0 regardless of size => unequal %USE (default 1)
#   CEPH_FILL_MB    240  -> MB of objects written into pool "bench" (size 2) by `fill`
#   MON_V2/MON_V1   ports (default 46790/46789); OSD/MGR ports from MS_PORT_MIN..MS_PORT_MAX (46800..46999)
# Client access afterwards:  ceph -c $STATE/ceph.conf ...   (admin keyring $STATE/keyring, user client.admin)
#   librados: rados_create(&c,"admin"); rados_conf_read_file(c,"$STATE/ceph.conf"); rados_connect(c)
#   also a read-only user client.exporter (mon 'allow r', mgr 'allow r') in $STATE/exporter.keyring
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
STATE=${STATE:-${TMPDIR:-/tmp}/exporterd-ceph-it}
CEPH_OSD_SIZES=${CEPH_OSD_SIZES:-"256M 512M 1G 1G"}
CEPH_STORE=${CEPH_STORE:-memstore}
CEPH_EQUAL_WEIGHT=${CEPH_EQUAL_WEIGHT:-1}
CEPH_FILL_MB=${CEPH_FILL_MB:-240}
MON_V2=${MON_V2:-46790}
MON_V1=${MON_V1:-46789}
MS_PORT_MIN=${MS_PORT_MIN:-46800}
MS_PORT_MAX=${MS_PORT_MAX:-46999}
CONF=$STATE/ceph.conf
log() { echo "[ceph] $*" >&2; }
now() { date +%s.%N; }
el() { echo "$(now) - $1" | bc; }
C() { ceph -c "$CONF" --connect-timeout 20 "$@"; }
bytes() { numfmt --from=iec "$1"; }


write_conf() {
  local fsid=$1
  cat > "$CONF" <<EOF
[global]
fsid = $fsid
mon initial members = a
mon host = [v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
ms bind port min = $MS_PORT_MIN
ms bind port max = $MS_PORT_MAX
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $STATE/keyring
run dir = $STATE/run
admin socket = $STATE/run/\$name.asok
log file = $STATE/log/\$name.log
pid file = $STATE/run/\$name.pid
crash dir = $STATE/crash
log to stderr = false
err to stderr = false
osd pool default size = 2
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool delete = true
mon allow pool size one = true
mon data avail warn = 2
mon data avail crit = 1
mon warn on insecure global id reclaim allowed = false
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd objectstore = $CEPH_STORE
osd crush update on start = true
mgr initial modules = iostat
[mon.a]
mon data = $STATE/mon.a
[mgr]
mgr data = $STATE/mgr.\$id
[osd]
osd data = $STATE/osd.\$id
keyring = $STATE/osd.\$id/keyring
osd memory target = 268435456
bluestore block create = true
bluestore fsck on mkfs = false
osd op num shards = 1
osd op num threads per shard = 2
EOF
  [ "$CEPH_EQUAL_WEIGHT" = 1 ] && echo "osd crush initial weight = 1.0" >> "$CONF"
  local i=0 s
  for s in $CEPH_OSD_SIZES; do
    {
      echo "[osd.$i]"
      echo "memstore device bytes = $(bytes "$s")"
      echo "bluestore block size = $(bytes "$s")"
    } >> "$CONF"
    i=$((i + 1))
  done
}

pgs_clean() { # all PGs active+clean?
  C pg stat -f json | python3 -c 'import json,sys; s=json.load(sys.stdin)["pg_summary"]; b=s["num_pg_by_state"]; sys.exit(0 if len(b)==1 and b[0]["name"]=="active+clean" and s["num_pgs"]>0 else 1)'
}

wait_for() { # seconds cmd...
  local t=$1; shift
  for _ in $(seq 1 $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

start() {
  stop_quiet
  rm -rf "$STATE"; mkdir -p "$STATE"/{run,log,crash,mon.a,mgr.x}
  local fsid t0 tall; fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  tall=$(now); t0=$(now)
  ceph-authtool --create-keyring "$STATE/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$STATE/keyring" --gen-key -n client.admin \
     --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$STATE/mon.keyring" --import-keyring "$STATE/keyring" >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]" --fsid "$fsid" "$STATE/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" --keyring "$STATE/mon.keyring"
  setsid ceph-mon -c "$CONF" -i a -f </dev/null >>"$STATE/log/mon.a.out" 2>&1 &
  echo $! > "$STATE/mon.a.pid"
  wait_for 30 C mon stat || { log "mon did not come up"; tail "$STATE/log/mon.a.log"; exit 1; }
  log "mon.a pid $(cat "$STATE/mon.a.pid") up in $(el "$t0")s"

  t0=$(now)
  C auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$STATE/mgr.x/keyring"
  setsid ceph-mgr -c "$CONF" -i x -f --keyring "$STATE/mgr.x/keyring" </dev/null >>"$STATE/log/mgr.x.out" 2>&1 &
  echo $! > "$STATE/mgr.x.pid"

  local i=0 s uuid secret id
  for s in $CEPH_OSD_SIZES; do
    t0=$(now)
    uuid=$(cat /proc/sys/kernel/random/uuid)
    secret=$(ceph-authtool --gen-print-key)
    id=$(echo "{\"cephx_secret\": \"$secret\"}" | C osd new "$uuid" -i -)
    mkdir -p "$STATE/osd.$id"
    ceph-authtool --create-keyring "$STATE/osd.$id/keyring" --name "osd.$id" --add-key "$secret" >/dev/null
    ceph-osd -c "$CONF" -i "$id" --mkfs --osd-uuid "$uuid" >>"$STATE/log/osd.$id.mkfs" 2>&1 || { tail -20 "$STATE/log/osd.$id.mkfs"; exit 1; }
    setsid ceph-osd -c "$CONF" -i "$id" -f </dev/null >>"$STATE/log/osd.$id.out" 2>&1 &
    echo $! > "$STATE/osd.$id.pid"
    log "osd.$id ($CEPH_STORE $s) pid $(cat "$STATE/osd.$id.pid") created+started in $(el "$t0")s"
    i=$((i + 1))
  done
  t0=$(now)
  wait_for 120 bash -c "ceph -c '$CONF' osd stat -f json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"num_up_osds\"]==$i and d[\"num_in_osds\"]==$i else 1)'" \
    || { log "OSDs not up"; C osd tree; exit 1; }
  wait_for 60 bash -c "ceph -c '$CONF' mgr stat -f json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"available\"] else 1)'" \
    || { log "mgr not available"; tail "$STATE/log/mgr.x.log"; exit 1; }
  log "all $i OSDs up+in and mgr available $(el "$t0")s later; cluster start total $(el "$tall")s"

  t0=$(now)
  C auth get-or-create client.exporter mon 'allow r' mgr 'allow r' -o "$STATE/exporter.keyring"
  C osd pool create bench 64 64 >/dev/null 2>&1
  C osd pool application enable bench rados >/dev/null 2>&1
  wait_for 60 pgs_clean || { C -s; }
  log "exporter user + pool bench created in $(el "$t0")s, pgs: $(C pg stat)"
}

fill() {
  local t0 n; t0=$(now)
  n=$(( CEPH_FILL_MB / 4 ))
  # rados bench: fixed object count via --max-objects so the amount written is deterministic
  rados -c "$CONF" -p bench bench 60 write -b 4194304 -t 8 --no-cleanup --max-objects "$n" --run-name fill \
      > "$STATE/log/rados-bench.out" 2>&1 || { tail "$STATE/log/rados-bench.out"; exit 1; }
  grep -E 'Total writes made|Bandwidth \(MB/sec\)' "$STATE/log/rados-bench.out" >&2 || true
  head -c 65536 /dev/urandom > "$STATE/obj64k"
  for k in $(seq 1 20); do rados -c "$CONF" -p bench put "small-$k" "$STATE/obj64k"; done
  log "fill: ${CEPH_FILL_MB}MB (+20 x 64k rados put) in $(el "$t0")s"
  wait_for 60 pgs_clean || true
  sleep 6   # let OSD stats reach the mgr (osd_mon_report_interval / mgr_stats_period)
}

check() {
  local t0; t0=$(now)
  C -s
  C osd df tree
  C osd df -f json > "$STATE/osd-df.json"
  python3 - "$STATE/osd-df.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for n in d["nodes"]:
    print("osd.%d kb=%d kb_used=%d util=%.1f%% var=%.2f pgs=%d crush_weight=%.4f reweight=%.2f" % (
        n["id"], n["kb"], n["kb_used"], n["utilization"], n["var"], n["pgs"], n["crush_weight"], n["reweight"]))
print("summary:", d["summary"])
EOF
  C -s -f json > "$STATE/status.json"
  python3 -c "import json; d=json.load(open('$STATE/status.json')); print('health', d['health']['status'], 'osds', d['osdmap']['num_osds'], 'pgs', d['pgmap']['num_pgs'], 'bytes_used', d['pgmap']['bytes_used'])"
  echo "--- ceph osd test-reweight-by-utilization 101"
  C osd test-reweight-by-utilization 101 || true
  C osd test-reweight-by-utilization 101 -f json > "$STATE/test-reweight.json" 2>/dev/null || true
  echo "--- rados df"; rados -c "$CONF" df | head -5
  echo "--- exporter user (read-only) can read osd df:"; ceph -c "$CONF" -n client.exporter -k "$STATE/exporter.keyring" osd df -f json | head -c 200; echo
  echo "--- memory (RSS MB):"; for f in "$STATE"/*.pid; do ps -o rss=,comm= -p "$(cat "$f")" | awk '{printf "%s %.0f\n",$2,$1/1024}'; done
  log "check done in $(el "$t0")s"
}

stop_quiet() {
  local f p
  for f in "$STATE"/osd.*.pid "$STATE"/mgr.x.pid "$STATE"/mon.a.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    kill "$p" 2>/dev/null || true
  done
  for f in "$STATE"/osd.*.pid "$STATE"/mgr.x.pid "$STATE"/mon.a.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
    rm -f "$f"
  done
}
stop() { stop_quiet; log "stopped"; }

case "${1:-}" in
  start) start ;;
  fill) fill ;;
  check) check ;;
  stop) stop ;;
  *) echo "usage: $0 [start|fill|check|stop]"; exit 2 ;;
esac
exit 0
