#!/usr/bin/env bash
# Core HTTP benchmark, side by side in one run:
#  - exporterd serving ~10k series from the test module, and
#  - Debian's prometheus-pushgateway holding the same 10k series (taken from
#    exporterd's own /metrics and pushed to it under job "bench"),
# both hit by wrk (2 threads, 16 connections), plain and gzip, RUNS runs of
# SECS seconds each, the two servers alternating run by run. Per server:
# median scrapes/s, p50/p99 latency, bytes per scrape, CPU-seconds used by
# the server during the runs (/proc/PID/stat utime+stime) and so scrapes per
# CPU-second, RSS idle and after the load. Also exporterd's idle RSS with
# every built module. Writes the "Core" sections of docs/benchmarks.md.
#
# usage: [RUNS=5] [SECS=10] [BUILD_DIR=build-bench] [BUILD=0] bench/run.sh [runs] [secs]
# Everything listens on and connects to 127.0.0.1 only. Default: ~4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-${RUNS:-5}}
SECS=${2:-${SECS:-10}}
. tests/lib/common.sh
. bench/lib.sh
scripts/setup.sh --bench
bench_build

work_dir bench

EP=$(free_port)
GP=$(free_port)
while [[ $GP == "$EP" ]]; do GP=$(free_port); done
cat >"$WORK/exporterd.yml" <<YML
modules:
  testmod:
    series: 10000
    labels: 3
YML

# Idle RSS: embedded default (every built module that loads on this host).
"$BUILD_DIR/exporterd" --web.listen-address="127.0.0.1:$EP" 2>"$WORK/default.log" &
pid=$!
wait_http "http://127.0.0.1:$EP/-/ready" 10
sleep 1
rss_default=$(rss_kib $pid)
loaded=$(sed -n 's/.*msg="configuration loaded".* modules=\([^ ]*\).*/\1/p' "$WORK/default.log")
kill $pid; wait $pid 2>/dev/null || true

"$BUILD_DIR/exporterd" --config.file="$WORK/exporterd.yml" \
  --module.dir="$BUILD_DIR/tests/modules" \
  --web.listen-address="127.0.0.1:$EP" 2>"$WORK/exporterd.log" &
EPID=$!
PIDS+=($EPID)
wait_http "http://127.0.0.1:$EP/-/ready" 10
sleep 1
e_rss_idle=$(rss_kib $EPID)   # configured, never scraped

# The pushgateway: in memory only (its default persistence file is under
# /var/lib; point it at the temp dir and never write it: interval 24h).
# Started by hand on loopback; the package's own service plays no part.
prometheus-pushgateway --web.listen-address="127.0.0.1:$GP" \
  --persistence.file="$WORK/pushgateway.data" --persistence.interval=24h \
  --log.level=warn >"$WORK/pushgateway.log" 2>&1 &
GPID=$!
PIDS+=($GPID)
wait_http "http://127.0.0.1:$GP/-/ready" 10
sleep 1
g_rss_empty=$(rss_kib $GPID)

# Exactly the series exporterd serves: its testmod_value family, as exposed.
curl -sf "http://127.0.0.1:$EP/metrics" |
  awk '/^# (HELP|TYPE) testmod_value / || /^testmod_value[{ ]/' >"$WORK/push.txt"
pushed=$(grep -vc '^#' "$WORK/push.txt")
curl -sf -X PUT --data-binary @"$WORK/push.txt" "http://127.0.0.1:$GP/metrics/job/bench"
curl -sf "http://127.0.0.1:$GP/metrics" >"$WORK/gw.txt"
held=$(grep -c '^testmod_value{' "$WORK/gw.txt")
[[ $held == "$pushed" ]] || { echo "pushgateway holds $held of $pushed series" >&2; exit 1; }
sample_g=$(grep -m1 '^testmod_value{' "$WORK/gw.txt")
sample_e=$(grep -m1 '^testmod_value{' "$WORK/push.txt")
sleep 1
g_rss_idle=$(rss_kib $GPID)   # holding the 10k series, never scraped by wrk

