#!/usr/bin/env bash
# Integration (real Postfix, real qshape, real exporterd): the postfix_qshape module's metrics,
# turned back into qshape's table, must equal what /usr/sbin/qshape prints for the same queue
# directory - for every queue, in recipient and sender (-s) mode, with the default buckets and
# with non-default -t/-b/-l settings.
#
# Flow: a private Postfix instance (postfix_env.sh) receives varied mail: deferred to many
# domains, upper case, trailing/leading/double dots, IP literals, quoted local parts with "@",
# null senders and real bounces, partly delivered messages (D records), hold (header check and
# postsuper -h), a corrupt file. Ages are spread over all buckets (T records rewritten). One
# exporterd per bucket setting scrapes the spool while Postfix runs (round A); then Postfix is
# stopped and incoming/active get real queue files plus files both must skip (round B).
# Also: postfix_queue_messages/_recipients against qshape's TOTAL, oldest age, promtool check
# metrics, and an exporterd running as nobody (no access to the 0700 queue) serving
# module_up 0. Finally, the cases where the module may deliberately differ from qshape
# (modern maildrop files, forced-expire 0710 files, a file whose first record is not C/S/F)
# are printed as "info:" lines, not judged.
#
# usage: parity_test.sh <exporterd binary> <module dir>     (KEEP=1 keeps the work directory)
# Needs: postfix (qshape, smtp-source, sendmail, postsuper), perl, curl, iproute2 (ss),
# util-linux (setpriv), prometheus (promtool). Run as root.
set -euo pipefail
BIN=$(realpath "$1")
MODDIR=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../tests/lib/common.sh"
PFENV=$HERE/postfix_env.sh
TABLE="perl $HERE/qshape_table.pl"
need_tools qshape smtp-source sendmail postsuper perl curl ss setpriv promtool
[ "$(id -u)" -eq 0 ] || { echo "parity: run as root (Postfix instance, 0700 queue)"; exit 1; }
[ -f "$MODDIR/exporterd_postfix_qshape.so" ] ||
  { echo "parity: $MODDIR/exporterd_postfix_qshape.so not built"; exit 1; }

umask 022
work_dir pq
chmod 755 "$WORK" # nobody must reach the spool (and be stopped by its 0700 queues)
export PF_STATE=$WORK/pf
on_exit() { "$PFENV" stop || true; }

# metric_value <file> <name> <label matcher regex>: value of the first matching series, or ""
metric_value() {
  awk -v n="$2" -v m="$3" '$1 ~ "^" n "[{]" && $1 ~ m { print $2; exit }' "$1"
}
# num_eq <a> <b>: both present and numerically equal ("1" = "1.0")
num_eq() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 == b + 0) }'; }

"$PFENV" start
"$PFENV" populate
eval "$("$PFENV" env)"
QUEUES=(incoming active deferred hold corrupt maildrop)
QUEUES_YAML="[incoming, active, deferred, hold, corrupt, maildrop]"

# Bucket settings: name tick buckets linear. All ticks are multiples of half a minute (see
# AGES_MIN in postfix_env.sh: ages of k+0.25 minutes never sit within 14 s of a bucket boundary).
# default comes last in each round: the per-queue checks after a round use its scrape.
SETTINGS=("t1b5 1 5 0" "lin2b8 2 8 1" "t3b14 3 14 0" "t05b12 0.5 12 0" "default 5 10 0")
declare -A PORT
write_config() { # write_config <name> <tick> <buckets> <linear>
  local linear=false
  [ "$4" = 1 ] && linear=true
  cat >"$WORK/$1.yml" <<YML
modules:
  postfix_qshape:
    queue_directory: $PF_SPOOL
    queues: $QUEUES_YAML
    bucket_minutes: $2
    buckets: $3
    linear: $linear
    max_domains: 0
    sender_domains: true
YML
  chmod 644 "$WORK/$1.yml"
}
start_daemon() { # start_daemon <name> [runner prefix...]
  local name=$1 port; shift
  port=$(free_port)
  while [[ " ${PORT[*]} " == *" $port "* ]]; do port=$(free_port); done # not yet bound
  "$@" "$BIN" --config.file="$WORK/$name.yml" --module.dir="$MODDIR" \
    --web.listen-address="127.0.0.1:$port" 2>"$WORK/$name.log" &
  PIDS+=($!)
  PORT[$name]=$port
}
for s in "${SETTINGS[@]}"; do
  read -r name tick bnum lin <<<"$s"
  write_config "$name" "$tick" "$bnum" "$lin"
  check "--config.check accepts the $name settings" \
    "$BIN" --config.check --config.file="$WORK/$name.yml" --module.dir="$MODDIR"
  start_daemon "$name"
