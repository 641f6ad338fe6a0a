#!/usr/bin/env bash
# A private nginx for the blackbox tests: nginx_env.sh DIR HTTP_PORT HTTPS_PORT
# Makes (in DIR) a CA, a server certificate for "localhost" + 127.0.0.1
# expiring in 30 days (known expiry: DIR/server.enddate), a client
# certificate, and an nginx on 127.0.0.1 with:
#   HTTP  /            "hello blackbox" (200)   /redirect -> /   /r3 -> /r2 -> /redirect -> /
#         /404         404                      /big      100 KiB body
#         /oauth/token an OAuth2 token endpoint (client probe-client, secret
#                      s3cret, Basic auth) handing out "tok-123"
#         /oauth/protected  200 with "Authorization: Bearer tok-123", else 401
#         /slow        never answers (proxy to a silent listener is not
#                      needed: the test uses its own silent socket)
#   HTTPS the same, plus /mtls on a third port requiring a client cert.
# Stop: kill "$(cat DIR/nginx.pid)".
set -euo pipefail
DIR=$1 HTTP=$2 HTTPS=$3 MTLS=${4:-0}
mkdir -p "$DIR/www" "$DIR/tmp"
cd "$DIR"
if [ ! -f server.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 60 \
    -subj "/O=exporterd test/CN=exporterd test CA" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/C=DE/O=exporterd/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,DNS:bb.test,IP:127.0.0.1\n' > san.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out server.crt -days 30 -extfile san.ext 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
    -subj "/CN=probe client" 2>/dev/null
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out client.crt -days 30 2>/dev/null
  date -d "$(openssl x509 -enddate -noout -in server.crt | cut -d= -f2)" +%s > server.enddate
fi
# nginx's workers run as www-data: the served files must be reachable.
chmod o+x "$(dirname "$DIR")" "$DIR"
printf 'hello blackbox\n' > www/index.html
head -c 102400 /dev/zero | tr '\0' 'x' > www/big
chmod -R o+rX www
OAUTH_BASIC=$(printf '%s' 'probe-client:s3cret' | base64)
# The client-certificate server, when a port is given for it.
MTLS_SERVER=
[ "$MTLS" = 0 ] || MTLS_SERVER="  server {
    listen 127.0.0.1:$MTLS ssl;
    ssl_certificate $DIR/server.crt;
    ssl_certificate_key $DIR/server.key;
    ssl_client_certificate $DIR/ca.crt;
    ssl_verify_client on;
    root $DIR/www;
  }"
cat > nginx.conf <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/error.log;
daemon on;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $DIR/tmp/body;
  proxy_temp_path $DIR/tmp/proxy;
  fastcgi_temp_path $DIR/tmp/fastcgi;
  uwsgi_temp_path $DIR/tmp/uwsgi;
  scgi_temp_path $DIR/tmp/scgi;
  default_type text/html;
  server {
    listen 127.0.0.1:$HTTP;
    listen 127.0.0.1:$HTTPS ssl http2;
    ssl_certificate $DIR/server.crt;
    ssl_certificate_key $DIR/server.key;
    root $DIR/www;
    location = /redirect { return 302 /; }
    location = /r2 { return 301 /redirect; }
    location = /r3 { return 307 /r2; }
    location = /404 { return 404 "not here\n"; }
    location = /header { add_header X-Test "value-42"; return 200 "h\n"; }
    location = /post { if (\$request_method != POST) { return 405; } return 200 "posted\n"; }
    # OAuth2 client credentials: a token for probe-client:s3cret (Basic), and
    # a page that wants it.
    location = /oauth/token {
      default_type application/json;
      if (\$request_method != POST) { return 405; }
      if (\$http_authorization != "Basic $OAUTH_BASIC") { return 401 '{"error":"invalid_client"}'; }
      return 200 '{"access_token":"tok-123","token_type":"bearer","expires_in":3600}';
    }
    location = /oauth/protected {
      if (\$http_authorization != "Bearer tok-123") { return 401 "no token\n"; }
      return 200 "protected\n";
    }
  }
$MTLS_SERVER
}
CONF
nginx -c "$DIR/nginx.conf" -e "$DIR/error.log" 2>>"$DIR/error.log"
for _ in $(seq 50); do [ -s "$DIR/nginx.pid" ] && break; sleep 0.05; done
