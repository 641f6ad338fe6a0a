#!/usr/bin/env bash
# The Debian packages (scripts/package.sh): built for prefix /usr, then checked
# without installing them on this machine:
#  - one package per module plus exporterd, module packages pinned to the daemon's version,
#    shared-library dependencies from dpkg-shlibdeps (librados2 only in exporterd-ceph, ...);
#  - unpacked under a scratch root, the packaged binary finds the packaged modules on its own
#    (no --module.dir), serves /metrics with every module's exporterd_module_up, and accepts
#    the packaged example config; the packaged alert rules pass promtool; the unit file passes
#    systemd-analyze verify; the maintainer scripts parse.
# usage: deb_test.sh <build dir for the packages>
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh" # free_port, wait_http
PKG_DIR=$1
WORK=$(mktemp -d /tmp/exporterd-deb-XXXXXX)
DPID=""
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

BUILD_DIR=$PKG_DIR SKIP_SETUP=1 "$ROOT_DIR/scripts/package.sh" >"$WORK/package.log" 2>&1 ||
  { tail -30 "$WORK/package.log"; echo "FAIL: scripts/package.sh"; exit 1; }
version=$(sed -n 's/^project(exporterd VERSION \([0-9.]*\).*/\1/p' "$ROOT_DIR/CMakeLists.txt")
deb() { echo "$PKG_DIR/$1_${version}_$(dpkg --print-architecture).deb"; }
depends() { dpkg-deb -f "$(deb "$1")" Depends; }

check "exporterd $version built" [ -f "$(deb exporterd)" ]
modules=()
for so in "$ROOT_DIR"/exporters/*/CMakeLists.txt; do
  m=$(basename "$(dirname "$so")")
  [ -f "$PKG_DIR/modules/exporterd_$m.so" ] || continue # not built on this machine
  modules+=("$m")
  p=exporterd-${m//_/-}
  check "$p built" [ -f "$(deb "$p")" ]
  check "$p depends on exporterd (= $version)" grep -qF "exporterd (= $version)" <<<"$(depends "$p")"
done
check "at least the raid and postfix_qshape modules packaged" [ ${#modules[@]} -ge 2 ]
check "exporterd depends on libssl3 and libyaml-cpp (dpkg-shlibdeps ran)" \
  grep -qE 'libssl3.*libyaml-cpp|libyaml-cpp.*libssl3' <<<"$(depends exporterd)"
check "exporterd does not depend on librados2" bash -c "! grep -q librados <<<'$(depends exporterd)'"
if [ -f "$(deb exporterd-ceph)" ]; then
  check "exporterd-ceph depends on librados2 and libsimdjson" \
    grep -qE 'librados2.*libsimdjson|libsimdjson.*librados2' <<<"$(depends exporterd-ceph)"
fi
if [ -f "$(deb exporterd-bacula)" ]; then
  check "exporterd-bacula depends on libsqlite3, libpq5, libmariadb3" \
    grep -qE 'libmariadb3.*libpq5.*libsqlite3' <<<"$(depends exporterd-bacula)"
fi
contents=$(dpkg-deb -c "$(deb exporterd)" | awk '{print $6}')
for f in ./usr/bin/exporterd ./usr/lib/systemd/system/exporterd.service ./etc/default/exporterd \
         ./usr/share/doc/exporterd/exporterd.yml ./usr/share/exporterd/alerts/exporterd.yml; do
  check "exporterd ships $f" grep -qxF "$f" <<<"$contents"
done
# Each module's package carries its folder's alert rules and dashboard (those it has).
for m in "${modules[@]}"; do
  p=exporterd-${m//_/-}
  mc=$(dpkg-deb -c "$(deb "$p")" | awk '{print $6}')
  if [ -f "$ROOT_DIR/exporters/$m/alerts.yml" ]; then
    check "$p ships its alert rules" grep -qxF "./usr/share/exporterd/alerts/$m.yml" <<<"$mc"
  fi
  if [ -f "$ROOT_DIR/exporters/$m/dashboard.json" ]; then
    check "$p ships its dashboard" grep -qxF "./usr/share/exporterd/dashboards/$m.json" <<<"$mc"
  fi
done
check "/etc/default/exporterd is a conffile" \
  bash -c "dpkg-deb --ctrl-tarfile '$(deb exporterd)' | tar -xO ./conffiles | grep -qx /etc/default/exporterd"

# Unpacked under a scratch root.
R=$WORK/root
mkdir -p "$R"
for f in "$PKG_DIR"/*.deb; do dpkg-deb -x "$f" "$R"; done
check "example config passes --config.check" \
  "$R/usr/bin/exporterd" --config.file="$R/usr/share/doc/exporterd/exporterd.yml" --config.check
port=$(free_port)
"$R/usr/bin/exporterd" --web.listen-address="127.0.0.1:$port" 2>"$WORK/daemon.log" &
DPID=$!
wait_http "http://127.0.0.1:$port/-/ready" 20 || { cat "$WORK/daemon.log"; echo "FAIL: daemon"; exit 1; }
curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics"
loaded=$(sed -n 's/.*msg="configuration loaded".* modules=\([^ ]*\).*/\1/p' "$WORK/daemon.log")
for m in "${modules[@]}"; do
  check "packaged binary loaded the packaged $m module (no --module.dir)" \
    grep -q "$R/usr/lib/.*/exporterd/exporterd_$m.so" "/proc/$DPID/maps"
  check "$m in the embedded default config (loaded: $loaded)" grep -qw "$m" <<<"${loaded//,/ }"
done
check "/metrics answers with module_up for raid" \
  grep -qE '^exporterd_module_up\{module="raid"\} [01]$' "$WORK/metrics"
check "promtool accepts the packaged alert rules" \
  promtool check rules "$R"/usr/share/exporterd/alerts/*.yml
# systemd-analyze in a root without systemd's own units complains about those; anything else
# (unknown keys, bad values, a missing ExecStart binary) is ours.
verify=$(systemd-analyze verify --root="$R" "$R/usr/lib/systemd/system/exporterd.service" 2>&1 |
  grep -vE 'sysinit\.target not found|/bin/kill is not executable' || true)
check "systemd-analyze verify: ${verify:-clean}" [ -z "$verify" ]
for s in postinst prerm postrm; do
  check "maintainer script $s parses" \
    bash -c "dpkg-deb --ctrl-tarfile '$(deb exporterd)' | tar -xO ./$s | sh -n"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
