#!/usr/bin/env bash
# make_goldens.sh - writes tests/golden/*.prom with Debian's snmp_exporter
# 0.21 (prometheus-snmp-exporter) scraping a real snmpd that replays the
# captures (replay_agent.py via pass_persist), so the goldens are 0.21's own
# output for exactly the varbinds the unit tests feed the renderer.
# (v3 is left out: the replay agent runs no USM; rendering does not depend on
# the version.)
# Needs: snmpd, prometheus-snmp-exporter, curl. Ports: 16179 (snmpd), 19179.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${REPLAY_PORT:-16179}
WEB=${WEB_PORT:-19179}
WORK=$(mktemp -d)
trap 'kill $(cat "$WORK"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start_agent() { # capture file
  kill "$(cat "$WORK/snmpd.pid" 2>/dev/null)" 2>/dev/null || true
  sleep 0.3
  mkdir -p "$WORK/persist"
  cat > "$WORK/snmpd.conf" <<CONF
[snmp] persistentDir $WORK/persist
agentAddress udp:127.0.0.1:$PORT
pass_persist .1.3.6.1 $HERE/replay_agent.py $1
CONF
  # -I pass_persist: only the replay answers (no live MIB modules).
  snmpd -f -C -c "$WORK/snmpd.conf" -Lf "$WORK/snmpd.log" -m "" -I pass_persist \
      </dev/null >/dev/null 2>&1 &
  echo $! > "$WORK/snmpd.pid"
  for _ in $(seq 1 100); do
    snmpgetnext -m '' -v2c -c public -t 0.2 -r 0 127.0.0.1:$PORT 1.3.6.1 >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  cat "$WORK/snmpd.log"; return 1
}

start_exporter() { # config
  kill "$(cat "$WORK/exporter.pid" 2>/dev/null)" 2>/dev/null || true
  sleep 0.3
  prometheus-snmp-exporter --config.file="$1" --web.listen-address=127.0.0.1:$WEB \
      >"$WORK/exporter.log" 2>&1 &
  echo $! > "$WORK/exporter.pid"
  for _ in $(seq 1 100); do
    curl -sf http://127.0.0.1:$WEB/ >/dev/null && return 0
    sleep 0.05
  done
  cat "$WORK/exporter.log"; return 1
}

scrape() { # module, golden file
  local code
  code=$(curl -s -o "$HERE/golden/$2" -w '%{http_code}' \
      "http://127.0.0.1:$WEB/snmp?target=127.0.0.1:$PORT&module=$1")
  echo "$2: HTTP $code, $(grep -vc '^#' "$HERE/golden/$2") lines" >&2
}

mkdir -p "$HERE/golden"
echo "snmp_exporter: $(dpkg-query -W -f='${Version}' prometheus-snmp-exporter)" >&2
start_exporter "$HERE/fixtures/peers_snmp.yml"
start_agent "$HERE/fixtures/captures/if_mib.txt"
scrape if_mib_v2 if_mib_v2.prom
start_agent "$HERE/fixtures/captures/bigtable.txt"
scrape bigtable_v2 bigtable.prom
start_exporter "$HERE/fixtures/rich_snmp.yml"
start_agent "$HERE/fixtures/captures/rich.txt"
scrape rich rich.prom
