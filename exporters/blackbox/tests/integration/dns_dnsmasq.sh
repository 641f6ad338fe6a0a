#!/bin/bash
# A private DNS server for the dns prober's tests: dnsmasq on 127.0.0.1:PORT
# (UDP and TCP), authoritative for bb.test (SOA serial 2024010203, NS, so
# answers carry an authority section; dnsmasq adds no additional records),
# with A, AAAA, CNAME, MX, TXT (one with backslashes, UTF-8 and ";()"),
# SRV and PTR records, and 40 A records for big.bb.test (too many for 512
# bytes: its UDP answer comes truncated, TC set, 30 records). Runs in the
# foreground; writes its pid to DIR/pid and its log to DIR/dnsmasq.log.
#   bash dns_dnsmasq.sh PORT DIR
set -euo pipefail
port=${1:?usage: dns_dnsmasq.sh PORT DIR}
dir=${2:?usage: dns_dnsmasq.sh PORT DIR}
big=()
for i in $(seq 1 40); do big+=("--host-record=big.bb.test,198.51.100.$i"); done
echo $$ >"$dir/pid"
exec dnsmasq --no-daemon --port="$port" --listen-address=127.0.0.1 \
  --bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
  --pid-file= --local-ttl=300 --auth-ttl=300 \
  --host-record=www.bb.test,192.0.2.1,2001:db8::1 \
  --host-record=v4.bb.test,192.0.2.2 \
  --txt-record=txt.bb.test,"hello world","say \"hi\"" \
  --txt-record=esc.bb.test,"tab\there back\\slash","café;(x)" \
  --mx-host=bb.test,mail.bb.test,10 \
  --host-record=mail.bb.test,192.0.2.25 \
  --srv-host=_http._tcp.bb.test,www.bb.test,80,1,2 \
  --cname=alias.bb.test,www.bb.test \
  --ptr-record=1.2.0.192.in-addr.arpa,www.bb.test \
  --auth-zone=bb.test,192.0.2.0/24,198.51.100.0/24,2001:db8::/32,127.0.0.0/8 \
  --auth-soa=2024010203,hostmaster.bb.test \
  --auth-server=ns.bb.test,127.0.0.1 \
  --host-record=ns.bb.test,127.0.0.1 \
  "${big[@]}" \
  --log-queries --log-facility="$dir/dnsmasq.log"
