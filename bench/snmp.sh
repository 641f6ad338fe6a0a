#!/usr/bin/env bash
# Benchmark: the snmp module's /snmp against Debian's snmp_exporter 0.21 and a raw snmpbulkwalk of
# the same OIDs, two ways:
#  1. one big agent: a 2,000-interface IF-MIB (ifTable + ifXTable) served by a real snmpd in a
#     network namespace (../shared/real/snmp.sh NETNS_IFACES=2000; needs root for the namespace).
#     Both exporters read the same legacy-layout snmp.yml and scrape upstream's if_mib module
#     (walks 1.3.6.1.2.1.2 and 1.3.6.1.2.1.31.1.1, max_repetitions 25); the raw walk is
#     `snmpbulkwalk -Cr25` of the same two subtrees, one after the other. RUNS interleaved runs,
#     medians: wall time of one scrape (curl), the exporter's CPU for it (utime+stime delta), the
#     agent's CPU for it (snmpd's own utime+stime: the floor no client can go under), and RSS.
#     The series counts of the two expositions are checked equal.
#  2. many small agents: TARGETS snmpd processes (one port each on 127.0.0.1, this host's own
#     IF-MIB), all scraped at once (if_mib), RUNS times per exporter, alternating: wall time of
#     the whole batch, the exporter's CPU, its peak RSS, and failed scrapes.
# Writes the "Module snmp" section of docs/benchmarks.md (or OUT).
#
# usage: [RUNS=5] [IFACES=2000] [TARGETS=200] [BUILD_DIR=build-bench] [BUILD=0] bench/snmp.sh
#   env: OUT (docs/benchmarks.md), REAL (../shared/real), SNMP_PORT (26191), NETNS (fsnmpbench)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh # free_port, wait_http
. bench/lib.sh        # bench_build, cpu_ticks, rss_kib, median, machine_line
OUT=${OUT:-docs/benchmarks.md}
RUNS=${RUNS:-5}
IFACES=${IFACES:-2000}
TARGETS=${TARGETS:-200}
REAL=${REAL:-$(realpath ../shared/real)}
export SNMP_PORT=${SNMP_PORT:-26191} NETNS=${NETNS:-fsnmpbench}
export NETNS_ADDR=${NETNS_ADDR:-10.254.252.2} HOST_ADDR=${HOST_ADDR:-10.254.252.1}
work_dir bench-snmp
export STATE=${STATE:-$WORK/agent} BIGTABLE_ROWS=0 NETNS_IFACES=$IFACES
bench_build
BIN=$(realpath "$BUILD_DIR/exporterd")
MODDIR=$(realpath "$BUILD_DIR/modules")
on_exit() {
  local f
  for f in "$WORK"/agents/*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null; done
  "$REAL/snmp.sh" stop >/dev/null 2>&1 || true
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
"$REAL/snmp.sh" start >&2
AGENT_PID=$(cat "$STATE/snmpd-ns.pidfile")
T=$NETNS_ADDR:$SNMP_PORT
cp exporters/snmp/tests/parity/upstream_legacy_snmp.yml "$WORK/snmp.yml"
printf 'modules:\n  snmp:\n    timeout: 60s\n    config_file: %s\n' "$WORK/snmp.yml" >"$WORK/exporterd.yml"
SE=$(free_port)
prometheus-snmp-exporter --config.file="$WORK/snmp.yml" --web.listen-address="127.0.0.1:$SE" \
  --log.level=error 2>"$WORK/se.log" &
SE_PID=$!
PIDS+=("$SE_PID")
ED=$(free_port)
"$BIN" --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR" \
  --web.listen-address="127.0.0.1:$ED" 2>"$WORK/ed.log" &
ED_PID=$!
PIDS+=("$ED_PID")
wait_http "http://127.0.0.1:$SE/metrics" 20 && wait_http "http://127.0.0.1:$ED/-/ready" 20

Q="snmp?target=$T&module=if_mib"
ticks_s() { awk -v t="$1" -v h="$CLK_TCK" 'BEGIN {printf "%.3f", t / h}'; }
# scrape NAME PORT PID: one scrape; appends "wall exporter_cpu agent_cpu" to $WORK/NAME
scrape() {
  local c0 c1 a0 a1 w
  c0=$(cpu_ticks "$3") a0=$(cpu_ticks "$AGENT_PID")
  w=$(curl -sf -o "$WORK/$1.prom" -w "%{time_total}" "http://127.0.0.1:$2/$Q" | awk '{printf "%.3f", $1}')
  c1=$(cpu_ticks "$3") a1=$(cpu_ticks "$AGENT_PID")
  echo "$w $(ticks_s $((c1 - c0))) $(ticks_s $((a1 - a0)))" >>"$WORK/$1"
}
walk() {
  snmpbulkwalk -m '' -v2c -c public -Cr25 -On "$T" 1.3.6.1.2.1.2 >/dev/null &&
    snmpbulkwalk -m '' -v2c -c public -Cr25 -On "$T" 1.3.6.1.2.1.31.1.1 >/dev/null
}
raw_walk() {
  local a0 a1
  a0=$(cpu_ticks "$AGENT_PID")
  /usr/bin/time -f '%e %U %S' -o "$WORK/t" bash -c walk
  a1=$(cpu_ticks "$AGENT_PID")
  awk -v a="$(ticks_s $((a1 - a0)))" '{print $1, $2 + $3, a}' "$WORK/t" >>"$WORK/raw"
}
export -f walk
export T
# The three take turns at going first: the first request after snmpd's
# interface cache expired pays for reloading it (2,000 interfaces).
order=(se ed raw)
for _ in $(seq 1 "$RUNS"); do
  for m in "${order[@]}"; do
    case $m in
      se) scrape snmp_exporter "$SE" "$SE_PID" ;;
      ed) scrape exporterd "$ED" "$ED_PID" ;;
      raw) raw_walk ;;
    esac
  done
  order=("${order[@]:1}" "${order[0]}")
done
n_se=$(grep -c '^if' "$WORK/snmp_exporter.prom")
n_ed=$(grep -c '^if' "$WORK/exporterd.prom")
[ "$n_se" = "$n_ed" ] || { echo "bench: series differ: snmp_exporter $n_se, exporterd $n_ed" >&2; exit 1; }
med() { awk -v c="$2" '{print $c}' "$WORK/$1" | median; }
rss_se=$(($(rss_kib "$SE_PID") / 1024)) rss_ed=$(($(rss_kib "$ED_PID") / 1024))
"$REAL/snmp.sh" stop >/dev/null 2>&1 || true

# --- many small agents --------------------------------------------------------------------------
mkdir -p "$WORK/agents"
ports=()
for i in $(seq 1 "$TARGETS"); do
  p=$(free_port)
  # free_port may hand out the same port twice before anything binds it.
  while [[ " ${ports[*]} " == *" $p "* ]]; do p=$(free_port); done
  ports+=("$p")
  printf 'rocommunity public 127.0.0.1\n' >"$WORK/agents/$i.conf"
  snmpd -C -c "$WORK/agents/$i.conf" -Lf /dev/null -p "$WORK/agents/$i.pid" -m "" \
    udp:127.0.0.1:"$p"
done
for p in "${ports[@]}"; do
  for _ in $(seq 1 100); do
    snmpget -m '' -v2c -c public -t 0.2 -r 0 "127.0.0.1:$p" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break
    sleep 0.1
  done
done
printf '%s\n' "${ports[@]}" >"$WORK/ports"
# batch NAME PORT PID: every agent scraped at once; appends "wall cpu failed" to $WORK/NAME.many
batch() {
  local c0 c1 t0 t1 failed
  c0=$(cpu_ticks "$3") t0=$(date +%s.%N)
  failed=$(xargs -P "$TARGETS" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$2/snmp?target=127.0.0.1:{}&module=if_mib" <"$WORK/ports" | grep -vc '^200$' || true)
  t1=$(date +%s.%N) c1=$(cpu_ticks "$3")
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}') $(ticks_s $((c1 - c0))) $failed" >>"$WORK/$1.many"
}
for _ in $(seq 1 "$RUNS"); do
  batch snmp_exporter "$SE" "$SE_PID"
  batch exporterd "$ED" "$ED_PID"
done
hwm_se=$(($(hwm_kib "$SE_PID") / 1024)) hwm_ed=$(($(hwm_kib "$ED_PID") / 1024))
load_after=$(cut -d' ' -f1 /proc/loadavg)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
sum_failed() { awk '{n += $3} END {print n + 0}' "$WORK/$1.many"; }
w_ed=$(med exporterd 1) w_se=$(med snmp_exporter 1) w_raw=$(med raw 1)
c_ed=$(med exporterd 2) c_se=$(med snmp_exporter 2)
mw_ed=$(med exporterd.many 1) mw_se=$(med snmp_exporter.many 1)
mc_ed=$(med exporterd.many 2) mc_se=$(med snmp_exporter.many 2)
new=$WORK/section.md
{
  echo "## Module snmp: /snmp against snmp_exporter"
  echo
  echo "Generated by \`bench/snmp.sh\` (RUNS=$RUNS; build: \`$BUILD_DIR\`, RelWithDebInfo). $(machine_line)"
  echo "Load average (1 min) before / after: $load_before / $load_after."
  echo
  echo "**One big agent**: $IFACES-interface ifTable+ifXTable from a real snmpd 5.9.3 in a network"
  echo "namespace, upstream's if_mib (both tables walked, max_repetitions 25): $n_ed if_* series,"
  echo "the same count from both exporters. Medians of $RUNS runs, the three taking turns at going"
  echo "first (the first request after snmpd's interface cache expired reloads it). Agent CPU = snmpd's"
  echo "own utime+stime during the scrape: the agent is single-threaded, so no client can answer"
  echo "in less wall time than that."
  echo
  echo "| | wall s | client CPU s | agent CPU s | RSS after |"
  echo "|---|---|---|---|---|"
  echo "| exporterd /snmp | $w_ed | $c_ed | $(med exporterd 3) | $rss_ed MiB (whole daemon) |"
  echo "| snmp_exporter 0.21 /snmp | $w_se | $c_se | $(med snmp_exporter 3) | $rss_se MiB |"
  echo "| snmpbulkwalk of the same 2 subtrees, one after the other | $w_raw | $(med raw 2) | $(med raw 3) | |"
  echo
  echo "Ratios: exporterd / snmp_exporter wall $(ratio "$w_ed" "$w_se"), CPU $(ratio "$c_ed" "$c_se"),"
  echo "RSS $(ratio "$rss_ed" "$rss_se"); exporterd / raw walk wall $(ratio "$w_ed" "$w_raw")."
  echo
  echo "**Many small agents**: $TARGETS snmpd processes on 127.0.0.1 (one port each, this host's"
  echo "IF-MIB), all scraped at once (\`xargs -P $TARGETS curl\`, if_mib), $RUNS batches per"
  echo "exporter, alternating; medians. Peak RSS = VmHWM over the whole run (both tests)."
  echo
  echo "| | wall per batch s | CPU per batch s | peak RSS | failed scrapes |"
  echo "|---|---|---|---|---|"
  echo "| exporterd /snmp | $mw_ed | $mc_ed | $hwm_ed MiB | $(sum_failed exporterd) |"
  echo "| snmp_exporter 0.21 /snmp | $mw_se | $mc_se | $hwm_se MiB | $(sum_failed snmp_exporter) |"
  echo
  echo "Ratios: exporterd / snmp_exporter wall $(ratio "$mw_ed" "$mw_se"), CPU $(ratio "$mc_ed" "$mc_se"),"
  echo "peak RSS $(ratio "$hwm_ed" "$hwm_se")."
} >"$new"
cat "$new"
splice_doc "$OUT" "Module snmp" "$new"
