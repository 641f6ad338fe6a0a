#!/usr/bin/env bash
# The blackbox module's traceroute and multi-packet ping, on a real routed
# path: netpath.sh's network namespaces (client A -> routers B, C -> target
# D, v4), exporterd running in A.
#  1. Traces per second and CPU per trace, K traces at once (K = 1, 16, 64),
#     each tool for SECS seconds (a trace started before the end runs to its
#     end) over the same A -> D path, ICMP echo, PER_HOP (3) probes per hop:
#       - exporterd's traceroute prober: one GET /probe per trace
#         (method icmp, probes_per_hop PER_HOP), K keep-alive connections of one
#         Python asyncio client, each sending its next request as soon as
#         the previous answer is in;
#       - `mtr -n --report -c PER_HOP` from K loops;
#       - `traceroute -n -I -q PER_HOP` from K loops.
#     A trace counts when it reached D in 3 hops with every hop answered.
#     CPU: exporterd's own (/proc/PID/stat) and, apart, its client's;
#     mtr's and traceroute's from bash's `time` around each run (the process
#     and the children it waited for: mtr-packet).
#  2. INFLIGHT (1000) icmp probes with `packets: 10` in flight at once
#     against D (one connection each, all opened at once by a Python
#     asyncio client): how many got all 10 echoes back, the daemon's CPU,
#     peak RSS and threads.
# Figures only, no assertions. Writes the section "Module blackbox:
# traceroute and multi-packet ping" of docs/benchmarks.md.
#
# usage: [LEVELS="1 16 64"] [SECS=10] [PER_HOP=3] [INFLIGHT=1000] [BUILD_DIR=build-bench]
#        [BUILD=0] [NETPATH_SH=../shared/real/netpath.sh] bench/traceroute.sh
# Needs root (network namespaces, nftables). Nothing leaves the machine:
# the namespaces are not connected to the root one. Default: ~3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PER_HOP=${PER_HOP:-3}
LEVELS=${LEVELS:-1 16 64}
SECS=${SECS:-10}
INFLIGHT=${INFLIGHT:-1000}
NETPATH_SH=${NETPATH_SH:-$(pwd)/../shared/real/netpath.sh}
. tests/lib/common.sh
. bench/lib.sh
[[ $(id -u) == 0 ]] || { echo "traceroute bench: needs root (network namespaces)" >&2; exit 1; }
scripts/setup.sh --bench
bench_build

need=$((2 * INFLIGHT + 1024))
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $need ]]; then
  ulimit -Hn "$need" 2>/dev/null || echo "traceroute bench: hard fd limit $hard < $need" >&2
fi
ulimit -Sn "$(ulimit -Hn)"

work_dir trbench
chmod 755 "$WORK"
P=tbn
A=${P}A
TARGET=10.201.3.2
NP=(env NETPATH_PREFIX=$P STATE=$WORK/netpath bash "$NETPATH_SH")
on_exit() { "${NP[@]}" stop >/dev/null 2>&1 || true; }

"${NP[@]}" install >&2
"${NP[@]}" start >&2
# Every router and the target answer every probe, for every tool alike: no
# per-destination ICMP rate limit, a global one far above what runs here.
for n in B C D; do
  ip netns exec "$P$n" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
    net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000
done

BIN=$BUILD_DIR/exporterd
MODDIR=$BUILD_DIR/modules
cat >"$WORK/blackbox.yml" <<YML
modules:
  trace:
    prober: traceroute
    timeout: 10s
    traceroute: {method: icmp, probes_per_hop: $PER_HOP, max_hops: 30, probe_timeout: 2s}
  ping10:
    prober: icmp
    timeout: 10s
    icmp: {preferred_ip_protocol: ip4, packets: 10, interval: 100ms}
YML
cat >"$WORK/exporterd.yml" <<YML
modules:
  blackbox:
    config_file: $WORK/blackbox.yml
    timeout: 30s
