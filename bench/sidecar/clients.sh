#!/usr/bin/env bash
# Benchmark of the client, referrer and missing-page counting: `touchline-sidecar replay`
# (with --site-host) against `wc -l` on a 1M-line realistic log (make_log.py), and its peak RSS
# on a 1M-line log where every line has a new path, referring host and user agent
# (junk_log.py). Usage: bench/sidecar/clients.sh [LINES]  (default 1000000); RUNS=5.
# Prints each run, the medians and the ratio to wc -l.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
runs=${RUNS:-5}
cargo build --release --locked -q -p sidecar
bin="$PWD/target/release/touchline-sidecar"
dir=bench/out/sidecar-logs
mkdir -p "$dir"
[ -s "$dir/access-$n.log" ] || python3 bench/sidecar/make_log.py "$n" "$dir/access-$n.log"
[ -s "$dir/junk-$n.log" ] || python3 bench/sidecar/junk_log.py "$n" "$dir/junk-$n.log"
python3 - "$bin" "$runs" "$dir/access-$n.log" "$dir/junk-$n.log" <<'PY'
import statistics, subprocess, sys, time
bin, runs, real, junk = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def timed(cmd):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, check=True)
        out.append((time.perf_counter() - t, int(r.stderr.split()[-1]) / 1024))
    return out
for log in (real, junk):
    open(log, "rb").read()  # warm the page cache
    replay = timed([bin, "replay", "--site-host", "touchline.example", log])
    wc = timed(["wc", "-l", log])
    mr = statistics.median(t for t, _ in replay)
    mw = statistics.median(t for t, _ in wc)
    print(f"{log}:")
    print(f"  replay runs (s): {', '.join(f'{t:.3f}' for t, _ in replay)}; median {mr:.3f} s; "
          f"peak RSS {max(m for _, m in replay):.1f} MiB")
    print(f"  wc -l runs (s):  {', '.join(f'{t:.3f}' for t, _ in wc)}; median {mw:.3f} s")
    print(f"  replay / wc -l: {mr / mw:.1f}x")
PY
