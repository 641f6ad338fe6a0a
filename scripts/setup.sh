#!/usr/bin/env bash
# setup.sh — install everything exporterd needs to build, test and benchmark on Debian 12.
# Idempotent: only missing packages are installed. Run as root (or with sudo available).
#
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --bench    also the benchmark peers (prometheus-pushgateway)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Build toolchain and libraries linked by the core.
BUILD_PKGS=(
  g++ cmake make pkg-config ccache clang-format
  dpkg-dev                                # dpkg-shlibdeps for the .deb packages
  libboost-dev libboost-system-dev        # Boost.Asio + Beast (HTTP/TLS server)
  prometheus-cpp-dev                      # core metric types + text serializer
  libyaml-cpp-dev libssl-dev zlib1g-dev libcrypt-dev
  libgtest-dev libgmock-dev
)
# Tools the tests drive: real Prometheus/promtool (e2e), htpasswd (bcrypt hashes),
# openssl (test certificates), curl (HTTP client in integration tests).
TEST_PKGS=(prometheus apache2-utils openssl curl procps jq iproute2 gzip wrk
  podman runc debootstrap             # the container image and install tests
  systemd-container                   # the unit test: systemd-nspawn boots Debian 12
  lintian                             # the packages checked against Debian policy
  yamllint python3-kubernetes python3-yaml)  # deploy/ checked offline
# `kubectl kustomize` renders deploy/kubernetes: Debian's kubectl (1.20, its
# kustomize renders ours the same as 1.32's), unless a kubectl is installed
# already (Google's kubectl package conflicts with it).
command -v kubectl >/dev/null || TEST_PKGS+=(kubernetes-client)
# Benchmarks (--bench). bench/blackbox.sh also needs nginx-light and
# prometheus-blackbox-exporter (the blackbox module's packages.txt) and wrk.
BENCH_PKGS=(prometheus-pushgateway bc python3)

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
# Each module lists the Debian packages its build and tests need in
# exporters/<name>/packages.txt (names separated by spaces or lines, # comments).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for f in "$here"/exporters/*/packages.txt; do
  [[ -f $f ]] || continue
  while read -r line; do
    line=${line%%#*}
    for p in $line; do want+=("$p"); done
  done <"$f"
done
[[ "${1:-}" == "--bench" ]] && want+=("${BENCH_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  # postfix: tests run private instances; never configure the system MTA.
  echo "postfix postfix/main_mailer_type select No configuration" |
    $SUDO debconf-set-selections
  # bacula: tests build their own catalogs; no dbconfig database here.
  echo "bacula-director-sqlite3 bacula-director-sqlite3/dbconfig-install boolean false" |
    $SUDO debconf-set-selections
  # Installing a package must never start its daemon here (prometheus, pushgateway).
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# bacula: the PostgreSQL and MySQL catalog schemas for the tests. Their
# bacula-director-* packages conflict with -sqlite3, so they are only unpacked.
for db in pgsql mysql; do
  schema=/usr/local/share/exporterd/bacula-director-$db.sql
  [[ " ${want[*]} " == *" bacula-director "* && ! -f $schema ]] || continue
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  d=$(mktemp -d)
  chmod 755 "$d"  # apt-get download runs as _apt
  (cd "$d" && { apt-get download -qq "bacula-director-$db" 2>/dev/null ||
                { $SUDO apt-get update -qq && apt-get download -qq "bacula-director-$db"; }; } &&
     dpkg-deb -x "bacula-director-${db}"_*.deb x &&
     $SUDO install -D -m644 \
       "x/usr/share/dbconfig-common/data/bacula-director-$db/install/$db" "$schema")
  rm -rf "$d"
done
echo "setup: dependencies present" >&2
