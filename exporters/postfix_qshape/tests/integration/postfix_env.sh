#!/usr/bin/env bash
# postfix_env.sh - a private, throwaway Postfix instance for the postfix_qshape tests and benchmark.
#
# usage: PF_STATE=<dir> postfix_env.sh <verb> [args]
#   start            write a config under $PF_STATE, start master(8) (own config_directory,
#                    queue_directory $PF_STATE/spool, smtpd on 127.0.0.1:<free port>)
#   stop             stop the master started by `start` (by its saved PID)
#   populate         inject the varied test mail (below) and wait until it has settled
#   load N [DOMAINS] inject N messages with smtp-source to DOMAINS domains (bench templates)
#   drained          wait until maildrop, incoming and active are empty
#   rebase [QUEUE..] set every message's arrival time (T record) to a fixed, per-file age taken
#                    from AGES_MIN below, relative to now; mtime/atime kept (default deferred hold)
#                    (AGE_SHIFT_SEC=N adds N seconds to every age; AGE_REF=epoch replaces now)
#   offline          with master stopped: put real queue files into incoming and active (copies
#                    of deferred files under fresh Postfix-style queue IDs) plus files both
#                    qshape and the module must skip (0600 in-progress file, short name, garbage)
#   clone N [MAX_MIN] [DOMAINS]   with master stopped: N more deferred files, copies of the ones
#                    Postfix wrote, under Postfix-style queue IDs (5 hex usec + hex inode, hashed
#                    one level), ages of whole minutes (relative to AGE_REF, default now) spread
#                    over [0, MAX_MIN), recipient
#                    domains rewritten (same length) to DOMAINS values with a skewed distribution
#   env              print shell assignments: PF_CONF, PF_SPOOL, PF_SMTP_PORT, PF_MASTER_PID
#
# PF_MAIN_EXTRA (start): more main.cf lines, e.g. smtpd_tls_* for the blackbox module's SMTP
# STARTTLS test.
#
# Needs (Debian 12): postfix (master, sendmail, postsuper, smtp-source, qshape), perl, iproute2
# (ss), util-linux (setpriv), coreutils. Installs nothing. Every parent of $PF_STATE must be
# searchable by user postfix. Run as root (postfix, like qshape, reads a 0700 queue).
#
# How mail stays put: relayhost is a closed loopback port, so remote mail is deferred ("connection
# refused") and retried only after an hour; local_transport is retry(8), so mail to the local
# address literal [127.0.0.1] is deferred too; delivered.test is discard(8) (the recipient becomes
# a D record while its remote co-recipient stays deferred), bounce.test is error(8) (its
# recipient becomes D and a null-sender bounce goes to the remote sender, deferred). A Subject
# containing HOLDME is put on hold by a header check.
#
# What qshape and the module count as a message's age: the arrival time in the T record (second
# record of every file cleanup writes); mtime only for legacy maildrop files that start with S/F,
# which Postfix 3.x never writes. `rebase` therefore rewrites T in place (same length) and
# restores mtime/atime, so qmgr's retry schedule (deferred mtime = next retry) is untouched.
# The ages are k+0.25 minutes: every bucket boundary with a bucket_minutes that is a multiple of
# 0.5 is a multiple of half a minute, so a comparison made within 14 s of `rebase` is immune to
# drift.
set -euo pipefail
: "${PF_STATE:?set PF_STATE to a scratch directory}"
CONF=$PF_STATE/etc
SPOOL=$PF_STATE/spool
export MAIL_CONFIG=$CONF
. "$(dirname "$0")/../../../../tests/lib/common.sh" # free_port
log() { echo "[postfix_env] $*" >&2; }

# Ages (minutes) handed out by `rebase`, cycling in queue-ID order. -10.25 is a message from the
# future (clock skew: qshape puts it in the first bucket). Spread over all default buckets
# (5 10 20 40 80 160 320 640 1280 1280+) and the non-default ones the parity test uses.
AGES_MIN=(0.25 3.25 7.25 1.25 15.25 2.25 33.25 4.25 70.25 12.25 150.25 9.25 300.25 25.25 600.25 1000.25
  1500.25 5.25 4000.25 -10.25 60.25 120.25 45.25 18.25 250.25 800.25 2200.25 6.25)
