#!/usr/bin/env bash
# Integration: every query of exporters/raid/dashboard.json (panels and template variables), run
# against a real Prometheus (Debian package) scraping a real exporterd whose raid module runs fake
# vendor CLIs, must succeed and return data; the same Prometheus loads exporters/raid/alerts.yml and
# every rule must evaluate without error.
#
# The fake CLIs are small scripts generated here. They answer exactly the argv the module passes
# (raid_module.cc KnownTools(), the <Vendor>Commands()/FollowUpCommands() in parse_*.cc) by
# printing REAL captures from exporters/raid/tests/fixtures/ (origins in SOURCES.md) byte for byte;
# any other argv is an error (exit 2, logged), so a changed command shows up as raid_up 0 here.
# Nothing is invented. The captures, one set per tool (the module reports each tool once), mix
# healthy and broken hardware so every panel has something to show:
#   storcli  promcommunity `/call show all J nolog` + `/call/eall/sall show all J nolog` (same
#            host): healthy PRAID EP420i, RAID6 VD Optl, 4 drives Onln at 21 C, CacheVault Optimal
#   megacli  issue123 -LDInfo (VD 0/0 write-through: warning) + issue123 -PDList (same host; 252:2
#            has 71 media errors and 423 predictive failures) + issue49 -AdpBbuCmd -GetBbuStatus
#            (another host, no issue123 BBU capture exists: "Battery Replacement required: Yes")
#   arcconf  checkraid 86 GETCONFIG 1 AL + GETSTATUS 1 (same host): RAID1 LD 0 Degraded, drive
#            0,1 Failed
#   tw_cli   checkraid "lumpy" (one host): `show` = its `tw_cli info` (c0 NotOpt 1). No capture
#            of that host's `/c0 show all` exists; it is answered with the host's two real table
#            captures `info c0 unitstatus` (u0 RAID-1 REBUILDING 98%) and `info c0 drivestatus`
#            (p0 DEGRADED), printed one after the other -- the unit and port tables `/c0 show all`
#            prints, which the parser reads the same way (the unit tests feed them as ctrl.c0.*).
#   areca    checkraid 16 `rsf info` + `disk info` (same host): raid set "data" Rebuilding, disk
#            16 Failed
#   ssacli   checkraid issue98 (same host): `ctrl all show status` = its `controller all show
#            status` (P410 slot 1, battery OK); `ctrl all show config detail` = its one-line
#            `logicaldrive all show` capture (the parser reads that layout too, as the unit tests
#            do): array B Failed, so logicaldrive 2 is critical
#   md       mdstat_path = checkraid pr28-1: md1 raid1 [2/1] degraded without recovery, md0 raid1
#            [2/1] recovering 3.6% (the module reads only mdstat, no sysfs)
# No panel is legitimately empty with these captures, so every query must return data.
#
# Panel queries run as instant queries (/api/v1/query), and those Grafana runs as range queries
# (not "instant": true) also through /api/v1/query_range, with $instance = .* (the "All" value)
# and = this exporterd's instance (what the variable query offers). Template variable queries
# (label_values(selector, label)) go through /api/v1/label/<label>/values?match[]=selector.
#
# The module runs with min_interval (README: slow RAID CLIs refresh in the background) so a busy
# machine cannot push the six tools past start_prometheus' 1s scrape timeout.
#
# usage: dashboard_queries_test.sh <exporterd binary> <module dir>    (KEEP=1 keeps the work dir;
#        RAID_DASHBOARD=<file> checks that file instead of exporters/raid/dashboard.json)
# Needs: prometheus + promtool (Debian packages), curl, jq, iproute2 (ss). No root needed.
set -euo pipefail
BIN=$(realpath "$1")
MODDIR=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh" # free_port, wait_http, start_exporterd, start_prometheus
ROOT=$(cd "$HERE/../../../.." && pwd)
DASH=${RAID_DASHBOARD:-$ROOT/exporters/raid/dashboard.json}
RULES=$ROOT/exporters/raid/alerts.yml
FIX=$ROOT/exporters/raid/tests/fixtures
for tool in prometheus promtool curl jq ss; do
  command -v "$tool" >/dev/null || { echo "dashboard: missing $tool (run scripts/setup.sh)"; exit 1; }
done
[ -f "$MODDIR/exporterd_raid.so" ] || { echo "dashboard: $MODDIR/exporterd_raid.so not built"; exit 1; }

