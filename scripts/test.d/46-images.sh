#!/usr/bin/env bash
# Builds both container images from deploy/docker/ exactly as written, with podman (no daemon)
# on local stand-ins of their bases (deploy/images/make-standins: no registry is reachable here),
# then proves what they contain by running the images' own files as their configs say
# (deploy/images/prove.py: containers cannot start here, so it plays the runtime with namespaces,
# chroot and the image's user). Reports each build's time and each image's size (issue 16).
# A missing tool is a failure that names how to install it, never a skip.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.tools/venv/bin
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
die() { echo "46-images: $*" >&2; exit 1; }
step() { echo "-- 46-images: $*"; }

[ "$(id -u)" -eq 0 ] || die "needs root (podman's root storage, debootstrap, namespaces and chroot)"
for tool in podman debootstrap ip readelf; do
  command -v "$tool" > /dev/null \
    || die "missing $tool; install it with: scripts/install-deps   (apt-get install podman debootstrap iproute2 binutils)"
done
for tool in unshare setpriv python3; do
  command -v "$tool" > /dev/null || die "missing $tool (util-linux, python3)"
done
if ! "$VENV/python" -c 'import yaml' 2> /dev/null; then
  die "missing $VENV/python with PyYAML; run scripts/install-deps"
fi
[ -x "$VENV/docker-compose" ] || die "missing $VENV/docker-compose; run scripts/install-deps"
[ -x "$KUBECTL" ] || command -v "$KUBECTL" > /dev/null \
  || die "missing $KUBECTL (a kubectl with kustomize), or set KUBECTL=/path/to/kubectl"

scratch=$(mktemp -d)
mounted=()
cleanup() {
  local image
  for image in "${mounted[@]}"; do
    podman image unmount "$image" > /dev/null 2>&1 || true
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

# The Dockerfiles' base images, each FROM that is not an earlier stage.
bases=()
for file in deploy/docker/*.Dockerfile; do
  stages=()
  while read -r base alias; do
    [[ " ${stages[*]} " == *" $base "* ]] || bases+=("$base")
    [ -z "$alias" ] || stages+=("$alias")
  done < <(sed -nE 's/^FROM[[:space:]]+([^[:space:]]+)([[:space:]]+AS[[:space:]]+([^[:space:]]+))?.*/\1 \3/Ip' "$file")
done
case "${TOUCHLINE_IMAGE_BASES:-standins}" in
  standins)
    step "stand-ins for the Dockerfiles' base images (deploy/images/make-standins)"
    start=$SECONDS
    deploy/images/make-standins
    echo "stand-ins ready in $((SECONDS - start)) s"
    ;;
  pull)
    # Where a registry is reachable (GitHub's CI): the real bases, pulled once, up front.
    step "pull the Dockerfiles' real base images"
    for base in "${bases[@]}"; do
      first=${base%%/*}
      if [[ "$base" == */* && ( "$first" == *.* || "$first" == *:* || "$first" == localhost ) ]]; then
        podman pull -q "$base" > /dev/null
      elif [[ "$base" == */* ]]; then
        podman pull -q "docker.io/$base" > /dev/null
      else
        podman pull -q "docker.io/library/$base" > /dev/null
      fi
    done
    ;;
  *) die "TOUCHLINE_IMAGE_BASES is '$TOUCHLINE_IMAGE_BASES': standins (default) or pull" ;;
esac
for base in "${bases[@]}"; do
  podman image exists "$base" || die "FROM $base has no local image (deploy/images/make-standins does not make it)"
done

build() { # build NAME: deploy/docker/NAME.Dockerfile as localhost/touchline-NAME:test
  local name=$1 image="localhost/touchline-$1:test" old start
  old=$(podman image inspect --format '{{.Id}}' "$image" 2> /dev/null || true)
  start=$SECONDS
  # --pull=never: a base that is not local is an error, never a download. No layer cache: every
  # run builds from scratch, as a fresh machine does, and leaves no intermediate images behind.
  podman --cgroup-manager=cgroupfs build --pull=never --isolation=chroot --layers=false \
    -f "deploy/docker/$name.Dockerfile" -t "$image" . > "$scratch/build-$name.log" 2>&1 \
    || { tail -n 60 "$scratch/build-$name.log" >&2; die "podman build of deploy/docker/$name.Dockerfile failed (log above)"; }
  if [ -n "$old" ] && [ "$old" != "$(podman image inspect --format '{{.Id}}' "$image")" ]; then
    podman image rm "$old" > /dev/null 2>&1 || true
  fi
  echo "$image built in $((SECONDS - start)) s, $(podman image inspect --format '{{.Size}}' "$image" | numfmt --to=si)B"
}
step "podman build deploy/docker/site.Dockerfile"
build site
step "podman build deploy/docker/sidecar.Dockerfile"
build sidecar

step "the images' own files, run as their configs say (deploy/images/prove.py)"
for name in site sidecar; do
  podman image inspect "localhost/touchline-$name:test" > "$scratch/$name.json"
  mounted+=("localhost/touchline-$name:test")
  podman image mount "localhost/touchline-$name:test" > "$scratch/$name.root"
done
"$VENV/docker-compose" -f deploy/compose.yaml config --format json > "$scratch/compose.json"
"$KUBECTL" kustomize deploy/k8s/overlays/prod > "$scratch/k8s-prod.yaml"
start=$SECONDS
# One pod: fresh network, mount and PID namespaces, this script's prover as PID 1; everything in
# them ends with it (--kill-child if this shell dies first).
unshare --net --mount --pid --fork --kill-child --mount-proc \
  "$VENV/python" deploy/images/prove.py "$scratch" \
  "$scratch/site.json" "$(cat "$scratch/site.root")" \
  "$scratch/sidecar.json" "$(cat "$scratch/sidecar.root")" \
  "$scratch/compose.json" "$scratch/k8s-prod.yaml"
echo "contents proven in $((SECONDS - start)) s"
echo "-- 46-images: all image checks passed"
