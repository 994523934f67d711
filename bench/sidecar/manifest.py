#!/usr/bin/env python3
"""Times how long touchline-sidecar takes to load a large route manifest, at several sizes, so
that the growth (linear or not) shows:

- `replay --routes M empty.log`: read and check the manifest, build the router, create every
  route's zero series and print them (the whole command, stdout to /dev/null);
- `run --routes M --state S` until /healthz answers, where S is a checkpoint holding every
  route's series (restoring looks each label up).

Usage: manifest.py SIDECAR_BIN RUNS OUT_JSON SIZE...   (SIZE: routes in the manifest)
Manifests and checkpoints are cached in bench/out/sidecar-manifests/.
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sidecar, runs, out_json, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3], [int(s) for s in sys.argv[4:]]
here = os.path.dirname(os.path.abspath(__file__))
cache = os.path.join(here, "..", "out", "sidecar-manifests")
os.makedirs(cache, exist_ok=True)
# Generous: the quadratic load this benchmark was written for took 32 s at 200k routes.
TIMEOUT = 1800


def manifest(n):
    """A manifest of n routes: three pages for every file, as a large generated site has."""
    path = os.path.join(cache, f"routes-{n}.json")
    if not os.path.exists(path):
        pages = ["/"] + [f"/section-{i % 97}/page-{i}" for i in range(1, n - n // 4)]
        files = [f"/badges/club-{i}.svg" for i in range(n - len(pages))]
        with open(path + ".tmp", "w") as f:
            json.dump({"version": 1, "pages": sorted(pages), "files": sorted(files),
                       "assets_prefix": "/assets/"}, f)
        os.replace(path + ".tmp", path)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def start_run(routes, state, log):
    """Starts `run`, returns (process, seconds until /healthz answered)."""
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([sidecar, "run", "--log", log, "--routes", routes, "--state", state,
                             "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not healthy(port):
        if proc.poll() is not None:
            sys.exit(f"run exited with {proc.returncode}")
        if time.perf_counter() - start > TIMEOUT:
            proc.kill()
            sys.exit("run did not answer /healthz in time")
        time.sleep(0.01)
    return proc, time.perf_counter() - start


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=TIMEOUT) != 0:
        sys.exit(f"run exited with {proc.returncode} on SIGTERM")


def checkpoint(n, routes, log):
    """A checkpoint of every route's series, written by the sidecar itself (SIGTERM writes it)."""
    path = os.path.join(cache, f"state-{n}.json")
    if not os.path.exists(path):
        proc, _ = start_run(routes, path + ".tmp", log)
        stop(proc)
        os.replace(path + ".tmp", path)
    return path


def timed_replay(routes, log):
    start = time.perf_counter()
    subprocess.run([sidecar, "replay", "--routes", routes, log], stdout=subprocess.DEVNULL,
                   check=True, timeout=TIMEOUT)
    return time.perf_counter() - start


def timed_run(routes, state, log):
    # The sidecar rewrites its checkpoint: work on a copy so every run restores the same one.
    with tempfile.TemporaryDirectory() as d:
        copy = os.path.join(d, "state.json")
        with open(state, "rb") as src, open(copy, "wb") as dst:
            dst.write(src.read())
        proc, took = start_run(routes, copy, log)
        stop(proc)
    return took


results = []
with tempfile.TemporaryDirectory() as tmp:
    log = os.path.join(tmp, "empty.log")
    open(log, "w").close()
    for n in sizes:
        routes = manifest(n)
        state = checkpoint(n, routes, log)
        row = {"routes": n}
        for name, once in [("replay", lambda: timed_replay(routes, log)),
                           ("run until /healthz, restoring", lambda: timed_run(routes, state, log))]:
            walls = [once() for _ in range(runs)]
            row[name] = {"runs_s": walls, "median_s": statistics.median(walls)}
            print(f"{n} routes: {name}: median {statistics.median(walls):.3f} s "
                  f"(runs: {', '.join(f'{w:.3f}' for w in walls)})", flush=True)
        results.append(row)
os.makedirs(os.path.dirname(out_json), exist_ok=True)
with open(out_json, "w") as f:
    json.dump(results, f, indent=2)
