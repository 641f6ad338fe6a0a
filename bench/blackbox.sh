#!/usr/bin/env bash
# The blackbox module's /probe against Debian's prometheus-blackbox-exporter,
# side by side in one run, both on the same blackbox.yml:
#  - http_2xx to a private nginx on loopback (nginx_env.sh), wrk at c=16 and c=64;
#  - icmp to 127.0.0.1, wrk at c=16;
#  - INFLIGHT (5,000) probes in flight at once: tcp_connect with an `expect`
#    against a listener that accepts and never answers (bench/silent_listener.py),
#    timeout 5 s, wrk -cINFLIGHT; RSS at the plateau. A fresh pair of servers
#    for each of these runs.
# RUNS runs per row, the two servers alternating run by run; medians of probes/s
# and latency; CPU = the server's utime+stime during the wrk run. Every answer's
# body is checked by wrk (bench/blackbox_check.lua): the probe_success counts are
# in the table, so failures are never benchmarked as probes. Writes the
# "Module blackbox" section of docs/benchmarks.md.
#
# usage: [RUNS=3] [SECS=10] [INFLIGHT=5000] [ISECS=17] [JOBS=2]
#        [BUILD_DIR=build-bench] [BUILD=0] bench/blackbox.sh
# Runs as root (icmp: raw sockets for both). Everything on 127.0.0.1.
# Default: ~6 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECS=${SECS:-10}
INFLIGHT=${INFLIGHT:-5000}
ISECS=${ISECS:-17}   # the in-flight row: three rounds of 5 s probes complete
. tests/lib/common.sh
. bench/lib.sh
scripts/setup.sh --bench
bench_build blackbox
BB_BIN=/usr/bin/prometheus-blackbox-exporter
BIN=$BUILD_DIR/exporterd
MODDIR=$BUILD_DIR/modules

# Descriptors: each server holds INFLIGHT client connections and INFLIGHT
# probe connections; wrk and the listener INFLIGHT each. All inherit this.
need=$((2 * INFLIGHT + 1024))
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $need ]]; then
  ulimit -Hn "$need" 2>/dev/null || echo "blackbox: hard fd limit $hard < $need" >&2
fi
ulimit -Sn "$(ulimit -Hn)"
fd_limit=$(ulimit -Sn)

work_dir bench-blackbox
on_exit() {
  [[ -s $WORK/nginx/nginx.pid ]] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null
  return 0
}

# The targets: nginx (its "hello blackbox" page), the silent listener.
NP=$(free_port)
NS=$(free_port)
while [[ $NS == "$NP" ]]; do NS=$(free_port); done
exporters/blackbox/tests/integration/nginx_env.sh "$WORK/nginx" "$NP" "$NS" >/dev/null
SP=$(free_port)
python3 bench/silent_listener.py "$SP" &
PIDS+=($!)
wait_http "http://127.0.0.1:$NP/" 10

cat >"$WORK/blackbox.yml" <<YML
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
  icmp:
    prober: icmp
    timeout: 5s
    icmp:
      preferred_ip_protocol: ip4
  tcp_silent:
    prober: tcp
    timeout: 5s
    tcp:
      preferred_ip_protocol: ip4
      query_response:
        - expect: "^never"
YML
cat >"$WORK/exporterd.yml" <<YML
modules:
  blackbox:
    config_file: $WORK/blackbox.yml
    max_probes_in_flight: $((4 * INFLIGHT))
YML
# Core limits high enough that no request or connection is refused (wrk's
# connections all come from 127.0.0.1: the per-address cap too).
limit=$((4 * INFLIGHT > 20000 ? 4 * INFLIGHT : 20000))
E_FLAGS=(--web.max-requests=$limit --web.max-connections=$limit
  --web.max-connections-per-address=$limit)

# start_server exporterd|blackbox_exporter: a fresh one; sets PORT and PID.
start_server() {
  PORT=$(free_port)
  if [[ $1 == exporterd ]]; then
    "$BIN" --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR" \
      --web.listen-address="127.0.0.1:$PORT" "${E_FLAGS[@]}" 2>>"$WORK/exporterd.log" &
    PID=$!
    PIDS+=($PID)
    wait_http "http://127.0.0.1:$PORT/-/ready" 20 || { cat "$WORK/exporterd.log" >&2; exit 1; }
  else
    # By hand on loopback with its own config; the package's service plays no part.
    "$BB_BIN" --config.file="$WORK/blackbox.yml" --web.listen-address="127.0.0.1:$PORT" \
      2>>"$WORK/blackbox_exporter.log" &
    PID=$!
    PIDS+=($PID)
    wait_http "http://127.0.0.1:$PORT/-/healthy" 20 || { cat "$WORK/blackbox_exporter.log" >&2; exit 1; }
  fi
}
stop_server() { kill "$1"; wait "$1" 2>/dev/null || true; }