YML
EP=$(ip netns exec "$A" python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ip netns exec "$A" "$BIN" --config.file="$WORK/exporterd.yml" --module.dir="$MODDIR" \
  --web.listen-address="127.0.0.1:$EP" 2>"$WORK/exporterd.log" &
EPID=$!
PIDS+=("$EPID")
for _ in $(seq 1 100); do
  ip netns exec "$A" curl -sf -o /dev/null "http://127.0.0.1:$EP/-/ready" && break
  sleep 0.1
done
URL="http://127.0.0.1:$EP/probe?module=trace&target=$TARGET"
ip netns exec "$A" curl -sf "$URL" | grep -q '^probe_traceroute_hops 3$' ||
  { echo "traceroute bench: the first trace did not reach D in 3 hops" >&2; cat "$WORK/exporterd.log" >&2; exit 1; }
# The socket kind the icmp method got (as root in A: a ping socket, since
# netpath.sh opens ping_group_range there; else raw).
SOCKET=$(ip netns exec "$A" curl -s "$URL&debug=true" |
  sed -n 's/.*msg="ICMP socket open".* socket="\([^"]*\)".*/\1/p')
sleep 1

# worker TOOL UNTIL_NS OUT: runs TOOL's (mtr's, traceroute's) traces back
# to back until UNTIL_NS (a started trace finishes). No process per trace
# but the tool's: its output goes to OUT.body (each trace starts with the
# tool's header line), bash's `time` of it to OUT (wall, user, sys seconds,
# one line per trace); the traces are checked afterwards (ok_traces).
cat >"$WORK/worker.sh" <<'SH'
tool=$1 until_us=$(($2 / 1000)) out=$3 target=$4 per_hop=$5
TIMEFORMAT='%3R %3U %3S'
: >"$out"; : >"$out.body"
while ((${EPOCHREALTIME/./} < until_us)); do
  case $tool in
    mtr) { time mtr -n --report -c "$per_hop" "$target" >>"$out.body" 2>&1; } 2>>"$out" ;;
    traceroute) { time traceroute -n -I -q "$per_hop" "$target" >>"$out.body" 2>&1; } 2>>"$out" ;;
  esac
done
SH
# ok_traces TOOL BODY: how many traces in BODY reached the target in 3 hops
# with every hop answered.
ok_traces() {
  awk -v tool="$1" -v target="$TARGET" '
    function done() { if (started && n == 3 && last == target && !bad) ok++; n = 0; bad = 0; last = "" }
    (tool == "mtr" && /^Start:/) || (tool == "traceroute" && /^traceroute to/) { done(); started = 1; next }
    tool == "mtr" && /\.\|--/ { n++; last = $2; if ($3 != "0.0%") bad = 1 }
    tool == "traceroute" && /^ *[0-9]+ / { n++; last = $2; if (/\*/) bad = 1 }
    END { done(); print ok + 0 }' "$2"
}

# The exporterd loops: K keep-alive HTTP/1.1 connections in one asyncio
# process, each sending GET /probe back to back until UNTIL_NS. One line
# per trace on stdout: ok (0/1) and its wall time, seconds; then, on stderr,
# the client's own CPU seconds.
cat >"$WORK/trace_client.py" <<'PY'
import asyncio, os, sys, time
port, k, until_ns, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
def ok(body):
    v = {}
    loss = False
    for line in body.splitlines():
        f = line.split()
        if len(f) != 2 or line.startswith("#"):
            continue
        v[f[0]] = f[1]
        if f[0].startswith("probe_traceroute_hop_loss_ratio") and float(f[1]) != 0:
            loss = True
    return v.get("probe_success") == "1" and v.get("probe_traceroute_hops") == "3" and not loss
async def loop(out):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    while time.time_ns() < until_ns:
        t0 = time.monotonic()
        w.write(req)
        await w.drain()
        head = (await r.readuntil(b"\r\n\r\n")).decode().lower()
        n = next(int(l.split(":")[1]) for l in head.split("\r\n") if l.startswith("content-length:"))
        body = (await r.readexactly(n)).decode()
        out.append(f"{int(ok(body))} {time.monotonic() - t0:.4f}")
    w.close()
async def main():
    out = []
    await asyncio.gather(*(loop(out) for _ in range(k)))
    print("\n".join(out))
asyncio.run(main())
t = os.times()
print(f"{t.user + t.system:.3f}", file=sys.stderr)
PY

# batch TOOL K: K workers for SECS s; prints: traces ok elapsed_s tool_cpu_s
# daemon_cpu_s wall_p50_ms wall_max_ms
batch() {
  local tool=$1 k=$2 i t0 t1 c0 c1
  c0=$(cpu_ticks "$EPID")
  t0=$(date +%s%N)
  local until=$((t0 + SECS * 1000000000))
  local n ok cpu p50 pmax pids=()
  if [[ $tool == exporterd ]]; then
    ip netns exec "$A" python3 "$WORK/trace_client.py" "$EP" "$k" "$until" \
      "/probe?module=trace&target=$TARGET" >"$WORK/all" 2>"$WORK/client_cpu"
  else
    for ((i = 0; i < k; i++)); do
      ip netns exec "$A" bash "$WORK/worker.sh" "$tool" "$until" "$WORK/w.$i" "$TARGET" "$PER_HOP" &
      pids+=($!)
    done
    wait "${pids[@]}"
  fi
  t1=$(date +%s%N)
  c1=$(cpu_ticks "$EPID")
  if [[ $tool == exporterd ]]; then
    cpu=$(tail -1 "$WORK/client_cpu")
    ok=$(awk '$1 == 1' "$WORK/all" | wc -l)
  else
    ok=0
    for ((i = 0; i < k; i++)); do
      ok=$((ok + $(ok_traces "$tool" "$WORK/w.$i.body")))
      awk '{print 0, $0}' "$WORK/w.$i"
    done >"$WORK/all"
    rm -f "$WORK"/w.*
    cpu=$(awk '{s += $3 + $4} END {printf "%.3f", s}' "$WORK/all")
  fi
  n=$(wc -l <"$WORK/all")
  p50=$(awk '{print $2 * 1000}' "$WORK/all" | median)
  pmax=$(awk '{print $2 * 1000}' "$WORK/all" | sort -g | tail -1)
  echo "$n $ok $(echo "($t1 - $t0) / 1000000000" | bc -l | xargs printf '%.2f') $cpu" \
    "$(echo "($c1 - $c0) / $CLK_TCK" | bc -l | xargs printf '%.2f') $p50 $pmax"
}