# lines (non-comment) and bytes per scrape, plain and gzip (bytes on the wire)
lines() { curl -sf "$1" | grep -vc '^#'; }
bytes() { curl -sf -o /dev/null -w '%{size_download}' "$@"; }
e_lines=$(lines "http://127.0.0.1:$EP/metrics")
g_lines=$(lines "http://127.0.0.1:$GP/metrics")
declare -A BYTES
BYTES[exporterd_plain]=$(bytes "http://127.0.0.1:$EP/metrics")
BYTES[pushgateway_plain]=$(bytes "http://127.0.0.1:$GP/metrics")
BYTES[exporterd_gzip]=$(bytes -H 'Accept-Encoding: gzip' "http://127.0.0.1:$EP/metrics")
BYTES[pushgateway_gzip]=$(bytes -H 'Accept-Encoding: gzip' "http://127.0.0.1:$GP/metrics")

# collections: exporterd's testmod_collections_total (that scrape included).
collections() { curl -sf "http://127.0.0.1:$EP/metrics" | awk '/^testmod_collections_total / {print $2}'; }
# one <name> <pid> <url> <extra wrk args...>: one wrk run; appends
# "name rps p50ms p99ms requests cpu_ticks errors collections" to results.
# Concurrent exporterd scrapes share one collection and its serialized (and
# gzipped) body: count the collections of the run (exporterd only, read
# outside the CPU window).
one() {
  local name=$1 pid=$2 url=$3; shift 3
  local c0 c1 k0=0 k1=1
  [[ $name == exporterd* ]] && k0=$(collections)
  c0=$(cpu_ticks "$pid")
  wrk -t2 -c16 -d"${SECS}s" --timeout 30s --latency "$@" "$url" >"$WORK/wrk.txt"
  c1=$(cpu_ticks "$pid")
  [[ $name == exporterd* ]] && k1=$(collections)
  local f=$WORK/wrk.txt
  echo "$name $(wrk_field $f rps) $(wrk_field $f p50) $(wrk_field $f p99)" \
    "$(wrk_field $f requests) $((c1 - c0)) $(($(wrk_field $f non2xx) + $(wrk_field $f sockerr)))" \
    "$((k1 - k0 - 1))" >>"$WORK/results"
  echo "  $name: $(wrk_field $f rps) scrapes/s p50 $(wrk_field $f p50)ms p99 $(wrk_field $f p99)ms" \
    "cpu $(((c1 - c0)))/$CLK_TCK s" >&2
}
: >"$WORK/results"
load_avg_before=$(cut -d' ' -f1 /proc/loadavg)
for mode in plain gzip; do
  args=()
  [[ $mode == gzip ]] && args=(-H 'Accept-Encoding: gzip')
  for ((r = 1; r <= RUNS; r++)); do
    one "exporterd_$mode" "$EPID" "http://127.0.0.1:$EP/metrics" "${args[@]}"
    one "pushgateway_$mode" "$GPID" "http://127.0.0.1:$GP/metrics" "${args[@]}"
  done
done
load_avg_after=$(cut -d' ' -f1 /proc/loadavg)
sleep 1
e_rss_after=$(rss_kib $EPID); e_hwm=$(hwm_kib $EPID)
g_rss_after=$(rss_kib $GPID); g_hwm=$(hwm_kib $GPID)

