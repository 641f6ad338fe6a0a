#!/usr/bin/env bash
# The container image (scripts/container.sh, deploy/container/Containerfile), built with podman
# from the Debian packages deb_test.sh built, on a Debian 12 base made by debootstrap; then run:
# it serves /metrics with the raid module up, as user exporterd, and `--version` answers.
# This machine's VM refuses crun's default RLIMIT_NOFILE and runs cgroups in hybrid mode, so the
# test uses runc and no default ulimits (a containers.conf of its own; nothing in /etc).
# usage: container_test.sh <package dir (from deb_test.sh)>
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh" # check, free_port, wait_http
PKG_DIR=$(realpath "$1")
need_tools podman runc debootstrap
ls "$PKG_DIR"/exporterd_*.deb >/dev/null || { echo "FAIL: no packages in $PKG_DIR"; exit 1; }
work_dir ctr
export CONTAINERS_CONF=$WORK/containers.conf
printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
export PODMAN_OPTS="--runtime runc"
pm() { podman --runtime runc "$@"; }
tag=$(basename "$WORK" | tr 'A-Z' 'a-z')
IMAGE=localhost/exporterd-test:$tag
NAME=exporterd-test-$tag
on_exit() {
  pm rm -f "$NAME" >/dev/null 2>&1 || true
  pm rmi -f "$IMAGE" >/dev/null 2>&1 || true
}

# The base tarball is kept beside the packages: debootstrap runs once per build dir.
IMAGE=$IMAGE PKG_DIR=$PKG_DIR BASE_TARBALL=$PKG_DIR/debian-bookworm-minbase.tar SKIP_SETUP=1 \
  "$ROOT_DIR/scripts/container.sh" >"$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log"; echo "FAIL: scripts/container.sh"; exit 1; }
check "image built" pm image exists "$IMAGE"
user=$(pm image inspect "$IMAGE" --format '{{.Config.User}}')
check "image runs as user exporterd (Config.User=$user)" [ "$user" = exporterd ]
version=$(sed -n 's/^project(exporterd VERSION \([0-9.]*\).*/\1/p' "$ROOT_DIR/CMakeLists.txt")
out=$(pm run --rm "$IMAGE" --version 2>&1 || true)
check "exporterd --version in the image: $(head -1 <<<"$out")" grep -qF "$version" <<<"$out"
port=$(free_port)
pm run -d --name "$NAME" --network host "$IMAGE" --web.listen-address="127.0.0.1:$port" >/dev/null
if wait_http "http://127.0.0.1:$port/-/ready" 30; then
  curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics"
  check "the container serves /metrics with the raid module up" \
    grep -qE '^exporterd_module_up\{module="raid"\} 1$' "$WORK/metrics"
  check "exporterd_build_info version $version" \
    grep -qE "^exporterd_build_info\{.*version=\"$version\".*\} 1$" "$WORK/metrics"
  uid=$(pm exec "$NAME" id -un 2>/dev/null || true)
  check "the daemon runs as exporterd (id: $uid)" [ "$uid" = exporterd ]
  pm logs "$NAME" >"$WORK/container.log" 2>&1 || true
  loaded=$(sed -n 's/.*msg="configuration loaded".* modules=\([^ ]*\).*/\1/p' "$WORK/container.log")
  for m in raid postfix_qshape snmp blackbox; do
    check "the $m package loaded (modules=$loaded)" grep -qw "$m" <<<"${loaded//,/ }"
  done
else
  pm logs "$NAME" 2>&1 | tail -20
  check "the container answers /-/ready" false
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
