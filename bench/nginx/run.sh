#!/usr/bin/env bash
# Requests/s for "/" with wrk against the real nginx running nginx/nginx.conf on 127.0.0.1,
# serving a freshly generated site: once with "Accept-Encoding: gzip" (the precompressed
# index.html.gz) and once plain. Each run is bounded in time.
#
#   bench/nginx/run.sh                        2 threads, 32 connections, 10 s a run
#   BENCH_DURATION=30s BENCH_CONNECTIONS=64 bench/nginx/run.sh
#
# Results: printed, and appended to bench/out/nginx.txt (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
root_dir=$PWD

duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
nginx_bin=/usr/sbin/nginx
runtime=$root_dir/target/bench-nginx

for tool in "$nginx_bin" wrk curl python3; do
  command -v "$tool" >/dev/null ||
    { echo "bench: $tool is missing; install it with: scripts/install-deps" >&2; exit 1; }
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -rf "$runtime"
mkdir -p "$runtime" bench/out

cargo build --release --quiet --bin touchline
target/release/touchline generate --root "$root_dir" --out "$runtime/dist" >/dev/null
nginx/render-conf "$runtime/conf" "127.0.0.1:$port" "$runtime/dist" "$runtime/access.log" "$runtime"
"$nginx_bin" -q -t -p "$runtime" -c "$runtime/conf/nginx.conf"

"$nginx_bin" -p "$runtime" -c "$runtime/conf/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
# shellcheck disable=SC2317 # invoked by the EXIT trap
stop() {
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
}
trap stop EXIT

url=http://127.0.0.1:$port/
for _ in $(seq 100); do
  curl -fsS -o /dev/null "$url" 2>/dev/null && break
  sleep 0.1
done
# What each run gets: the precompressed file, then the plain one.
curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' -D - "$url" | grep -qi '^content-encoding: gzip' ||
  { echo "bench: $url does not answer gzip" >&2; exit 1; }
gzip_bytes=$(curl -fsS -H 'Accept-Encoding: gzip' "$url" | wc -c)
plain_bytes=$(curl -fsS "$url" | wc -c)

run() { # name, wrk args...
  local name=$1
  shift
  local out rps
  out=$(timeout 120 wrk --threads "$threads" --connections "$connections" --duration "$duration" \
    --latency "$@" "$url")
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  printf '%s\n' "$out" >&2
  printf '%-6s %10s req/s\n' "$name" "$rps"
}

{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) nginx $("$nginx_bin" -v 2>&1 | sed 's|.*/||'), $(nproc) cores," \
    "wrk -t$threads -c$connections -d$duration, GET / ($gzip_bytes bytes gzip, $plain_bytes plain)"
  run gzip -H 'Accept-Encoding: gzip'
  run plain
} | tee -a bench/out/nginx.txt