col() { awk -v n="$1" -v c="$2" '$1==n {print $c}' "$WORK/results" | median; }
sum() { awk -v n="$1" -v c="$2" '$1==n {s+=$c} END {print s+0}' "$WORK/results"; }
# per-CPU-second: all scrapes of the runs over all CPU the server used in them
per_cpu() { echo "$(sum "$1" 5) * $CLK_TCK / $(sum "$1" 6)" | bc -l; }
per_cpu_ub() { echo "($(sum "$1" 5) + 16 * $RUNS) * $CLK_TCK / $(sum "$1" 6)" | bc -l; }
per_coll_cpu() { echo "$(sum "$1" 8) * $CLK_TCK / $(sum "$1" 6)" | bc -l; }
cpu_s() { echo "$(sum "$1" 6) / $CLK_TCK" | bc -l; }
row() {  # row <label> <name> <lines>
  local per_coll=—
  [[ $2 == exporterd* ]] && per_coll=$(printf '%.1f' "$(echo "$(sum "$2" 5) / $(sum "$2" 8)" | bc -l)")
  printf '| %s | %s | %s | %.0f | %.2f | %.2f | %.1f | %.0f | %s | %s |\n' "$1" "$3" \
    "${BYTES[$2]}" "$(col "$2" 2)" "$(col "$2" 3)" "$(col "$2" 4)" \
    "$(cpu_s "$2")" "$(per_cpu "$2")" "$per_coll" "$(sum "$2" 7)"
}
ratio() { if [[ $(echo "$2 == 0" | bc) == 1 ]]; then echo n/a; else printf '%.2f' "$(echo "$1 / $2" | bc -l)"; fi; }
mib() { printf '%.1f' "$(echo "$1 / 1024" | bc -l)"; }

