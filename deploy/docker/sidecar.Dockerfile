# syntax=docker/dockerfile:1.7
# Touchline metrics sidecar: a static touchline-sidecar on distroless/static, non-root.
# Build from the repository root:  docker build -f deploy/docker/sidecar.Dockerfile -t touchline-sidecar .
FROM rust:1.95.0-slim-trixie AS build
# Static glibc (crt-static on the gnu target), not musl: the build needs nothing but the pinned
# base image. `rustup target add x86_64-unknown-linux-musl` downloads a second standard library
# from rustup's server at build time, which builders without that access cannot do (the
# project's test machines, which build this file on local stand-ins of the bases, reach only
# package registries). The image also ships the very target the test suite runs. glibc's static
# libc cannot load NSS modules, so the binary must not resolve host or user names: it does
# neither (--listen takes an IP address). The explicit --target keeps the flag off build scripts
# and proc macros, which must stay dynamic.
WORKDIR /src
COPY . .
RUN RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked -p sidecar --bin touchline-sidecar --target x86_64-unknown-linux-gnu \
 && install -D -m 0755 target/x86_64-unknown-linux-gnu/release/touchline-sidecar /out/touchline-sidecar \
 && install -d /out/state

# distroless/static: no shell, no package manager, no libc.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/touchline-sidecar /usr/local/bin/touchline-sidecar
# The checkpoint directory, owned by the run-time uid so that a fresh named volume mounted here
# (compose) inherits that ownership. --chown is what sets it: COPY of a directory copies its
# contents into a destination it creates root-owned, whatever the source directory's owner.
COPY --from=build --chown=101:101 /out/state /var/lib/touchline-sidecar
# uid 101 = nginx's uid in the site image (not distroless' 65532): with --reclaim the sidecar
# punches holes in the access log nginx creates with mode 0644, which needs the same owner.
USER 101:101
EXPOSE 9145
# Flags can also come from TOUCHLINE_SIDECAR_* environment variables (compose, Kubernetes).
ENTRYPOINT ["/usr/local/bin/touchline-sidecar"]
# The site image's access log (deploy/docker/nginx-container.sed), on the volume both containers
# mount at /var/log/touchline (compose.yaml, k8s/base/deployment.yaml).
CMD ["run", "--log", "/var/log/touchline/access.log", "--listen", "0.0.0.0:9145"]
