#!/usr/bin/env bash
# Re-creates exporters/ceph/tests/fixtures/pacific_{a,b,c}_* from a real cluster (ceph_env.sh).
# Each state is captured only after the PGs are active+clean and the OSD stats have settled
# (two consecutive `pg dump osds` equal), and Ceph's test-reweight answers are checked to be
# unchanged across the capture, so inputs and answers belong together.
# usage: capture_fixtures.sh [out dir]     Needs the ceph packages; run as root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../fixtures}
export STATE=${STATE:-/tmp/exporterd-ceph-capture}
ENV=$HERE/ceph_env.sh
trap '"$ENV" stop' EXIT
"$ENV" start
"$ENV" fill
CONF=$STATE/ceph.conf
A() { ceph -c "$CONF" --connect-timeout 20 "$@"; }
C() { ceph -c "$CONF" --connect-timeout 20 -n client.exporter -k "$STATE/exporter.keyring" "$@"; }
osd_bytes() { C pg dump osds -f json 2>/dev/null | python3 -c '
import json,sys; print(sorted((s["osd"],s["statfs"]["total"],s["statfs"]["available"]) for s in json.load(sys.stdin)["osd_stats"]))'; }
settle() {
  local prev="" cur
  for _ in $(seq 1 60); do
    if A pg stat | grep -qE '^[0-9]+ pgs: [0-9]+ active\+clean;'; then
      cur=$(osd_bytes)
      [ "$cur" = "$prev" ] && return 0
      prev=$cur
    fi
    sleep 3
  done
  echo "cluster did not settle" >&2; return 1
}
cap() { # prefix
  local p=$OUT/$1 before after
  settle
  before=$(C osd test-reweight-by-utilization 101 0.2 8 2>/dev/null)
  C osd df -f json >"${p}_osd_df.json"
  C osd dump -f json >"${p}_osd_dump.json"
  C pg dump osds -f json >"${p}_pg_dump_osds.json" 2>/dev/null
  C df -f json >"${p}_df.json"
  C health -f json >"${p}_health.json"
  C osd test-reweight-by-utilization -f json >"${p}_test_reweight_default.json" 2>/dev/null
  C osd test-reweight-by-utilization 101 0.2 8 -f json >"${p}_test_reweight_101_0.2_8.json" 2>/dev/null
  C osd test-reweight-by-utilization 101 0.2 8 >"${p}_test_reweight_101_0.2_8.txt" 2>/dev/null
  C osd test-reweight-by-utilization 110 0.1 1 -f json >"${p}_test_reweight_110_0.1_1.json" 2>/dev/null
  after=$(C osd test-reweight-by-utilization 101 0.2 8 2>/dev/null)
  [ "$before" = "$after" ] || { echo "state $1 changed during the capture" >&2; return 1; }
  echo "captured $1"
}
cap pacific_a
A osd reweight 2 0.8
A osd reweight 3 0.9
cap pacific_b
A osd out 2
cap pacific_c