gw_ver=$(dpkg-query -W -f='${Version}' prometheus-pushgateway)
wrk_ver=$(dpkg-query -W -f='${Version}' wrk)
new=$WORK/core.md
{
  echo "## Core: /metrics throughput and memory against the Pushgateway"
  echo
  echo "Generated by \`bench/run.sh\` (\`RUNS=$RUNS SECS=$SECS bench/run.sh\`; build: \`$BUILD_DIR\`,"
  echo "RelWithDebInfo). $(machine_line)"
  echo "Load average (1 min) before / after the runs: $load_avg_before / $load_avg_after."
  echo
  echo "Both servers hold the same $pushed series: exporterd's test module (\`series: 10000\`,"
  echo "\`labels: 3\`) serves them, and Debian's \`prometheus-pushgateway\` $gw_ver holds a copy of"
  echo "exporterd's own \`testmod_value\` exposition, PUT to \`/metrics/job/bench\` (in memory: its"
  echo "persistence file is in the temp dir and never written). The Pushgateway adds"
  echo "\`job=\"bench\"\` and \`instance=\"\"\` to every series, plus its own families"
  echo "(\`go_*\`, \`process_*\`, \`pushgateway_*\`, \`push_time_seconds\`); exporterd adds its"
  echo "\`exporterd_*\` self-metrics. One series, as each serves it:"
  echo
  echo "    exporterd:   $sample_e"
  echo "    pushgateway: $sample_g"
  echo
  echo "wrk $wrk_ver, \`wrk -t2 -c16 -d${SECS}s --timeout 30s --latency\` (gzip rows add"
  echo "\`-H 'Accept-Encoding: gzip'\`), $RUNS runs per row, the two servers alternating run by"
  echo "run; medians of scrapes/s and latency. wrk and the servers share the $(nproc) vCPUs."
  echo "CPU s = the server's utime+stime (\`/proc/PID/stat\`, from just before wrk starts to just"
  echo "after it exits) summed over its runs; scrapes per CPU-second = the scrapes wrk completed in"
  echo "those runs / that CPU time. The (at most 16) scrapes cut when wrk stops used some of that CPU"
  echo "and are not counted: this understates a slow server most (bound below). Bytes = body of"
  echo "one scrape on the wire (gzip rows: compressed). Errors = wrk's non-2xx + socket errors."
  echo "Scrapes per collection (exporterd): scrapes that arrive while a collection runs wait for it"
  echo "and are all served its one serialized body (gzipped once for all the gzip scrapes), so at"
  echo "16 connections exporterd collects and renders the 10k series once per that many scrapes;"
  echo "the Pushgateway gathers and renders them for every scrape. Part of the CPU ratio is that"
  echo "design, not a faster renderer."
  echo
  echo "| server | lines per scrape | bytes per scrape | scrapes/s | p50 ms | p99 ms | CPU s | scrapes per CPU-second | scrapes per collection | errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  row "exporterd, plain" exporterd_plain "$e_lines"
  row "pushgateway, plain" pushgateway_plain "$g_lines"
  row "exporterd, gzip" exporterd_gzip "$e_lines"
  row "pushgateway, gzip" pushgateway_gzip "$g_lines"
  echo
  echo "Ratios, exporterd / pushgateway:"
  echo "scrapes/s plain $(ratio "$(col exporterd_plain 2)" "$(col pushgateway_plain 2)"),"
  echo "gzip $(ratio "$(col exporterd_gzip 2)" "$(col pushgateway_gzip 2)");"
  echo "scrapes per CPU-second plain $(ratio "$(per_cpu exporterd_plain)" "$(per_cpu pushgateway_plain)"),"
  echo "gzip $(ratio "$(per_cpu exporterd_gzip)" "$(per_cpu pushgateway_gzip)");"
  echo "RSS after the load $(ratio "$e_rss_after" "$g_rss_after")."
  echo "Per rendering of the $pushed series instead of per scrape (exporterd: collections per"
  echo "CPU-second, $(printf %.0f "$(per_coll_cpu exporterd_plain)") plain and $(printf %.0f "$(per_coll_cpu exporterd_gzip)") gzip):"
  echo "plain $(ratio "$(per_coll_cpu exporterd_plain)" "$(per_cpu pushgateway_plain)"),"
  echo "gzip $(ratio "$(per_coll_cpu exporterd_gzip)" "$(per_cpu pushgateway_gzip)")."
  echo "Counting the 16 scrapes cut per run as completed (an upper bound for each server):"
  echo "scrapes per CPU-second plain $(ratio "$(per_cpu_ub exporterd_plain)" "$(per_cpu_ub pushgateway_plain)"),"
  echo "gzip $(ratio "$(per_cpu_ub exporterd_gzip)" "$(per_cpu_ub pushgateway_gzip)")"
  echo "(pushgateway plain $(printf %.0f "$(per_cpu_ub pushgateway_plain)"), gzip $(printf %.0f "$(per_cpu_ub pushgateway_gzip)"))."
  echo
  echo "| memory (VmRSS) | exporterd | pushgateway | exporterd / pushgateway |"
  echo "|---|---|---|---|"
  echo "| started, no series | — | $(mib "$g_rss_empty") MiB | |"
  echo "| idle with the $pushed series (exporterd: configured, not yet scraped; pushgateway: pushed) | $(mib "$e_rss_idle") MiB | $(mib "$g_rss_idle") MiB | $(ratio "$e_rss_idle" "$g_rss_idle") |"
  echo "| after the load above | $(mib "$e_rss_after") MiB | $(mib "$g_rss_after") MiB | $(ratio "$e_rss_after" "$g_rss_after") |"
  echo "| peak (VmHWM) | $(mib "$e_hwm") MiB | $(mib "$g_hwm") MiB | $(ratio "$e_hwm" "$g_hwm") |"
  echo
  echo "Read this as the cost of serving, not of collecting: the test module makes its series in"
  echo "memory and the Pushgateway only keeps what was pushed; both render the same $pushed series"
  echo "(and gzip them on request). It bounds what exporterd's core adds to a module's own"
  echo "collection time. exporterd's idle figure is before its first collection; the Pushgateway's"
  echo "holds the pushed series. RSS is read 1 s after the last run; the Go runtime's is also"
  echo "a matter of when its collector last ran."
  echo
  echo "## Core: idle memory with the built modules"
  echo
  echo "Generated by \`bench/run.sh\`, same run."
  echo
  echo "| state | RSS |"
  echo "|---|---|"
  echo "| idle, embedded default config: every built module loaded ($loaded) | $(mib "$rss_default") MiB |"
  echo "| idle, test module loaded (10k series configured, not yet scraped) | $(mib "$e_rss_idle") MiB |"
  echo "| after the benchmark above | $(mib "$e_rss_after") MiB |"
  echo
  echo "\"Every module loaded\" will grow as modules land; this table is rewritten by each run."
} >"$new"
splice_doc docs/benchmarks.md "Core" "$new"
sed -n '/^## Core/,/^## [^C]/p' docs/benchmarks.md | sed '$d'
