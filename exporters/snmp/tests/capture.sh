#!/usr/bin/env bash
# capture.sh - captures the varbinds of the golden tests from a real snmpd
# (net-snmp), in the format tests/test_util.cc ParseCapture reads:
#   snmpget / snmpbulkwalk -m '' -v2c -c public -On -Ox
# (-On numeric OIDs, -Ox every OCTET STRING as hex so bytes survive, no -Ot so
# Timeticks keep their type). Start the agent first:
#   BIGTABLE_ROWS=300 /work/shared/real/snmp.sh start     (127.0.0.1:16161)
# usage: capture.sh [agent]      writes tests/fixtures/captures/*.txt
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
AGENT=${1:-127.0.0.1:16161}
OUT=$HERE/fixtures/captures
SNMP=(-m '' -v2c -c public -On -Ox -t 5 -r 1)
mkdir -p "$OUT"

capture() { # file, then get:OID / walk:OID ...
  local file=$1; shift
  {
    echo "# $(snmpget "${SNMP[@]}" "$AGENT" 1.3.6.1.2.1.1.1.0 >/dev/null && echo "net-snmp $(snmpd -v | awk '/version/{print $NF}')") agent $AGENT, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# $*"
    for x in "$@"; do
      case $x in
        get:*) snmpget "${SNMP[@]}" "$AGENT" "${x#get:}" ;;
        walk:*) snmpbulkwalk "${SNMP[@]}" -Cr25 "$AGENT" "${x#walk:}" ;;
      esac
    done
  } > "$OUT/$file"
  echo "$OUT/$file: $(grep -c '^\.' "$OUT/$file") varbinds" >&2
}

# fixtures/peers_snmp.yml, module if_mib_v2 (and if_mib_v3: same OIDs)
capture if_mib.txt get:1.3.6.1.2.1.1.3.0 \
  walk:1.3.6.1.2.1.2.2.1.2 walk:1.3.6.1.2.1.2.2.1.8 \
  walk:1.3.6.1.2.1.31.1.1.1.6 walk:1.3.6.1.2.1.31.1.1.1.10 \
  walk:1.3.6.1.2.1.25.2.3.1.3 walk:1.3.6.1.2.1.25.2.3.1.6
# fixtures/peers_snmp.yml, module bigtable_v2
capture bigtable.txt walk:1.3.6.1.4.1.8072.9999.9999.7.1.3
# fixtures/rich_snmp.yml, module rich
capture rich.txt get:1.3.6.1.2.1.1.3.0 get:1.3.6.1.2.1.1.5.0 \
  get:1.3.6.1.2.1.1.7.0 walk:1.3.6.1.2.1.1.1 walk:1.3.6.1.2.1.1.2 \
  walk:1.3.6.1.2.1.1.9 walk:1.3.6.1.2.1.2.2 walk:1.3.6.1.2.1.31.1.1 \
  walk:1.3.6.1.2.1.4.20 walk:1.3.6.1.2.1.4.34 walk:1.3.6.1.2.1.25.1.2 \
  walk:1.3.6.1.4.1.8072.1.3.2