# The daemon's batches must not count the other tools' work: the daemon is
# idle (and its CPU unchanged) while mtr and traceroute run.
echo "tool k traces ok elapsed tool_cpu daemon_cpu p50_ms max_ms" >"$WORK/results"
load_before=$(cut -d' ' -f1 /proc/loadavg)
for k in $LEVELS; do
  for tool in exporterd mtr traceroute; do
    echo "$tool $k $(batch "$tool" "$k")" >>"$WORK/results"
    tail -1 "$WORK/results" >&2
  done
done
thr_idle=$(threads_of "$EPID")
rss_idle=$(rss_kib "$EPID")

# --- INFLIGHT ten-packet pings at once ------------------------------------
cat >"$WORK/inflight.py" <<'PY'
# INFLIGHT GET /probe?module=ping10 at once, one connection each: opened
# together, each request sent once all are connected. Prints: answered
# (HTTP 200), full (10 of 10 echoes back), received echoes in all, the
# wall time of the slowest, seconds.
import asyncio, sys, time
port, n, target = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
req = (f"GET /probe?module=ping10&target={target} HTTP/1.1\r\n"
       f"Host: 127.0.0.1\r\nConnection: close\r\n\r\n").encode()
async def one(go):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    await go.wait()
    w.write(req)
    await w.drain()
    body = (await r.read()).decode(errors="replace")
    w.close()
    got = 0.0
    for line in body.splitlines():
        if line.startswith("probe_icmp_packets_received "):
            got = float(line.split()[1])
    return body.startswith("HTTP/1.1 200"), got
async def main():
    go = asyncio.Event()
    tasks = [asyncio.create_task(one(go)) for _ in range(n)]
    await asyncio.sleep(1)  # every connection open
    t0 = time.monotonic()
    go.set()
    res = await asyncio.gather(*tasks, return_exceptions=True)
    t1 = time.monotonic()
    ok = [x for x in res if not isinstance(x, BaseException)]
    print(sum(1 for a, _ in ok if a), sum(1 for _, g in ok if g == 10),
          int(sum(g for _, g in ok)), f"{t1 - t0:.2f}")
asyncio.run(main())
PY
c0=$(cpu_ticks "$EPID")
ip netns exec "$A" python3 "$WORK/inflight.py" "$EP" "$INFLIGHT" "$TARGET" >"$WORK/inflight" &
cpid=$!
thr_max=0 rss_max=0
while kill -0 "$cpid" 2>/dev/null; do
  t=$(threads_of "$EPID") r=$(rss_kib "$EPID")
  ((t > thr_max)) && thr_max=$t
  ((r > rss_max)) && rss_max=$r
  sleep 0.1
done
wait "$cpid"
c1=$(cpu_ticks "$EPID")
read -r if_answered if_full if_echoes if_secs <"$WORK/inflight"
if_cpu=$(echo "($c1 - $c0) / $CLK_TCK" | bc -l | xargs printf '%.2f')
sleep 2
rss_after=$(rss_kib "$EPID")
load_after=$(cut -d' ' -f1 /proc/loadavg)
echo "inflight: $if_answered answered, $if_full full, $if_echoes echoes, ${if_secs}s, cpu ${if_cpu}s," \
  "threads $thr_idle/$thr_max, RSS $rss_idle/$rss_max/$rss_after KiB" >&2

