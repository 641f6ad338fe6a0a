#!/usr/bin/env bash
# Opt-in fuzzing of the parsers with libFuzzer (clang): builds every *_fuzz
# target in build-fuzz/ and runs each for FUZZ_SECONDS (default 30) on a
# scratch corpus seeded from the module's test fixtures. Exits non-zero on
# the first crash (libFuzzer leaves crash-* files in build-fuzz/crashes/).
#
#   scripts/fuzz.sh                 all targets
#   scripts/fuzz.sh raid_md_fuzz    one target
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

SECS=${FUZZ_SECONDS:-30}
CXX=clang++ cmake -S . -B build-fuzz -DEXPORTERD_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(cmake --build build-fuzz --target help | sed -n 's/^\.\.\. \(.*_fuzz\)$/\1/p')
[[ $# -gt 0 ]] && targets="$*"
[[ -n "$targets" ]] || { echo "fuzz: no *_fuzz targets (is the compiler clang?)"; exit 1; }
cmake --build build-fuzz -j2 --target $targets

mkdir -p build-fuzz/crashes
status=0
for t in $targets; do
  bin=$(find build-fuzz -type f -name "$t" -perm -u+x | head -1)
  case "$t" in
    raid_*) seeds=exporters/raid/tests/fixtures ;;
    postfix_qshape_*) seeds=exporters/postfix_qshape/tests/fixtures ;;
    ceph_*) seeds=exporters/ceph/tests/fixtures ;;
    *) seeds=$(dirname "$(dirname "$bin")") ;;
  esac
  corpus=$(mktemp -d /tmp/exporterd-fuzz-XXXXXX)
  find "$seeds" -type f ! -name '*.md' -exec cp -t "$corpus" {} + 2>/dev/null || true
  echo "== $t (${SECS}s, $(ls "$corpus" | wc -l) seeds)"
  if ! (cd build-fuzz/crashes && "$OLDPWD/$bin" -max_total_time="$SECS" \
          -timeout=10 -rss_limit_mb=2048 "$corpus" 2>&1 | tail -3); then
    status=1
  fi
  rm -rf "$corpus"
done
ls build-fuzz/crashes | grep -q . && { echo "fuzz: crashes in build-fuzz/crashes"; status=1; }
echo "fuzz: $(echo $targets | wc -w) targets, status $status"
exit $status