# wrk checks every answer: "probe_success 1" in the body or not.
cat >"$WORK/check.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; bad = 0 end
function response(status, headers, body)
  if status == 200 and string.find(body, "\nprobe_success 1\n", 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("probe_success: %d ok %d not\n", o, b))
end
LUA

declare -A QUERY=(
  [http]="module=http_2xx&target=http://127.0.0.1:$NP/"
  [icmp]="module=icmp&target=127.0.0.1"
  [silent]="module=tcp_silent&target=127.0.0.1:$SP"
)
# probe NAME PORT KIND [debug]: one /probe, the body on stdout
probe() { curl -sf -m 30 "http://127.0.0.1:$2/probe?${QUERY[$3]}${4:+&debug=true}"; }

# Before timing: one probe of each kind succeeds (silent: fails after ~5 s
# with a timeout) on each server; note the ICMP socket each one uses.
start_server exporterd; EP=$PORT; EPID=$PID
start_server blackbox_exporter; BP=$PORT; BPID=$PID
for s in exporterd blackbox_exporter; do
  port=$EP; [[ $s == blackbox_exporter ]] && port=$BP
  for k in http icmp; do
    probe "$s" "$port" "$k" >"$WORK/sample.$s.$k"
    grep -qx 'probe_success 1' "$WORK/sample.$s.$k" ||
      { echo "blackbox: $s $k sample probe did not succeed:" >&2; cat "$WORK/sample.$s.$k" >&2; exit 1; }
  done
  t0=$(date +%s%N)
  probe "$s" "$port" silent >"$WORK/sample.$s.silent"
  silent_ms=$((($(date +%s%N) - t0) / 1000000))
  if ! grep -qx 'probe_success 0' "$WORK/sample.$s.silent" || ((silent_ms < 4500)); then
    echo "blackbox: $s silent probe: expected a failure after ~5 s, got in ${silent_ms} ms:" >&2
    cat "$WORK/sample.$s.silent" >&2
    exit 1
  fi
  echo "  $s: http and icmp probe_success 1; silent tcp probe_success 0 after $silent_ms ms" >&2
  probe "$s" "$port" icmp debug >"$WORK/debug.$s.icmp"
done
e_sock=$(grep -o 'method="[^"]*"' "$WORK/debug.exporterd.icmp" | head -1 | sed 's/method=//; s/"//g')
if grep -q 'Unable to do unprivileged listen' "$WORK/debug.blackbox_exporter.icmp"; then
  b_sock="raw socket (its debug=true log: the unprivileged ping socket refused, then privileged)"
elif grep -q 'Creating socket' "$WORK/debug.blackbox_exporter.icmp"; then
  b_sock="ping socket (its debug=true log shows no fallback to a raw socket)"
else
  b_sock="socket its debug=true log does not name"
fi
grep -h -i -E 'socket|privileged' "$WORK/debug.blackbox_exporter.icmp" | head -3 | sed 's/^/  blackbox_exporter: /' >&2
e_rss_idle=$(rss_kib $EPID)
b_rss_idle=$(rss_kib $BPID)

