#!/usr/bin/env bash
# Set up and run every test: build with warnings as errors, unit (with
# promtool on every module's alert rules) + integration + e2e tests (real
# Prometheus), and the unit tests again under ASan+UBSan. Prints ctest's summary; exits non-zero on any failure.
#
#   scripts/test.sh            everything
#   SKIP_SANITIZE=1 scripts/test.sh   without the sanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

JOBS=${JOBS:-2}
status=0

echo "== build (warnings are errors)"
cmake -S . -B build -DEXPORTERD_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"

echo "== unit + integration + e2e"
ctest --test-dir build -L 'unit|integration|e2e|security' --output-on-failure \
  -j"$JOBS" || status=1

if [[ -z "${SKIP_SANITIZE:-}" ]]; then
  echo "== unit tests under ASan+UBSan"
  cmake -S . -B build-asan -DEXPORTERD_WERROR=ON -DEXPORTERD_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$JOBS"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j"$JOBS" ||
    status=1
fi
exit $status
