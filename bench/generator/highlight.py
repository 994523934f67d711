#!/usr/bin/env python3
"""Highlighting on against off, Touchline against Hugo configured the same way, on `code`
corpora from make_corpus.py; interleaved as in compare.py (one hyperfine call per corpus and
round, each cold run into a new folder, order rotated). Prints medians and ratios.

Usage: highlight.py --bin TOUCHLINE --work DIR --rounds R N:CORPUS_DIR...
"""
import argparse
import os
import statistics
import sys
import tempfile

from compare import hyperfine


def commands(bin_, corpus, out):
    t, h = os.path.join(corpus, "touchline"), os.path.join(corpus, "hugo")
    return {
        "touchline on": [bin_, "-q", "generate", "--root", t, "--out", f"{out}-ton"],
        "touchline off": [bin_, "-q", "generate", "--root", f"{t}-off", "--out", f"{out}-toff"],
        "touchline on, no precompression": [bin_, "-q", "generate", "--no-precompress",
                                            "--root", t, "--out", f"{out}-tnp"],
        "hugo on": ["hugo", "--quiet", "-s", h, "-d", f"{out}-hon"],
        "hugo off": ["hugo", "--quiet", "-s", f"{h}-off", "-d", f"{out}-hoff"],
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("corpora", nargs="+", help="N:DIR")
    args = p.parse_args()
    scratch = tempfile.mkdtemp(dir=args.work)
    times = {}
    for r in range(args.rounds):
        for n, corpus in (c.split(":", 1) for c in args.corpora):
            cmds = commands(args.bin, corpus, os.path.join(args.work, f"hl-{n}-{r}"))
            names = list(cmds)
            rot = r % len(names)
            got = hyperfine({k: cmds[k] for k in names[rot:] + names[:rot]},
                            os.path.join(scratch, "round.json"))
            for name, t in got.items():
                times.setdefault(n, {}).setdefault(name, []).append(t[0])
            print(f"round {r + 1}/{args.rounds} {n}: "
                  + ", ".join(f"{k} {v[0]:.3f}s" for k, v in got.items()), file=sys.stderr)
    print(f"\nHighlighting, cold builds, medians of {args.rounds} interleaved rounds:\n")
    print("| pages | touchline off | touchline on | on, no precompression | Hugo off | Hugo on "
          "| ratio off | ratio on | ratio on, no precompression |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, t in times.items():
        m = {k: statistics.median(v) for k, v in t.items()}
        print(f"| {int(n):,} | {m['touchline off']:.3f} s | {m['touchline on']:.3f} s "
              f"| {m['touchline on, no precompression']:.3f} s | {m['hugo off']:.3f} s "
              f"| {m['hugo on']:.3f} s | {m['touchline off'] / m['hugo off']:.2f} "
              f"| {m['touchline on'] / m['hugo on']:.2f} "
              f"| {m['touchline on, no precompression'] / m['hugo on']:.2f} |")


if __name__ == "__main__":
    main()
