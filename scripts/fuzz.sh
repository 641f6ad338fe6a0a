#!/usr/bin/env bash
# Opt-in fuzzing of the parsers and of the core's HTTP request and
# configuration paths with libFuzzer (clang): builds every *_fuzz target in
# build-fuzz/ and runs them one after another, each on a scratch corpus seeded
# from the module's fuzz/seeds/ or tests/fixtures/ (core_*:
# core/fuzz/seeds/<name>/). Exits
# non-zero if any target crashed (libFuzzer leaves <target>-crash-* files in
# build-fuzz/crashes/, full output in build-fuzz/logs/<target>.log).
#
#   scripts/fuzz.sh                        all targets, 30 s each
#   scripts/fuzz.sh raid_md_fuzz           one target
#   FUZZ_SECONDS=600 scripts/fuzz.sh       a time bound per target
#   FUZZ_RUNS=10000000 scripts/fuzz.sh     a number of executions per target
#   FUZZ_RUNS=10000000 FUZZ_SECONDS=360 scripts/fuzz.sh
#                                          whichever comes first
#   FUZZ_JOBS=1                            build parallelism (default 2)
#   FUZZ_RSS_MB=4096                       libFuzzer's -rss_limit_mb (default
#                                          4096: ASan's quarantine keeps
#                                          core_config_fuzz near 1 GiB in
#                                          minutes, more over hours)
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
CXX=clang++ cmake -S . -B build-fuzz -DEXPORTERD_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(cmake --build build-fuzz --target help | sed -n 's/^\.\.\. \(.*_fuzz\)$/\1/p')
[[ $# -gt 0 ]] && targets="$*"
[[ -n "$targets" ]] || { echo "fuzz: no *_fuzz targets (is the compiler clang?)"; exit 1; }
cmake --build build-fuzz -j"${FUZZ_JOBS:-2}" --target $targets

mkdir -p build-fuzz/crashes build-fuzz/logs
status=0
table=()
for t in $targets; do
  bin=$(find build-fuzz -type f -name "$t" -perm -u+x | head -1)
  extra=()
  # Seeds: core/fuzz/seeds/<name>/ for core_<name>_fuzz; for a module's
  # <module>_*_fuzz its fuzz/seeds/ when it has one, else its tests/fixtures/.
  seeds=$(dirname "$(dirname "$bin")")
  if [[ $t == core_* ]]; then
    seeds=core/fuzz/seeds/${t#core_}; seeds=${seeds%_fuzz}
  else
    for d in exporters/*/; do
      m=$(basename "$d")
      [[ $t == "${m}"_* ]] || continue
      seeds=${d}tests/fixtures
      [[ -d ${d}fuzz/seeds ]] && seeds=${d}fuzz/seeds
    done
  fi
  # Inputs long enough to cross the 16 KiB header limit.
  [[ "$t" == core_http_request_fuzz ]] && extra+=(-max_len=20480)
  corpus=$(mktemp -d /tmp/exporterd-fuzz-XXXXXX)
  find "$seeds" -type f ! -name '*.md' -exec cp -t "$corpus" {} + 2>/dev/null || true
  log=build-fuzz/logs/$t.log
  echo "== $t (${bound[*]}, $(ls "$corpus" | wc -l) seeds)"
  start=$(date +%s%N)
  rc=0
  "$bin" "${bound[@]}" "${extra[@]}" -timeout=10 -rss_limit_mb="${FUZZ_RSS_MB:-4096}" \
    -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t-" \
    "$corpus" >"$log" 2>&1 || rc=$?
  wall=$(( ($(date +%s%N) - start) / 1000000000 ))
  rm -rf "$corpus"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(find build-fuzz/crashes -name "$t-*" -newermt "@$((start / 1000000000))" | wc -l)
  ((rc != 0 && crashes == 0)) && crashes=1  # died without an artifact
  ((rc != 0 || crashes != 0)) && { status=1; tail -40 "$log"; }
  line=$(printf '%-26s %12s %8s %8ss %3s' "$t" "${runs:-?}" "${eps:-?}" "$wall" "$crashes")
  echo "   executions ${runs:-?}, ${eps:-?} exec/s, $wall s, $crashes crashes"
  table+=("$line")
done
printf '\n%-26s %12s %8s %9s %3s\n' target executions exec/s time crashes
printf '%s\n' "${table[@]}"
ls build-fuzz/crashes | grep -q . && echo "fuzz: artifacts in build-fuzz/crashes"
echo "fuzz: $(echo $targets | wc -w) targets, status $status"
exit $status
