#!/usr/bin/env python3
"""The campaign table of docs/reliability.md from a fuzz.sh ledger.

  scripts/fuzz_table.py [ledger.tsv] [fuzz_targets.tsv] [goal] [before.tsv]
  scripts/fuzz_table.py --totals [ledger.tsv] [-] [-] [before.tsv]

Defaults: docs/fuzz_ledger.tsv, build-fuzz/fuzz_targets.tsv, 10000000,
docs/fuzz_ledger_before.tsv. Prints one Markdown row per target (in
fuzz_targets.tsv order) with its runs, executions, seconds, mean exec/s and
crashes over every run of the ledger plus the target's totals in before.tsv
(runs whose own ledger is gone: target, runs, executions, seconds, crashes;
"#" lines are comments; "-" or a missing file: none), then a "Done: N of M"
line and one saying when the ledger ends and which commits the fuzzed
binaries were built from. With --totals: "target executions runs crashes"
per target instead, sorted (what fuzz.sh's FUZZ_TOTAL counts from); a
missing ledger counts as empty there.
"""
import os
import sys


def main():
    only_totals = len(sys.argv) > 1 and sys.argv[1] == "--totals"
    if only_totals:
        del sys.argv[1]
    ledger = sys.argv[1] if len(sys.argv) > 1 else "docs/fuzz_ledger.tsv"
    targets = sys.argv[2] if len(sys.argv) > 2 else "build-fuzz/fuzz_targets.tsv"
    goal = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else 10_000_000
    before = sys.argv[4] if len(sys.argv) > 4 else "docs/fuzz_ledger_before.tsv"
    totals = {}
    if before != "-" and os.path.exists(before):
        with open(before) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name, *nums = line.rstrip("\n").split("\t")
                totals[name] = [int(n) for n in nums[:4]]
    commits = {}  # commit -> runs, in the order first seen
    last = ""
    with open(ledger if os.path.exists(ledger) or not only_totals
              else os.devnull) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 8:
                continue
            last = max(last, cols[0])
            commits[cols[1]] = commits.get(cols[1], 0) + 1
            t = totals.setdefault(cols[3], [0, 0, 0, 0])
            t[0] += 1
            t[1] += int(cols[4])
            t[2] += int(cols[5])
            t[3] += int(cols[6])
    if only_totals:
        for name in sorted(totals):
            runs, execs, _, crashes = totals[name]
            print(f"{name:<28} {execs:12d} {runs:4d} {crashes:3d}")
        return
    with open(targets) as f:
        names = [line.split("\t")[0] for line in f if line.strip()]
    print("| target | runs | executions | time | exec/s | crashes | status |")
    print("|---|---:|---:|---:|---:|---:|---|")
    done = 0
    for name in names:
        runs, execs, secs, crashes = totals.get(name, [0, 0, 0, 0])
        if runs == 0:
            print(f"| `{name}` | 0 | 0 | | | | not run yet |")
            continue
        if execs >= goal:
            done += 1
            status = "**done**"
        else:
            status = f"{(goal - execs) / 1e6:.1f}M to go"
        rate = f"{execs // secs:,}" if secs else ""
        print(f"| `{name}` | {runs} | {execs:,} | {secs:,} s | {rate} | "
              f"{crashes} | {status} |")
    print(f"\nDone: {done} of {len(names)} targets at {goal // 1_000_000}M or more.")
    built = ", ".join(f"{c[:7]}{'-dirty' if c.endswith('-dirty') else ''} ({n})"
                      for c, n in commits.items())
    print(f"Ledger as of {last.replace('T', ' ').rstrip('Z')} UTC; "
          f"binaries built from (runs): {built}.")


if __name__ == "__main__":
    main()
