#!/usr/bin/env bash
# Benchmark: `touchline-sidecar replay` against Debian's mtail counting the same fields
# (touchline.mtail) over the same generated access logs, with `wc -l` as the floor.
# Usage: bench/sidecar/run.sh [LINES...]   (default: 1000000 10000000). RUNS=3 by default.
# Needs mtail and python3 (scripts/install-deps). Prints medians, lines/s, MB/s, peak RSS and
# the ratios; JSON in bench/out/sidecar.json. Logs are cached in bench/out/sidecar-logs/.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
runs=${RUNS:-3}
for tool in mtail python3 wc /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-deps" >&2; exit 1; }
done
cargo build --release --locked -q -p sidecar
bin="$PWD/target/release/touchline-sidecar"
logs_dir=bench/out/sidecar-logs
mkdir -p "$logs_dir"
logs=()
for n in "${sizes[@]}"; do
  log="$logs_dir/access-$n.log"
  if [ ! -s "$log" ]; then
    echo "generating $log"
    python3 bench/sidecar/make_log.py "$n" "$log.tmp"
    mv "$log.tmp" "$log"
  fi
  # Warm the page cache so every tool reads from memory, as wc -l's floor assumes.
  cat "$log" >/dev/null
  logs+=("$log")
done
python3 bench/sidecar/bench.py "$bin" "$runs" bench/out/sidecar.json "${logs[@]}"
