#!/usr/bin/env bash
# Integration: the ceph module against a real Ceph 16 cluster (ceph_env.sh: 1 mon, 1 mgr, 4 memstore
# OSDs of 256M/512M/1G/1G with equal CRUSH weights, filled unevenly, osd.2 reweighted to 0.8 so
# increases exist too). The daemon runs with the read-only client.exporter key.
#  - every ceph_osd_reweight_suggested equals Ceph's own dry run `ceph osd
#    test-reweight-by-utilization <oload> <max_change> <max_osds>`: decreases exactly (JSON
#    new_weight), increases to the 4 decimals of the text output (the JSON omits them), the current
#    reweight for every OSD Ceph leaves alone; for the defaults, two non-default parameter sets
#    and one with --no-increasing (no_increasing: true);
#  - the issue's metric names are all present, module up, hints valid;
#  - a hung mon (SIGSTOP) and a dead mon (SIGKILL): scrapes return within the deadline with
#    exporterd_module_up 0 and the daemon's thread count stays bounded; a restarted mon is
#    reconnected to.
# usage: reweight_parity_test.sh <exporterd binary> <module dir>   (KEEP=1 keeps the work dir)
# Needs: ceph-mon ceph-osd ceph-mgr ceph-common bc python3 curl. Run as root.
set -euo pipefail
BIN=$(realpath "$1")
MODDIR=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh"
need_tools ceph ceph-mon ceph-osd ceph-mgr python3 curl bc ss
[ -f "$MODDIR/exporterd_ceph.so" ] || { echo "FAIL: $MODDIR/exporterd_ceph.so not built"; exit 1; }

work_dir ceph-it
export STATE=$WORK/ceph
# Ports of this run's cluster, away from other tests' clusters.
base=$(shuf -i 30000-32500 -n 1) # below the ephemeral ports
export MON_V2=$base MON_V1=$((base + 1)) MS_PORT_MIN=$((base + 10)) MS_PORT_MAX=$((base + 200))
ENV=$HERE/ceph_env.sh
DPID=""
on_exit() { # the daemon of the moment (one at a time, not in PIDS), then the cluster
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  [ -f "$STATE/mon.a.pid" ] && kill -CONT "$(cat "$STATE/mon.a.pid")" 2>/dev/null
  "$ENV" stop >/dev/null 2>&1 || true
}

finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

