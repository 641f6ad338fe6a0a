#!/usr/bin/perl
# qshape_table.pl - turn exporterd's postfix_qshape metrics back into qshape's table, and compare
# two qshape tables cell by cell.
#
#   qshape_table.pl render METRIC QUEUES TICK BUCKETS LINEAR < exposition.txt
#       METRIC  postfix_qshape_recipients or postfix_qshape_senders
#       QUEUES  comma-separated queue label values, summed (qshape merges the queues it is given)
#       TICK BUCKETS LINEAR  as qshape -t, -b, -l (LINEAR 0/1)
#     Prints the table exactly as qshape prints it to a pipe: heading row, then one row per
#     domain including TOTAL, sorted by total desc, then name length (then name: qshape's own
#     ties are in Perl hash order), at width 80 with qshape's column widths and truncation of long
#     names. Like qshape, rows whose name starts with "." are counted in TOTAL but not shown.
#     Exit 2 on a series whose age label is not one of qshape's headings for these settings.
#
#   qshape_table.pl compare EXPECTED ACTUAL BUCKETS [totals]
#     Compares two tables (qshape's, the rendered one): heading line byte for byte, then the rows
#     as a multiset (qshape's tie order is arbitrary). Prints every difference by row and column
#     heading, and exits 1 if there is any. With "totals": only each row's T cell (per-domain
#     totals do not depend on when the tables were taken; age buckets do).
#
#   qshape_table.pl total TABLE BUCKETS   prints the TOTAL row's T cell
#
# Needs only perl (Debian base).
use strict;
use warnings;

my $WIDTH = 80;     # qshape's default -w
my $DWIDTH = 18;    # qshape's minimum domain field width

sub headings {
    my ($tick, $bnum, $linear) = @_;
    my @h;
    for (my $i = 0, my $t = 0; $i <= $bnum;) {
        push @h, $i == 0 ? "T" : "$t";
        if (++$i < $bnum) { $t += ($t && !$linear) ? $t : $tick; } else { $t = "$t+"; }
    }
    return @h;
}

sub unescape {
    my ($s) = @_;
    $s =~ s/\\(.)/$1 eq "n" ? "\n" : $1/ge;
    return $s;
}

