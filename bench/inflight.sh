#!/usr/bin/env bash
# In-flight multi-target requests: wrk holds N connections (N = 1000, 5000,
# 10000), each with one request in flight on the test module's asynchronous
# route, which answers after an Asio timer (GET /async?target=x&sleep=2s).
# During the plateau: the daemon's threads and RSS (against idle: KiB per
# request in flight), the latency of GET /metrics from a separate client,
# and the /async answers per second and errors. Figures only, no assertions.
# Writes the "In-flight" section of docs/benchmarks.md.
#
# usage: [LEVELS="1000 5000 10000"] [RUNS=2] [SECS=10] [SLEEP=2s]
#        [BUILD_DIR=build-bench] [BUILD=0] bench/inflight.sh
# Everything listens on and connects to 127.0.0.1 only. Default: ~2 minutes.
# Until the test module has `async: true`, the synchronous route is used
# (it ignores sleep=, so this only checks the plumbing) and the section says so.
set -euo pipefail
cd "$(dirname "$0")/.."
LEVELS=${LEVELS:-1000 5000 10000}
RUNS=${RUNS:-2}
SECS=${SECS:-10}
SLEEP=${SLEEP:-2s}
PROBES=${PROBES:-200}     # /metrics samples during the plateau (at most)
. tests/lib/common.sh
. bench/lib.sh
scripts/setup.sh --bench
bench_build

# File descriptors for the daemon and wrk (both inherit this shell's limit):
# each needs one per connection, plus headroom.
max_level=$(tr ' ' '\n' <<<"$LEVELS" | sort -n | tail -1)
need=$((max_level + 1024))
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $need ]]; then
  ulimit -Hn "$need" 2>/dev/null || echo "inflight: hard fd limit $hard < $need" >&2
fi
ulimit -Sn "$(ulimit -Hn)"
fd_limit=$(ulimit -Sn)

work_dir inflight

BIN=$BUILD_DIR/exporterd
MODDIR=$BUILD_DIR/tests/modules
cat >"$WORK/exporterd.yml" <<YML
modules:
  testmod:
    route: /async
    async: true
    series: 10
YML
mode=async
if ! "$BIN" --config.check --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR" \
  >"$WORK/check.log" 2>&1; then
  echo "inflight: test module has no 'async: true' yet; synchronous route (plumbing only)" >&2
  sed -i '/async: true/d' "$WORK/exporterd.yml"
  mode=sync
fi
# Limits high enough that no request or connection is refused by a limit:
# wrk's connections all come from 127.0.0.1, so the per-address cap too.
FLAGS=()
limit=$((2 * max_level > 20000 ? 2 * max_level : 20000))
for f in web.max-requests web.max-connections web.max-connections-per-address; do
  if "$BIN" --help 2>&1 | grep -q -- "--$f"; then FLAGS+=("--$f=$limit"); fi
done

# metric <scrape file> <regex>: sum of the matching samples
metric() { awk -v re="$2" '$0 ~ re {s += $NF} END {print s+0}' "$1"; }
# probe_metrics <url> <until epoch-seconds> <max samples> <out>: wall time of
# GET /metrics, one new connection (a new curl) per sample, in ms.
probe_metrics() {
  local url=$1 until=$2 n=$3 out=$4 i
  : >"$out"
  for ((i = 0; i < n; i++)); do
    (($(date +%s%N) / 1000000 < until)) || break
    curl -s -o /dev/null -m 30 -w '%{http_code} %{time_total}\n' "$url" >>"$out" || echo "000 0" >>"$out"
  done
}
pct() {  # pct <file of ms> <p>
  sort -g "$1" | awk -v p="$2" '{a[NR]=$1} END {if (!NR) {print "-"; exit} i=int(NR*p/100+0.999); if (i<1) i=1; printf "%.1f\n", a[i]}'
}