# AGE_SHIFT_SEC=-15 makes them whole minutes, and AGE_REF=<epoch> takes ages relative to that time
# instead of now (the benchmark: see clone)
AGE_SHIFT_SEC=${AGE_SHIFT_SEC:-0}
AGE_REF=${AGE_REF:-}

write_conf() {
  local smtp_port=$1 dead_port=$2
  mkdir -p "$CONF" "$SPOOL" "$PF_STATE/data"
  chown postfix: "$PF_STATE/data"
  # the package's postinst writes /etc/postfix/master.cf from master.cf.dist
  if [ -f /etc/postfix/master.cf ]; then cp /etc/postfix/master.cf "$CONF/master.cf"
  else cp /usr/share/postfix/master.cf.dist "$CONF/master.cf"; fi
  if [ -f /etc/postfix/dynamicmaps.cf ]; then cp /etc/postfix/dynamicmaps.cf "$CONF/"
  elif [ -f /usr/share/postfix/dynamicmaps.cf ]; then cp /usr/share/postfix/dynamicmaps.cf "$CONF/"; fi
  cat >"$CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $SPOOL
data_directory = $PF_STATE/data
mail_owner = postfix
setgid_group = postdrop
myhostname = test.local
mydomain = test.local
myorigin = \$myhostname
mydestination =
# mail for the local address literal [127.0.0.1] is deferred, never delivered
local_transport = retry:local delivery disabled in this test instance
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file_prefixes = /var, /dev/stdout, /tmp
maillog_file = $PF_STATE/maillog
smtp_dns_support_level = disabled
relayhost = [127.0.0.1]:$dead_port
smtp_connect_timeout = 2s
header_checks = regexp:$CONF/header_checks
transport_maps = texthash:$CONF/transport
# nothing is retried during a test run, nothing expires, nothing bounces by age
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 7200s
maximal_queue_lifetime = 30d
bounce_queue_lifetime = 30d
delay_warning_time = 0h
biff = no
${PF_MAIN_EXTRA:-}
EOF
  printf '/^Subject:.*HOLDME/ HOLD test hold\n' >"$CONF/header_checks"
  printf 'delivered.test discard:\nbounce.test error:5.1.1 no such user here\n' >"$CONF/transport"
  echo "$smtp_port" >"$PF_STATE/smtp_port"
  postconf -c "$CONF" -F '*/*/chroot = n' # no chroot: the queue is not /var/spool/postfix
  postconf -c "$CONF" -M# smtp/inet
  postconf -c "$CONF" -M "127.0.0.1:$smtp_port/inet=127.0.0.1:$smtp_port inet n - n - - smtpd"
}

smtp_port() { cat "$PF_STATE/smtp_port"; }