# one NAME PID PORT ROW KIND CONNS SECS TIMEOUT: one wrk run; appends
# "row name rps p50 p99 requests cpu_ticks errors ok not" to results.
one() {
  local name=$1 pid=$2 port=$3 row=$4 kind=$5 c=$6 secs=$7 to=$8 c0 c1 f=$WORK/wrk.txt
  c0=$(cpu_ticks "$pid")
  wrk -t2 -c"$c" -d"${secs}s" --timeout "$to" --latency -s "$WORK/check.lua" \
    "http://127.0.0.1:$port/probe?${QUERY[$kind]}" >"$f" 2>&1
  c1=$(cpu_ticks "$pid")
  local ok not
  read -r ok not < <(awk '/^probe_success:/ {print $2, $4}' "$f")
  echo "$row $name $(wrk_field "$f" rps) $(wrk_field "$f" p50) $(wrk_field "$f" p99)" \
    "$(wrk_field "$f" requests) $((c1 - c0)) $(($(wrk_field "$f" non2xx) + $(wrk_field "$f" sockerr)))" \
    "${ok:-0} ${not:-0}" >>"$WORK/results"
  echo "  $row $name: $(wrk_field "$f" rps) probes/s p50 $(wrk_field "$f" p50)ms p99 $(wrk_field "$f" p99)ms" \
    "cpu $((c1 - c0))/$CLK_TCK s, probe_success 1: ${ok:-?} of $((${ok:-0} + ${not:-0}))" \
    "$(wrk_field "$f" sockerr_detail)" >&2
}

: >"$WORK/results"
load_avg_before=$(cut -d' ' -f1 /proc/loadavg)
for spec in "http16 http 16" "http64 http 64" "icmp16 icmp 16"; do
  read -r row kind c <<<"$spec"
  for ((r = 1; r <= RUNS; r++)); do
    one exporterd "$EPID" "$EP" "$row" "$kind" "$c" "$SECS" 10s
    one blackbox_exporter "$BPID" "$BP" "$row" "$kind" "$c" "$SECS" 10s
  done
done
sleep 1
e_rss_after=$(rss_kib $EPID); e_hwm=$(hwm_kib $EPID)
b_rss_after=$(rss_kib $BPID); b_hwm=$(hwm_kib $BPID)
e_threads=$(threads_of $EPID); b_threads=$(threads_of $BPID)
stop_server $EPID
stop_server $BPID

# The in-flight row: a fresh server per run, idle RSS, then wrk -cINFLIGHT;
# during the plateau (3 s after wrk starts to 1 s before it ends) RSS every
# 0.25 s (maximum kept) and, every second, the probe connections to the
# listener (ss) = probes in flight (median and minimum kept).
echo "name run rss_idle rss_max hwm conns_median conns_min" >"$WORK/inflight"
for ((r = 1; r <= RUNS; r++)); do
  for s in exporterd blackbox_exporter; do
    start_server "$s"
    probe "$s" "$PORT" http >/dev/null
    sleep 1
    rss0=$(rss_kib $PID)
    t0=$(date +%s%N)
    one "$s" "$PID" "$PORT" silent silent "$INFLIGHT" "$ISECS" 30s &
    opid=$!
    sleep 3
    plateau_end=$((t0 / 1000000 + (ISECS - 1) * 1000))
    rss_max=0; i=0
    : >"$WORK/conns"
    while (($(date +%s%N) / 1000000 < plateau_end)); do
      v=$(rss_kib $PID); ((v > rss_max)) && rss_max=$v
      ((i++ % 4)) || ss -Htn state established "dport = :$SP" | wc -l >>"$WORK/conns"
      sleep 0.25
    done
    wait $opid
    c_med=$(median <"$WORK/conns"); c_min=$(sort -n "$WORK/conns" | head -1)
    echo "$s $r $rss0 $rss_max $(hwm_kib $PID) $c_med $c_min" >>"$WORK/inflight"
    echo "  silent $s: RSS idle $rss0 KiB, plateau max $rss_max KiB, probe connections median $c_med" \
      "min $c_min ($(wc -l <"$WORK/conns") samples)" >&2
    stop_server $PID
  done
done
load_avg_after=$(cut -d' ' -f1 /proc/loadavg)

