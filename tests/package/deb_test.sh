#!/usr/bin/env bash
# The Debian packages (scripts/package.sh): built for prefix /usr, then checked
# without installing them on this machine:
#  - one package per module plus exporterd, module packages pinned to the daemon's version,
#    shared-library dependencies from dpkg-shlibdeps (librados2 only in exporterd-ceph, ...);
#  - unpacked under a scratch root, the packaged binary finds the packaged modules on its own
#    (no --module.dir), serves /metrics with every module's exporterd_module_up, and accepts
#    the packaged example config; the packaged alert rules pass promtool; the unit file passes
#    systemd-analyze verify (with the module packages' drop-ins); the maintainer scripts parse;
#  - lintian clean (overrides shipped with a reason), copyright and changelog in every package;
#  - exporterd-snmp and exporterd-blackbox depend on exactly their libraries, the daemon on none
#    of a module's;
#  - the daemon's unit grants no capability, the blackbox and postfix-qshape drop-ins add
#    CAP_NET_RAW and CAP_DAC_READ_SEARCH, merged; systemd-analyze security --offline scores the
#    unit <= 2.0 ("OK") with and without them.
# usage: deb_test.sh <build dir for the packages>
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh" # free_port, wait_http
PKG_DIR=$1
work_dir deb

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
# Each module's package adds its own libraries to the daemon's and no others; the daemon pulls
# none of them. The expected sets are exact: a new library must be added here on purpose.
libs() { depends "$1" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -vx exporterd | sort; }
added() { comm -23 <(libs "$1") <(libs exporterd) | tr '\n' ' ' | sed 's/ $//'; }
# snmp: net-snmp, RE2 (regex_extracts); blackbox: curl, ldns (dns), RE2, brotli (libssl3,
# libyaml-cpp and zlib are the daemon's too). Their debug pages print series with the SDK's
# text format (exporterd/text_format.h), so neither needs prometheus-cpp's library.
declare -A want_libs=(
  [exporterd-snmp]="libre2-9 libsnmp40"
  [exporterd-blackbox]="libbrotli1 libcurl4 libldns3 libre2-9"
)
for p in "${!want_libs[@]}"; do
  [ -f "$(deb "$p")" ] || continue
  echo "$p depends on: $(libs "$p" | tr '\n' ' ')"
  check "$p adds exactly ${want_libs[$p]} to the daemon's libraries (adds: $(added "$p"))" \
    [ "$(added "$p")" = "${want_libs[$p]}" ]
done
daemon_libs=$(libs exporterd | tr '\n' ' ')
echo "exporterd depends on: $daemon_libs"
check "exporterd pulls no module's library" bash -c "! grep -qE \
  'libsnmp|libcurl|libre2|libldns|libbrotli|librados|libsimdjson|libpq|libmariadb|libsqlite' <<<'$daemon_libs'"

