#!/usr/bin/env bash
# The packaged unit under a real systemd: a Debian 12 container (the debootstrap base the
# container and install tests share) booted with systemd-nspawn, systemd and the packages
# installed with apt; postinst enables the unit and systemd starts it at boot.
#  - exporterd runs under the hardened unit (NoNewPrivs, seccomp, user exporterd), serves
#    /metrics (raid up) and an ICMP and an HTTP probe from the host's loopback;
#  - the drop-ins of exporterd-blackbox and exporterd-postfix-qshape are merged: the process's
#    bounding and ambient sets are exactly CAP_NET_RAW + CAP_DAC_READ_SEARCH;
#  - removing those two packages (their postrm: daemon-reload, try-restart) leaves the daemon
#    running with no capability at all.
#  - RAID vendor CLIs through sudo: the packaged unit stops sudo (raid_up 0); with the local
#    drop-in docs/packaging.md gives, a root-only stand-in CLI answering with real storcli
#    captures runs through `sudo -n` and the raid README's sudoers rules (raid_up 1).
# The host needs no systemd (nspawn runs without machined: --register=no --keep-unit).
# usage: systemd_test.sh <package dir (from deb_test.sh)>
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh" # check, free_port, wait_http
. "$HERE/../../scripts/debian_base.sh"   # debian_root
PKG_DIR=$(realpath "$1")
need_tools systemd-nspawn nsenter debootstrap curl
ls "$PKG_DIR"/exporterd_*.deb >/dev/null || { echo "FAIL: no packages in $PKG_DIR"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (systemd-nspawn)"; exit 1; }

work_dir sd
D=$WORK/root
MACHINE=exporterd-$(basename "$WORK" | tr 'A-Z_' 'a-z-')
NSPID=""
on_exit() {
  if [ -n "$NSPID" ] && kill -0 "$NSPID" 2>/dev/null; then
    local init
    init=$(ps -o pid= --ppid "$NSPID" | head -1 | tr -d ' ')
    kill -TERM "$NSPID" 2>/dev/null || true # nspawn: the container powers off
    for _ in $(seq 1 30); do kill -0 "$NSPID" 2>/dev/null || break; sleep 1; done
    # Still up: killing the container's init ends its whole pid namespace.
    [ -n "$init" ] && kill -KILL "$init" 2>/dev/null || true
    for _ in $(seq 1 10); do kill -0 "$NSPID" 2>/dev/null || break; sleep 1; done
    kill -KILL "$NSPID" 2>/dev/null || true
  fi
  [ -n "$NSPID" ] && wait "$NSPID" 2>/dev/null || true
  rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null || true
  if [ -n "$NSPID" ] && kill -0 "$NSPID" 2>/dev/null; then
    echo "WARNING: systemd-nspawn $NSPID still running, $WORK not removed"
    KEEP=1
  fi
  return 0
}

debian_root "$PKG_DIR/debian-bookworm-minbase.tar" "$D" || exit 1
mkdir -p "$D/root/debs" "$PKG_DIR/apt-archives/partial" # nspawn mounts a tmpfs on /tmp
cp "$PKG_DIR"/*.deb "$D/root/debs/"
nspawn=(systemd-nspawn -q --register=no --keep-unit --machine="$MACHINE" -D "$D")
"${nspawn[@]}" --bind="$PKG_DIR/apt-archives:/var/cache/apt/archives" --setenv=DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv dbus sudo /root/debs/*.deb' \
  >"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; echo "FAIL: apt-get in the container"; exit 1; }
port=$(free_port)
# The conffile, edited as an admin would: a free loopback port (the host's network is shared).
echo "ARGS=\"--web.listen-address=127.0.0.1:$port\"" >"$D/etc/default/exporterd"

"${nspawn[@]}" -b >"$WORK/boot.log" 2>&1 </dev/null &
NSPID=$! # systemd-nspawn itself; its child is the container's systemd
if ! wait_http "http://127.0.0.1:$port/-/ready" 90; then
  tail -30 "$WORK/boot.log"
  check "systemd started exporterd.service at boot, answering on 127.0.0.1:$port" false
  echo "$passed passed, $failed failed"
  exit 1
fi
check "systemd started exporterd.service at boot (enabled by postinst)" true
init=$(ps -o pid= --ppid "$NSPID" | head -1 | tr -d ' ')
in_ct() { nsenter -t "$init" -a "$@"; }
show() { in_ct systemctl show exporterd.service -p "$1" --value 2>&1 || true; }
# The daemon's pid on the host (MainPID is the container's pid namespace's).
daemon_pid() {
  local p
  for p in $(pgrep -x exporterd); do
    tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "127.0.0.1:$port" && { echo "$p"; return; }
  done
}
status_of() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$(daemon_pid)/status" 2>/dev/null || true; }

check "unit active (running): $(show ActiveState) ($(show SubState))" [ "$(show SubState)" = running ]
dropins=$(show DropInPaths)
check "systemd read both drop-ins: $dropins" bash -c \
  "grep -q blackbox.conf <<<'$dropins' && grep -q postfix-qshape.conf <<<'$dropins'"
uid=$(awk -F: '$1 == "exporterd" {print $3}' "$D/etc/passwd")
check "runs as exporterd (uid $uid): Uid $(status_of Uid)" [ "$(status_of Uid)" = "$uid" ]
check "NoNewPrivs: $(status_of NoNewPrivs)" [ "$(status_of NoNewPrivs)" = 1 ]
check "seccomp filter on (Seccomp: $(status_of Seccomp))" [ "$(status_of Seccomp)" = 2 ]
# CAP_DAC_READ_SEARCH is bit 2, CAP_NET_RAW bit 13: 0x2004.
check "bounding set = CAP_NET_RAW + CAP_DAC_READ_SEARCH (CapBnd $(status_of CapBnd))" \
  [ "$(status_of CapBnd)" = 0000000000002004 ]
check "ambient set = the same (CapAmb $(status_of CapAmb))" [ "$(status_of CapAmb)" = 0000000000002004 ]
curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics" || true
check "/metrics under the unit: raid up" grep -qE '^exporterd_module_up\{module="raid"\} 1$' "$WORK/metrics"
curl -sf "http://127.0.0.1:$port/probe?module=icmp&target=127.0.0.1" >"$WORK/icmp" || true
check "ICMP probe under the unit: probe_success 1" grep -qx 'probe_success 1' "$WORK/icmp"
curl -sf "http://127.0.0.1:$port/probe?module=http_2xx&target=http://127.0.0.1:$port/-/ready" \
  >"$WORK/http" || true
check "HTTP probe under the unit: probe_success 1" grep -qx 'probe_success 1' "$WORK/http"

# Without the two modules: their postrm reloads systemd and restarts the daemon.
old=$(daemon_pid)
in_ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y exporterd-blackbox exporterd-postfix-qshape \
  >>"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; check "apt-get remove in the container" false; }
wait_http "http://127.0.0.1:$port/-/ready" 30 || true
new=$(daemon_pid)
check "the module packages' postrm restarted the daemon (pid $old -> ${new:-none})" \
  bash -c "[ -n '$new' ] && [ '$new' != '$old' ]"
check "no drop-in left: '$(show DropInPaths)'" [ -z "$(show DropInPaths)" ]
check "the daemon alone: empty bounding set (CapBnd $(status_of CapBnd))" \
  [ "$(status_of CapBnd)" = 0000000000000000 ]
check "the daemon alone: no ambient capability (CapAmb $(status_of CapAmb))" \
  [ "$(status_of CapAmb)" = 0000000000000000 ]
curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics" || true
check "/metrics without them: raid up" grep -qE '^exporterd_module_up\{module="raid"\} 1$' "$WORK/metrics"

# RAID vendor CLIs through sudo (raid README, Permissions): the packaged unit stops sudo; the
# drop-in docs/packaging.md gives lets it run. The CLI is a root-owned stand-in that answers
# only as root, with real storcli captures (the module's fixtures).
REPO=$(cd "$HERE/../.." && pwd)
cli=/opt/MegaRAID/storcli
mkdir -p "$D$cli"
cp "$REPO/exporters/raid/tests/fixtures/storcli/promcommunity-cALL-show-all.json" "$D$cli/show.json"
cp "$REPO/exporters/raid/tests/fixtures/storcli/promcommunity-cALL-eALL-sALL-show-all.json" \
  "$D$cli/drives.json"
cat >"$D$cli/storcli64" <<EOF
#!/bin/sh
[ "\$(id -u)" = 0 ] || { echo "storcli stand-in: not root (uid \$(id -u))" >&2; exit 1; }
case "\$*" in
  "/call show all J nolog") exec cat $cli/show.json ;;
  "/call/eall/sall show all J nolog") exec cat $cli/drives.json ;;
esac
echo "storcli stand-in: unexpected arguments: \$*" >&2
exit 2
EOF
chmod 0755 "$D$cli/storcli64"
cat >"$D/etc/sudoers.d/exporterd-raid" <<EOF
Defaults:exporterd !requiretty, !syslog
exporterd ALL=(root) NOPASSWD: $cli/storcli64 /call show all J nolog, \\
    $cli/storcli64 /call/eall/sall show all J nolog
EOF
chmod 0440 "$D/etc/sudoers.d/exporterd-raid"
mkdir -p "$D/etc/exporterd"
printf 'modules:\n  raid:\n    tools:\n      storcli: [sudo, -n, %s/storcli64]\n' "$cli" \
  >"$D/etc/exporterd/raid.yml"
echo "ARGS=\"--web.listen-address=127.0.0.1:$port --config.file=/etc/exporterd/raid.yml\"" \
  >"$D/etc/default/exporterd"
raid_scrape() {
  in_ct systemctl restart exporterd.service >>"$WORK/apt.log" 2>&1 || true
  wait_http "http://127.0.0.1:$port/-/ready" 30 || true
  curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics" || true
  echo "  (NoNewPrivs $(status_of NoNewPrivs), Seccomp $(status_of Seccomp), CapBnd $(status_of CapBnd))"
}
raid_scrape
check "the packaged unit: sudo cannot run the CLI (raid_up{tool=\"storcli\"} 0)" \
  grep -qx 'raid_up{tool="storcli"} 0' "$WORK/metrics"
grep '^raid_up\|^raid_error' "$WORK/metrics" || true
dropin=/etc/systemd/system/exporterd.service.d/raid-cli.conf
mkdir -p "$D$(dirname "$dropin")"
awk -v f="$dropin" 'index($0, "# " f) {on = 1} on && /```/ {exit} on {sub(/^  /, ""); print}' \
  "$REPO/docs/packaging.md" >"$D$dropin"
check "docs/packaging.md has the drop-in $dropin" grep -q '^\[Service\]' "$D$dropin"
in_ct systemctl daemon-reload
raid_scrape
check "the drop-in is read: $(show DropInPaths)" bash -c "grep -q raid-cli.conf <<<'$(show DropInPaths)'"
check "with the drop-in: NoNewPrivs $(status_of NoNewPrivs)" [ "$(status_of NoNewPrivs)" = 0 ]
check "with the drop-in: storcli ran as root through sudo (raid_up{tool=\"storcli\"} 1)" \
  grep -qx 'raid_up{tool="storcli"} 1' "$WORK/metrics"
grep '^raid_up\|^raid_error' "$WORK/metrics" || true
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
