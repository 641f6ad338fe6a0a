#!/usr/bin/env bash
# The Debian packages (deb_test.sh built them) installed with apt in a clean Debian 12 made by
# debootstrap (minbase, the base tarball container_test.sh uses, kept beside the packages), with
# this machine's apt sources, so Debian resolves every dependency:
#  - exporterd alone pulls adduser and its libraries, none of a module's (net-snmp, curl, ...);
#    then every exporterd-<module> installs, each pulling its own libraries;
#  - the system user and group exporterd exist, /etc/default/exporterd is a conffile, the module
#    packages' systemd drop-ins land, dpkg --audit is clean;
#  - `exporterd --config.check` accepts the shipped example config;
#  - exporterd runs in the chroot as user exporterd on a free loopback port and serves /metrics
#    with every installed module (curl from outside the chroot);
#  - purge + autoremove --purge: the package set is the base's again and the files are the base's
#    but for what the list of allowed leftovers says (the password/group databases' backups).
# It runs as root (chroot, mounts); /proc and /dev are bind-mounted into the chroot and
# unmounted on every exit path.
# usage: install_test.sh <package dir (from deb_test.sh)>
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh" # check, free_port, wait_http
. "$HERE/../../scripts/debian_base.sh"   # debian_root
PKG_DIR=$(realpath "$1")
need_tools debootstrap chroot curl findmnt
ls "$PKG_DIR"/exporterd_*.deb >/dev/null || { echo "FAIL: no packages in $PKG_DIR"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (chroot, mount)"; exit 1; }

work_dir inst
R=$WORK/root
mounts=()
on_exit() {  # the daemon (PIDS) is stopped by then
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" 2>/dev/null || true
  done
  # work_dir never deletes through a mount still there (the bind-mounted
  # /dev is the host's).
}
mnt() { mount "$@"; mounts+=("${*: -1}"); }
# apt-get in the chroot, its output to apt.log (the tail shown when it fails).
apt_in_root() { in_root apt-get "$@" >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; return 1; }; }
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  LC_ALL=C "$@"; }

debian_root "$PKG_DIR/debian-bookworm-minbase.tar" "$R" || exit 1
mnt -t proc proc "$R/proc"
mnt --bind /dev "$R/dev"
# Downloaded .debs are kept beside the packages for the next run (not in the file lists).
mkdir -p "$PKG_DIR/apt-archives/partial"
mnt --bind "$PKG_DIR/apt-archives" "$R/var/cache/apt/archives"

# Files of the root, less the state and caches apt and dpkg keep and the scratch places.
files() {
  (cd "$R" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./tmp \
    -o -path ./run -o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/lib/dpkg \
    -o -path ./var/log \) -prune -o -print | sed 's|^\.||' | sort)
}
pkgs() { in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 ~ /^.i/ {print $2}' | sort; }
files >"$WORK/files.before"
pkgs >"$WORK/pkgs.before"
check "the base lacks libyaml-cpp0.7 and libsnmp40 (apt must resolve them)" \
  bash -c "! grep -qxE 'libyaml-cpp0.7|libsnmp40' '$WORK/pkgs.before'"

apt_in_root update || { echo "FAIL: apt-get update"; exit 1; }
mkdir -p "$R/tmp/debs"
cp "$PKG_DIR"/*.deb "$R/tmp/debs/"
names=()
for f in "$R"/tmp/debs/*.deb; do names+=("$(dpkg-deb -f "$f" Package)"); done

# The daemon alone.
daemon_deb=$(cd "$R/tmp/debs" && echo exporterd_*.deb)
check "apt-get install ./$daemon_deb in Debian 12" \
  apt_in_root install -y --no-install-recommends "/tmp/debs/$daemon_deb"
pkgs >"$WORK/pkgs.daemon"
pulled=$(comm -13 "$WORK/pkgs.before" "$WORK/pkgs.daemon" | tr '\n' ' ')
echo "exporterd pulled: $pulled"
check "exporterd pulled libyaml-cpp0.7 from Debian" grep -qw 'libyaml-cpp0.7' <<<"$pulled"
check "exporterd pulled no module's library (snmp, curl, re2, ldns, brotli, rados, sql)" \
  bash -c "! grep -qE 'libsnmp|libcurl|libre2|libldns|libbrotli|librados|libpq|libmariadb|libsqlite|libsimdjson' <<<'$pulled'"

# Every module.
mods=()
for f in "$R"/tmp/debs/exporterd-*.deb; do mods+=("/tmp/debs/${f##*/}"); done
apt_in_root install -y --no-install-recommends "${mods[@]}" ||
  { echo "FAIL: apt-get install ./exporterd-*.deb"; exit 1; }
pkgs >"$WORK/pkgs.all"
for n in "${names[@]}"; do
  check "$n installed" grep -qx "$n" "$WORK/pkgs.all"
done
echo "the modules pulled: $(comm -13 "$WORK/pkgs.daemon" "$WORK/pkgs.all" | tr '\n' ' ')"
audit=$(in_root dpkg --audit 2>&1 || true)
check "dpkg --audit: ${audit:-clean}" [ -z "$audit" ]