WORK=$(mktemp -d /tmp/exporterd-raiddash-XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Nothing may outlive the test: the daemon, Prometheus, or a fake tool the runner left behind.
  local left
  left=$(pgrep -af -- "$WORK" || true)
  if [ -n "$left" ]; then
    echo "FAIL: processes left behind:"; echo "$left"; rc=1
  fi
  if [ -d "$WORK/tmp" ] && [ -n "$(ls -A "$WORK/tmp")" ]; then
    echo "FAIL: the daemon left its working directory behind: $(ls -A "$WORK/tmp")"; rc=1
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT

check_dashboard_json "$DASH"
check "every panel target has a non-empty expr" \
  sh -c "jq -e '[.panels[] | (., .panels[]?) | .targets[]? | .expr // \"\" | length > 0] | all' '$DASH' >/dev/null"
check "promtool check rules" sh -c "promtool check rules '$RULES' >/dev/null"

# --- fake vendor CLIs -------------------------------------------------------------------------
mkdir -p "$WORK/bin"
: >"$WORK/calls.log"
: >"$WORK/unexpected.log"
# fake_tool <name>, then lines "<argv after the binary>|<fixture>[ <fixture>...]" on stdin:
# writes $WORK/bin/<name>, which prints the fixtures (relative to $FIX) for exactly that argv.
fake_tool() {
  local f=$WORK/bin/$1 args files x
  {
    echo '#!/bin/sh'
    echo "# generated by $0: replays real captures from $FIX"
    echo "echo \"$1 \$*\" >>'$WORK/calls.log'; pwd >>'$WORK/cwd.log'"
    echo 'case "$*" in'
    while IFS='|' read -r args files; do
      [ -n "$args" ] || continue
      printf "  '%s') cat" "$args"
      for x in $files; do
        [ -f "$FIX/$x" ] || { echo "dashboard: missing fixture $FIX/$x" >&2; return 1; }
        printf " '%s'" "$FIX/$x"
      done
      printf ' ;;\n'
    done
    echo "  *) echo \"$1 \$*\" >>'$WORK/unexpected.log'; echo \"fake $1: unexpected arguments: \$*\" >&2; exit 2 ;;"
    echo 'esac'
  } >"$f"
  chmod 755 "$f"
}
# Every chosen MegaCli capture ends "Exit Code: 0x00"; the other tools exit 0 on success: all the
# fakes exit 0 (cat's status).
fake_tool storcli64 <<'EOF'
/call show all J nolog|storcli/promcommunity-cALL-show-all.json
/call/eall/sall show all J nolog|storcli/promcommunity-cALL-eALL-sALL-show-all.json
EOF
fake_tool MegaCli64 <<'EOF'
-LDInfo -Lall -aALL -NoLog|megacli/checkraid-issue123-ldinfo-writethrough.txt
-PDList -aALL -NoLog|megacli/checkraid-issue123-pdlist-predictive-failure.txt
-AdpBbuCmd -GetBbuStatus -aALL -NoLog|megacli/checkraid-issue49-bbustatus-replacement-required.txt
EOF
fake_tool arcconf <<'EOF'
GETCONFIG 1 AL|arcconf/checkraid-86-getconfig-al-degraded-failed-drive.txt
GETSTATUS 1|arcconf/checkraid-86-getstatus.txt
EOF
fake_tool tw_cli <<'EOF'
show|tw_cli/checkraid-lumpy-info-notopt.txt
/c0 show all|tw_cli/checkraid-lumpy-unitstatus-rebuilding.txt tw_cli/checkraid-lumpy-drivestatus-degraded.txt
EOF
fake_tool cli64 <<'EOF'
rsf info|areca/checkraid-rsf-info-16-rebuilding.txt
disk info|areca/checkraid-disk-info-16-failed-disk.txt
EOF
fake_tool ssacli <<'EOF'
ctrl all show config detail|ssacli/checkraid-issue98-ld-all-show-array-failed.txt
ctrl all show status|ssacli/checkraid-issue98-ctrl-status.txt
EOF

# tool_dirs: only the fakes' directory, so a real vendor CLI on this host is never picked up (the
# module never searches the daemon's PATH). arcconf, tw_cli, cli64 and ssacli are found there by
# their default names; storcli is configured by absolute path, megacli as a bare-name argv looked
# up in tool_dirs.
cat >"$WORK/exporterd.yml" <<YML
modules:
  raid:
    timeout: 15s
    min_interval: 2s
    mdstat_path: $FIX/mdstat/checkraid-pr28-1-degraded-and-recovery.txt
    tool_dirs: [$WORK/bin]
    tools:
      storcli: $WORK/bin/storcli64
      megacli: [MegaCli64]
YML
# The module's private working directory (the tools' cwd) goes under $WORK/tmp: it must be gone
# once the daemon has stopped.
mkdir -p "$WORK/tmp"
TMPDIR=$WORK/tmp start_exporterd "$BIN" "$MODDIR" "$WORK" || exit 1
start_prometheus "$WORK" "$RULES" || exit 1
check "promtool check config" sh -c "promtool check config '$WORK/prometheus.yml' >/dev/null"
curl -sf "http://127.0.0.1:$EP/metrics" >"$WORK/scrape.prom"
check "the scrape with every vendor passes promtool check metrics" \
  sh -c "promtool check metrics <'$WORK/scrape.prom'"
curl -sf "http://127.0.0.1:$EP/" >"$WORK/landing.html"
check "the landing page lists each fake tool once, by absolute path, and \$WORK/bin once as tool_dirs" \
  sh -c "for t in storcli64 MegaCli64 arcconf tw_cli cli64 ssacli; do
           test \"\$(grep -o -- '$WORK/bin/'\$t '$WORK/landing.html' | wc -l)\" = 1 || exit 1
         done
         test \"\$(grep -o -- '$WORK/bin\$' '$WORK/landing.html' | wc -l)\" = 1"
check "the landing page shows neither the daemon's PATH nor the tools' working directory" \
  sh -c "! grep -qF -e 'PATH=' -e 'exporterd-raid-' -e \"\$PATH\" '$WORK/landing.html'"

ok=0
prom_wait 'count(count_over_time(raid_up[1m]) >= 5 and raid_up == 1) == 7' 30 && ok=1
check "Prometheus has 5 samples with all 7 tools up (6 fakes + md)" test "$ok" = 1
[ "$ok" = 1 ] || { prom_query 'raid_up' | head -c 600; echo; tail -20 "$WORK/exporterd.log"; }
check "exporterd_module_up{module=\"raid\"} is 1 in Prometheus" \
  test "$(prom_value 'exporterd_module_up{module="raid"}')" = 1
check "no fake tool was called with arguments it does not know" test ! -s "$WORK/unexpected.log"
[ -s "$WORK/unexpected.log" ] && sort -u "$WORK/unexpected.log"
expected_calls="arcconf GETCONFIG 1 AL
arcconf GETSTATUS 1
cli64 disk info
cli64 rsf info
MegaCli64 -AdpBbuCmd -GetBbuStatus -aALL -NoLog
MegaCli64 -LDInfo -Lall -aALL -NoLog
MegaCli64 -PDList -aALL -NoLog
ssacli ctrl all show config detail
ssacli ctrl all show status
storcli64 /call show all J nolog
storcli64 /call/eall/sall show all J nolog
tw_cli /c0 show all
tw_cli show"
check "every fake command was run" test "$(LC_ALL=C sort -u "$WORK/calls.log")" = "$(LC_ALL=C sort <<<"$expected_calls")"

check "the tools ran in the module's private directory under \$WORK/tmp" \
  sh -c "sort -u '$WORK/cwd.log' | grep -qvx '$WORK/tmp/exporterd-raid-[A-Za-z0-9]*' && exit 1; test -s '$WORK/cwd.log'"

INST=$(curl -sf --get "$API/label/instance/values" --data-urlencode 'match[]=raid_health' | jq -r '.data[0] // empty' || true)
check "the instance variable offers this exporterd (127.0.0.1:$EP)" test "$INST" = "127.0.0.1:$EP"

# Every panel and variable, for "All" and for this exporterd.
check_dashboard_queries "$DASH" instance='.*' -- "instance=$INST"

# --- values: the dashboard's own queries against what the captures say --------------------------
# panel <title> [refId]: that target's expr, filled for "All"
panel() {
  local e
  e=$(jq -r --arg t "$1" --arg r "${2:-A}" '.panels[] | (., .panels[]?) | select(.title == $t)
        | .targets[] | select(.refId == $r) | .expr' "$DASH")
  dashboard_fill "$e" 'instance=.*'
}
# narrow <selector expr ending in }> <matchers>: the same selector with more label matchers
narrow() { printf '%s' "${1%\}},$2}"; }
# is <description> <promql> <expected value>
is() {
  local got
  got=$(prom_value "$2")
  check "$1 = $3 (got ${got:-nothing})" test "$got" = "$3"
}
is "Host RAID health: critical" "$(panel 'Host RAID health')" 2
is "Tools down: none" "$(panel 'Tools down')" 0
is "Tool up: 7 tools, all 1" "count($(panel 'Tool up') == 1)" 7
# arcconf LD 0 (Degraded), ssacli logicaldrive 2 (array B Failed), md1 ([2/1], no recovery)
is "Degraded/failed arrays: arcconf 1/0, ssacli 1/2, md1" "$(panel 'Degraded/failed arrays')" 3
is "  arcconf LD 0 is Degraded" \
  "$(narrow "$(panel 'Logical drives (arrays)' A)" 'tool="arcconf",drive="0",state="Degraded"')" 1
is "  ssacli logicaldrive 2 (array B Failed) is critical" \
  "$(narrow "$(panel 'Logical drives (arrays)' B)" 'tool="ssacli",drive="2"')" 2
is "  md1 is missing 1 of its 2 disks" \
  'node_md_disks_required{device="md1"} - on(instance, job, device) node_md_disks{device="md1",state="active"}' 1
# arcconf 0,1 (Failed), tw_cli p0 (DEGRADED), areca disk 16 (Failed)
is "Failed disks: arcconf 0,1, tw_cli p0, areca 16" "$(panel 'Failed disks')" 3
is "  failed drives on the arcconf controller with the degraded RAID1" \
  "count($(narrow "$(panel 'Physical drives' B)" 'tool="arcconf"') == 2)" 1
is "  areca disk 16 is critical" "$(narrow "$(panel 'Physical drives' B)" 'tool="areca",drive="16"')" 2
is "  areca raid set \"data\" (Rebuilding) is a warning" \
  "$(narrow "$(panel 'Logical drives (arrays)' B)" 'tool="areca",drive="data"')" 1
is "  areca: 15 members of \"data\" besides the failed one" \
  "count($(narrow "$(panel 'Physical drives' A)" 'tool="areca",state="data"'))" 15
# only megacli's BBU (issue49: Battery Replacement required: Yes) is not ok
is "Batteries not OK: megacli" "$(panel 'Batteries not OK')" 1
is "  batteries listed: storcli CacheVault, megacli BBU, ssacli" "count($(panel 'Batteries / cache vaults' A))" 3
is "  megacli battery is critical" "$(narrow "$(panel 'Batteries / cache vaults' B)" 'tool="megacli"')" 2
is "Controllers: storcli 0, arcconf 1, tw_cli c0, ssacli 1" "count($(panel 'Controllers' A))" 4
is "  tw_cli c0 is NotOpt=1" "$(narrow "$(panel 'Controllers' A)" 'tool="tw_cli",controller="c0",state="NotOpt=1"')" 1
is "  tw_cli c0 is a warning" "$(narrow "$(panel 'Controllers' B)" 'tool="tw_cli",controller="c0"')" 1
is "Rebuild progress: md0 at 3.6% (x 1000)" "round(1000 * $(narrow "$(panel 'Rebuild progress')" 'tool="md",drive="md0"'))" 36
is "Rebuild progress: tw_cli u0 at 98%" "$(narrow "$(panel 'Rebuild progress')" 'tool="tw_cli",drive="u0"')" 0.98
is "Rebuild progress: nothing else" "count($(panel 'Rebuild progress'))" 2
MDSYNC=$(panel 'md sync progress (node_md_*)')
is "md sync progress: md1 complete" "($MDSYNC) and on(device) node_md_blocks{device=\"md1\"}" 1
is "md sync progress: md0 7680 of 208704 blocks (x 1e6, rounded)" \
  "round(1e6 * (($MDSYNC) and on(device) node_md_blocks{device=\"md0\"}))" \
  "$(awk 'BEGIN { printf "%d", 1e6 * 7680 / 208704 + 0.5 }')"
is "Drive temperature: storcli 252:0 at 21 C" "$(narrow "$(panel 'Drive temperature')" 'tool="storcli",drive="252:0"')" 21
# megacli 252:2 (issue123 PDList): Media Error Count 71, Predictive Failure Count 423 -- both
# series must be on the panel (one drive, two metrics), and no other drive has either.
MEDIA=$(panel 'Media errors / predictive failures')
media=$(prom_query "$MEDIA" | jq -c '[.data.result[] | {("\(.metric.drive) \(.metric.__name__)"): .value[1]}] | add' || true)
check "Media errors / predictive failures: megacli 252:2 has 71 and 423, nothing else (got $media)" \
  test "$media" = '{"252:2 raid_physical_drive_media_errors":"71","252:2 raid_physical_drive_predictive_failures":"423"}'

# Alert rules: all evaluate cleanly on this data; the broken things make their alerts pending.
sleep 2
rules=$(curl -sf "$API/rules" || true)
check "every alert rule evaluates without error" \
  sh -c "jq -e '[.data.groups[].rules[] | .health] | length == 7 and all(. == \"ok\")' >/dev/null" <<<"$rules"
jq -r '.data.groups[].rules[] | select(.health != "ok") | "  \(.name): \(.lastError)"' <<<"$rules"
pending=$(prom_query 'count by (alertname) (ALERTS{alertstate="pending"})' |
  jq -c '[.data.result[] | "\(.metric.alertname)=\(.value[1])"] | sort' || true)
check "pending alerts: 3 arrays, 3 disks, 1 battery, 2 rebuilds (got $pending)" test "$pending" = \
  '["RaidArrayDegraded=3","RaidBatteryFailed=1","RaidDiskFailed=3","RaidRebuildTooLong=2"]'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
