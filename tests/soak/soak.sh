#!/usr/bin/env bash
# Soak (opt-in: ctest -L soak, or run it directly): the daemon under steady load for SOAK_SECONDS
# (default 600) while everything that can change does: /metrics with and without gzip from wrk,
# short scrape timeouts that make a slow module miss its deadline, the test module's multi-target
# route, a Postfix queue whose files are renamed, removed, added and chmod'ed all the time, and a
# reload every 2 s alternating SIGHUP, POST /-/reload, and a broken config (which must be refused
# with the old one kept). Passes when the daemon is alive, never answered 5xx, refused every broken
# reload and took every good one, and its RSS, open fds and threads at the end are within bounds
# of their level after warm-up (RSS: +20% + 16 MiB; fds and threads: +8).
# usage: soak.sh <exporterd> <module dir> <test module dir>
set -euo pipefail
BIN=$(realpath "$1")
MODDIR=$(realpath "$2")
TESTMODDIR=$(realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh" # free_port, wait_http
SECS=${SOAK_SECONDS:-600}
need_tools wrk curl
work_dir soak
log() { echo "[soak $(date +%T)] $*"; }

# A Postfix-shaped queue from the real captured queue files, 3000 messages.
SPOOL=$WORK/spool
FIX=$ROOT/exporters/postfix_qshape/tests/fixtures
mkdir -p "$SPOOL"/{incoming,active,deferred,hold}
for h in 0 1 2 3 4 5 6 7 8 9 A B C D E F; do mkdir -p "$SPOOL"/{active,deferred}/$h; done
fixtures=("$FIX"/deferred_* "$FIX"/hold_*)
add_msg() { # add_msg <queue> <n>
  local q=$1 id h f
  id=$(printf '%05X%06X' "$RANDOM" "$2")
  h=${id:0:1}
  f=${fixtures[$((RANDOM % ${#fixtures[@]}))]}
  cp "$f" "$SPOOL/$q/$h/$id" && chmod 0700 "$SPOOL/$q/$h/$id"
}
for ((i = 0; i < 3000; i++)); do add_msg deferred "$i"; done

mk_config() { # mk_config <file> <series>
  cat >"$1" <<YML
modules:
  testmod:
    series: $2
    labels: 3
  testmod2:
    series: 20
    sleep: 300ms
    honor_cancel: true
    route: /testprobe
  raid:
    mdstat_path: $ROOT/exporters/raid/tests/fixtures/mdstat/node_exporter-mdstat-many-states.txt
    tool_dirs: [$WORK/nothing]
  postfix_qshape:
    queue_directory: $SPOOL
YML
}
mk_config "$WORK/a.yml" 2000
mk_config "$WORK/b.yml" 3000
printf 'modules:\n  testmod:\n    series: -1\n' >"$WORK/broken.yml"
cp "$WORK/a.yml" "$WORK/exporterd.yml"
EP=$(free_port)
"$BIN" --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR" --module.dir="$TESTMODDIR" \
  --web.listen-address="127.0.0.1:$EP" --log.level=warn 2>"$WORK/exporterd.log" &
DPID=$!
PIDS+=($DPID)
wait_http "http://127.0.0.1:$EP/-/ready" 20 || { cat "$WORK/exporterd.log"; exit 1; }
URL=http://127.0.0.1:$EP
curl -sf "$URL/metrics" >"$WORK/first.txt"
grep -q '^exporterd_module_up{module="postfix_qshape"} 1$' "$WORK/first.txt" ||
  { echo "FAIL: postfix_qshape not up at start"; grep module_up "$WORK/first.txt"; exit 1; }

sample() { # rss_kib fds threads
  echo "$(awk '/^VmRSS/ {print $2}' /proc/$DPID/status) $(ls /proc/$DPID/fd | wc -l) \
$(ls /proc/$DPID/task | wc -l)"
}

# Load.
wrk -t1 -c4 -d"${SECS}s" --timeout 10s "$URL/metrics" >"$WORK/wrk.txt" 2>&1 &
PIDS+=($!)
wrk -t1 -c2 -d"${SECS}s" --timeout 10s -H 'Accept-Encoding: gzip' "$URL/metrics" \
  >"$WORK/wrk_gzip.txt" 2>&1 &
PIDS+=($!)
( # short deadlines: testmod2 (300 ms) misses a 0.6 s scrape timeout minus the 0.5 s offset
  while :; do
    curl -s -o /dev/null -w '%{http_code}\n' -H 'X-Prometheus-Scrape-Timeout-Seconds: 0.6' \
      "$URL/metrics"
    curl -s -o /dev/null -w '%{http_code}\n' "$URL/testprobe?target=t$RANDOM.example"
  done >"$WORK/codes.txt" ) &
PIDS+=($!)
( # queue churn: qmgr-like renames, deliveries, new mail, postsuper -e
  n=100000
  while :; do
    mapfile -t files < <(find "$SPOOL/deferred" "$SPOOL/active" -type f | shuf -n 60)
    for f in "${files[@]:0:20}"; do
      rel=${f#"$SPOOL"/}
      q=${rel%%/*}
      other=active; [ "$q" = active ] && other=deferred
      mv -f "$f" "$SPOOL/$other/${rel#*/}" 2>/dev/null || true
    done
    for f in "${files[@]:20:10}"; do rm -f "$f"; done
    for f in "${files[@]:30:5}"; do chmod 0710 "$f" 2>/dev/null || true; done
    for ((k = 0; k < 10; k++)); do add_msg deferred $((n++)); done
    sleep 0.5
  done ) &
PIDS+=($!)

# Reloads, and samples.
good=0
good_fail=0
bad=0
bad_taken=0
reload_ok() {
  curl -s "$URL/metrics" >"$WORK/reload.txt" || true
  awk '/^exporterd_config_last_reload_successful / {print $2}' "$WORK/reload.txt"
}
t_end=$(($(date +%s) + SECS))
t_warm=$(($(date +%s) + SECS / 5))
warm=""
maxwarm_rss=0
i=0
: >"$WORK/samples.txt"
while [ "$(date +%s)" -lt "$t_end" ]; do
  kill -0 "$DPID" 2>/dev/null || { echo "FAIL: the daemon died"; tail -20 "$WORK/exporterd.log"; exit 1; }
  case $((i % 3)) in
    0) cp "$WORK/a.yml" "$WORK/exporterd.yml"; kill -HUP "$DPID"; kind=good ;;
    1) cp "$WORK/b.yml" "$WORK/exporterd.yml"; curl -s -o /dev/null -X POST "$URL/-/reload"; kind=good ;;
    2) cp "$WORK/broken.yml" "$WORK/exporterd.yml"; curl -s -o /dev/null -X POST "$URL/-/reload"; kind=bad ;;
  esac
  sleep 2
  r=$(reload_ok)
  if [ "$kind" = good ]; then good=$((good + 1)); [ "$r" = 1 ] || good_fail=$((good_fail + 1))
  else bad=$((bad + 1)); [ "$r" = 0 ] || bad_taken=$((bad_taken + 1)); fi
  s=$(sample)
  echo "$(date +%s) $s" >>"$WORK/samples.txt"
  if [ -z "$warm" ] && [ "$(date +%s)" -ge "$t_warm" ]; then warm=$s; log "after warm-up: rss_kib fds threads = $warm"; fi
  rss=${s%% *}
  [ -z "$warm" ] && [ "$rss" -gt "$maxwarm_rss" ] && maxwarm_rss=$rss
  i=$((i + 1))
done
wait "${PIDS[1]}" "${PIDS[2]}" 2>/dev/null || true
final=$(sample)
log "final: rss_kib fds threads = $final"
read -r w_rss w_fds w_thr <<<"${warm:-$final}"
read -r f_rss f_fds f_thr <<<"$final"
[ "$maxwarm_rss" -gt "$w_rss" ] && w_rss=$maxwarm_rss

check "daemon alive after ${SECS}s" kill -0 "$DPID"
reqs=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
reqs_gz=$(awk '/requests in/ {print $1}' "$WORK/wrk_gzip.txt")
check "wrk: $reqs scrapes, no non-2xx, no errors" \
  bash -c "! grep -qE 'Non-2xx|Socket errors' '$WORK/wrk.txt' && [ '${reqs:-0}' -gt 0 ]"
check "wrk gzip: $reqs_gz scrapes, no non-2xx, no errors" \
  bash -c "! grep -qE 'Non-2xx|Socket errors' '$WORK/wrk_gzip.txt' && [ '${reqs_gz:-0}' -gt 0 ]"
codes=$(sort "$WORK/codes.txt" | uniq -c | tr -s ' ' | tr '\n' ',')
check "short-deadline scrapes and /testprobe: only 200 ($codes)" \
  bash -c "! grep -qv '^200$' '$WORK/codes.txt' && [ -s '$WORK/codes.txt' ]"
check "$good good reloads all taken" [ "$good_fail" = 0 ]
check "$bad broken reloads all refused" [ "$bad_taken" = 0 ]
check "RSS ${w_rss} -> ${f_rss} KiB (limit +20% + 16 MiB)" \
  [ "$f_rss" -le $((w_rss * 12 / 10 + 16384)) ]
check "fds ${w_fds} -> ${f_fds} (limit +8)" [ "$f_fds" -le $((w_fds + 8)) ]
check "threads ${w_thr} -> ${f_thr} (limit +8)" [ "$f_thr" -le $((w_thr + 8)) ]
curl -sf "$URL/metrics" >"$WORK/last.txt"
check "postfix_qshape still up and counting" \
  grep -qE '^postfix_queue_messages\{queue="deferred"\} [1-9]' "$WORK/last.txt"
echo "samples (time rss_kib fds threads): $WORK/samples.txt"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