sub render {
    my ($metric, $queues, $tick, $bnum, $linear) = @_;
    my %want = map { $_ => 1 } split /,/, $queues;
    my @heads = headings($tick, $bnum, $linear);
    my %col;
    @col{ @heads[1 .. $#heads] } = (1 .. $bnum);
    my (%q, $bad);
    while (my $line = <STDIN>) {
        next unless $line =~ /^\Q$metric\E\{(.*)\}\s+(\S+)/;
        my ($labels, $v) = ($1, $2);
        my %l;
        while ($labels =~ /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g) { $l{$1} = unescape($2); }
        next unless defined $l{queue} && $want{ $l{queue} };
        my ($d, $a) = ($l{domain}, $l{age});
        if (!defined $d || !defined $a || !exists $col{$a}) {
            print STDERR "render: unexpected series: $line";
            $bad = 1;
            next;
        }
        $v += 0;
        next if $v == 0;
        $q{$d}[ $col{$a} ] += $v;
        $q{$d}[0] += $v;
        $q{TOTAL}[ $col{$a} ] += $v;
        $q{TOTAL}[0] += $v;
    }
    # qshape's results(): column widths from the TOTAL row and the headings
    my ($dw, $fmt) = ($WIDTH, "");
    for my $i (0 .. $bnum) {
        $q{TOTAL}[$i] ||= 0;
        my $l = length($q{TOTAL}[$i]);
        $l = length($heads[$i]) if length($heads[$i]) >= $l;
        $l = ($l > 2) ? $l + 1 : 3;
        $fmt .= "%${l}s";
        $dw -= $l;
    }
    $dw = $DWIDTH if $dw < $DWIDTH;
    my $pdomain = sub {
        my ($d, @count) = @_;
        $count[$_] ||= 0 for 0 .. $bnum;
        my $len = length($d);
        my $out;
        if ($len > $dw) {
            $out = substr($d, 0, 1) eq "." ? ".+" . substr($d, $len - $dw + 2, $dw - 2)
                                           : "+" . substr($d, $len - $dw + 1, $dw - 1);
        } else {
            $out = (" " x ($dw - $len)) . $d;
        }
        return $out . sprintf("$fmt\n", @count);
    };
    print $pdomain->("", @heads);
    for my $d (sort { $q{$b}[0] <=> $q{$a}[0] || length($a) <=> length($b) || $a cmp $b } keys %q) {
        next if $d =~ /^\./;
        print $pdomain->($d, @{ $q{$d} });
    }
    exit($bad ? 2 : 0);
}

sub parse_table {
    my ($file, $bnum) = @_;
    open(my $h, "<", $file) or die "$file: $!\n";
    my @lines = <$h>;
    my $head = shift @lines;
    my (%rows, @raw);
    for my $line (@lines) {
        chomp $line;
        push @raw, $line;
        my @f = split ' ', $line;
        my @c = splice(@f, -($bnum + 1));
        push @{ $rows{ join(" ", @f) } }, join(" ", @c);
    }
    return ($head // "", \%rows, \@raw);
}

sub compare {
    my ($exp, $act, $bnum, $only) = @_;
    my ($eh, $er, $eraw) = parse_table($exp, $bnum);
    my ($ah, $ar, $araw) = parse_table($act, $bnum);
    my @heads = split ' ', $eh;
    if (($only // "") eq "totals") {
        for my $rows ($er, $ar) {
            $_ = [ map { (split ' ')[0] } @$_ ] for values %$rows;
        }
        ($eh, $ah, $eraw, $araw) = ("", "", [], []);
    }
    my $diff = 0;
    if ($eh ne $ah) {
        print "  heading differs:\n    qshape: $eh    module: $ah";
        $diff++;
    }
    my %all = (%$er, %$ar);
    for my $d (sort keys %all) {
        my $name = $d eq "" ? '""' : $d;
        my @e = sort @{ $er->{$d} // [] };
        my @a = sort @{ $ar->{$d} // [] };
        next if "@e" eq "@a";
        $diff++;
        if (!@a) { print "  row $name only in qshape: $_\n" for @e; next; }
        if (!@e) { print "  row $name only in module: $_\n" for @a; next; }
        if (@e == 1 && @a == 1) {
            my @ec = split ' ', $e[0];
            my @ac = split ' ', $a[0];
            my @cells;
            for my $i (0 .. $#ec) {
                push @cells, sprintf("%s: qshape %s module %s", $heads[$i] // "col$i", $ec[$i], $ac[$i] // "-")
                    if ($ec[$i] // "") ne ($ac[$i] // "");
            }
            print "  row $name differs at ", join("; ", @cells), "\n";
        } else {
            print "  row $name: qshape [", join(" | ", @e), "] module [", join(" | ", @a), "]\n";
        }
    }
    if ($diff == 1 && "@{ $er->{TOTAL} // [] }" ne "@{ $ar->{TOTAL} // [] }") {
        print "  only TOTAL differs: qshape counts rows whose domain starts with \".\" (e.g. \".\" from\n",
              "  an address ending in \"@.\") in TOTAL but does not print them; the module must still\n",
              "  export them (or exports such rows qshape does not count)\n";
    }
    # Same cells must also mean the same text (column widths, truncation).
    if (!$diff && join("\n", sort @$eraw) ne join("\n", sort @$araw)) {
        print "  same cells but the row text differs (widths/truncation)\n";
        $diff++;
    }
    exit($diff ? 1 : 0);
}

sub total {
    my ($file, $bnum) = @_;
    my (undef, $rows) = parse_table($file, $bnum);
    my $t = $rows->{TOTAL} ? (split ' ', $rows->{TOTAL}[0])[0] : "";
    print "$t\n";
}

my $cmd = shift // "";
if ($cmd eq "render" && @ARGV == 5) { render(@ARGV); }
elsif ($cmd eq "compare" && (@ARGV == 3 || @ARGV == 4)) { compare(@ARGV); }
elsif ($cmd eq "total" && @ARGV == 2) { total(@ARGV); }
else { die "usage: $0 render METRIC QUEUES TICK BUCKETS LINEAR | compare EXP ACT BUCKETS [totals] | total TABLE BUCKETS\n"; }
