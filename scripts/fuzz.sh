#!/usr/bin/env bash
# Opt-in fuzzing of the parsers and of the core's HTTP request and
# configuration paths with libFuzzer (clang): builds every *_fuzz target and
# runs them, each on a corpus seeded from its seed directory (below). Exits
# non-zero if any target crashed (libFuzzer leaves <target>-crash-* files in
# <build>/crashes/, full output in <build>/logs/<target>.log).
#
#   scripts/fuzz.sh                        all targets, 30 s each
#   scripts/fuzz.sh raid_md_fuzz           one target
#   FUZZ_SECONDS=600 scripts/fuzz.sh       a time bound per target
#   FUZZ_RUNS=10000000 scripts/fuzz.sh     a number of executions per target
#   FUZZ_RUNS=10000000 FUZZ_SECONDS=360 scripts/fuzz.sh
#                                          whichever comes first
#   FUZZ_PARALLEL=2                        targets run at once (default 1)
#   scripts/fuzz.sh t_fuzz t_fuzz          a target named k times runs as k
#                                          instances on its one corpus (with
#                                          FUZZ_PARALLEL=k, at once); with
#                                          FUZZ_TOTAL each takes 1/k of the
#                                          executions the ledger lacks
#                                          (logs and artifacts named
#                                          <target>.<i>)
#   FUZZ_SANITIZERS=undefined              what the targets are built with
#                                          (default address,undefined, in
#                                          build-fuzz/; another set builds in
#                                          build-fuzz-<set>/)
#   FUZZ_CORPUS=build-fuzz/corpus          keep each target's corpus in
#                                          $FUZZ_CORPUS/<target>/ (seeded when
#                                          new) instead of a scratch one, and
#                                          add each run to the ledger: a
#                                          campaign can go on over several
#                                          runs; the table then also shows
#                                          each target's executions over all
#                                          its runs
#   FUZZ_LEDGER=docs/fuzz_ledger.tsv       the ledger (default: this one, in
#                                          git, so the campaign's record
#                                          outlives the machine; a corpus
#                                          does not need to: a lost one is
#                                          seeded again)
#   FUZZ_LEDGER_BEFORE=docs/fuzz_ledger_before.tsv
#                                          totals of runs whose ledger was
#                                          lost, counted with the ledger's
#   FUZZ_TOTAL=10000000                    with FUZZ_CORPUS: run each target
#                                          only for the executions its ledger
#                                          still lacks (none: skipped); with
#                                          FUZZ_SECONDS, also at most that long
#   FUZZ_JOBS=1                            build parallelism (default 2)
#   FUZZ_RSS_MB=4096                       libFuzzer's -rss_limit_mb (default
#                                          4096: ASan's quarantine keeps
#                                          core_config_fuzz near 1 GiB in
#                                          minutes, more over hours)
#
# Each target's seeds are the directory its exporterd_add_fuzzer names
# (SEEDS; CMake lists them in <build>/fuzz_targets.tsv).
# ASAN_OPTIONS defaults to malloc_context_size=0:quarantine_size_mb=16: ASan
# records no stack per allocation (a third of the time of the
# allocation-heavy targets), and a freed block waits for 16 MiB of other
# frees before reuse, not 256 (no target's largest seed allocates over 3 MiB
# per execution; a large quarantine's cold memory halved the YAML targets). A
# crash's report then lacks the allocation and free stacks; replaying the
# artifact (`<build>/<target> <artifact>`, ASAN_OPTIONS unset) gives them.
#
# To stop early: Ctrl-C, or `kill -TERM $(cat build-fuzz/fuzz.pid)` (this
# script's pid while it runs): no further target starts, the running ones
# stop and, with FUZZ_CORPUS, their executions so far go into the ledger (a
# script started in the background by another script ignores SIGINT: use
# SIGTERM). SIGTERM to one of its per-target subshells stops that target
# alone, the same way.
#
# Prints per target: executions, exec/s, wall time, crashes; then a table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bound=()
if [[ -n "${FUZZ_RUNS:-}" ]]; then
  bound+=(-runs="$FUZZ_RUNS")
  [[ -n "${FUZZ_SECONDS:-}" ]] && bound+=(-max_total_time="$FUZZ_SECONDS")
