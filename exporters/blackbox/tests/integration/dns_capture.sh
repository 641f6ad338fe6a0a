#!/bin/bash
# Captures real DNS answers from dnsmasq for the dns prober's unit tests
# (tests/dns_message_test.cc). For each line of the list below:
#   <out>/<name>.bin  the raw reply to a query sent over UDP with socat
#                     (ID 0x1234, RD, no EDNS);
#   <out>/<name>.rrs  the same reply's records as Debian's blackbox_exporter
#                     (miekg/dns) prints them in its debug log ("Validating
#                     RR"), one "<section> <RR.String()>" per line.
# Run by hand when the fixtures need refreshing (needs dnsmasq, socat,
# prometheus-blackbox-exporter, curl, python3):
#   bash dns_capture.sh exporters/blackbox/tests/fixtures/dns
# dnsmasq is started on a free loopback port with dns_dnsmasq.sh's zone.
set -euo pipefail
out=${1:?usage: dns_capture.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
free_port() {
  python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
port=$(free_port)
peer_port=$(free_port)
tmp=$(mktemp -d)
cleanup() {
  [ -s "$tmp/peer.pid" ] && kill "$(cat "$tmp/peer.pid")" 2>/dev/null
  [ -s "$tmp/pid" ] && kill "$(cat "$tmp/pid")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
bash "$here/dns_dnsmasq.sh" "$port" "$tmp" &
for _ in $(seq 50); do [ -s "$tmp/pid" ] && break; sleep 0.1; done

LIST='a www.bb.test A 1
aaaa www.bb.test AAAA 28
any www.bb.test ANY 255
cname alias.bb.test A 1
mx bb.test MX 15
ns bb.test NS 2
soa bb.test SOA 6
txt txt.bb.test TXT 16
esc esc.bb.test TXT 16
ptr 1.2.0.192.in-addr.arpa PTR 12
srv _http._tcp.bb.test SRV 33
nxdomain nope.bb.test A 1
nodata v4.bb.test AAAA 28
big big.bb.test A 1'

{
  echo "modules:"
  while read -r file name tname _; do
    printf '  %s:\n    prober: dns\n    dns:\n      query_name: %s\n' "$file" "$name"
    printf '      query_type: %s\n      preferred_ip_protocol: ip4\n' "$tname"
    printf '      valid_rcodes: [NOERROR, NXDOMAIN, REFUSED, SERVFAIL]\n'
  done <<<"$LIST"
} >"$tmp/peer.yml"
prometheus-blackbox-exporter --config.file="$tmp/peer.yml" \
  --web.listen-address="127.0.0.1:$peer_port" 2>"$tmp/peer.log" &
echo $! >"$tmp/peer.pid"
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$peer_port/-/healthy" >/dev/null && break
  sleep 0.1
done

# A query in wire format, as printf escapes: ID 0x1234, RD set, one
# question (name, type, class IN).
query() {
  local name=$1 type=$2 q='\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00'
  local label
  IFS=. read -ra labels <<<"$name"
  for label in "${labels[@]}"; do
    q+=$(printf '\\x%02x' "${#label}")$label
  done
  q+='\x00'$(printf '\\x%02x\\x%02x' $((type >> 8)) $((type & 255)))'\x00\x01'
  printf '%s' "$q"
}

# The debug log's "Validating RR" values (logfmt-quoted), by section.
rrs_from_log() {
  python3 -c '
import re, sys
section = None
for line in sys.stdin:
    m = re.search(r"msg=\"Validating (Answer|Authority|Additional) RRs\"", line)
    if m:
        section = m.group(1).lower()
        continue
    m = re.search(r"msg=\"Validating RR\" rr=(\"(?:[^\"\\]|\\.)*\")", line)
    if m:
        print(section, eval(m.group(1)))
'
}

while read -r file name _ type; do
  printf "$(query "$name" "$type")" |
    socat -t 1 - "UDP:127.0.0.1:$port" >"$out/$file.bin"
  curl -s "http://127.0.0.1:$peer_port/probe?module=$file&target=127.0.0.1:$port&debug=true" |
    rrs_from_log >"$out/$file.rrs"
  echo "$file: $(stat -c %s "$out/$file.bin") bytes, $(wc -l <"$out/$file.rrs") RRs"
done <<<"$LIST"