t0=$(date +%s)
"$ENV" start 2>"$WORK/env.log" || { cat "$WORK/env.log"; echo "FAIL: cluster start"; exit 1; }
"$ENV" fill 2>>"$WORK/env.log" || { cat "$WORK/env.log"; echo "FAIL: cluster fill"; exit 1; }
A() { ceph -c "$STATE/ceph.conf" --connect-timeout 20 "$@"; }
A osd reweight 2 0.8 >/dev/null 2>&1
osd_bytes() { A pg dump osds -f json 2>/dev/null | python3 -c '
import json,sys; print(sorted((s["osd"],s["statfs"]["total"],s["statfs"]["available"]) for s in json.load(sys.stdin)["osd_stats"]))'; }
settle() { # active+clean and two equal consecutive OSD byte counts
  local prev="" cur
  for _ in $(seq 1 60); do
    if A pg stat | grep -qE '^[0-9]+ pgs: [0-9]+ active\+clean;'; then
      cur=$(osd_bytes); [ "$cur" = "$prev" ] && return 0; prev=$cur
    fi
    sleep 2
  done
  return 1
}
check "cluster settled (active+clean, stable OSD stats)" settle
echo "# cluster up and filled in $(($(date +%s) - t0))s"

start_daemon() { # name, extra yaml lines
  local name=$1 port
  port=$(free_port)
  cat >"$WORK/$name.yml" <<YML
modules:
  ceph:
    conf_file: $STATE/ceph.conf
    user: exporter
    keyring: $STATE/exporter.keyring
    timeout: 4s
$2
YML
  "$BIN" --config.file="$WORK/$name.yml" --module.dir="$MODDIR" \
    --web.listen-address="127.0.0.1:$port" 2>"$WORK/$name.log" &
  DPID=$!
  URL="http://127.0.0.1:$port/metrics"
  wait_http "http://127.0.0.1:$port/-/ready" 20 || { cat "$WORK/$name.log"; echo "FAIL: daemon start"; finish; }
}
stop_daemon() { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null || true; DPID=""; }

# compare <metrics file> <ceph text> <ceph json> <osd dump json>: exit 0 equal, 1 different, 2 the
# inputs differ (Ceph's average utilization is not the one we computed: the OSD stats moved between
# the scrape and Ceph's answer, so the two answers are not comparable)
COMPARE=$(cat <<'PY'
import json, re, sys
metrics, text, js, dump = (open(p).read() for p in sys.argv[1:5])
def series(name):
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(
        r'^%s\{ceph_daemon="osd\.(\d+)"[^}]*\} (\S+)$' % name, metrics, re.M)}
def scalar(name):
    m = re.search(r'^%s (\S+)$' % name, metrics, re.M)
    return float(m.group(1)) if m else float("nan")
ours, util = series("ceph_osd_reweight_suggested"), series("ceph_osd_utilization_ratio")
avg, over = scalar("ceph_reweight_average_utilization_ratio"), scalar("ceph_reweight_overload_utilization_ratio")
cj = json.loads(js) if js.strip() else {}
cavg, cover = cj.get("average_utilization", float("nan")), cj.get("overload_utilization", float("nan"))
inputs = "average ours %r ceph %r, overload ours %r ceph %r" % (avg, cavg, over, cover)
if not abs(avg - cavg) <= 1e-12 * max(1.0, abs(cavg)):
    print("inputs moved: " + inputs); sys.exit(2)
cur = {o["osd"]: o["weight"] for o in json.loads(dump)["osds"]}
dec = {r["osd"]: r["new_weight"] for r in cj.get("reweights", [])}
txt = {int(m.group(1)): float(m.group(2)) for m in re.finditer(r'osd\.(\d+) weight [0-9.]+ -> ([0-9.]+)', text)}
bad = []
if set(ours) != set(cur): bad.append("series %s != osds %s" % (sorted(ours), sorted(cur)))
for osd, w in cur.items():
    got = ours.get(osd)
    if got is None: continue
    if osd in dec: ok = abs(got - dec[osd]) < 1e-9; want = dec[osd]
    elif osd in txt: ok = abs(got - txt[osd]) < 5e-5; want = txt[osd]
    else: ok = abs(got - w) < 1e-6; want = w
    if not ok: bad.append("osd.%d ours %.6f ceph %.6f (utilization %r)" % (osd, got, want, util.get(osd)))
if bad: bad.append(inputs)
print("changes: %d (%d decreases, %d from text); %s" % (len(txt), len(dec), len(txt) - len(dec), "; ".join(bad) or "all equal"))
sys.exit(1 if bad or set(dec) - set(txt) else 0)
PY
)
metric_value() { # file name labels-substring
  grep -E "^$2(\{[^}]*\})? " "$1" | grep -F -- "${3:-}" | head -1 | awk '{print $NF}'
}

parity() { # label oload max_change max_osds yaml [--no-increasing]
  local label=$1 args="$2 $3 $4 ${6:-}" i out r
  start_daemon "$label" "$5"
  for i in 1 2 3 4 5; do # again while the OSD stats move between the scrape and Ceph's answer
    curl -s -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' "$URL" >"$WORK/$label.prom"
    A osd test-reweight-by-utilization $args >"$WORK/$label.txt" 2>/dev/null || true
    A osd test-reweight-by-utilization $args -f json >"$WORK/$label.json" 2>/dev/null || true
    A osd dump -f json >"$WORK/$label.dump.json"
    out=$(python3 -c "$COMPARE" "$WORK/$label.prom" "$WORK/$label.txt" "$WORK/$label.json" \
      "$WORK/$label.dump.json" 2>&1) && r=0 || r=$?
    [ "$r" != 2 ] && break
    echo "# [$label] try $i: $out"
    sleep 2
  done
  check "[$label] module up" [ "$(metric_value "$WORK/$label.prom" exporterd_module_up 'module="ceph"')" = 1 ]
  check "[$label] hints valid" [ "$(metric_value "$WORK/$label.prom" ceph_reweight_hints_valid)" = 1 ]
  check "[$label] ceph_osd_reweight_suggested == test-reweight-by-utilization $args: $out" [ "$r" = 0 ]
  stop_daemon
}

parity default "" "" "" ""
parity p101 101 0.2 8 "    reweight: {oload: 101, max_change: 0.2, max_osds: 8}"
parity p110 110 0.1 1 "    reweight: {oload: 110, max_change: 0.1, max_osds: 1}"
# osd.2 (reweight 0.8, underloaded) is raised by p101; with no_increasing it must stay.
parity p101ni 101 0.2 8 "    reweight: {oload: 101, max_change: 0.2, max_osds: 8, no_increasing: true}" \
  --no-increasing
