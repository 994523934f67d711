#!/usr/bin/env bash
# Benchmark: `touchline generate` against Hugo on the same synthetic corpora, in the same run.
# Usage: bench/generator/run.sh [--rounds R] [--shapes "flat sections"] [--highlight] [N...]
#   --highlight: instead, highlighting on against off (`code` corpora, highlight.py).
#   (defaults: 5 rounds, both shapes, 1000 and 10000 pages). Needs hugo, hyperfine and python3
#   (scripts/install-deps). Every round runs every command once, interleaved; prints a table of
#   medians and ratios from this run, CPU times, rebuilds and peak RSS; JSON in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=5
shapes="flat sections"
highlight=0
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --shapes) shapes="$2"; shift 2 ;;
    --highlight) highlight=1; shift ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
for tool in hugo hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-deps" >&2; exit 1; }
done
cargo build --release --locked -q -p generator
bin="$PWD/target/release/touchline"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p bench/out
if [ "$highlight" = 1 ]; then
  corpora=()
  for n in "${sizes[@]}"; do
    python3 bench/generator/make_corpus.py --shape code "$n" "$work/code-$n"
    corpora+=("$n:$work/code-$n")
  done
  python3 bench/generator/highlight.py --bin "$bin" --work "$work" --rounds "$rounds" "${corpora[@]}"
  exit 0
fi
corpora=()
for shape in $shapes; do
  for n in "${sizes[@]}"; do
    python3 bench/generator/make_corpus.py --shape "$shape" "$n" "$work/corpus-$shape-$n"
    corpora+=("$shape:$n:$work/corpus-$shape-$n")
  done
done
python3 bench/generator/compare.py --bin "$bin" --work "$work" --rounds "$rounds" \
  --json bench/out/generator.json "${corpora[@]}"