col() { awk -v r="$1" -v n="$2" -v c="$3" '$1==r && $2==n {print $c}' "$WORK/results" | median; }
sum() { awk -v r="$1" -v n="$2" -v c="$3" '$1==r && $2==n {s+=$c} END {print s+0}' "$WORK/results"; }
# per CPU-second: all probes of the row's runs over all CPU the server used in them
per_cpu() { echo "$(sum "$1" "$2" 6) * $CLK_TCK / $(sum "$1" "$2" 7)" | bc -l; }
cpu_ms() { echo "$(sum "$1" "$2" 7) * 1000 / $CLK_TCK / $(sum "$1" "$2" 6)" | bc -l; }
icol() { awk -v n="$1" -v c="$2" '$1==n {print $c}' "$WORK/inflight" | median; }
ratio() { if [[ $(echo "$2 == 0" | bc) == 1 ]]; then echo n/a; else printf '%.2f' "$(echo "$1 / $2" | bc -l)"; fi; }
mib() { printf '%.1f' "$(echo "$1 / 1024" | bc -l)"; }
row() {  # row <row> <name> <label> <rss KiB>
  printf '| %s | %s | %.0f | %.3f | %.0f | %.1f | %.1f | %s | %s of %s | %s MiB |\n' "$3" "$2" \
    "$(col "$1" "$2" 3)" "$(cpu_ms "$1" "$2")" "$(per_cpu "$1" "$2")" \
    "$(col "$1" "$2" 4)" "$(col "$1" "$2" 5)" "$(sum "$1" "$2" 8)" \
    "$(sum "$1" "$2" 9)" "$(($(sum "$1" "$2" 9) + $(sum "$1" "$2" 10)))" "$(mib "$4")"
}
ratios() {  # ratios <row> <label>
  echo "| $2 | $(ratio "$(col "$1" exporterd 3)" "$(col "$1" blackbox_exporter 3)") |" \
    "$(ratio "$(per_cpu "$1" exporterd)" "$(per_cpu "$1" blackbox_exporter)") |"
}