new=$WORK/section.md
{
  echo "## Module blackbox: traceroute and multi-packet ping"
  echo
  echo "Generated by \`bench/traceroute.sh\` (\`LEVELS=\"$LEVELS\" SECS=$SECS INFLIGHT=$INFLIGHT bench/traceroute.sh\`;"
  echo "build: \`$BUILD_DIR\`, $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt")). $(machine_line)"
  echo "Load average (1 min) before / after: $load_before / $load_after."
  echo
  echo "Path: \`netpath.sh\`'s namespaces, client A → routers B, C → target D ($TARGET), 3 hops,"
  echo "veth links (sub-millisecond round trips); B, C and D with no ICMP rate limit"
  echo "(\`icmp_ratelimit=0\`, \`icmp_msgs_per_sec\` 10⁶), for every tool alike. All tools trace"
  echo "with ICMP echo, $PER_HOP probes per hop, from A: exporterd (in A, one \`GET /probe\` per trace"
  echo "on K keep-alive connections of one Python asyncio client,"
  echo "\`traceroute: {method: icmp, probes_per_hop: $PER_HOP, max_hops: 30, probe_timeout: 2s}\`, its"
  echo "log says: ${SOCKET:-?}), mtr-tiny $(dpkg-query -W -f='${Version}' mtr-tiny) \`mtr -n --report -c $PER_HOP\`, traceroute"
  echo "$(dpkg-query -W -f='${Version}' traceroute) \`traceroute -n -I -q $PER_HOP\`. K loops run traces back to back for"
  echo "$SECS s (a trace started before the end runs to its end); traces/s = traces / elapsed."
  echo "A trace is *ok* when it reached D in 3 hops with every hop answered. CPU per trace:"
  echo "exporterd's from /proc/PID/stat (its Python client's apart, from its own \`os.times()\`); mtr's and"
  echo "traceroute's from bash \`time\` around each run (the process and the children it waited"
  echo "for: mtr's mtr-packet). Wall: one trace, start to end, as the caller sees it (mtr"
  echo "\`-c $PER_HOP\` waits its default 5 s grace time for late answers after its last probe;"
  echo "exporterd's trace ends when every probe up to D is answered; it spaces a round's TTLs"
  echo "by min(10 ms, interval / (2 × max_hops)) = 1.7 ms here, where \`traceroute\` sends 16 at"
  echo "once). \`mtr\` and \`traceroute -I\` as root use raw ICMP sockets, which get a copy of every"
  echo "ICMP packet reaching A: with K at once each process also reads the others' answers."
  echo "Pacing: each tool's rounds (one probe per hop) start apart, exporterd's by its"
  echo "\`interval\` (default 100 ms), mtr's by \`-i\` (default 1 s); \`traceroute -q\` sends a hop's"
  echo "probes at once. With $PER_HOP probes per hop a trace therefore lasts at least"
  echo "$((PER_HOP - 1)) × 100 ms in exporterd, and traces/s at K at once is bounded by that pacing,"
  echo "not by CPU: CPU per trace is the comparable figure."
  echo
  echo "| K at once | tool | traces (ok) | traces/s | CPU ms per trace | wall p50 / max ms |"
  echo "|---|---|---|---|---|---|"
  awk 'NR > 1 {
    cpu = ($1 == "exporterd") ? sprintf("%.2f (+ client %.2f)", 1000 * $7 / $3, 1000 * $6 / $3) : sprintf("%.2f", 1000 * $6 / $3)
    printf "| %s | %s | %d (%d) | %.1f | %s | %.1f / %.1f |\n", $2, $1, $3, $4, $3 / $5, cpu, $8, $9 }' "$WORK/results"
  echo
  echo "$INFLIGHT icmp probes in flight at once against D, \`icmp: {packets: 10, interval: 100ms}\`"
  echo "(10 000 echoes through B and C): a Python asyncio client opens $INFLIGHT connections to"
  echo "exporterd in A, then sends one \`GET /probe?module=ping10\` on each at the same moment."
  echo "Threads and RSS: maxima of /proc/PID/status samples every 0.1 s during the run; idle ="
  echo "after the trace runs above, before this one."
  echo
  echo "| probes | answered (HTTP 200) | all 10 echoes back | echoes received | slowest answer s | daemon CPU s | threads idle / peak | RSS idle → peak → after MiB | KiB per probe at peak |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf "| %s | %s | %s | %s of %s | %s | %s | %s / %s | %.1f → %.1f → %.1f | %.0f |\n" \
    "$INFLIGHT" "$if_answered" "$if_full" "$if_echoes" "$((INFLIGHT * 10))" "$if_secs" "$if_cpu" \
    "$thr_idle" "$thr_max" "$(echo "$rss_idle / 1024" | bc -l)" "$(echo "$rss_max / 1024" | bc -l)" \
    "$(echo "$rss_after / 1024" | bc -l)" "$(echo "($rss_max - $rss_idle) / $INFLIGHT" | bc -l)"
} >"$new"
splice_doc docs/benchmarks.md "Module blackbox: traceroute" "$new"
sed -n '/^## Module blackbox: traceroute/,/^## /p' docs/benchmarks.md
