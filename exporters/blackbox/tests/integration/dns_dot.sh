#!/bin/bash
# DNS over TLS for the dns prober's tests: a CA and a server certificate for
# "localhost" + 127.0.0.1 made in DIR (ca.crt), then socat terminating TLS
# on 127.0.0.1:DOT_PORT and relaying each connection to the plain DNS server
# (dns_dnsmasq.sh) on 127.0.0.1:DNS_PORT over TCP. Runs in the foreground
# (socat forks per connection: stop its process group).
#   bash dns_dot.sh DIR DOT_PORT DNS_PORT
set -euo pipefail
dir=${1:?usage: dns_dot.sh DIR DOT_PORT DNS_PORT}
dot=${2:?usage: dns_dot.sh DIR DOT_PORT DNS_PORT}
dns=${3:?usage: dns_dot.sh DIR DOT_PORT DNS_PORT}
mkdir -p "$dir"
cd "$dir"
if [ ! -f server.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt \
    -days 30 -subj "/O=exporterd test/CN=exporterd DoT test CA" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/O=exporterd/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out server.crt -days 30 -extfile san.ext 2>/dev/null
  cat server.crt server.key >server.pem
fi
exec socat "OPENSSL-LISTEN:$dot,bind=127.0.0.1,reuseaddr,fork,cert=server.pem,verify=0" \
  "TCP:127.0.0.1:$dns"
