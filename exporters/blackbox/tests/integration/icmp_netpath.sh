#!/usr/bin/env bash
# icmp_netpath.sh - a routed path in network namespaces for the icmp
# prober's integration tests (after /work/shared/real/netpath.sh):
#
#   ${P}A (client) --veth-- ${P}R (router) --veth-- ${P}D (target)
#   v4: A 10.202.1.2 | R 10.202.1.1, 10.202.2.1 | D 10.202.2.2
#   v6: A fd21:1::2  | R fd21:1::1, fd21:2::1   | D fd21:2::2
#
# R has no route beyond: 10.202.9.9 / fd21:9::9 get "net unreachable" from
# it. Nothing is connected to the root namespace. ping_group_range is open
# (0..2^31-1) in A; ${P}U is a lone namespace (lo only) where it stays
# closed ("1 0", a new namespace's default).
#
# usage: icmp_netpath.sh PREFIX start|stop
#        icmp_netpath.sh PREFIX loss PCT   (R drops PCT% of the packets it
#                                           forwards towards D; 0 removes)
set -euo pipefail
P=$1; cmd=$2
A=${P}A; R=${P}R; D=${P}D; U=${P}U

stop() { for n in $A $R $D $U; do ip netns del "$n" 2>/dev/null || true; done; }

link() { # nsX ifX v4,v6 nsY ifY v4,v6
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "${3%%,*}/24" dev "$2"; ip -n "$1" -6 addr add "${3##*,}/64" dev "$2" nodad
  ip -n "$4" addr add "${6%%,*}/24" dev "$5"; ip -n "$4" -6 addr add "${6##*,}/64" dev "$5" nodad
  ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
}

start() {
  stop
  for n in $A $R $D $U; do
    ip netns add "$n"
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
  done
  ip netns exec "$A" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  link "$A" a0 10.202.1.2,fd21:1::2 "$R" r0 10.202.1.1,fd21:1::1
  link "$R" r1 10.202.2.1,fd21:2::1 "$D" d0 10.202.2.2,fd21:2::2
  ip -n "$A" route add default via 10.202.1.1; ip -n "$A" -6 route add default via fd21:1::1
  ip -n "$D" route add default via 10.202.2.1; ip -n "$D" -6 route add default via fd21:2::1
  # Neighbour discovery first: the first packets after the links come up
  # are lost otherwise.
  for i in $(seq 1 50); do
    ip netns exec "$A" ping -c 1 -W 1 10.202.2.2 >/dev/null 2>&1 &&
      ip netns exec "$A" ping -6 -c 1 -W 1 fd21:2::2 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "icmp_netpath: the path does not answer" >&2; exit 1
}

loss() {
  ip netns exec "$R" nft delete table inet icmploss 2>/dev/null || true
  [ "$1" -gt 0 ] || return 0
  local rule="numgen random mod 100 < $1 drop"
  [ "$1" -lt 100 ] || rule="drop"
  ip netns exec "$R" nft -f - <<NFT
table inet icmploss {
  chain loss_fwd { type filter hook forward priority 0; policy accept;
    oifname "r1" $rule; }
}
NFT
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  loss) loss "$3" ;;
  *) echo "usage: $0 PREFIX start|stop|loss PCT" >&2; exit 2 ;;
esac