# Debian policy: lintian (Debian 12's) has nothing to say at its default level (errors,
# warnings); every override is shipped in its package with its reason (deploy/debian/lintian/).
if command -v lintian >/dev/null; then
  # (--tag-display-limit 0 is 2.116's spelling of --no-tag-display-limit; stderr has only its
  # notes, such as running as root.)
  lrc=0
  lintian --tag-display-limit 0 "$PKG_DIR"/*.deb >"$WORK/lintian.txt" 2>"$WORK/lintian.err" || lrc=$?
  [ "$lrc" -ge 2 ] && cat "$WORK/lintian.err"
  check "lintian ran (status $lrc) on $(ls "$PKG_DIR"/*.deb | wc -l) packages: $(wc -l <"$WORK/lintian.txt") tags" \
    bash -c "[ $lrc -lt 2 ] && [ ! -s '$WORK/lintian.txt' ]"
  [ -s "$WORK/lintian.txt" ] && cat "$WORK/lintian.txt"
else
  check "lintian installed (scripts/setup.sh)" false
fi
for f in "$PKG_DIR"/*.deb; do
  p=$(dpkg-deb -f "$f" Package)
  pc=$(dpkg-deb -c "$f" | awk '{print $6}')
  check "$p ships copyright and changelog.gz" bash -c "grep -qxF './usr/share/doc/$p/copyright' <<<'$pc' &&
    grep -qxF './usr/share/doc/$p/changelog.gz' <<<'$pc'"
  if grep -qxF "./usr/share/lintian/overrides/$p" <<<"$pc"; then
    dpkg-deb --fsys-tarfile "$f" | tar -xO "./usr/share/lintian/overrides/$p" >"$WORK/overrides"
    check "$p: each shipped lintian override has its reason on the line above" \
      awk '/^[^#]/ && prev !~ /^#/ {bad=1} {prev=$0} END {exit bad}' "$WORK/overrides"
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
PIDS+=("$DPID")
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
for m in "${modules[@]}"; do
  p=exporterd-${m//_/-}
  for s in postinst postrm; do
    check "$p's $s is there and parses" \
      bash -c "dpkg-deb --ctrl-tarfile '$(deb "$p")' | tar -xO ./$s | sh -n"
  done
done

# The unit: the daemon alone has no capability; exporterd-blackbox's and
# exporterd-postfix-qshape's drop-ins add theirs, merged by systemd. systemd-analyze security
# (offline, on the unpacked root) scores it with and without them: both "OK" (<= 2.0).
U=$R/usr/lib/systemd/system
D=$U/exporterd.service.d
check "the daemon's unit grants no capability" \
  bash -c "grep -qx 'CapabilityBoundingSet=' '$U/exporterd.service' &&
    ! grep -E '^(AmbientCapabilities|CapabilityBoundingSet)=.' '$U/exporterd.service'"
declare -A dropin=([blackbox]=CAP_NET_RAW [postfix_qshape]=CAP_DAC_READ_SEARCH)
for m in "${!dropin[@]}"; do
  grep -qx "$m" <<<"$(printf '%s\n' "${modules[@]}")" || continue
  p=exporterd-${m//_/-}
  check "$p ships the drop-in ${m//_/-}.conf" grep -qxF \
    "./usr/lib/systemd/system/exporterd.service.d/${m//_/-}.conf" <<<"$(dpkg-deb -c "$(deb "$p")" | awk '{print $6}')"
  check "${m//_/-}.conf adds ${dropin[$m]} (ambient and bounding)" bash -c \
    "grep -qx 'AmbientCapabilities=${dropin[$m]}' '$D/${m//_/-}.conf' && grep -qx 'CapabilityBoundingSet=${dropin[$m]}' '$D/${m//_/-}.conf'"
done
security() { systemd-analyze security --offline=true --root="$1" exporterd.service 2>&1; }
score() { sed -n 's/.*Overall exposure level for exporterd.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' <<<"$1"; }
R0=$WORK/unit-only
mkdir -p "$R0/usr/lib/systemd/system" "$R0/usr/bin"
cp "$U/exporterd.service" "$R0/usr/lib/systemd/system/"
cp "$R/usr/bin/exporterd" "$R0/usr/bin/"
security "$R0" >"$WORK/security.unit"
security "$R" >"$WORK/security.dropins"
read -r s0 l0 <<<"$(score "$(cat "$WORK/security.unit")")"
read -r s1 l1 <<<"$(score "$(cat "$WORK/security.dropins")")"
check "exposure of the daemon's unit alone: ${s0:-?} ${l0:-?} (<= 2.0)" \
  awk -v s="${s0:-99}" 'BEGIN {exit !(s <= 2.0)}'
check "exposure with every module's drop-in: ${s1:-?} ${l1:-?} (<= 2.0)" \
  awk -v s="${s1:-99}" 'BEGIN {exit !(s <= 2.0)}'
check "alone: no capability flagged" bash -c "! grep -E '✗ (CapabilityBoundingSet|AmbientCapabilities)' '$WORK/security.unit'"
if [ -f "$D/blackbox.conf" ]; then
  check "drop-ins merged: CAP_NET_RAW in the bounding set" \
    grep -qF '✗ CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)' "$WORK/security.dropins"
fi
if [ -f "$D/postfix-qshape.conf" ]; then
  check "drop-ins merged: CAP_DAC_READ_SEARCH in the bounding set" \
    grep -qF '✗ CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)' "$WORK/security.dropins"
fi
n_dropins=$(find "$D" -name '*.conf' 2>/dev/null | wc -l)
check "drop-ins merged: $n_dropins capability groups flagged, nothing else (CAP_SYS_ADMIN, CAP_SETUID, ... off)" \
  bash -c "[ \$(grep -c '✗ CapabilityBoundingSet' '$WORK/security.dropins') = $n_dropins ]"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
