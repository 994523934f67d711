#!/usr/bin/env bash
# Benchmark: how long `touchline-sidecar` takes to load a large route manifest (replay, and run
# restoring a checkpoint of every route), at several sizes so the growth shows.
# Usage: bench/sidecar/manifest.sh [ROUTES...]   (default: 50000 100000 200000). RUNS=3 by
# default; SIDECAR=path/to/touchline-sidecar times another build (an older commit's, say)
# instead of building this one. JSON in bench/out/sidecar-manifest.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50000 100000 200000)
command -v python3 >/dev/null || { echo "missing python3: run scripts/install-deps" >&2; exit 1; }
bin=${SIDECAR:-}
if [ -z "$bin" ]; then
  cargo build --release --locked -q -p sidecar
  bin="$PWD/target/release/touchline-sidecar"
fi
python3 bench/sidecar/manifest.py "$bin" "${RUNS:-3}" bench/out/sidecar-manifest.json "${sizes[@]}"
