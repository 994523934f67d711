# syntax=docker/dockerfile:1.7
# Touchline metrics sidecar: a static (musl) touchline-sidecar on distroless/static, non-root.
# Build from the repository root:  docker build -f deploy/docker/sidecar.Dockerfile -t touchline-sidecar .
FROM rust:1.95.0-slim-trixie AS build
# Rust's musl target links self-contained (its own crt and libc.a), so no musl-gcc is needed as
# long as no dependency builds C code, which holds for the sidecar's dependency tree.
RUN rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p sidecar --bin touchline-sidecar --target x86_64-unknown-linux-musl \
 && install -D -m 0755 target/x86_64-unknown-linux-musl/release/touchline-sidecar /out/touchline-sidecar \
 && install -d -o 101 -g 101 -m 0700 /out/state

# distroless/static: no shell, no package manager, no libc.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/touchline-sidecar /usr/local/bin/touchline-sidecar
# The checkpoint directory, owned by the run-time uid so that a fresh named volume mounted here
# (compose) inherits that ownership.
COPY --from=build /out/state /var/lib/touchline-sidecar
# uid 101 = nginx's uid in the site image (not distroless' 65532): with --reclaim the sidecar
# punches holes in the access log nginx creates with mode 0644, which needs the same owner.
USER 101:101
EXPOSE 9145
# Flags can also come from TOUCHLINE_SIDECAR_* environment variables (compose, Kubernetes).
ENTRYPOINT ["/usr/local/bin/touchline-sidecar"]
CMD ["run", "--log", "/var/log/nginx/access.log", "--listen", "0.0.0.0:9145"]
