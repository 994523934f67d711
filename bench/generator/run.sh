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
  t_cmd="$bin -q generate --root $work/$n/touchline --out $work/$n/out-touchline"
  h_cmd="hugo --quiet -s $work/$n/hugo -d $work/$n/out-hugo"
  # Rebuild: the output of the previous run is there (touchline recycles it, Hugo overwrites it).
  hyperfine --warmup 1 --runs "$runs" --export-json "bench/out/generator-$n-rebuild.json" \
    -n "touchline $n pages rebuild" "$t_cmd" -n "hugo $n pages rebuild" "$h_cmd"
  # Cold: each run writes into a folder that does not exist yet (the `$(date)` expands per run).
  # Not `rm -rf` between runs: ext4 then spends seconds skipping just-freed inodes on every
  # create, a cost that tracks how many files the previous run left, not the tool under test.
  hyperfine --runs "$runs" --export-json "bench/out/generator-$n-cold.json" \
    -n "touchline $n pages cold" "$bin -q generate --root $work/$n/touchline --out $work/$n/cold-t-\$(date +%s%N)" \
    -n "hugo $n pages cold" "hugo --quiet -s $work/$n/hugo -d $work/$n/cold-h-\$(date +%s%N)"
  for kind in rebuild cold; do
    python3 - "bench/out/generator-$n-$kind.json" <<'PY'
import json, statistics, sys
r = {x["command"]: statistics.median(x["times"]) for x in json.load(open(sys.argv[1]))["results"]}
(t, tv), (h, hv) = list(r.items())
print(f"RESULT {t}: median {tv*1000:.0f} ms | {h}: median {hv*1000:.0f} ms | touchline/hugo = {tv/hv:.2f}")
PY
  done
done
