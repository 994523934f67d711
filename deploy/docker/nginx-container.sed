# Rewrites nginx/nginx.conf's "# env" lines for the containers (site image, compose, Kubernetes):
# no `user` (nginx runs as uid 101 from the start, not as root switching users), pid and temp
# files under /tmp (the root filesystem is read-only; /tmp is an emptyDir/tmpfs), errors to
# stderr, and the access log both to the shared volume (for the sidecar) and to stdout (for the
# container runtime, hence Loki). listen 8080, root /srv/touchline/dist and the
# redirect map's include (/srv/touchline/dist/_redirects*.conf) are kept as written.
# Checked by scripts/test.d/40-deploy.sh: `nginx -t` and gixy on the rewritten config.
/# env$/{
  /^user /d
  s|^pid .*|pid /tmp/nginx.pid;|
  s|^error_log .*|error_log stderr warn;|
  s|^\( *\)client_body_temp_path .*|\1client_body_temp_path /tmp/client_body;|
  s|^\( *\)proxy_temp_path .*|\1proxy_temp_path /tmp/proxy;|
  s|^\( *\)fastcgi_temp_path .*|\1fastcgi_temp_path /tmp/fastcgi;|
  s|^\( *\)uwsgi_temp_path .*|\1uwsgi_temp_path /tmp/uwsgi;|
  s|^\( *\)scgi_temp_path .*|\1scgi_temp_path /tmp/scgi;|
  s|^\( *\)access_log .*|\1access_log /var/log/touchline/access.log touchline;\n\1access_log /dev/stdout touchline;|
}
