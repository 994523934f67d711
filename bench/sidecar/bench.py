#!/usr/bin/env python3
"""Times `touchline-sidecar replay`, Debian's mtail (one-shot, counting the same fields with
touchline.mtail) and `wc -l` on the same log files. Medians of N runs; lines/s, MB/s, peak RSS.

Usage: bench.py SIDECAR_BIN RUNS OUT_JSON LOG...
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sidecar, runs, out_json, logs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
here = os.path.dirname(os.path.abspath(__file__))
progs = tempfile.mkdtemp(prefix="touchline-mtail-")
with open(os.path.join(here, "touchline.mtail")) as src, open(os.path.join(progs, "touchline.mtail"), "w") as dst:
    dst.write(src.read())


def measure(cmd):
    """Wall seconds and peak RSS (KiB) of one run; stdout is captured and returned."""
    with tempfile.NamedTemporaryFile("r") as tf:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=3600)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{cmd} failed with {done.returncode}")
        rss = int(tf.read().strip().splitlines()[-1])
    return wall, rss, done.stdout.decode(errors="replace")


def parsed(text, prog_label):
    for line in text.splitlines():
        if line.startswith('touchline_log_lines_total{outcome="parsed"' ):
            return float(line.rsplit(" ", 1)[1])
    sys.exit(f"no parsed-lines count in the {prog_label} output")


results = []
for log in logs:
    size = os.path.getsize(log)
    with open(log, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    tools = {
        "touchline-sidecar replay": [sidecar, "replay", log],
        "mtail --one_shot": ["mtail", "--one_shot", "--one_shot_format=prometheus", "--progs", progs,
                             "--logs", log, "--address", "127.0.0.1", "--port", "0", "--logtostderr"],
        "wc -l": ["wc", "-l", log],
    }
    row = {"log": os.path.basename(log), "lines": lines, "bytes": size, "tools": {}}
    counts = {}
    for name, cmd in tools.items():
        walls, rsss = [], []
        for _ in range(runs):
            wall, rss, out = measure(cmd)
            walls.append(wall)
            rsss.append(rss)
        if name != "wc -l":
            counts[name] = parsed(out, name)
        med = statistics.median(walls)
        row["tools"][name] = {
            "runs_s": walls,
            "median_s": med,
            "lines_per_s": lines / med,
            "mb_per_s": size / 1e6 / med,
            "peak_rss_mib": max(rsss) / 1024,
        }
        print(f"{row['log']}: {name}: median {med:.3f} s, {lines / med / 1e6:.2f} M lines/s, "
              f"{size / 1e6 / med:.0f} MB/s, peak RSS {max(rsss) / 1024:.1f} MiB", flush=True)
    if len(set(counts.values())) != 1:
        sys.exit(f"the tools disagree on parsed lines: {counts}")
    t = row["tools"]
    row["sidecar_vs_mtail"] = t["touchline-sidecar replay"]["lines_per_s"] / t["mtail --one_shot"]["lines_per_s"]
    row["sidecar_vs_wc"] = t["touchline-sidecar replay"]["median_s"] / t["wc -l"]["median_s"]
    print(f"{row['log']}: sidecar is {row['sidecar_vs_mtail']:.0f}x mtail's lines/s "
          f"(target >= 20x) and {row['sidecar_vs_wc']:.1f}x wc -l's time (target <= 5x); "
          f"both counted {int(next(iter(counts.values())))} parsed lines", flush=True)
    results.append(row)

with open(out_json, "w") as f:
    json.dump({"runs": runs, "cpus": os.cpu_count(), "results": results}, f, indent=2)
