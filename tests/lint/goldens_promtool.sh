#!/usr/bin/env bash
# Every golden exposition the module tests compare against (exporters/*/tests/golden/) must pass
# `promtool check metrics` (format and Prometheus naming lint), as design.md asks of every
# exposition the tests produce.
# usage: goldens_promtool.sh <repo root>
set -euo pipefail
cd "$1"
command -v promtool >/dev/null || { echo "FAIL: promtool missing (scripts/setup.sh)"; exit 1; }
n=0
bad=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  if ! out=$(promtool check metrics <"$f" 2>&1); then
    bad=$((bad + 1))
    echo "FAIL: $f"
    echo "$out" | head -5
  fi
done < <(find exporters/*/tests/golden -type f -print0)
echo "$n golden files, $bad failing"
[ "$n" -gt 0 ] && [ "$bad" = 0 ]
