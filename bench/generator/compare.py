#!/usr/bin/env python3
"""Times touchline against Hugo on corpora made by make_corpus.py, interleaved: every round
runs every command once (one hyperfine call per corpus and round, the order rotated each round),
so a burst of load from elsewhere on the machine hits all commands alike. Prints medians, the
ratios of medians from this one run, and each command's peak RSS; writes JSON to --json.

Usage: compare.py --bin TOUCHLINE --work DIR --rounds R --json FILE SHAPE:N:CORPUS_DIR...
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def commands(bin_, corpus, out):
    t, h = os.path.join(corpus, "touchline"), os.path.join(corpus, "hugo")
    return {
        "touchline": [bin_, "-q", "generate", "--root", t, "--out", f"{out}-t"],
        "touchline, no precompression": [bin_, "-q", "generate", "--no-precompress",
                                         "--root", t, "--out", f"{out}-tn"],
        "hugo": ["hugo", "--quiet", "-s", h, "-d", f"{out}-h"],
        "cp -r content": ["cp", "-r", os.path.join(t, "content"), f"{out}-cp"],
    }


def rebuild_commands(bin_, corpus, out):
    t, h = os.path.join(corpus, "touchline"), os.path.join(corpus, "hugo")
    return {
        "touchline rebuild": [bin_, "-q", "generate", "--root", t, "--out", f"{out}-t"],
        "hugo rebuild": ["hugo", "--quiet", "-s", h, "-d", f"{out}-h"],
    }


def hyperfine(cmds, json_path):
    """One run of each command; returns {name: (wall, user, system)} in seconds."""
    args = ["hyperfine", "-N", "--style", "none", "--runs", "1", "--export-json", json_path]
    for name, argv in cmds.items():
        args += ["-n", name, " ".join(argv)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    with open(json_path, encoding="utf-8") as f:
        results = json.load(f)["results"]
    return {r["command"]: (r["times"][0], r["user"], r["system"]) for r in results}


def peak_rss_kib(argv):
    """Peak resident set of one run, from the kernel's accounting of that child alone."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}")
    return usage.ru_maxrss


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--json", required=True)
    p.add_argument("corpora", nargs="+", help="SHAPE:N:DIR")
    args = p.parse_args()
    corpora = [c.split(":", 2) for c in args.corpora]
    times = {}  # (shape, n) -> name -> [(wall, user, sys)]
    scratch = tempfile.mkdtemp(dir=args.work)
    for shape, n, corpus in corpora:
        # The rebuild rows need a previous output to recycle.
        out = os.path.join(args.work, f"rebuild-{shape}-{n}")
        for argv in rebuild_commands(args.bin, corpus, out).values():
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    for r in range(args.rounds):
        for shape, n, corpus in corpora:
            # Each cold run writes into a folder that does not exist yet; nothing is deleted
            # between runs (ext4 is slow to create files right after large deletions, a cost
            # that would depend on what the run before left behind).
            out = os.path.join(args.work, f"cold-{shape}-{n}-{r}")
            cmds = commands(args.bin, corpus, out)
            cmds.update(rebuild_commands(args.bin, corpus, os.path.join(args.work, f"rebuild-{shape}-{n}")))
            names = list(cmds)
            rot = r % len(names)
            cmds = {k: cmds[k] for k in names[rot:] + names[:rot]}
            got = hyperfine(cmds, os.path.join(scratch, "round.json"))
            for name, t in got.items():
                times.setdefault((shape, n), {}).setdefault(name, []).append(t)
            print(f"round {r + 1}/{args.rounds} {shape} {n}: "
                  + ", ".join(f"{k} {v[0]:.3f}s" for k, v in got.items()), file=sys.stderr)
    rss = {}
    for shape, n, corpus in corpora:
        out = os.path.join(args.work, f"rss-{shape}-{n}")
        cmds = commands(args.bin, corpus, out)
        rss[(shape, n)] = {k: peak_rss_kib(cmds[k]) for k in ("touchline", "touchline, no precompression", "hugo")}

    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    print(f"\nCold builds, medians of {args.rounds} interleaved rounds (each into a new folder):\n")
    print("| shape | pages | touchline | touchline, no precompression | Hugo | ratio | ratio, no precompression | `cp -r content` |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for shape, n, _ in corpora:
        t = times[(shape, n)]
        tw, nw, hw, cw = (med(t[k], 0) for k in ("touchline", "touchline, no precompression", "hugo", "cp -r content"))
        print(f"| {shape} | {int(n):,} | {tw:.3f} s | {nw:.3f} s | {hw:.3f} s | {tw / hw:.2f} | {nw / hw:.2f} | {cw:.3f} s |")
        summary.append({"shape": shape, "pages": int(n), "rounds": args.rounds,
                        "median_s": {k: med(v, 0) for k, v in t.items()},
                        "user_s": {k: med(v, 1) for k, v in t.items()},
                        "system_s": {k: med(v, 2) for k, v in t.items()},
                        "ratio": tw / hw, "ratio_no_precompression": nw / hw,
                        "peak_rss_kib": rss[(shape, n)]})
    print("\nCPU time (median user + system) and rebuilds (previous output present):\n")
    print("| shape | pages | touchline CPU | no precompression CPU | Hugo CPU | touchline rebuild | Hugo rebuild | rebuild ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for shape, n, _ in corpora:
        t = times[(shape, n)]
        cpu = {k: med(v, 1) + med(v, 2) for k, v in t.items()}
        tr, hr = med(t["touchline rebuild"], 0), med(t["hugo rebuild"], 0)
        print(f"| {shape} | {int(n):,} | {cpu['touchline']:.2f} s | {cpu['touchline, no precompression']:.2f} s "
              f"| {cpu['hugo']:.2f} s | {tr:.3f} s | {hr:.3f} s | {tr / hr:.2f} |")
    print("\nPeak RSS (one cold run each):\n")
    print("| shape | pages | touchline | no precompression | Hugo | touchline / Hugo |")
    print("|---|---|---|---|---|---|")
    for shape, n, _ in corpora:
        m = rss[(shape, n)]
        print(f"| {shape} | {int(n):,} | {m['touchline'] / 1024:.0f} MiB | {m['touchline, no precompression'] / 1024:.0f} MiB "
              f"| {m['hugo'] / 1024:.0f} MiB | {m['touchline'] / m['hugo']:.2f} |")
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
