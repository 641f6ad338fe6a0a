# Sourced by scripts/container.sh and the package tests (tests/package/):
# the Debian 12 base they build on, made once and kept as a tarball.

# debian_base_tarball TARBALL: a Debian 12 minbase root (debootstrap, from
# deb.debian.org) as the tar file TARBALL, unless that is already there;
# debootstrap's output goes to TARBALL.log.
debian_base_tarball() {
  local tarball=$1 root
  [[ -s $tarball ]] && return 0
  root=$(mktemp -d /tmp/exporterd-rootfs-XXXXXX)
  chmod 755 "$root" # the tarball's "/" (mktemp made it 0700)
  if ! debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian \
    >"$tarball.log" 2>&1; then
    tail -20 "$tarball.log"
    rm -rf --one-file-system "$root"
    echo "FAIL: debootstrap (log: $tarball.log)"
    return 1
  fi
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf --one-file-system "$root"
}

# debian_root TARBALL DIR: that base unpacked in DIR (debian_base_tarball
# makes TARBALL when absent), with this machine's apt sources (the packages
# were built against its libraries' versions) and its resolv.conf.
debian_root() {
  local tarball=$1 dir=$2 f
  debian_base_tarball "$tarball" || return 1
  mkdir -p "$dir"
  tar -C "$dir" -xf "$tarball"
  rm -f "$dir/etc/apt/sources.list" "$dir"/etc/apt/sources.list.d/*
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && cp "$f" "$dir$f"
  done
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
}
