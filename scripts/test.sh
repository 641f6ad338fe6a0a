#!/usr/bin/env bash
# Set up and run every test: build with warnings as errors, unit (with
# promtool on every module's alert rules) + integration + e2e tests (real
# Prometheus), and the unit tests again under ASan+UBSan. Prints ctest's summary; exits non-zero on any failure.
#
#   scripts/test.sh            everything
#   SKIP_SANITIZE=1 scripts/test.sh   without the sanitizer build
#   ALLOW_SKIPPED=1 scripts/test.sh   a skipped test is no failure
#
# A skipped test fails the run: here (setup.sh, root) nothing needs to skip,
# and a skip hides a missing tool or a broken test: when a suite's
# SetUpTestSuite fails, googletest reports its tests as skipped and CTest
# counts them as passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

JOBS=${JOBS:-2}
status=0

# ctest ARGS...: runs ctest; non-zero when a test failed or was skipped.
run_ctest() {
  local log rc=0 skipped
  log=$(mktemp)
  ctest "$@" 2>&1 | tee "$log" || rc=1
  skipped=$(grep -E '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' "$log" || true)
  rm -f "$log"
  if [[ -n "$skipped" ]]; then
    echo "== $(wc -l <<<"$skipped") tests skipped (a missing tool, or a failed test suite set-up):"
    echo "$skipped"
    [[ -n "${ALLOW_SKIPPED:-}" ]] || rc=1
  fi
  return $rc
}

echo "== build (warnings are errors)"
cmake -S . -B build -DEXPORTERD_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"

echo "== unit + integration + e2e"
run_ctest --test-dir build -L 'unit|integration|e2e|security' --output-on-failure \
  -j"$JOBS" || status=1

if [[ -z "${SKIP_SANITIZE:-}" ]]; then
  echo "== unit tests under ASan+UBSan"
  cmake -S . -B build-asan -DEXPORTERD_WERROR=ON -DEXPORTERD_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$JOBS"
  # intercept_tls_get_addr=0: GCC 12's sanitizer runtime (up to GCC 13 and
  # LLVM 16) records each dynamic TLS block __tls_get_addr hands out, and
  # one that starts 16 bytes past a 4 KiB boundary (the first chunk of an
  # allocator region: common) it takes for glibc 2.19's, reading the 16
  # bytes before it, ASan's chunk header here, as the block's start and
  # size. At exit LeakSanitizer's tracer scans that range and dies ("Tracer
  # caught signal 11", "LeakSanitizer has encountered a fatal error") after
  # a test that passed, whenever a thread alive then (the main thread, say)
  # has such a block: a dlopen'd module's thread_local it touched. Off,
  # dynamic TLS is not recorded; what it points to is still found (checked:
  # a heap block held only by such a thread_local is not reported, and one
  # dropped is).
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:intercept_tls_get_addr=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_ctest --test-dir build-asan -L unit --output-on-failure -j"$JOBS" ||
    status=1
fi
exit $status
