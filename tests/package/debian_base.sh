# Sourced by the package tests. debian_root PKG_DIR DIR WORK: a Debian 12
# minbase in DIR, unpacked from the tarball scripts/container.sh shares
# ($PKG_DIR/debian-bookworm-minbase.tar, made with debootstrap in WORK when
# absent), with this machine's apt sources (the packages were built against
# its libraries' versions) and its resolv.conf.
debian_root() {
  local pkg_dir=$1 dir=$2 work=$3 f
  local tarball=$pkg_dir/debian-bookworm-minbase.tar
  if [[ ! -s $tarball ]]; then
    debootstrap --variant=minbase bookworm "$work/base" http://deb.debian.org/debian \
      >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; echo "FAIL: debootstrap"; return 1; }
    tar -C "$work/base" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$work/base"
  fi
  mkdir -p "$dir"
  tar -C "$dir" -xf "$tarball"
  rm -f "$dir/etc/apt/sources.list" "$dir"/etc/apt/sources.list.d/*
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && cp "$f" "$dir$f"
  done
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
}