bb_ver=$(dpkg-query -W -f='${Version}' prometheus-blackbox-exporter)
wrk_ver=$(dpkg-query -W -f='${Version}' wrk)
nginx_ver=$(dpkg-query -W -f='${Version}' nginx-light)
new=$WORK/blackbox.md
{
  echo "## Module blackbox: /probe against blackbox_exporter"
  echo
  echo "Generated by \`bench/blackbox.sh\` (\`RUNS=$RUNS SECS=$SECS INFLIGHT=$INFLIGHT ISECS=$ISECS bench/blackbox.sh\`;"
  echo "build: \`$BUILD_DIR\`, RelWithDebInfo). $(machine_line)"
  echo "Load average (1 min) before / after the runs: $load_avg_before / $load_avg_after; other"
  echo "agents' builds and tests shared the machine during the run."
  echo
  echo "exporterd (\`blackbox: { config_file: blackbox.yml, max_probes_in_flight: $((4 * INFLIGHT)) }\`,"
  echo "\`${E_FLAGS[*]}\`) and Debian's \`prometheus-blackbox-exporter\` $bb_ver, started"
  echo "by hand on loopback with its own \`--web.listen-address\` (the package's service plays no"
  echo "part), read the same blackbox.yml: \`http_2xx\` (http, ip4), \`icmp\` (ip4) and \`tcp_silent\`"
  echo "(tcp, ip4, \`query_response: [{expect: \"^never\"}]\`), each \`timeout: 5s\`. Targets:"
  echo "a private nginx-light $nginx_ver (\`worker_processes 1\`, \`nginx_env.sh\`), GET / (15 bytes,"
  echo "200); 127.0.0.1 for icmp, as root, with \`net.ipv4.ping_group_range\` \`$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')\`:"
  echo "exporterd used a $e_sock (its debug=true log; it tries a ping socket first),"
  echo "blackbox_exporter a $b_sock;"
  echo "for tcp_silent \`bench/silent_listener.py\`, which accepts every connection and never"
  echo "writes, so each probe waits for its 5 s timeout (both answered probe_success 0 after ~5 s"
  echo "in the check before the runs)."
  echo
  echo "Load: wrk $wrk_ver, \`wrk -t2 -cC -d${SECS}s --timeout 10s --latency -s check.lua\`"
  echo "on \`/probe?module=...&target=...\`, $RUNS runs per row, the two servers alternating run by"
  echo "run, both up through the three rows; the in-flight row: \`-c$INFLIGHT -d${ISECS}s --timeout 30s\`,"
  echo "a fresh server per run. wrk, nginx and the server share the $(nproc) vCPUs. check.lua"
  echo "looks at every answer: \"probe_success 1\" counts the 200s whose body has"
  echo "\`probe_success 1\` (for tcp_silent all should not). Probes/s and latency: medians over"
  echo "the runs. CPU: the server's utime+stime (\`/proc/PID/stat\`) from just before wrk starts to"
  echo "just after it exits, summed over the runs; CPU-ms per probe and probes per CPU-second ="
  echo "that CPU over the probes wrk completed. Probes cut when wrk stops (at most C; in the"
  echo "in-flight row the last round of $INFLIGHT, which has connected and waits) used CPU and are not"
  echo "counted, for both servers. Errors: wrk's non-2xx + socket errors. File descriptor limit"
  echo "$fd_limit."
  echo
  echo "| row | server | probes/s | CPU-ms per probe | probes per CPU-second | p50 ms | p99 ms | errors | probe_success 1 | RSS after |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  row http16 exporterd "http_2xx, c=16" "$e_rss_after"
  row http16 blackbox_exporter "http_2xx, c=16" "$b_rss_after"
  row http64 exporterd "http_2xx, c=64" "$e_rss_after"
  row http64 blackbox_exporter "http_2xx, c=64" "$b_rss_after"
  row icmp16 exporterd "icmp, c=16" "$e_rss_after"
  row icmp16 blackbox_exporter "icmp, c=16" "$b_rss_after"
  row silent exporterd "tcp_silent, c=$INFLIGHT" "$(icol exporterd 4)"
  row silent blackbox_exporter "tcp_silent, c=$INFLIGHT" "$(icol blackbox_exporter 4)"
  echo
  echo "The issue that asked for this benchmark gives earlier figures for blackbox_exporter:"
  echo "3,444 http probes/s (c=64, 0.49 CPU-ms each) and 3,881 icmp probes/s (c=16); in"
  echo "this run, on the shared machine, it made $(printf %.0f "$(col http64 blackbox_exporter 3)") and $(printf %.0f "$(col icmp16 blackbox_exporter 3)") ($(printf %.2f "$(cpu_ms http64 blackbox_exporter)") CPU-ms per http probe):"
  echo "compare the two servers within this table."
  echo
  echo "RSS after: for the first three rows the same figure, VmRSS 1 s after the last of them"
  echo "(the servers ran all three); for the in-flight row the median over its runs of the"
  echo "largest VmRSS seen in the plateau."
  echo
  echo "Ratios, exporterd / blackbox_exporter (target: at least 2 probes per CPU-second on every row):"
  echo
  echo "| row | probes/s | probes per CPU-second |"
  echo "|---|---|---|"
  ratios http16 "http_2xx, c=16"
  ratios http64 "http_2xx, c=64"
  ratios icmp16 "icmp, c=16"
  ratios silent "tcp_silent, c=$INFLIGHT"
  echo
  echo "$INFLIGHT probes in flight (medians over $RUNS runs; target: exporterd below blackbox_exporter):"
  echo
  echo "| server | RSS idle | RSS at the plateau (max) | VmHWM | probes in flight in the plateau: median (lowest) |"
  echo "|---|---|---|---|---|"
  for s in exporterd blackbox_exporter; do
    echo "| $s | $(mib "$(icol $s 3)") MiB | $(mib "$(icol $s 4)") MiB | $(mib "$(icol $s 5)") MiB | $(icol $s 6) ($(icol $s 7)) |"
  done
  echo
  echo "RSS at the plateau, exporterd / blackbox_exporter: $(ratio "$(icol exporterd 4)" "$(icol blackbox_exporter 4)")."
  echo "Idle is after one http probe, 1 s before wrk starts. Probes in flight = established"
  echo "connections to the listener's port (\`ss\`), sampled every second of the plateau: the"
  echo "median and the lowest sample of each run, then the median over the runs. A sample below"
  echo "$INFLIGHT falls between two rounds: probes that ended and whose successors have not connected"
  echo "yet (answers still to be sent, or new requests still to be started)."
  echo
  echo "| memory, throughput rows (VmRSS) | exporterd | blackbox_exporter |"
  echo "|---|---|---|"
  echo "| idle (after the check probes) | $(mib "$e_rss_idle") MiB | $(mib "$b_rss_idle") MiB |"
  echo "| after the three rows | $(mib "$e_rss_after") MiB | $(mib "$b_rss_after") MiB |"
  echo "| peak (VmHWM) | $(mib "$e_hwm") MiB | $(mib "$b_hwm") MiB |"
  echo "| threads after | $e_threads | $b_threads |"
} >"$new"
splice_doc docs/benchmarks.md "Module blackbox: /probe" "$new"
awk '/^## / {p = index($0, "## Module blackbox") == 1} p' docs/benchmarks.md
