#!/usr/bin/env bash
# Browser suite (issue 6): every page in a real headless Chromium against the real nginx.
#
# Generates a fresh dist/ into a temporary folder with `touchline generate`, renders the project's
# nginx/nginx.conf for that folder with nginx/render-conf (its "# env" lines replaced), starts
# nginx on a free 127.0.0.1 port, and runs tests/browser/ with `node --test`: behaviour, console
# and CSP errors, other-origin requests, screenshots (test-output/), axe, the Nu HTML checker,
# Lighthouse and the home page's weight. nginx is stopped on exit, whatever happens.
#
# Needs what scripts/install-deps installs (nginx with the brotli modules, chromium, Java, and
# `npm ci` in tests/browser). A missing tool is an error, never a skip.
# Environment: TOUCHLINE_BIN (a built touchline binary; default: build target/release/touchline),
# KEEP_WORK=1 (keep the temporary folder), BROWSER_TESTS="home tasks" (run only those files).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

fail() {
  echo "50-browser: $*" >&2
  exit 1
}

# --- tools -------------------------------------------------------------------------------------
for tool in nginx node java; do
  command -v "$tool" >/dev/null || fail "$tool is not installed: run scripts/install-deps"
done
chrome=${CHROME_PATH:-/usr/bin/chromium}
[ -x "$chrome" ] || fail "$chrome is missing: run scripts/install-deps (Debian package chromium)"
for module in playwright-core axe-core @axe-core/playwright vnu-jar lighthouse; do
  [ -f "tests/browser/node_modules/$module/package.json" ] ||
    fail "npm package $module is missing in tests/browser: run scripts/install-deps"
done
[ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] ||
  fail "nginx's brotli modules are missing: run scripts/install-deps"

if [ -n "${TOUCHLINE_BIN:-}" ]; then
  touchline=$TOUCHLINE_BIN
else
  cargo build --release --locked --quiet -p generator --bin touchline ||
    fail "building the touchline generator failed"
  touchline=$root/target/release/touchline
fi
[ -x "$touchline" ] || fail "no touchline binary at $touchline"

# --- a fresh dist/ -----------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/touchline-browser.XXXXXX")
nginx_pid=""
cleanup() {
  local status=$?
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$work/nginx/error.log" ]; then
    echo "50-browser: nginx's error log:" >&2
    tail -n 20 "$work/nginx/error.log" >&2 || true
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then
    echo "50-browser: kept $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dist=$work/dist
"$touchline" generate --root "$root" --out "$dist" ||
  fail "touchline generate failed on the real site"

# --- the project's nginx config, rendered for this run -----------------------------------------
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
prefix=$work/nginx
[ -x nginx/render-conf ] || fail "nginx/render-conf is missing"
nginx/render-conf "$prefix/conf" "127.0.0.1:$port" "$dist" "$prefix/access.log" "$prefix" ||
  fail "nginx/render-conf could not render nginx/nginx.conf"
nginx -p "$prefix" -e "$prefix/error.log" -c "$prefix/conf/nginx.conf" -t -q ||
  fail "nginx -t rejected the rendered configuration ($prefix/conf/nginx.conf)"
nginx -p "$prefix" -e "$prefix/error.log" -c "$prefix/conf/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
base_url=http://127.0.0.1:$port
for _ in $(seq 100); do
  curl -fsS -o /dev/null "$base_url/" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited at start"
  sleep 0.1
done
curl -fsS -o /dev/null "$base_url/" || fail "nginx does not answer on $base_url"
echo "50-browser: nginx (pid $nginx_pid) serves $dist on $base_url"

# --- the suite ---------------------------------------------------------------------------------
mkdir -p "$root/test-output"
export TOUCHLINE_URL=$base_url
export TOUCHLINE_DIST=$dist
export TOUCHLINE_ROOT=$root
export TOUCHLINE_BIN=$touchline
export TOUCHLINE_OUTPUT=$root/test-output
export CHROME_PATH=$chrome
cd tests/browser
files=()
if [ -n "${BROWSER_TESTS:-}" ]; then
  for name in $BROWSER_TESTS; do files+=("./$name.test.mjs"); done
else
  files=(./*.test.mjs)
fi
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