else
  bound+=(-max_total_time="${FUZZ_SECONDS:-30}")
fi
sanitizers=${FUZZ_SANITIZERS-address,undefined}
build=build-fuzz
[[ $sanitizers == address,undefined ]] || build=build-fuzz-${sanitizers//,/-}
export ASAN_OPTIONS=${ASAN_OPTIONS-malloc_context_size=0:quarantine_size_mb=16}
CXX=clang++ cmake -S . -B "$build" -DEXPORTERD_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEXPORTERD_FUZZ_SANITIZERS="$sanitizers" >/dev/null
targets=$(cut -f1 "$build/fuzz_targets.tsv")
[[ $# -gt 0 ]] && targets="$*"
[[ -n "$targets" ]] || { echo "fuzz: no *_fuzz targets (is the compiler clang?)"; exit 1; }
cmake --build "$build" -j"${FUZZ_JOBS:-2}" --target $(printf '%s\n' $targets | sort -u)

mkdir -p "$build/crashes" "$build/logs" "$build/results"
# What was built: HEAD, "-dirty" when a file outside docs/ differs from it
# (the ledger in docs/ changes with every run).
commit=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- . ':(exclude)docs' || commit+=-dirty
ledger=${FUZZ_LEDGER:-docs/fuzz_ledger.tsv}
# Runs whose ledger is gone, as totals per target (target, runs, executions,
# seconds, crashes; see the file): they count as the ledger's runs do.
before=${FUZZ_LEDGER_BEFORE:-docs/fuzz_ledger_before.tsv}
ledger_totals() {  # "target executions runs crashes" per target of the ledger
  python3 scripts/fuzz_table.py --totals "$ledger" - - "$before"
}
run_target() {  # target, name, instances: runs it, writes $build/results/<name>
  local t=$1 name=$2 n=$3 bin seeds corpus log start rc wall runs eps crashes extra=()
  bin=$build/$t  # executables land in the build directory's top
  seeds=$(awk -F'\t' -v t="$t" '$1 == t {print $2}' "$build/fuzz_targets.tsv")
  # Inputs long enough to cross the 16 KiB header limit.
  [[ "$t" == core_http_request_fuzz ]] && extra+=(-max_len=20480)
  if [[ -n "${FUZZ_CORPUS:-}" ]]; then
    corpus=$FUZZ_CORPUS/$t
    mkdir -p "$corpus"
  else
    corpus=$(mktemp -d /tmp/exporterd-fuzz-XXXXXX)
  fi
  [[ -n $(ls -A "$corpus") ]] ||
    find -L "$seeds" -type f ! -name '*.md' -exec cp -t "$corpus" {} + 2>/dev/null || true
  log=$build/logs/$name.log
  local limit=("${bound[@]}")
  if [[ -n "${FUZZ_TOTAL:-}" && -n "${FUZZ_CORPUS:-}" ]]; then
    local done_runs
    done_runs=$(ledger_totals | awk -v t="$t" '$1 == t {print $2}')
    done_runs=${done_runs:-0}
    if ((done_runs >= FUZZ_TOTAL)); then
      echo "== $t: $done_runs executions in the ledger, skipped"
      printf '%-28s %12s %8s %9s %3s\n' "$name" "$done_runs" - skipped 0 \
        >"$build/results/$name"
      return
    fi
    limit=(-runs=$(((FUZZ_TOTAL - done_runs + n - 1) / n)))
    [[ -n "${FUZZ_SECONDS:-}" ]] && limit+=(-max_total_time="$FUZZ_SECONDS")
  fi
  echo "== $name (${limit[*]}, $(ls "$corpus" | wc -l) inputs from $seeds)"
  start=$(date +%s%N)
  rc=0
  local fuzzer="" stop=0
  trap 'stop=1; [[ -z $fuzzer ]] || kill -INT "$fuzzer" 2>/dev/null' TERM
  "$bin" "${limit[@]}" "${extra[@]}" -timeout=10 -rss_limit_mb="${FUZZ_RSS_MB:-4096}" \
    -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" \
    "$corpus" >"$log" 2>&1 &
  fuzzer=$!
  ((stop)) && kill -INT "$fuzzer" 2>/dev/null
  wait "$fuzzer" || rc=$?
  # A trapped signal ends the wait early: wait again for the fuzzer's status.
  while kill -0 "$fuzzer" 2>/dev/null; do
    rc=0
    wait "$fuzzer" || rc=$?
  done
  wall=$(( ($(date +%s%N) - start) / 1000000000 ))
  [[ -n "${FUZZ_CORPUS:-}" ]] || rm -rf "$corpus"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(find "$build/crashes" -name "$name-*" -newermt "@$((start / 1000000000))" | wc -l)
  # SIGINT (a campaign stopped early) exits 72 after the final stats: the
  # executions so far count, it is no crash.
  if ((rc == 72 && crashes == 0)) && grep -q 'libFuzzer: run interrupted' "$log"; then
    rc=0
    echo "   $name: interrupted"
  fi
  ((rc != 0 && crashes == 0)) && crashes=1  # died without an artifact
  ((rc != 0 || crashes != 0)) && tail -40 "$log"
  echo "   $name: executions ${runs:-?}, ${eps:-?} exec/s, $wall s, $crashes crashes"
  printf '%-28s %12s %8s %8ss %3s\n' "$name" "${runs:-?}" "${eps:-?}" "$wall" \
    "$crashes" >"$build/results/$name"
  if [[ -n "${FUZZ_CORPUS:-}" ]]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" \
      "$commit" "${sanitizers:-none}" "$t" "${runs:-0}" \
      "$wall" "$crashes" "$(ls "$corpus" | wc -l)" >>"$ledger"
  fi
}

rm -f "$build"/results/*
echo $$ >"$build/fuzz.pid"
trap 'rm -f "$build/fuzz.pid"' EXIT
stopping=0
declare -A instances=() seen=()
for t in $targets; do instances[$t]=$((${instances[$t]:-0} + 1)); done
names=()  # one per run: the target, or <target>.<i> for one of its instances
for t in $targets; do
  seen[$t]=$((${seen[$t]:-0} + 1))
  if ((instances[$t] == 1)); then names+=("$t"); else names+=("$t.${seen[$t]}"); fi
done
# Each run_target subshell ignores SIGINT (a background job); on SIGTERM it
# sends SIGINT to its fuzzer, which prints its final stats and exits 72.
trap 'stopping=1; kill -TERM $(jobs -rp) 2>/dev/null || true' INT TERM
k=0
for t in $targets; do
  while ((!stopping)) && (($(jobs -rp | wc -l) >= ${FUZZ_PARALLEL:-1})); do
    wait -n || true
  done
  ((stopping)) && break
  run_target "$t" "${names[k]}" "${instances[$t]}" &
  k=$((k + 1))
done
while (($(jobs -rp | wc -l))); do wait || true; done
status=0
printf '\n%-28s %12s %8s %9s %3s\n' target executions exec/s time crashes
for t in "${names[@]}"; do
  if [[ ! -f "$build/results/$t" ]]; then
    ((stopping)) && continue  # never started
    echo "$t: no result: its run failed before its fuzzer ended"
    status=1
    continue
  fi
  cat "$build/results/$t"
  read -r _ _ _ _ c <"$build/results/$t"
  [[ $c == 0 ]] || status=1
done
if [[ -n "${FUZZ_CORPUS:-}" && -f "$ledger" ]]; then
  echo "executions over all runs in $ledger (runs, crashes):"
  ledger_totals | sed 's/^/  /'
fi
ls "$build/crashes" | grep -q . && echo "fuzz: artifacts in $build/crashes"
echo "fuzz: $(echo $targets | wc -w) targets, sanitizers ${sanitizers:-none}, status $status"
exit $status
