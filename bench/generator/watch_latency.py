#!/usr/bin/env python3
"""Edit-to-publish latency of `touchline watch`: starts the watcher on a corpus from
make_corpus.py, then edits one page at a time (in place, as `echo >` or an editor without
atomic saves does) and times until the published page holds the edit, polling the output
folder every 0.2 ms: what a browser reloading the page would see. Prints the median, the
spread, and the watcher's own account of each rebuild (from -v).

Usage: watch_latency.py --bin TOUCHLINE --corpus DIR [--edits N] [--json FILE]
"""
import argparse
import glob
import json
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def reader(stream, lines):
    for line in iter(stream.readline, ""):
        lines.put(line)


def wait_line(lines, pattern, timeout):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if re.search(pattern, line):
            return line, seen
    sys.exit(f"no line matching {pattern!r} within {timeout} s; saw:\n{''.join(seen[-20:])}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--corpus", required=True, help="a make_corpus.py output folder")
    p.add_argument("--edits", type=int, default=20)
    p.add_argument("--json")
    p.add_argument("--extra", nargs="*", default=[], help="more arguments for `watch`")
    args = p.parse_args()
    root = os.path.join(args.corpus, "touchline")
    pages = sorted(glob.glob(os.path.join(root, "content", "*", "[0-9]*.md")))
    if not pages:
        sys.exit(f"no numbered pages under {root}/content/*/")
    scratch = tempfile.mkdtemp(prefix="watch-latency-")
    out = os.path.join(scratch, "dist")
    proc = subprocess.Popen([args.bin, "-v", "watch", "--root", root, "--out", out, *args.extra],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = queue.Queue()
    threading.Thread(target=reader, args=(proc.stderr, lines), daemon=True).start()
    latencies, builds = [], []
    try:
        wait_line(lines, r"touchline: rebuilt", 600)
        for i in range(args.edits):
            page = pages[(i * 7919) % len(pages)]
            rel = os.path.relpath(page, os.path.join(root, "content"))[:-3]
            published = os.path.join(out, rel, "index.html")
            marker = f"edit-marker-{i}-{time.monotonic_ns()}"
            with open(page, encoding="utf-8") as f:
                text = f.read()
            text = re.sub(r"\nedit-marker-\S+\n", "\n", text) + f"\n{marker}\n"
            time.sleep(0.3)  # let the previous rebuild's events settle
            start = time.monotonic()
            with open(page, "w", encoding="utf-8") as f:
                f.write(text)
            while True:
                try:
                    with open(published, encoding="utf-8") as f:
                        if marker in f.read():
                            break
                except FileNotFoundError:
                    pass
                if time.monotonic() - start > 60:
                    sys.exit(f"edit {i} of {page} not published within 60 s")
                time.sleep(0.0002)
            latencies.append(time.monotonic() - start)
            line, _ = wait_line(lines, r"touchline: rebuilt", 60)
            m = re.search(r"in (\d+) ms", line)
            builds.append(int(m.group(1)) if m else None)
            print(f"edit {i + 1}/{args.edits} {rel}: {latencies[-1] * 1000:.1f} ms"
                  f" (rebuild {builds[-1]} ms)", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    ms = sorted(x * 1000 for x in latencies)
    result = {"edits": len(ms), "median_ms": statistics.median(ms), "min_ms": ms[0],
              "p90_ms": ms[int(0.9 * (len(ms) - 1))], "max_ms": ms[-1],
              "rebuild_median_ms": statistics.median(b for b in builds if b is not None)}
    print(f"watch: edit one page of {len(pages):,} -> published: median {result['median_ms']:.1f} ms "
          f"(min {result['min_ms']:.1f}, p90 {result['p90_ms']:.1f}, max {result['max_ms']:.1f}); "
          f"the watcher's rebuild alone: median {result['rebuild_median_ms']} ms")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
