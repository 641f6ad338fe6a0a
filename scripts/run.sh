#!/usr/bin/env bash
# Set up, build and run exporterd on its embedded default configuration.
# Extra arguments go to exporterd (e.g. --web.listen-address=127.0.0.1:19400).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
exec build/exporterd "$@"