pw=$(in_root getent passwd exporterd || true)
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
check "system user exporterd ($pw)" \
  bash -c "[ -n '$uid' ] && [ '$uid' -lt 1000 ] && [ '$home' = /nonexistent ] && [ '$shell' = /usr/sbin/nologin ]"
check "group exporterd is the user's group" \
  bash -c "[ \"\$(chroot '$R' getent group exporterd | cut -d: -f3)\" = '$gid' ]"
conff=$(in_root dpkg-query -W -f='${Conffiles}' exporterd)
check "/etc/default/exporterd is a registered conffile" grep -q '^ /etc/default/exporterd ' <<<"$conff"
check "/etc/default/exporterd is installed" [ -f "$R/etc/default/exporterd" ]
check "the unit is installed" [ -f "$R/usr/lib/systemd/system/exporterd.service" ]
check "postinst enabled the unit (deb-systemd-helper: multi-user.target.wants link)" \
  [ -L "$R/etc/systemd/system/multi-user.target.wants/exporterd.service" ]
if grep -qx exporterd-blackbox <<<"$(printf '%s\n' "${names[@]}")"; then
  check "exporterd-blackbox's drop-in adds CAP_NET_RAW" \
    grep -qx 'AmbientCapabilities=CAP_NET_RAW' "$R/usr/lib/systemd/system/exporterd.service.d/blackbox.conf"
fi
if grep -qx exporterd-postfix-qshape <<<"$(printf '%s\n' "${names[@]}")"; then
  check "exporterd-postfix-qshape's drop-in adds CAP_DAC_READ_SEARCH" grep -qx \
    'AmbientCapabilities=CAP_DAC_READ_SEARCH' "$R/usr/lib/systemd/system/exporterd.service.d/postfix-qshape.conf"
fi
check "exporterd --config.check passes on the shipped example" \
  in_root /usr/bin/exporterd --config.file=/usr/share/doc/exporterd/exporterd.yml --config.check

# The installed daemon, as its user, in the chroot; scraped from outside.
port=$(free_port)
chroot --userspec=exporterd:exporterd "$R" /usr/bin/exporterd \
  --web.listen-address="127.0.0.1:$port" 2>"$WORK/daemon.log" &
DPID=$!
PIDS+=("$DPID")
if wait_http "http://127.0.0.1:$port/-/ready" 20; then
  curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics"
  check "the daemon runs as exporterd" \
    bash -c "[ \"\$(awk '/^Uid:/ {print \$2}' /proc/$DPID/status)\" = '$uid' ]"
  check "/metrics: raid up (reads /proc/mdstat)" \
    grep -qE '^exporterd_module_up\{module="raid"\} 1$' "$WORK/metrics"
  echo "module_up: $(grep '^exporterd_module_up' "$WORK/metrics" | tr '\n' ' ')"
  grep 'configuration loaded' "$WORK/daemon.log" || true
  # The embedded default config runs the modules that work on this host (no Ceph cluster,
  # Bacula catalog or Postfix queue in the chroot): each installed module is loaded, i.e.
  # mapped from its packaged path, and the multi-target ones serve their series.
  for n in "${names[@]}"; do
    [ "$n" = exporterd ] && continue
    m=${n#exporterd-}
    m=${m//-/_}
    check "the daemon loaded the installed $m module" \
      grep -qE " $R/usr/lib/[^/]+/exporterd/exporterd_$m\.so$" "/proc/$DPID/maps"
  done
  for m in raid snmp blackbox; do
    grep -qx "exporterd-$m" <<<"$(printf '%s\n' "${names[@]}")" || continue
    check "/metrics: exporterd_module_up{module=\"$m\"}" \
      grep -qE "^exporterd_module_up\\{module=\"$m\"\\} [01]$" "$WORK/metrics"
  done
else
  tail -20 "$WORK/daemon.log"
  check "the installed daemon answers /-/ready" false
fi
kill "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
DPID=""

# Purge, then the dependencies apt pulled.
rm -rf "$R/tmp/debs"
check "apt-get purge of every exporterd package" apt_in_root purge -y "${names[@]}"
check "apt-get autoremove --purge" apt_in_root autoremove --purge -y
pkgs >"$WORK/pkgs.after"
extra=$(comm -13 "$WORK/pkgs.before" "$WORK/pkgs.after" | tr '\n' ' ')
check "after purge and autoremove the packages are the base's (left: ${extra:-none})" [ -z "$extra" ]
files >"$WORK/files.after"
added=$(comm -13 "$WORK/files.before" "$WORK/files.after")
echo "files added since the base (before the allow-list): $(tr '\n' ' ' <<<"$added")"
# Allowed: adduser's and deluser's backups of the password and group databases.
left=$(grep -vxE '/etc/(passwd|group|shadow|gshadow)-' <<<"$added" || true)
check "purge leaves no other file behind (left: ${left:-none})" [ -z "$left" ]
user_left=$(in_root getent passwd exporterd || true)
echo "system user after purge: ${user_left:-removed}"
check "postrm purge removed the user exporterd (${user_left:-gone})" [ -z "$user_left" ]
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
