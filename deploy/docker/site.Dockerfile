# syntax=docker/dockerfile:1.7
# Touchline site image: nginx serving the generated dist/ with the project's nginx/ config.
# Build from the repository root:  docker build -f deploy/docker/site.Dockerfile -t touchline-site .
#
# Stage 1 builds the generator and generates dist/ from site.toml, content/ and themes/, so the
# image always holds the site of the commit it was built from.
FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
# The whole workspace is needed (Cargo.lock pins all members); .dockerignore keeps target/,
# dist/, .git and tool folders out of the context.
COPY . .
RUN cargo build --release --locked -p generator --bin touchline \
 && ./target/release/touchline generate --root . --out /out/dist

# Stage 2: Debian's nginx 1.22 with the brotli modules: the very build the project's tests run
# against (nginx/nginx.conf loads brotli, which the nginx.org images do not ship). It is the
# "unprivileged" setup of the official nginx-unprivileged image done on Debian: uid 101, port
# 8080, pid and temp files in /tmp, no root at any point at run time.
FROM debian:12.12-slim
# Version globs keep the build on bookworm's nginx 1.22 while taking its security updates.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      'nginx=1.22.1-9+deb12u*' \
      'libnginx-mod-http-brotli-static=1.0.0~rc-3' \
      'libnginx-mod-http-brotli-filter=1.0.0~rc-3' \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/conf.d \
 && groupadd --system --gid 101 nginx \
 && useradd --system --uid 101 --gid 101 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx \
 && install -d -o 101 -g 101 -m 0750 /var/log/touchline
# The project's config, with its "# env" lines rewritten for containers (see the .sed file).
COPY nginx/ /etc/nginx/touchline/
COPY deploy/docker/nginx-container.sed /tmp/nginx-container.sed
RUN sed -i -f /tmp/nginx-container.sed /etc/nginx/touchline/nginx.conf && rm /tmp/nginx-container.sed
# Files stay owned by root and read-only to nginx: a compromised worker cannot rewrite the site.
COPY --from=build /out/dist /srv/touchline/dist
USER 101:101
EXPOSE 8080
# nginx finishes in-flight requests on QUIT (graceful), not on TERM.
STOPSIGNAL SIGQUIT
# -e stderr: nginx opens its compiled-in error log (/var/log/nginx/error.log) before reading the
# config; on a read-only root filesystem that would be a startup alert.
CMD ["nginx", "-e", "stderr", "-c", "/etc/nginx/touchline/nginx.conf", "-g", "daemon off;"]
