#!/usr/bin/env bash
# container.sh — build the exporterd container image (deploy/container/Containerfile)
# from the Debian packages, with podman.
#
#   scripts/container.sh                  image localhost/exporterd:<version>
#   BASE=docker.io/library/debian:bookworm-slim scripts/container.sh
#
# Without BASE, the Debian 12 base image is made here with debootstrap
# (minbase, from deb.debian.org) and imported as localhost/exporterd-base:
# no container registry is needed. env: PKG_DIR (packages; built when it has
# none, default build-pkg), IMAGE, SKIP_SETUP=1, PODMAN_OPTS (global podman
# options, e.g. "--runtime runc").
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/debian_base.sh  # debian_base_tarball
[[ -n "${SKIP_SETUP:-}" ]] || scripts/setup.sh
PKG_DIR=${PKG_DIR:-build-pkg}
version=$(sed -n 's/^project(exporterd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
IMAGE=${IMAGE:-localhost/exporterd:$version}
read -r -a popts <<<"${PODMAN_OPTS:-}"
pm() { podman "${popts[@]}" "$@"; }
ls "$PKG_DIR"/exporterd_*.deb >/dev/null 2>&1 ||
  BUILD_DIR=$PKG_DIR SKIP_SETUP=1 scripts/package.sh
if [[ -z "${BASE:-}" ]]; then
  BASE=localhost/exporterd-base:bookworm
  if ! pm image exists "$BASE"; then
    tarball=${BASE_TARBALL:-$PKG_DIR/debian-bookworm-minbase.tar}
    debian_base_tarball "$tarball" >&2
    pm import "$tarball" "$BASE" >/dev/null
  fi
fi
ctx=$(mktemp -d /tmp/exporterd-ctx-XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp "$PKG_DIR"/*.deb "$ctx/"
pm build --network host --build-arg BASE="$BASE" -f deploy/container/Containerfile \
  -t "$IMAGE" "$ctx" >&2
echo "$IMAGE"