start() {
  [ -x /usr/lib/postfix/sbin/master ] || { log "postfix is not installed"; exit 1; }
  stop_quiet
  rm -rf "$PF_STATE"
  mkdir -p "$PF_STATE"
  chmod 755 "$PF_STATE"
  # Postfix's daemons run as postfix and chdir to the queue: every parent must be searchable
  if ! setpriv --reuid=postfix --regid=postfix --clear-groups test -x "$PF_STATE"; then
    log "$PF_STATE is not reachable for user postfix (a parent directory is 0700?)"
    exit 1
  fi
  local smtp dead
  smtp=$(free_port)
  dead=$(free_port)
  while [ "$dead" = "$smtp" ]; do dead=$(free_port); done
  write_conf "$smtp" "$dead"
  : >"$PF_STATE/maillog"
  chown postfix: "$PF_STATE/maillog"
  # creates the queue directories with Postfix's owners and modes
  postfix -c "$CONF" check 2>&1 | grep -v 'not owned by postfix' >&2 || true
  # master(8) without -w stays in the foreground: $! is its pid
  setsid /usr/lib/postfix/sbin/master -c "$CONF" </dev/null >/dev/null 2>&1 &
  echo $! >"$PF_STATE/master.pid"
  local port; port=$(smtp_port)
  for _ in $(seq 1 200); do
    [ -S "$SPOOL/public/showq" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
  done
  if ! kill -0 "$(cat "$PF_STATE/master.pid")" 2>/dev/null; then
    tail -20 "$PF_STATE/maillog" >&2
    log "master did not start"
    exit 1
  fi
  log "master pid $(cat "$PF_STATE/master.pid"), smtpd 127.0.0.1:$port, queue $SPOOL"
}

stop_quiet() {
  [ -f "$PF_STATE/master.pid" ] || return 0
  local p; p=$(cat "$PF_STATE/master.pid")
  if kill -0 "$p" 2>/dev/null; then
    kill "$p" # master(8) SIGTERM: stops its children and exits
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$PF_STATE/master.pid"
}

drained() {
  local n
  for _ in $(seq 1 1200); do
    n=$(find "$SPOOL/maildrop" "$SPOOL/incoming" "$SPOOL/active" -type f | wc -l)
    [ "$n" -eq 0 ] && return 0
    sleep 0.25
  done
  log "queue did not drain ($n files left in maildrop/incoming/active)"
  return 1
}

# send <subject> <sender> <recipient...>: one message through sendmail(1)/postdrop
send() {
  local subj=$1 from=$2; shift 2
  printf 'From: test sender <x@test.local>\nSubject: %s\n\nbody of %s\n' "$subj" "$subj" |
    sendmail -i -f "$from" -- "$@"
}

populate() {
  local port d m r
  port=$(smtp_port)
  # 1. Bulk over SMTP: 12 domains, skewed message counts, 1-3 recipients per message (same domain;
  #    smtp-source prefixes a number to the recipient), 4 sender domains.
  for d in $(seq 1 12); do
    m=$((2 + (d * 7) % 11)); r=$((1 + d % 3))
    smtp-source -4 -s 1 -d -m "$m" -r "$r" -f "bulk$d@senders$((d % 4)).example" \
      -t "rcpt@site$d.example.com" -S "load $d" -l 200 "127.0.0.1:$port" &
  done
  # upper-case recipient domain and sender over SMTP: same rows as the lower-case ones
  smtp-source -4 -m 3 -r 2 -f "Bulk@SENDERS1.Example" -t "Rcpt@SITE1.Example.COM" \
    -S "upper" -l 100 "127.0.0.1:$port" &
  wait
  # 2. Odd addresses through sendmail (postdrop -> pickup -> cleanup)
  send "upper case" 'Alice@Senders.EXAMPLE' 'User@UPPER.Example.COM' 'other@upper.example.com' \
    'x@dots.example.com.'
  send "null sender" '' 'nobody@null.example.org' 'someone@Null.Example.Org'
  send "null sender 2" '<>' 'third@null.example.org'
  send "ip literals" 'ip@[127.0.0.1]' 'u@[127.0.0.1]' 'v@[192.0.2.7]' 'w@[192.0.2.7]'
  send "quoted" '"odd@local"@quoted.example.com' '"g@h"@quoted.example.com' \
    '"with space"@Quoted.Example.com'
  send "unqualified" 'root' 'a@x..dots.example.com' 'b@dots.example.com'
  send "trailing dot sender" 'x@trail.example.org.' 'y@trail.example.org.' 'y@site5.example.com'
  send "long domain" 'long@senders2.example' \
    'u@a-really-long-subdomain-name-to-force-truncation.example.com'
  # 3. Partly delivered: the discard(8) recipient is done (D record), the other stays deferred
  send "partly delivered" 'carol@senders1.example' 'keep@delivered.test' 'far@site2.example.com' \
    'far@site7.example.com'
  send "partly delivered 2" 'carol@senders1.example' 'keep2@delivered.test' 'x@[127.0.0.1]'
  # 4. A real bounce: bounce.test is error(8); the bounce (null sender) goes to Dave, deferred
  send "bounce me" 'dave@Bouncer.Example.NET' 'gone@bounce.test' 'far2@site3.example.com'
  send "bounce me 2" 'erin@bouncer.example.net' 'gone2@bounce.test'
  # 5. Hold queue via the HOLDME header check
  send "please HOLDME 1" 'eve@HOLD.Example' 'a@hold.example' 'b@hold.example' 'c@[127.0.0.1]'
  send "please HOLDME 2" '' 'd@hold.example'
  send "please HOLDME 3" 'frank@senders3.example' 'e@Site4.Example.COM' \
    '"q@x"@quoted.example.com'
  send "please HOLDME 4" 'root' 'f@hold2.example.'
  # 6. Addresses Postfix itself never writes (it strips trailing dots, refuses "x..y"), made by
  #    editing the bytes of the queue files it wrote (see mangle): local part "mangle-..."
  send "mangled" 'mangle-s@senderQ.example.orgQ' 'mangle-t@trailing.example.comQ' \
    'mangle-l@Qleading.example.com' 'mangle-d@xQQdots.example.com' 'mangle-3@aQQQb.example.com' \
    'mangle-at@abcd' 'mangle-noat@Example' 'mangle-e@Q' 'mangle-t2@Trailing.Example.COMQ'
  send "mangled HOLDME" 'mangle-at@senders' 'mangle-t@hold.exampleQ' 'mangle-noat@Hold'
  drained
  sleep 1 # the bounce daemon writes the bounce notices just after the originals leave active
  drained
  mangle
  # 7. postsuper -h: two deferred messages of the bulk load go on hold
  local held
  mapfile -t held < <(grep -rl 'Subject: load 3' "$SPOOL/deferred" | sort)
  printf '%s\n' "${held[@]:0:2}" | xargs -n1 basename | postsuper -c "$CONF" -h - 2>&1 | tail -1 >&2
  # 8. A corrupt file: a truncated queue file (C and T records intact, no E record) in incoming;
  #    the next message makes qmgr scan incoming, find it unreadable ("missing end record") and
  #    save it to the corrupt queue. (Its mode stays 0700, so qshape reads it and skips it; a
  #    file whose first record is not C/S/F would hit qshape's "-s counts MAILER-DAEMON" quirk,
  #    which parity_test.sh checks separately.)
  local g=$SPOOL/incoming/BADC0FFEE0 f
  f=$(find "$SPOOL/deferred" -type f -print -quit)
  head -c 200 "$f" >"$g"
  chown postfix: "$g"
  chmod 0700 "$g"
  send "after garbage" 'grace@senders2.example' 'g@site8.example.com'
  for _ in $(seq 1 100); do
    [ -n "$(find "$SPOOL/corrupt" -type f 2>/dev/null)" ] && break
    sleep 0.1
  done
  drained
  log "populated: deferred $(find "$SPOOL/deferred" -type f | wc -l), hold" \
    "$(find "$SPOOL/hold" -type f | wc -l), corrupt $(find "$SPOOL/corrupt" -type f | wc -l) files"
}

# mangle: in deferred and hold files, edit R and S records whose local part starts with
# "mangle-" in place (same length: offsets and pointers stay valid; mtime/atime kept):
#   Q -> "." in the domain (trailing, leading, double dots); mangle-at@abcd -> mangle-atabcd@
#   (empty domain); mangle-noat@x -> mangle-noat%x (no @ at all).
mangle() {
  find "$SPOOL/deferred" "$SPOOL/hold" -type f | perl -e "$PERL_REC"'
    my $n = 0;
    while (my $f = <STDIN>) { chomp $f;
      my @st = lstat($f) or next;
      open(my $h, "+<", $f) or next; binmode $h; my $hit = 0;
      while (!eof($h)) { my $r = getc($h); my $l = varlen($h); last unless defined $l;
        my $pos = tell($h); my $v; read($h, $v, $l) == $l or last;
        last if $r eq "M";
        next unless ($r eq "R" || $r eq "S") && $v =~ /^mangle-/;
        my $w = $v;
        if ($w =~ /^mangle-at\@(.*)$/) { $w = "mangle-at$1\@"; }
        elsif ($w =~ /^mangle-noat\@/) { $w =~ s/\@/%/; }
        else { $w =~ s/\@(.*)$/"\@" . ($1 =~ tr{Q}{.}r)/e; }
        next if $w eq $v or length($w) != length($v);
        seek($h, $pos, 0); print $h $w; seek($h, $pos + $l, 0); $hit = 1; }
      close $h; utime($st[8], $st[9], $f); $n += $hit; }
    print STDERR "[postfix_env] mangle: $n files edited\n";'
}

load() { # N [DOMAINS]
  local n=${1:-1000} doms=${2:-30} per d port
  port=$(smtp_port)
  per=$(((n + doms - 1) / doms))
  # 4-digit domain numbers: `clone` rewrites them in place to other 4-digit numbers
  for d in $(seq 1 "$doms"); do
    smtp-source -4 -s 2 -d -m "$per" -r $((1 + d % 3)) -f "bulk$d@senders$((d % 4)).example" \
      -t "rcpt@site$(printf %04d "$d").example.com" -S "load $d" -l 300 "127.0.0.1:$port" &
  done
  wait
  drained
  log "load: $((per * doms)) messages; deferred now $(find "$SPOOL/deferred" -type f | wc -l) files"
}

# Shared perl: walk records of a queue file (type, varint length, data).
PERL_REC='
sub varlen { my ($h) = @_; my ($l, $s) = (0, 0);
  while (defined(my $c = getc($h))) { my $o = ord($c); $l |= ($o & 0x7f) << $s;
    return $l if !($o & 0x80); $s += 7; return undef if $s > 28; } return undef; }
'

rebase() { # [QUEUE...]
  local qs=("$@")
  [ ${#qs[@]} -gt 0 ] || qs=(deferred hold)
  local dirs=() q
  for q in "${qs[@]}"; do dirs+=("$SPOOL/$q"); done
  find "${dirs[@]}" -type f -printf '%f\t%p\n' | sort | cut -f2 |
    perl -e "$PERL_REC"'
    my ($shift, $ref, @ages) = @ARGV; my $now = $ref ne "" ? $ref : time; my ($n, $i) = (0, 0);
    while (my $f = <STDIN>) { chomp $f;
      my @st = lstat($f) or next;
      open(my $h, "+<", $f) or next; binmode $h;
      my $t = getc($h); next unless defined $t && $t eq "C";
      my $l = varlen($h); next unless defined $l; seek($h, $l, 1);
      $t = getc($h); next unless defined $t && $t eq "T";
      $l = varlen($h); next unless defined $l; my $pos = tell($h);
      read($h, my $d, $l) == $l or next;
      my ($sec) = $d =~ /^(\d+)/ or next;
      my $new = sprintf("%0*d", length($sec), $now - int($ages[$i++ % @ages] * 60) - $shift);
      next unless length($new) == length($sec);
      seek($h, $pos, 0); print $h $new; close $h;
      utime($st[8], $st[9], $f); $n++;
    }
    print STDERR "[postfix_env] rebase: $n files, ages relative to $now\n";' -- "$AGE_SHIFT_SEC" "$AGE_REF" "${AGES_MIN[@]}"
}

# new_qid_file <dir> <data> <mode>: perl helper used by offline/clone (see PERL_QID)
PERL_QID='
use Fcntl;
my ($pw_uid, $pw_gid) = (getpwnam("postfix"))[2, 3];
# Write $data as a queue file in queue $dir under a Postfix short queue ID: 5 hex digits of
# microseconds + the file inode in hex (as cleanup names files), in the one-level hash
# subdirectory (first ID character) when $hashed.
sub put_qfile { my ($dir, $data, $mode, $hashed) = @_;
  my $usec = sprintf("%05X", int(rand(1000000)));
  my $sub = $hashed ? "$dir/" . substr($usec, 0, 1) : $dir;
  mkdir($sub, 0700), chown($pw_uid, $pw_gid, $sub) unless -d $sub;
  my $tmp = "$sub/tmp.$$." . int(rand(1e9));
  sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL, 0600) or die "$tmp: $!";
  syswrite($fh, $data) == length($data) or die "write $tmp: $!";
  chown($pw_uid, $pw_gid, $fh); chmod($mode, $fh);
  my $ino = (stat($fh))[1]; close $fh;
  my $name = $usec . sprintf("%X", $ino);
  rename($tmp, "$sub/$name") or die "rename: $!";
  return "$sub/$name";
}
sub slurp { my ($f) = @_; open(my $h, "<", $f) or die "$f: $!"; binmode $h; local $/; my $d = <$h>; $d }
'

offline() {
  if [ -f "$PF_STATE/master.pid" ] && kill -0 "$(cat "$PF_STATE/master.pid")" 2>/dev/null; then
    log "offline: stop postfix first"; exit 1
  fi
  find "$SPOOL/deferred" -type f -printf '%f\t%p\n' | sort | cut -f2 |
    perl -e "$PERL_QID"'
    srand(4242); my @t = map { chomp; $_ } <STDIN>; my $spool = shift;
    die "offline: need 12 deferred files\n" if @t < 12;
    # incoming: 5 complete files (0700), one still being written (0600: skipped by both)
    put_qfile("$spool/incoming", slurp($t[$_]), 0700, 0) for 0 .. 4;
    put_qfile("$spool/incoming", slurp($t[5]), 0600, 0);
    # active: 6 complete files, one garbage file with a queue-ID name (a C record, then junk:
    # unreadable, skipped by qshape, counted by the module as unreadable), one file whose name is
    # too short for a queue ID
    put_qfile("$spool/active", slurp($t[$_]), 0700, 0) for 6 .. 11;
    put_qfile("$spool/active", "C\x0512345Xjunk, not records\n", 0700, 0);
    open(my $h, ">", "$spool/active/A1B2") or die; print $h slurp($t[0]); close $h;
    chmod 0700, "$spool/active/A1B2";
    print STDERR "[postfix_env] offline: 6 files in incoming, 8 in active\n";' -- "$SPOOL"
}

clone() { # N [MAX_MIN] [DOMAINS]
  local n=${1:-100000} max=${2:-2880} doms=${3:-1000}
  if [ -f "$PF_STATE/master.pid" ] && kill -0 "$(cat "$PF_STATE/master.pid")" 2>/dev/null; then
    log "clone: stop postfix first"; exit 1
  fi
  find "$SPOOL/deferred" -type f | perl -e "$PERL_REC$PERL_QID"'
    my ($spool, $n, $maxmin, $doms, $ref) = @ARGV; srand(7); $ref = time if $ref eq "";
    # Templates: files Postfix wrote. Remember where the T seconds and each recipient domain
    # digit run ("siteNNNN" from `load`) sit, to patch them in place (same length, so the C
    # record offsets and pointer records stay valid).
    my @tmpl;
    while (my $f = <STDIN>) { chomp $f; last if @tmpl >= 2000;
      my $d = slurp($f); my ($i, @sites, $tpos, $tlen) = (0);
      open(my $h, "<", \$d); binmode $h;
      while (!eof($h)) { my $r = getc($h); my $l = varlen($h); last unless defined $l;
        my $p = tell($h); my $v; read($h, $v, $l) == $l or last;
        if ($r eq "T" && !defined $tpos) { ($tlen) = map { length } $v =~ /^(\d+)/; $tpos = $p; }
        if ($r eq "R" && $v =~ /\@site(\d+)\.example\.com$/) { push @sites, [$p + $-[1], length($1)]; }
        last if $r eq "E"; }
      push @tmpl, [$d, $tpos, $tlen, \@sites] if defined $tpos && @sites; }
    die "no templates: run `load` first\n" unless @tmpl;
    # Skewed domain choice: a few domains take most of the recipients (a spam run).
    my $made = 0;
    for my $k (1 .. $n) {
      my ($d, $tpos, $tlen, $sites) = @{$tmpl[int(rand(@tmpl))]};
      # arrival = REF - k whole minutes: at any time in [REF, REF + 60 s) every age is in
      # [k, k + 1) minutes, inside one bucket for any whole-minute bucket_minutes, so qshape and
      # the module agree cell for cell in that minute
      substr($d, $tpos, $tlen) = sprintf("%0*d", $tlen, $ref - 60 * int(rand($maxmin)));
      for my $s (@$sites) { my ($pos, $len) = @$s;
        my $dom = 1 + int($doms ** rand());        # log-uniform: 1 is most frequent
        my $txt = sprintf("%0*d", $len, $dom % (10 ** $len));
        substr($d, $pos, $len) = $txt; }
      put_qfile("$spool/deferred", $d, 0700, 1); $made++; }
    print STDERR "[postfix_env] clone: $made files from " . scalar(@tmpl) . " templates\n";
    ' -- "$SPOOL" "$n" "$max" "$doms" "$AGE_REF"
}

envvars() {
  printf 'PF_CONF=%q\nPF_SPOOL=%q\nPF_SMTP_PORT=%q\nPF_MASTER_PID=%q\n' "$CONF" "$SPOOL" \
    "$(smtp_port 2>/dev/null || true)" "$(cat "$PF_STATE/master.pid" 2>/dev/null || true)"
}

cmd=${1:-}; shift || true
case "$cmd" in
  start) start ;;
  stop) stop_quiet ;;
  populate) populate ;;
  load) load "$@" ;;
  drained) drained ;;
  rebase) rebase "$@" ;;
  offline) offline ;;
  clone) clone "$@" ;;
  env) envvars ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