echo "level run answered_rps requests non2xx sockerr thr_idle thr_during thr_after rss_idle rss_during rss_after inflight conns m_n m_p50 m_p99 m_max m_bad idle_p99 rejected sockerr_detail" >"$WORK/results"
load_avg_before=$(cut -d' ' -f1 /proc/loadavg)
for N in $LEVELS; do
  for ((run = 1; run <= RUNS; run++)); do
    P=$(free_port)
    "$BIN" --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR" \
      --web.listen-address="127.0.0.1:$P" "${FLAGS[@]}" 2>"$WORK/exporterd.log" &
    pid=$!
    PIDS+=($pid)
    wait_http "http://127.0.0.1:$P/-/ready" 20 || { cat "$WORK/exporterd.log"; exit 1; }
    URL="http://127.0.0.1:$P/async?target=x&sleep=$SLEEP"
    MURL="http://127.0.0.1:$P/metrics"
    # Warm up both routes, then idle figures.
    curl -sf -o /dev/null "$URL"; curl -sf -o /dev/null "$MURL"
    sleep 1
    thr_idle=$(threads_of $pid); rss_idle=$(rss_kib $pid)
    # /metrics latency at idle, for reference (50 samples).
    probe_metrics "$MURL" $(($(date +%s%N) / 1000000 + 5000)) 50 "$WORK/idle_probe"
    awk '{print $2 * 1000}' "$WORK/idle_probe" >"$WORK/idle_ms"
    idle_p99=$(pct "$WORK/idle_ms" 99)

    t0=$(date +%s%N)
    wrk -t2 -c"$N" -d"${SECS}s" --timeout 10s --latency "$URL" >"$WORK/wrk.txt" 2>&1 &
    wpid=$!
    # Plateau: from 3 s (connections up, a request in flight on each) to 1 s
    # before the end. /metrics probes run alongside; threads and RSS sampled.
    sleep 3
    plateau_end=$((t0 / 1000000 + (SECS - 1) * 1000))
    probe_metrics "$MURL" "$plateau_end" "$PROBES" "$WORK/probe" &
    ppid=$!
    thr_max=0; rss_max=0; snap_done=0
    while (($(date +%s%N) / 1000000 < plateau_end)); do
      t=$(threads_of $pid); r=$(rss_kib $pid)
      ((t > thr_max)) && thr_max=$t
      ((r > rss_max)) && rss_max=$r
      if ((!snap_done && $(date +%s%N) - t0 > SECS * 500000000)); then
        curl -s -m 30 "$MURL" >"$WORK/mid.txt" || true
        snap_done=1
      fi
      sleep 0.25
    done
    wait $ppid
    wait $wpid || true
    sleep 3
    thr_after=$(threads_of $pid); rss_after=$(rss_kib $pid)
    curl -s "$MURL" >"$WORK/end.txt"
    kill $pid; wait $pid 2>/dev/null || true

    inflight=$(metric "$WORK/mid.txt" '^exporterd_http_requests_in_flight\\{route="/async"')
    conns=$(metric "$WORK/mid.txt" '^exporterd_http_connections ')
    rejected=$(($(metric "$WORK/end.txt" '^exporterd_http_requests_rejected_total') +
      $(metric "$WORK/end.txt" '^exporterd_http_connections_rejected_total')))
    awk '$1 == 200 {print $2 * 1000}' "$WORK/probe" >"$WORK/probe_ms"
    m_n=$(wc -l <"$WORK/probe"); m_bad=$(awk '$1 != 200' "$WORK/probe" | wc -l)
    f=$WORK/wrk.txt
    detail=$(wrk_field "$f" sockerr_detail | tr -d ' ')
    echo "$N $run $(wrk_field "$f" rps) $(wrk_field "$f" requests) $(wrk_field "$f" non2xx)" \
      "$(wrk_field "$f" sockerr) $thr_idle $thr_max $thr_after $rss_idle $rss_max $rss_after" \
      "$inflight $conns $m_n $(pct "$WORK/probe_ms" 50) $(pct "$WORK/probe_ms" 99)" \
      "$(pct "$WORK/probe_ms" 100) $m_bad $idle_p99 $rejected ${detail:-none}" >>"$WORK/results"
    tail -1 "$WORK/results" >&2
    [[ -s $f ]] && ! grep -q 'requests in' "$f" && cat "$f" >&2
  done
