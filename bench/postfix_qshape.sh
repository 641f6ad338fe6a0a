#!/usr/bin/env bash
# Benchmark: the postfix_qshape module's scrape against the real `qshape deferred` and
# `qshape -s deferred` on a 100k-message deferred queue, in one run, with the counts checked.
#
# The queue: a private Postfix (exporters/postfix_qshape/tests/integration/postfix_env.sh) receives 1000 messages
# over SMTP (smtp-source; the relayhost is closed, so all are deferred), then is stopped and the
# files it wrote are copied to MESSAGES in total under Postfix-style queue IDs (5 hex digits +
# hex inode, one-level hashed), recipient domains rewritten in place to DOMAINS values with a
# skewed distribution, arrival times spread over 48 h.
# Measured (RUNS runs each, medians; warm page cache, plus one cold run each when the page cache
# can be dropped): wall time of an HTTP scrape of /metrics and the daemon's CPU for it, the
# module's own exporterd_module_scrape_duration_seconds, and wall + CPU (user+sys of the process
# tree) of each qshape run. Counts: the module's tables, turned back into qshape's layout, must
# equal qshape's, cell for cell when taken within a minute of the queue being written (see
# t_ref), else the per-domain totals.
#
# usage: bench/postfix_qshape.sh [output.md (default docs/benchmarks.md)]
#   env: RUNS (5), MESSAGES (100000), DOMAINS (1000), COLD (1: one cold-cache run each),
#        BUILD_DIR (build-bench), BUILD=0 (use BUILD_DIR as it is), EXPORTERD_BIN and
#        MODULE_DIR (default BUILD_DIR/exporterd, BUILD_DIR/modules), KEEP=1 (keep the work dir)
# Prints the markdown section and writes it as the "Module postfix_qshape" section of the file.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. tests/lib/common.sh # free_port, wait_http, work_dir, need_tools
. bench/lib.sh        # bench_build, cpu_ticks, median, machine_line, splice_doc
OUT=${1:-docs/benchmarks.md}
RUNS=${RUNS:-5}
MESSAGES=${MESSAGES:-100000}
DOMAINS=${DOMAINS:-1000}
COLD=${COLD:-1}
TEMPLATES=1000
if [[ ${BUILD:-1} != 0 ]]; then
  scripts/setup.sh --bench
  bench_build postfix_qshape
fi
BIN=$(realpath "${EXPORTERD_BIN:-$BUILD_DIR/exporterd}")
MODDIR=$(realpath "${MODULE_DIR:-$BUILD_DIR/modules}")
[ -f "$MODDIR/exporterd_postfix_qshape.so" ] || { echo "bench: no $MODDIR/exporterd_postfix_qshape.so"; exit 1; }
need_tools qshape smtp-source perl curl ss
PFENV=$ROOT/exporters/postfix_qshape/tests/integration/postfix_env.sh
TABLE="perl $ROOT/exporters/postfix_qshape/tests/integration/qshape_table.pl"