check "[p101ni] osd.2 left at its reweight (p101 raised it)" \
  [ "$(metric_value "$WORK/p101ni.prom" ceph_osd_reweight_suggested 'osd.2"')" = \
    "$(metric_value "$WORK/p101ni.prom" ceph_osd_reweight 'osd.2"')" ]
check "[p101] osd.2 raised without no_increasing" \
  [ "$(echo "$(metric_value "$WORK/p101.prom" ceph_osd_reweight_suggested 'osd.2"') > $(metric_value "$WORK/p101.prom" ceph_osd_reweight 'osd.2"')" | bc)" = 1 ]

# Metric names and labels.
P=$WORK/default.prom
for m in ceph_osd_up ceph_osd_in ceph_osd_crush_weight ceph_osd_reweight ceph_osd_stat_bytes \
         ceph_osd_stat_bytes_used ceph_osd_utilization_ratio ceph_osd_variance_ratio ceph_osd_pgs \
         ceph_osd_reweight_suggested; do
  check "$m{ceph_daemon=\"osd.0\",device_class=\"hdd\"} present" \
    grep -qE "^$m\{ceph_daemon=\"osd.0\",device_class=\"hdd\"\} " "$P"
done
for m in ceph_health_status ceph_osd_full_ratio ceph_osd_backfillfull_ratio ceph_osd_nearfull_ratio \
         ceph_cluster_total_bytes ceph_cluster_total_used_bytes ceph_osd_utilization_stddev_ratio \
         ceph_reweight_average_utilization_ratio ceph_reweight_overload_utilization_ratio; do
  check "$m present" grep -qE "^$m " "$P"
done
check "ceph_osd_stat_bytes osd.0 is 256 MiB" [ "$(metric_value "$P" ceph_osd_stat_bytes 'osd.0"')" = 268435456 ]
check "ceph_health_status 0" [ "$(metric_value "$P" ceph_health_status)" = 0 ]
check "the scrape passes promtool check metrics" sh -c "promtool check metrics <'$P'"

# Failure: the deadline holds with a hung mon, then a dead one, then it reconnects.
start_daemon outage ""
scrape_time() { # prints seconds; saves body in $WORK/outage.prom
  local s e
  s=$(date +%s.%N)
  curl -s -m 30 -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' "$URL" >"$WORK/outage.prom" || true
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
scrape_time >/dev/null
check "[outage] up before" [ "$(metric_value "$WORK/outage.prom" exporterd_module_up 'module="ceph"')" = 1 ]
MON=$(cat "$STATE/mon.a.pid")
kill -STOP "$MON"
threads_before=$(ls /proc/"$DPID"/task | wc -l)
for i in 1 2 3 4; do
  t=$(scrape_time)
  check "[hung mon] scrape $i returns within the 4s module timeout (+1s): ${t}s" \
    [ "$(echo "$t < 5" | bc)" = 1 ]
  check "[hung mon] scrape $i exporterd_module_up 0" \
    [ "$(metric_value "$WORK/outage.prom" exporterd_module_up 'module="ceph"')" = 0 ]
done
threads_after=$(ls /proc/"$DPID"/task | wc -l)
check "[hung mon] threads bounded ($threads_before -> $threads_after)" [ "$threads_after" -le $((threads_before + 8)) ]
kill -CONT "$MON"
kill -9 "$MON"
sleep 1
for i in 1 2; do
  t=$(scrape_time)
  check "[dead mon] scrape $i within 5s: ${t}s, module_up 0" \
    [ "$(echo "$t < 5" | bc)" = 1 -a "$(metric_value "$WORK/outage.prom" exporterd_module_up 'module="ceph"')" = 0 ]
done
setsid ceph-mon -c "$STATE/ceph.conf" -i a -f </dev/null >>"$STATE/log/mon.a.out" 2>&1 &
echo $! >"$STATE/mon.a.pid"
up=0
for _ in $(seq 1 20); do
  scrape_time >/dev/null
  if [ "$(metric_value "$WORK/outage.prom" exporterd_module_up 'module="ceph"')" = 1 ]; then up=1; break; fi
  sleep 2
done
check "[mon restarted] module up again (connection re-established)" [ $up = 1 ]
stop_daemon
echo "# total $(($(date +%s) - t0))s"
finish