done
load_avg_after=$(cut -d' ' -f1 /proc/loadavg)

new=$WORK/inflight.md
wrk_ver=$(dpkg-query -W -f='${Version}' wrk)
{
  echo "## In-flight multi-target requests"
  echo
  echo "Generated by \`bench/inflight.sh\` (\`LEVELS=\"$LEVELS\" RUNS=$RUNS SECS=$SECS SLEEP=$SLEEP bench/inflight.sh\`;"
  echo "build: \`$BUILD_DIR\`, RelWithDebInfo). $(machine_line)"
  echo "Load average (1 min) before / after: $load_avg_before / $load_avg_after."
  echo
  if [[ $mode == async ]]; then
    echo "The test module's asynchronous route (\`route: /async\`, \`async: true\`, \`series: 10\`):"
    echo "\`GET /async?target=x&sleep=$SLEEP\` answers 200 after an Asio timer, holding no thread."
  else
    echo "**Plumbing run only**: the test module had no \`async: true\` yet, so this ran the"
    echo "synchronous route (\`route: /async\`, \`series: 10\`), which ignores \`sleep=\` and answers"
    echo "at once. The figures are not the in-flight figures this section is for."
  fi
  echo "Daemon: \`exporterd ${FLAGS[*]}\`, a fresh one per row; file descriptor"
  echo "limit $fd_limit for it and for wrk. Load: wrk $wrk_ver,"
  echo "\`wrk -t2 -cN -d${SECS}s --timeout 10s 'http://127.0.0.1:P/async?target=x&sleep=$SLEEP'\`"
  echo "(one request in flight per connection). Plateau: from 3 s after wrk starts to 1 s before"
  echo "it ends; threads and RSS are the maxima of /proc/PID/status samples every 0.25 s in it."
  echo "In flight / connections: the daemon's \`exporterd_http_requests_in_flight{route=\"/async\"}\`"
  echo "and \`exporterd_http_connections\` at mid-run. KiB per request = (RSS during − RSS idle) / N."
  echo "/metrics latency: \`curl\` time_total, a new connection per sample, back to back during the"
  echo "plateau (up to $PROBES samples; the count is given); idle p99 from 50 samples before the load."
  echo "Answered/s: wrk's Requests/sec over the whole run, ramp-up and the round cut at the end"
  echo "included (with sleep=2s and 10 s: four rounds, about 0.4 N/s). Errors: wrk's"
  echo "non-2xx and socket errors (connect/read/write/timeout); refused: the daemon's"
  echo "\`exporterd_http_requests_rejected_total\` + \`exporterd_http_connections_rejected_total\`."
  echo
  echo "| N | run | in flight (conns) | answered/s | non-2xx | socket errors | refused | threads idle / during / after | RSS idle → during → after MiB | KiB per request | /metrics p50 / p99 / max ms (samples) | /metrics p99 idle ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk 'NR > 1 {
    printf "| %s | %s | %s (%s) | %.0f | %s | %s%s | %s | %s / %s / %s | %.1f → %.1f → %.1f | %.1f | %s / %s / %s (%s%s) | %s |\n",
      $1, $2, $13, $14, $3, $5, $6, ($6 > 0 ? " (" $22 ")" : ""), $21, $7, $8, $9,
      $10/1024, $11/1024, $12/1024, ($11-$10)/$1, $16, $17, $18, $15,
      ($19 > 0 ? ", " $19 " failed" : ""), $20 }' "$WORK/results"
  echo
  echo "Target: at most 16 KiB per request in flight."
} >"$new"
splice_doc docs/benchmarks.md "In-flight" "$new"
sed -n '/^## In-flight/,/^## [^I]/p' docs/benchmarks.md | sed '$d'
