#!/usr/bin/env bash
# package.sh — build the Debian packages (exporterd + one exporterd-<module>
# per module) into $BUILD_DIR (default build-pkg/), for prefix /usr.
#
#   scripts/package.sh            then: apt install ./build-pkg/exporterd*.deb
#   BUILD_DIR=/tmp/p SKIP_SETUP=1 scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-pkg}
[[ -n "${SKIP_SETUP:-}" ]] || scripts/setup.sh
# Debian's hardening for the links: full RELRO, bind now (lintian).
ldflags="-Wl,-z,relro -Wl,-z,now"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX=/usr -DEXPORTERD_BUILD_TESTS=OFF \
  -DEXPORTERD_WERROR=ON \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_MODULE_LINKER_FLAGS="$ldflags" >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-2}"
rm -f "$BUILD_DIR"/*.deb
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
ls "$BUILD_DIR"/*.deb
