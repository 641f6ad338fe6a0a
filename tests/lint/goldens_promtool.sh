#!/usr/bin/env bash
# Every golden exposition the module tests compare against (exporters/*/tests/golden/) must pass
# `promtool check metrics` (format and Prometheus naming lint), as design.md asks of every
# exposition the tests produce. A module whose names are not its own (snmp: the user's MIB
# names) lists the lint findings it accepts in tests/promtool_allowed.txt; anything else fails.
# usage: goldens_promtool.sh <repo root>
set -euo pipefail
cd "$1"
command -v promtool >/dev/null || { echo "FAIL: promtool missing (scripts/setup.sh)"; exit 1; }
n=0
bad=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  allowed=${f%%/tests/golden/*}/tests/promtool_allowed.txt
  out=$(promtool check metrics <"$f" 2>&1) && continue
  if [ -f "$allowed" ]; then
    out=$(grep -vFf <(grep -v '^#' "$allowed") <<<"$out" || true)
  fi
  if [ -n "$out" ]; then
    bad=$((bad + 1))
    echo "FAIL: $f"
    echo "$out" | head -5
  fi
done < <(find exporters/*/tests/golden -type f -print0)
echo "$n golden files, $bad failing"
[ "$n" -gt 0 ] && [ "$bad" = 0 ]