work_dir bench-pq
chmod 755 "$WORK" # Postfix's daemons (user postfix) must reach the queue below it
export PF_STATE=$WORK/pf
on_exit() { "$PFENV" stop || true; }
log() { echo "[bench] $*" >&2; }
can_drop() { [ "$COLD" = 1 ] && [ -w /proc/sys/vm/drop_caches ]; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

load_before=$(cut -d' ' -f1 /proc/loadavg)
# 1. The queue
"$PFENV" start
"$PFENV" load "$TEMPLATES" 20
"$PFENV" stop
# Every arrival time is t_ref - k whole minutes (templates: rebase with ages of k+0.25 min - 15 s;
# copies: clone), so until t_ref + 60 s every message sits inside one bucket: the count check
# below can compare every cell if it finishes within that minute.
t_ref=$(date +%s)
AGE_REF=$t_ref AGE_SHIFT_SEC=-15 "$PFENV" rebase deferred
AGE_REF=$t_ref "$PFENV" clone $((MESSAGES - TEMPLATES)) 2880 "$DOMAINS"
eval "$("$PFENV" env)"
nfiles=$(find "$PF_SPOOL/deferred" -type f | wc -l)

# 2. Three daemons: every domain (max_domains 0, for the count check), the module's defaults,
#    and one doing exactly what one `qshape deferred` does (deferred only, recipients only)
mkconf() { # mkconf <name> <extra yaml lines>
  printf 'modules:\n  postfix_qshape:\n    queue_directory: %s\n    timeout: 120s\n%s' \
    "$PF_SPOOL" "$2" >"$WORK/$1.yml"
}
mkconf all '    max_domains: 0
'
mkconf defaults ''
mkconf same '    max_domains: 0
    queues: [deferred]
    sender_domains: false
'
declare -A PORT PID
for name in all defaults same; do
  PORT[$name]=$(free_port)
  "$BIN" --config.file="$WORK/$name.yml" --module.dir="$MODDIR" \
    --web.listen-address="127.0.0.1:${PORT[$name]}" 2>"$WORK/$name.log" &
  PID[$name]=$!
  PIDS+=($!)
  wait_http "http://127.0.0.1:${PORT[$name]}/-/ready" 20 || { cat "$WORK/$name.log"; exit 1; }
done

# scrape <name> <file>: prints "wall_s cpu_s module_s"
scrape() {
  local c0 c1 wall
  c0=$(cpu_ticks "${PID[$1]}")
  wall=$(curl -sf -o "$2" -w '%{time_total}' "http://127.0.0.1:${PORT[$1]}/metrics")
  c1=$(cpu_ticks "${PID[$1]}")
  local mod
  mod=$(awk '/^exporterd_module_scrape_duration_seconds\{.*module="postfix_qshape"/ {print $2}' "$2")
  grep -q '^exporterd_module_up{.*module="postfix_qshape".* 1$' "$2" ||
    { log "module not up in $1 scrape"; grep postfix_qshape "$2" | grep -v '^postfix' >&2; exit 1; }
  echo "$wall $(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / t}') ${mod:-nan}"
}
# run_qshape <out> <args...>: prints "wall user+sys"
run_qshape() {
  local out=$1; shift
  local TIMEFORMAT='%R %U %S' t
  t=$({ time qshape -c "$PF_CONF" "$@" >"$out" 2>/dev/null; } 2>&1)
  awk '{printf "%s %.2f\n", $1, $2 + $3}' <<<"$t"
}

# 3. Counts: first thing after writing the queue, so ages are still clear of bucket boundaries
log "count check"
scrape all "$WORK/check.metrics" >/dev/null
run_qshape "$WORK/check.r.qshape" deferred >/dev/null
run_qshape "$WORK/check.s.qshape" -s deferred >/dev/null
window=$(($(date +%s) - t_ref))
$TABLE render postfix_qshape_recipients deferred 5 10 0 <"$WORK/check.metrics" >"$WORK/check.r.module"
$TABLE render postfix_qshape_senders deferred 5 10 0 <"$WORK/check.metrics" >"$WORK/check.s.module"
mode=cells
[ "$window" -le 58 ] || mode=totals
counts_ok=1
for m in r s; do
  if [ "$mode" = cells ]; then
    $TABLE compare "$WORK/check.$m.qshape" "$WORK/check.$m.module" 10 >"$WORK/check.$m.diff" || counts_ok=0
  else
    $TABLE compare "$WORK/check.$m.qshape" "$WORK/check.$m.module" 10 totals >"$WORK/check.$m.diff" || counts_ok=0
  fi
  head -20 "$WORK/check.$m.diff" >&2
done
rcpts=$($TABLE total "$WORK/check.r.qshape" 10)
msgs=$($TABLE total "$WORK/check.s.qshape" 10)
ndom=$(($(wc -l <"$WORK/check.r.qshape") - 2))
nsdom=$(($(wc -l <"$WORK/check.s.qshape") - 2))
lines_all=$(grep -vc '^#' "$WORK/check.metrics")
bytes_all=$(wc -c <"$WORK/check.metrics")
scrape defaults "$WORK/defaults.metrics" >/dev/null
lines_def=$(grep -vc '^#' "$WORK/defaults.metrics")

# 4. Cold cache (optional): one run each after dropping the page cache
declare -A COLDV
if can_drop; then
  log "cold runs"
  drop_caches; COLDV[all]=$(scrape all "$WORK/m.txt")
  drop_caches; COLDV[r]=$(run_qshape "$WORK/q.txt" deferred)
  drop_caches; COLDV[s]=$(run_qshape "$WORK/q.txt" -s deferred)
  scrape all "$WORK/m.txt" >/dev/null # warm up again
fi

# 5. Warm runs
log "$RUNS warm runs each"
: >"$WORK/all.txt"; : >"$WORK/defaults.txt"; : >"$WORK/same.txt"; : >"$WORK/r.txt"; : >"$WORK/s.txt"
scrape same "$WORK/m.txt" >/dev/null # fill its parse cache like the others'
for ((i = 1; i <= RUNS; i++)); do
  scrape all "$WORK/m.txt" >>"$WORK/all.txt"
  scrape defaults "$WORK/m.txt" >>"$WORK/defaults.txt"
  scrape same "$WORK/m.txt" >>"$WORK/same.txt"
  run_qshape "$WORK/q.txt" deferred >>"$WORK/r.txt"
  run_qshape "$WORK/q.txt" -s deferred >>"$WORK/s.txt"
done
col() { awk -v c="$2" '{print $c}' "$1" | median; }
a_wall=$(col "$WORK/all.txt" 1); a_cpu=$(col "$WORK/all.txt" 2); a_mod=$(col "$WORK/all.txt" 3)
d_wall=$(col "$WORK/defaults.txt" 1); d_cpu=$(col "$WORK/defaults.txt" 2); d_mod=$(col "$WORK/defaults.txt" 3)
q_wall=$(col "$WORK/same.txt" 1); q_cpu=$(col "$WORK/same.txt" 2); q_mod=$(col "$WORK/same.txt" 3)
r_wall=$(col "$WORK/r.txt" 1); r_cpu=$(col "$WORK/r.txt" 2)
s_wall=$(col "$WORK/s.txt" 1); s_cpu=$(col "$WORK/s.txt" 2)
rss_mib=$(awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/${PID[all]}/status")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
f3() { awk -v a="$1" 'BEGIN { printf "%.3f", a }'; }

# 6. Report
both_wall=$(awk -v a="$r_wall" -v b="$s_wall" 'BEGIN {print a + b}')
both_cpu=$(awk -v a="$r_cpu" -v b="$s_cpu" 'BEGIN {print a + b}')
{
  echo "## Module postfix_qshape: scrape vs qshape"
  echo
  echo "Generated by \`bench/postfix_qshape.sh\` (RUNS=$RUNS MESSAGES=$MESSAGES DOMAINS=$DOMAINS;"
  echo "build: \`$BUILD_DIR\`). $(machine_line)"
  echo "Postfix $(postconf -d -h mail_version) (\`qshape\` from Debian's \`postfix\` package), perl $(perl -e 'print $^V')."
  echo
  echo "Queue: $nfiles files in \`deferred\`, $msgs messages / $rcpts recipients as qshape counts them;"
  echo "$TEMPLATES written by Postfix from smtp-source, the rest copies of those files under Postfix-style"
  echo "queue IDs with recipient domains rewritten in place ($ndom recipient domains, skewed; $nsdom sender"
  echo "domains), arrival times spread over 48 h (the $TEMPLATES originals: up to 67 h). The daemon reads"
  echo "the default queues (incoming, active, deferred, hold) and exports both shapes (recipients and"
  echo "senders) in one scrape."
  echo "Load average (1 min) before / after the run: $load_before / $(cut -d' ' -f1 /proc/loadavg)."
  echo "Warm page cache, $RUNS runs per row, medians. Scrape = \`curl /metrics\` wall time; its CPU is the"
  echo "daemon's user+sys over the scrape (${CLK_TCK} Hz ticks); qshape CPU = user+sys of the process."
  echo
  echo "| what | wall s | CPU s | module collect s | exposition lines |"
  echo "|---|---|---|---|---|"
  echo "| exporterd scrape, \`max_domains: 0\` (every domain) | $(f3 "$a_wall") | $(f3 "$a_cpu") | $(f3 "$a_mod") | $lines_all |"
  echo "| exporterd scrape, module defaults (\`max_domains: 50\`) | $(f3 "$d_wall") | $(f3 "$d_cpu") | $(f3 "$d_mod") | $lines_def |"
  echo "| exporterd scrape, qshape's job: \`queues: [deferred]\`, \`sender_domains: false\`, \`max_domains: 0\` | $(f3 "$q_wall") | $(f3 "$q_cpu") | $(f3 "$q_mod") | |"
  echo "| \`qshape deferred\` | $(f3 "$r_wall") | $(f3 "$r_cpu") | | |"
  echo "| \`qshape -s deferred\` | $(f3 "$s_wall") | $(f3 "$s_cpu") | | |"
  echo "| both qshape runs (what one scrape replaces) | $(f3 "$both_wall") | $(f3 "$both_cpu") | | |"
  if [ -n "${COLDV[all]:-}" ]; then
    read -r cw cc cm <<<"${COLDV[all]}"; read -r rw rc <<<"${COLDV[r]}"; read -r sw sc <<<"${COLDV[s]}"
    echo "| cold cache: exporterd scrape, \`max_domains: 0\` (1 run) | $(f3 "$cw") | $(f3 "$cc") | $(f3 "$cm") | |"
    echo "| cold cache: \`qshape deferred\` (1 run) | $(f3 "$rw") | $(f3 "$rc") | | |"
    echo "| cold cache: \`qshape -s deferred\` (1 run) | $(f3 "$sw") | $(f3 "$sc") | | |"
  fi
  echo
  echo "Ratios (qshape / exporterd scrape with every domain):"
  echo "\`qshape deferred\` wall $(ratio "$r_wall" "$a_wall")x, CPU $(ratio "$r_cpu" "$a_cpu")x;"
  echo "\`qshape -s deferred\` wall $(ratio "$s_wall" "$a_wall")x, CPU $(ratio "$s_cpu" "$a_cpu")x;"
  echo "both qshape runs wall $(ratio "$both_wall" "$a_wall")x, CPU $(ratio "$both_cpu" "$a_cpu")x."
  echo "Same job as \`qshape deferred\` (deferred queue, recipients only): wall $(ratio "$r_wall" "$q_wall")x, CPU $(ratio "$r_cpu" "$q_cpu")x."
  if [ -n "${COLDV[all]:-}" ]; then
    echo "Cold cache, \`qshape deferred\` / scrape: wall $(ratio "$rw" "$cw")x."
  fi
  echo "Target: at least 20x faster than \`qshape deferred\`."
  echo
  if [ "$counts_ok" = 1 ]; then
    if [ "$mode" = cells ]; then
      echo "Counts: identical. The module's \`postfix_qshape_recipients\` and \`postfix_qshape_senders\` for"
      echo "\`queue=\"deferred\"\`, laid out as qshape's table, equal \`qshape deferred\` and \`qshape -s deferred\`"
      echo "cell for cell ($ndom + $nsdom rows x 11 columns, taken within ${window} s of the queue's reference time)."
    else
      echo "Counts: identical per-domain totals (T column) for both tables; the age cells were not compared"
      echo "because the check ended ${window} s after the queue's reference time (ages may have crossed bucket edges)."
    fi
  else
    echo "Counts: **DIFFERENT** from qshape (see the script's stderr)."
  fi
  echo "Daemon RSS after the runs: ${rss_mib} MiB. Exposition with every domain: $bytes_all bytes."
} >"$WORK/section.md"
splice_doc "$OUT" "Module postfix_qshape" "$WORK/section.md"
cat "$WORK/section.md"
[ "$counts_ok" = 1 ]