done
write_config strict 5 10 0
echo "    strict_qshape: true" >>"$WORK/strict.yml"
check "--config.check accepts strict_qshape: true" \
  "$BIN" --config.check --config.file="$WORK/strict.yml" --module.dir="$MODDIR"
start_daemon strict
write_config nobody 5 10 0
start_daemon nobody setpriv --reuid=nobody --regid=nogroup --clear-groups --
NOBODY_PID=${PIDS[-1]}
for name in "${!PORT[@]}"; do
  wait_http "http://127.0.0.1:${PORT[$name]}/-/ready" 20 || { cat "$WORK/$name.log"; exit 1; }
done

# parity_case <setting> <queues,comma> <mode> <tick> <buckets> <linear> <metrics file>
parity_case() {
  local set=$1 qs=$2 mode=$3 tick=$4 bnum=$5 lin=$6 metrics=$7
  local opts=() metric=postfix_qshape_recipients
  [ "$set" = default ] || opts+=(-t "$tick" -b "$bnum")
  [ "$lin" = 1 ] && opts+=(-l)
  [ "$mode" = senders ] && { opts+=(-s); metric=postfix_qshape_senders; }
  local base=$WORK/t.$set.${qs//,/+}.$mode
  # shellcheck disable=SC2086
  qshape -c "$PF_CONF" "${opts[@]}" ${qs//,/ } >"$base.qshape" 2>>"$WORK/qshape.stderr"
  $TABLE render "$metric" "$qs" "$tick" "$bnum" "$lin" <"$metrics" >"$base.module" || true
  if ! $TABLE compare "$base.qshape" "$base.module" "$bnum" >"$base.diff"; then
    echo "  qshape -c \$PF_CONF ${opts[*]} ${qs//,/ }  vs  $metric{queue=~\"${qs//,/|}\"}:"
    cat "$base.diff"
    echo "  --- qshape:"; sed 's/^/  | /' "$base.qshape"
    echo "  --- module:"; sed 's/^/  | /' "$base.module"
    return 1
  fi
}

# round <label> <setting line> [extra queue sets...]: rebase the ages, scrape, compare every queue
round() {
  local label=$1 name tick bnum lin
  read -r name tick bnum lin <<<"$2"
  shift 2
  "$PFENV" rebase incoming active deferred hold 2>/dev/null
  local t0=$SECONDS m=$WORK/metrics.$label.$name.txt
  if ! curl -sf "http://127.0.0.1:${PORT[$name]}/metrics" -o "$m"; then
    check "[$label $name] scrape" false
    return 0
  fi
  check "[$label $name] module up" num_eq "$(metric_value "$m" exporterd_module_up 'module="postfix_qshape"')" 1
  local q mode
  for q in "${QUEUES[@]}" "$@"; do
    for mode in recipients senders; do
      check "[$label $name] parity $q $mode" parity_case "$name" "$q" "$mode" "$tick" "$bnum" "$lin" "$m"
    done
  done
  # ages move on: everything above must happen within 14 s of the rebase
  check "[$label $name] compared within 12 s of the rebase ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 12
}

# queue_checks <label> <metrics file> <queue>: per-queue gauges against qshape's TOTAL
queue_checks() {
  local label=$1 m=$2 q=$3 base=$WORK/t.default.$3
  local msgs rcpts qm qr
  msgs=$($TABLE total "$base.senders.qshape" 10)
  rcpts=$($TABLE total "$base.recipients.qshape" 10)
  qm=$(metric_value "$m" postfix_queue_messages "queue=\"$q\"")
  qr=$(metric_value "$m" postfix_queue_recipients "queue=\"$q\"")
  check "[$label] postfix_queue_messages{queue=\"$q\"} = qshape -s TOTAL ($qm vs $msgs)" num_eq "$qm" "$msgs"
  check "[$label] postfix_queue_recipients{queue=\"$q\"} = qshape TOTAL ($qr vs $rcpts)" num_eq "$qr" "$rcpts"
}

# expected oldest age: now - smallest T among the files qshape reads in <queue>
oldest_expected() {
  find "$PF_SPOOL/$1" -type f -perm -0700 ! -perm /0033 -print0 | perl -0 -ne '
    chomp; next unless m{(^|/)[A-Za-z0-9]{6,}$}; open(my $h, "<", $_) or next; binmode $h;
    local $/; my $d = <$h>; my $i = 0;
    my $rec = sub { my $t = substr($d, $i++, 1); my ($l, $s) = (0, 0);
      while ($i < length $d) { my $o = ord(substr($d, $i++, 1)); $l |= ($o & 0x7f) << $s;
        last unless $o & 0x80; $s += 7; }
      my $v = substr($d, $i, $l); $i += $l; return ($t, $v); };
    my ($t, $v) = $rec->(); next unless $t eq "C";
    ($t, $v) = $rec->(); next unless $t eq "T";
    my ($sec) = $v =~ /^(\d+)/; $min = $sec if defined $sec && (!defined $min || $sec < $min);
    END { print defined $min ? time - $min : "", "\n" }'
}

echo "# round A: Postfix running; queues as Postfix left them"
for s in "${SETTINGS[@]}"; do
  if [[ $s == default* ]]; then round A "$s" deferred,hold; else round A "$s"; fi
done
# right after the default round: its scrape is seconds old
mA=$WORK/metrics.A.default.txt
check "[A] promtool check metrics" sh -c "promtool check metrics < '$mA'"
for q in incoming active deferred hold maildrop; do queue_checks A "$mA" "$q"; done
for q in deferred hold; do
  exp=$(oldest_expected "$q")
  got=$(metric_value "$mA" postfix_queue_oldest_message_age_seconds "queue=\"$q\"")
  check "[A] postfix_queue_oldest_message_age_seconds{queue=\"$q\"} = $got, T records say ~$exp" \
    awk -v g="${got:-x}" -v e="$exp" 'BEGIN { exit !(g != "x" && g - e <= 3 && e - g <= 25) }'
  bytes=$(find "$PF_SPOOL/$q" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  got=$(metric_value "$mA" postfix_queue_size_bytes "queue=\"$q\"")
  check "[A] postfix_queue_size_bytes{queue=\"$q\"} = $got, in (0, $bytes] (sum of file sizes)" \
    awk -v g="${got:-0}" -v b="$bytes" 'BEGIN { exit !(g > 0 && g <= b) }'
done
check "[A] unreadable files in deferred = 0" \
  num_eq "$(metric_value "$mA" postfix_qshape_unreadable_files 'queue="deferred"')" 0
# qshape never shows the corrupt queue (its files are mode 0400); the module must still see it
cm=$(metric_value "$mA" postfix_queue_messages 'queue="corrupt"')
cu=$(metric_value "$mA" postfix_qshape_unreadable_files 'queue="corrupt"')
check "[A] the corrupt file is visible: postfix_queue_messages=${cm:-absent}, unreadable_files=${cu:-absent} (one >= 1)" \
  awk -v a="${cm:-0}" -v b="${cu:-0}" 'BEGIN { exit !(a + b >= 1) }'

echo "# permissions: exporterd as nobody, queue directories 0700 postfix"
mN=$WORK/metrics.nobody.txt
code=$(curl -s -o "$mN" -w '%{http_code}' "http://127.0.0.1:${PORT[nobody]}/metrics")
check "[nobody] /metrics answers 200 ($code)" test "$code" = 200
check "[nobody] exporterd_module_up{module=\"postfix_qshape\"} 0" \
  num_eq "$(metric_value "$mN" exporterd_module_up 'module="postfix_qshape"')" 0
check "[nobody] no postfix_qshape_recipients served" sh -c "! grep -q '^postfix_qshape_recipients' '$mN'"
check "[nobody] self metrics still served" grep -q '^exporterd_build_info' "$mN"
check "[nobody] log names the permission problem" grep -qi 'permission' "$WORK/nobody.log"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[nobody]}/metrics")
check "[nobody] a second scrape answers 200 ($code)" test "$code" = 200
check "[nobody] daemon still running" kill -0 "$NOBODY_PID"

echo "# round B: Postfix stopped; real queue files in incoming and active, plus files to skip"
"$PFENV" stop
"$PFENV" offline
for s in "${SETTINGS[@]}"; do
  if [[ $s == default* ]]; then round B "$s" incoming,active; else round B "$s"; fi
done
mB=$WORK/metrics.B.default.txt
check "[B] promtool check metrics" sh -c "promtool check metrics < '$mB'"
for q in incoming active; do queue_checks B "$mB" "$q"; done
check "[B] unreadable files in active >= 1 (garbage file)" \
  awk -v g="$(metric_value "$mB" postfix_qshape_unreadable_files 'queue="active"')" 'BEGIN { exit !(g >= 1) }'

echo "# odd files: where the module differs from qshape on purpose, and strict_qshape: true"
# a modern maildrop file (postdrop writes T first: qshape ignores it, or with -s counts a
# MAILER-DAEMON sender in its oldest bucket), a forced-expire (0710) file (qshape skips it), a
# file whose first record is not C/S/F (same quirk as maildrop)
printf 'Subject: maildrop\n\nx\n' |
  MAIL_CONFIG=$PF_CONF sendmail -i -f 'drop@senders.example' 'r@maildrop.example' 2>/dev/null || true
mapfile -t files < <(find "$PF_SPOOL/deferred" -type f | sort)
f=${files[0]}
cp -p "$f" "$PF_SPOOL/deferred/${f##*/}X7"
chmod 0710 "$PF_SPOOL/deferred/${f##*/}X7"
printf 'garbage first byte\n' >"$PF_SPOOL/hold/BADFIRST01"
chmod 0700 "$PF_SPOOL/hold/BADFIRST01"
"$PFENV" rebase deferred hold 2>/dev/null
mC=$WORK/metrics.C.default.txt
mS=$WORK/metrics.C.strict.txt
curl -sf "http://127.0.0.1:${PORT[default]}/metrics" -o "$mC"
curl -sf "http://127.0.0.1:${PORT[strict]}/metrics" -o "$mS"
check "[C] module up with odd files present" \
  num_eq "$(metric_value "$mC" exporterd_module_up 'module="postfix_qshape"')" 1
for q in maildrop deferred hold; do
  for mode in recipients senders; do
    check "[C strict_qshape] parity $q $mode" parity_case strict "$q" "$mode" 5 10 0 "$mS"
    if parity_case default "$q" "$mode" 5 10 0 "$mC" >"$WORK/info.$q.$mode" 2>&1; then
      echo "info: default settings, $q $mode: same as qshape"
    else
      echo "info: default settings, $q $mode: differs from qshape (deliberate?):"
      sed -n '1,/--- qshape:/p' "$WORK/info.$q.$mode" | grep -v -- '--- qshape:' | sed 's/^/info:/' || true
    fi
  done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
