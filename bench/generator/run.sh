#!/usr/bin/env bash
# Benchmark: `touchline generate` against Hugo on the same synthetic corpus, in the same run.
# Usage: bench/generator/run.sh [N...]   (default: 1000 10000). Needs hugo and hyperfine
# (scripts/install-deps). Prints hyperfine's summary and a median table; JSON in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
for tool in hugo hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-deps" >&2; exit 1; }
done
cargo build --release --locked -q -p generator
bin="$PWD/target/release/touchline"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p bench/out
for n in "${sizes[@]}"; do
  python3 bench/generator/make_corpus.py "$n" "$work/$n"
  runs=5
  [ "$n" -le 1000 ] && runs=10
  hyperfine --warmup 1 --runs "$runs" --export-json "bench/out/generator-$n.json" \
    -n "touchline $n pages" "$bin -q generate --root $work/$n/touchline --out $work/$n/out-touchline" \
    -n "hugo $n pages" "hugo --quiet -s $work/$n/hugo -d $work/$n/out-hugo"
  python3 - "bench/out/generator-$n.json" <<'PY'
import json, statistics, sys
r = {x["command"]: statistics.median(x["times"]) for x in json.load(open(sys.argv[1]))["results"]}
(t, tv), (h, hv) = list(r.items())
print(f"{t}: median {tv*1000:.0f} ms | {h}: median {hv*1000:.0f} ms | touchline/hugo = {tv/hv:.2f}")
PY
done
