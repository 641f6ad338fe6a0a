# Shell helpers shared by the e2e and integration tests and the benchmarks.
# Source it: . "$(dirname "$0")/../lib/common.sh"

# A free TCP port on loopback from a random high range.
free_port() {
  local p
  for p in $(shuf -i 20000-40000 -n 100); do
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# wait_http URL SECONDS: until URL answers 2xx, or fail.
wait_http() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}
