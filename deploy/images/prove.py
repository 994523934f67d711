"""Runs the built images' own files as their configs say, and checks what they serve and count.

Containers cannot start on the project's machines (runc is refused there), so this plays the
container runtime with plain Linux: scripts/test.d/46-images.sh mounts each image
(`podman image mount`) and starts this script as PID 1 of fresh network, mount and PID
namespaces (`unshare --net --mount --pid --fork --mount-proc`), like one Kubernetes pod. For each
container it lays a writable overlay over the image's files, creates the mount points, mounts
/proc, a minimal /dev, tmpfs and the volumes, makes the root read-only (compose's read_only,
Kubernetes' readOnlyRootFilesystem), then starts the config's Entrypoint + Cmd with its Env and
WorkingDir, as its User, with no capabilities and no_new_privs (compose's cap_drop ALL and
no-new-privileges, Kubernetes' drop ALL and allowPrivilegeEscalation false).

Then it checks: every route of the image's manifest (dist/_routes.json) answers 200 with the
security headers and the image's bytes, the .br and .gz variants are served as they are, a
missing page is the 404 page, no process runs as root or with a capability, the access log is
written where the sidecar reads it (the sidecar image's own CMD, deploy/compose.yaml and the
Kubernetes prod overlay agree on the path and mount the same volume there), the sidecar from its
image counts exactly the requests made (its own CMD, then compose's command reading the log from
the start by the route manifest, with --reclaim punching holes as uid 101), and both stop
cleanly on their stop signals. Any failure exits 1 naming what differs.

    prove.py SCRATCH SITE_CONFIG SITE_ROOT SIDECAR_CONFIG SIDECAR_ROOT COMPOSE_JSON K8S_YAML
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

DEADLINE = 30.0
SITE_PORT = 8080
SIDECAR_PORT = 9145
# The headers every response carries (nginx/README.md, "Behaviour"); their exact values come from
# the image's own headers.conf, and these must hold of them.
SECURITY_HEADERS = {
    "Content-Security-Policy": None,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": None,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
ACCESS_LINE = re.compile(
    r'^127\.0\.0\.1 - - \[[^]]+\] "(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.1" (?P<status>\d{3}) '
    r'(?P<bytes>\d+) "-" "touchline-prove" \d+\.\d{3}$'
)


class Failure(Exception):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise Failure(what)


def log(msg: str) -> None:
    print(f"prove: {msg}", flush=True)


def run(*argv: str) -> None:
    subprocess.run(argv, check=True)


# --- the image configs ---------------------------------------------------------------------------


def user_ids(root: Path, user: str) -> tuple[int, int, str]:
    """The uid, gid and home of an image's User ("uid", "uid:gid", "name" or "name:group"),
    looked up in the image's own /etc/passwd and /etc/group as the runtime does."""
    name, _, group = user.partition(":")
    passwd = {}
    if (root / "etc/passwd").exists():
        for line in (root / "etc/passwd").read_text().splitlines():
            f = line.split(":")
            if len(f) >= 7:
                passwd[f[0]] = (int(f[2]), int(f[3]), f[5])
    by_uid = {v[0]: (v[1], v[2]) for v in passwd.values()}
    if name.isdigit():
        uid = int(name)
        gid, home = by_uid.get(uid, (uid, "/"))
    else:
        check(name in passwd, f"image user {name!r} is not in {root}/etc/passwd")
        uid, gid, home = passwd[name]
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            groups = {
                f[0]: int(f[2])
                for f in (ln.split(":") for ln in (root / "etc/group").read_text().splitlines())
                if len(f) >= 3
            }
            check(group in groups, f"image group {group!r} is not in {root}/etc/group")
            gid = groups[group]
    return uid, gid, home


# --- the pod -------------------------------------------------------------------------------------


class Container:
    def __init__(self, pod: Path, name: str, image_root: Path, config: dict):
        self.name = name
        self.image_root = image_root
        self.config = config
        self.dir = pod / name
        self.root = self.dir / "root"
        self.proc: subprocess.Popen | None = None
        self.stdout = self.dir / "stdout"
        self.stderr = self.dir / "stderr"

    def start(self, argv: list[str] | None, volumes: dict[str, tuple[Path, bool]], tmpfs: list[str]) -> None:
        """Starts Entrypoint + (argv, or the image's Cmd), like `docker run IMAGE [argv]`."""
        for sub in ("upper", "work", "root"):
            (self.dir / sub).mkdir(parents=True)
        run("mount", "-t", "overlay", "overlay", "-o",
            f"lowerdir={self.image_root},upperdir={self.dir}/upper,workdir={self.dir}/work", str(self.root))
        # The runtime creates missing mount points in the container's writable layer, then makes
        # the root read-only and mounts what the container gets on top.
        for target in ["/proc", "/dev", *tmpfs, *volumes]:
            (self.root / target.lstrip("/")).mkdir(parents=True, exist_ok=True)
        run("mount", "--bind", str(self.root), str(self.root))
        run("mount", "-o", "remount,bind,ro", str(self.root))
        run("mount", "-t", "proc", "proc", str(self.root / "proc"))
        dev = self.root / "dev"
        run("mount", "-t", "tmpfs", "-o", "mode=0755,size=64k,nosuid", "dev", str(dev))
        for node in ("null", "zero", "full", "random", "urandom", "tty"):
            (dev / node).touch()
            run("mount", "--bind", f"/dev/{node}", str(dev / node))
        for link, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(target, dev / link)
        uid, gid, home = user_ids(self.image_root, self.config.get("User") or "0")
        for target in tmpfs:
            # compose: `tmpfs: /tmp:size=64m,uid=101,gid=101` (Docker's default mode 1777).
            run("mount", "-t", "tmpfs", "-o", f"size=64m,mode=1777,uid={uid},gid={gid}", "tmpfs",
                str(self.root / target.lstrip("/")))
        for target, (source, read_only) in volumes.items():
            mnt = self.root / target.lstrip("/")
            run("mount", "--bind", str(source), str(mnt))
            if read_only:
                run("mount", "-o", "remount,bind,ro", str(mnt))

        argv = list(self.config.get("Entrypoint") or []) + list(argv if argv is not None else self.config.get("Cmd") or [])
        check(bool(argv), f"{self.name}: the image has neither Entrypoint nor Cmd")
        env = dict(e.split("=", 1) for e in self.config.get("Env") or [])
        env.setdefault("HOSTNAME", self.name)
        env.setdefault("HOME", home)
        # runc hands the container its stdio owned by the container's user, so that a process
        # that dropped root can still open /dev/stdout (nginx's second access_log).
        for path in (self.stdout, self.stderr):
            path.touch()
            os.chown(path, uid, gid)
        self.uid, self.gid = uid, gid
        wd = self.config.get("WorkingDir") or "/"
        # util-linux unshare: chroot, chdir, setgroups([]), setgid, setuid, then execvp() in the
        # new root with the image's PATH, the order runc uses; setpriv first sets no_new_privs.
        cmd = ["/usr/bin/setpriv", "--no-new-privs", "/usr/bin/unshare", f"--root={self.root}", f"--wd={wd}",
               f"--setgid={gid}", f"--setuid={uid}", "--", *argv]
        log(f"{self.name}: {' '.join(argv)}  (user {uid}:{gid}, workdir {wd})")
        with open(self.stdout, "ab") as out, open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    def output(self) -> str:
        return (f"--- {self.name} stdout:\n{self.stdout.read_text(errors='replace')[-3000:]}"
                f"--- {self.name} stderr:\n{self.stderr.read_text(errors='replace')[-3000:]}")

    def stop(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"{self.name} did not exit within {DEADLINE:.0f} s of {signal.Signals(sig).name}")

    def processes(self) -> list[int]:
        """The PIDs whose root directory is this container's root."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.readlink(f"/proc/{entry}/root") == str(self.root):
                        pids.append(int(entry))
                except OSError:
                    pass
        return pids


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"User-Agent": "touchline-prove", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def wait_http(container: Container, port: int, path: str, want: int = 200) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        assert container.proc is not None
        if container.proc.poll() is not None:
            raise Failure(f"{container.name} exited with {container.proc.returncode} before "
                          f"answering {path}:\n{container.output()}")
        try:
            if http_get(port, path)[0] == want:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise Failure(f"{container.name}: no {want} on :{port}{path} within {DEADLINE:.0f} s:\n{container.output()}")
        time.sleep(0.05)


def wait_for(cond, container: Container, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not cond():
        if time.monotonic() > deadline:
            raise Failure(f"{container.name}: {what} after {DEADLINE:.0f} s:\n{container.output()}")
        time.sleep(0.1)


def check_unprivileged(containers: list[Container], expect: dict[str, int]) -> None:
    """Every process of the pod but this script belongs to a container and runs as that
    container's user, without any capability, with no_new_privs."""
    seen: Counter[str] = Counter()
    roots = {str(c.root): c for c in containers}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            root = os.readlink(f"/proc/{entry}/root")
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        name = fields.get("Name", "?").strip()
        check(root in roots, f"pid {entry} ({name}) runs outside every container (root {root})")
        c = roots[root]
        seen[c.name] += 1
        want_ids = f"{c.uid}\t{c.uid}\t{c.uid}\t{c.uid}"
        check(fields["Uid"].strip() == want_ids, f"{c.name} pid {entry} ({name}): Uid {fields['Uid'].strip()!r}, expected {want_ids!r}")
        want_gids = f"{c.gid}\t{c.gid}\t{c.gid}\t{c.gid}"
        check(fields["Gid"].strip() == want_gids, f"{c.name} pid {entry} ({name}): Gid {fields['Gid'].strip()!r}, expected {want_gids!r}")
        check(fields["Groups"].strip() in ("", str(c.gid)), f"{c.name} pid {entry} ({name}): supplementary groups {fields['Groups'].strip()!r}")
        for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            check(int(fields[cap], 16) == 0, f"{c.name} pid {entry} ({name}): {cap} {fields[cap].strip()}, expected none")
        check(fields["NoNewPrivs"].strip() == "1", f"{c.name} pid {entry} ({name}): no_new_privs not set")
        check(c.uid != 0 and c.gid != 0, f"{c.name} runs as root")
    for name, least in expect.items():
        check(seen[name] >= least, f"{name}: {seen[name]} processes, expected at least {least}")
    log("processes: " + ", ".join(f"{n} {k} (uid {next(c.uid for c in containers if c.name == n)}, no capabilities)"
                                  for n, k in sorted(seen.items())))


# --- metrics -------------------------------------------------------------------------------------

SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, _, body = http_get(port, "/metrics")
    check(status == 200, f"sidecar /metrics answered {status}")
    samples = {}
    for line in body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        check(m is not None, f"sidecar /metrics: unparsable line {line!r}")
        labels = tuple(sorted(LABEL.findall(m["labels"] or "")))
        samples[(m["name"], labels)] = float(m["value"])
    return samples


def check_counts(port: int, sidecar: Container, requests: list[tuple[str, int, int]], label) -> None:
    """/metrics counts exactly `requests` ((path, status, body bytes) each, all GET), with paths
    turned into labels by `label`: per path, method and status, and bytes per path."""
    want = Counter((label(p), "GET", str(s)) for p, s, _ in requests)
    want_bytes: Counter[str] = Counter()
    for p, _, n in requests:
        want_bytes[label(p)] += n
    deadline = time.monotonic() + DEADLINE
    while True:
        samples = scrape(port)
        parsed = samples.get(("touchline_log_lines_total", (("outcome", "parsed"),)), 0)
        if parsed >= len(requests):
            break
        if time.monotonic() > deadline:
            raise Failure(f"{sidecar.name}: {parsed:.0f} log lines parsed within {DEADLINE:.0f} s, "
                          f"expected {len(requests)}:\n{sidecar.output()}")
        time.sleep(0.1)
    check(parsed == len(requests), f"{sidecar.name}: {parsed:.0f} lines parsed, expected {len(requests)}")
    for (name, labels), value in samples.items():
        if name == "touchline_log_lines_total" and dict(labels)["outcome"] != "parsed":
            check(value == 0, f"{sidecar.name}: {value:.0f} malformed lines ({dict(labels)['outcome']})")
    got = Counter()
    got_bytes: Counter[str] = Counter()
    for (name, labels), value in samples.items():
        d = dict(labels)
        if name == "touchline_http_requests_total" and value:
            got[(d["path"], d["method"], d["status"])] = int(value)
        if name == "touchline_http_response_bytes_total" and value:
            got_bytes[d["path"]] = int(value)
    if got != want:
        diff = sorted(set(got) | set(want))
        lines = [f"  {k}: counted {got[k]}, requested {want[k]}" for k in diff if got[k] != want[k]]
        raise Failure(f"{sidecar.name}: touchline_http_requests_total differs from the requests made:\n" + "\n".join(lines))
    if got_bytes != want_bytes:
        lines = [f"  {k}: counted {got_bytes[k]}, sent {want_bytes[k]}"
                 for k in sorted(set(got_bytes) | set(want_bytes)) if got_bytes[k] != want_bytes[k]]
        raise Failure(f"{sidecar.name}: touchline_http_response_bytes_total differs from the bodies sent:\n" + "\n".join(lines))
    log(f"{sidecar.name}: /metrics counts the {len(requests)} requests exactly "
        f"({len(want)} path/method/status series, {sum(want_bytes.values())} body bytes)")


# --- the checks ----------------------------------------------------------------------------------


def option(args: list[str], flag: str) -> str | None:
    """The value of `--flag=V` or `--flag V` in args."""
    for i, a in enumerate(args):
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
        if a == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def nginx_access_logs(site_root: Path) -> list[str]:
    conf = (site_root / "etc/nginx/touchline/nginx.conf").read_text()
    return re.findall(r"^\s*access_log\s+(\S+)\s+touchline;", conf, re.M)


def headers_conf(site_root: Path) -> dict[str, str]:
    text = (site_root / "etc/nginx/touchline/headers.conf").read_text()
    return dict(re.findall(r'^add_header (\S+) "([^"]*)" always;', text, re.M))


def check_log_location(site_root: Path, site_cfg: dict, sidecar_cfg: dict, compose: dict, k8s: list[dict]) -> str:
    logs = nginx_access_logs(site_root)
    files = [p for p in logs if not p.startswith("/dev/")]
    check(len(files) == 1 and "/dev/stdout" in logs,
          f"the site image's nginx.conf logs to {logs}: expected one file and /dev/stdout")
    path = files[0]
    volume_dir = os.path.dirname(path)
    check(site_cfg.get("User"), "the site image has no User")
    image_log = option(sidecar_cfg.get("Cmd") or [], "--log")
    check(image_log == path, f"the sidecar image's CMD reads {image_log}, but the site image's nginx writes {path}")

    services = compose["services"]
    sidecar_log = option(services["sidecar"]["command"], "--log")
    check(sidecar_log == path, f"deploy/compose.yaml: the sidecar reads {sidecar_log}, nginx writes {path}")

    def compose_volume(service: str) -> str | None:
        for v in services[service].get("volumes", []):
            if v.get("target") == volume_dir and v.get("type") == "volume":
                return v["source"]
        return None

    check(compose_volume("site") is not None and compose_volume("site") == compose_volume("sidecar"),
          f"deploy/compose.yaml: site and sidecar do not mount one volume at {volume_dir} "
          f"({compose_volume('site')} / {compose_volume('sidecar')})")

    deployments = [d for d in k8s if d and d.get("kind") == "Deployment"]
    check(len(deployments) == 1, f"the Kubernetes prod overlay has {len(deployments)} Deployments, expected 1")
    pod = deployments[0]["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}

    def k8s_volume(container: str) -> str | None:
        for m in containers[container].get("volumeMounts", []):
            if m["mountPath"] == volume_dir:
                return m["name"]
        return None

    k8s_log = option(containers["sidecar"].get("args") or [], "--log")
    check(k8s_log == path, f"Kubernetes prod overlay: the sidecar reads {k8s_log}, nginx writes {path}")
    check(k8s_volume("nginx") is not None and k8s_volume("nginx") == k8s_volume("sidecar"),
          f"Kubernetes prod overlay: nginx and sidecar do not mount one volume at {volume_dir}")
    for name, cfg in (("site", site_cfg), ("sidecar", sidecar_cfg)):
        image_uid = cfg["User"].split(":")[0]
        check(str(pod["securityContext"]["runAsUser"]) == image_uid,
              f"Kubernetes runAsUser {pod['securityContext']['runAsUser']} is not the {name} image's user {image_uid}")
        check(services[name]["user"].split(":")[0] == image_uid,
              f"deploy/compose.yaml runs {name} as {services[name]['user']}, the image as {image_uid}")
    log(f"access log {path}: written by the site image's nginx, read by the sidecar image's CMD, "
        f"compose and the prod overlay, on one shared volume at {volume_dir} in both")
    return path


def check_static_files(site_root: Path, sidecar_root: Path, sidecar_cfg: dict) -> None:
    dist = site_root / "srv/touchline/dist"
    check(dist.is_dir(), f"{dist} missing in the site image")
    count = 0
    for path in [dist, *dist.rglob("*")]:
        st = path.lstat()
        rel = path.relative_to(site_root)
        check(st.st_uid == 0 and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH),
              f"/{rel}: owner {st.st_uid}, mode {stat.filemode(st.st_mode)}: nginx (uid 101) could rewrite it")
        need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(st.st_mode) else 0)
        check(st.st_mode & need == need, f"/{rel}: mode {stat.filemode(st.st_mode)}: uid 101 cannot read it")
        count += 1
    log(f"site image: {count} files and directories under /srv/touchline/dist, root-owned, readable by uid 101, writable by no one else")

    entry = (sidecar_cfg.get("Entrypoint") or [None])[0]
    check(entry is not None, "the sidecar image has no Entrypoint")
    binary = sidecar_root / entry.lstrip("/")
    headers = subprocess.run(["readelf", "-lW", str(binary)], check=True, capture_output=True, text=True).stdout
    check("INTERP" not in headers, f"{entry} asks for a program interpreter: not static\n{headers}")
    dynamic = subprocess.run(["readelf", "-dW", str(binary)], check=True, capture_output=True, text=True).stdout
    check("(NEEDED)" not in dynamic, f"{entry} needs shared libraries:\n{dynamic}")
    libc = [p for p in ("lib64/ld-linux-x86-64.so.2", "usr/lib/x86_64-linux-gnu/libc.so.6", "lib/ld-musl-x86_64.so.1")
            if (sidecar_root / p).exists()]
    check(not libc, f"the sidecar image has a libc ({libc}): it should be distroless/static")
    state = sidecar_root / "var/lib/touchline-sidecar"
    st = state.stat()
    check((st.st_uid, st.st_gid) == (101, 101) and st.st_mode & 0o722 == 0o700,
          f"/var/lib/touchline-sidecar: {st.st_uid}:{st.st_gid} {oct(stat.S_IMODE(st.st_mode))}: "
          "expected 101:101, writable by its owner only (a fresh volume there inherits this)")
    log(f"sidecar image: {entry} is static (no interpreter, no shared library), the image has no libc, "
        f"/var/lib/touchline-sidecar is 101:101 {oct(stat.S_IMODE(st.st_mode))}")


def route_file(dist: Path, route: str) -> Path:
    """The file nginx serves for a manifest route (README: pretty URLs)."""
    if route == "/":
        return dist / "index.html"
    candidate = dist / route.lstrip("/")
    return candidate / "index.html" if candidate.is_dir() else candidate


def exercise_site(site_root: Path, requests: list[tuple[str, int, int]]) -> None:
    dist = site_root / "srv/touchline/dist"
    manifest = json.loads((dist / "_routes.json").read_text())
    routes = manifest["pages"] + manifest["files"]
    assets = sorted("/" + str(p.relative_to(dist)) for p in (dist / manifest["assets_prefix"].strip("/")).iterdir()
                    if p.suffix not in (".gz", ".br"))
    check(len(manifest["pages"]) > 0 and len(assets) > 0, f"manifest has {len(manifest['pages'])} pages, {len(assets)} assets")
    expected_headers = headers_conf(site_root)
    for name, value in SECURITY_HEADERS.items():
        check(name in expected_headers, f"the image's headers.conf does not add {name}")
        if value is not None:
            check(expected_headers[name] == value, f"the image's headers.conf sets {name}: {expected_headers[name]!r}, expected {value!r}")
    csp = expected_headers["Content-Security-Policy"]
    check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-" not in csp,
          f"the image's Content-Security-Policy is weak: {csp}")

    def get(path: str, status: int, body: bytes, encoding: str | None = None) -> None:
        headers = {"Accept-Encoding": encoding} if encoding else {}
        got_status, got, data = http_get(SITE_PORT, path, headers)
        where = f"GET {path}" + (f" (Accept-Encoding: {encoding})" if encoding else "")
        check(got_status == status, f"{where}: {got_status}, expected {status}")
        for name, value in expected_headers.items():
            if name in SECURITY_HEADERS:
                check(got.get(name.lower()) == value, f"{where}: {name}: {got.get(name.lower())!r}, expected {value!r}")
        check(got.get("server") == "nginx", f"{where}: Server: {got.get('server')!r} (server_tokens should be off)")
        check(got.get("content-encoding") == encoding,
              f"{where}: Content-Encoding {got.get('content-encoding')!r}, expected {encoding!r}")
        check(data == body, f"{where}: {len(data)} bytes differ from the image's file ({len(body)} bytes)")
        requests.append((path, status, len(data)))

    compressed = 0
    for route in routes + assets:
        f = route_file(dist, route)
        check(f.is_file(), f"route {route}: no file {f.relative_to(site_root)} in the image")
        get(route, 200, f.read_bytes())
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            variant = f.with_name(f.name + suffix)
            if variant.is_file():
                get(route, 200, variant.read_bytes(), encoding)
                compressed += 1
    check(compressed > 0, "no .br or .gz variant served")
    get("/no-such-page", 404, (dist / "404.html").read_bytes())
    log(f"site: {len(manifest['pages'])} pages, {len(manifest['files'])} files and {len(assets)} assets answered 200 "
        f"with the security headers and the image's bytes; {compressed} precompressed variants (br, gzip) "
        f"served as they are; a missing page got 404.html with 404")


def check_access_log(log_file: Path, stdout: Path, requests: list[tuple[str, int, int]]) -> None:
    want = Counter((p, str(s), str(n)) for p, s, n in requests)
    for where in (log_file, stdout):
        lines = [ln for ln in where.read_text(errors="replace").splitlines() if ln]
        got: Counter[tuple[str, str, str]] = Counter()
        for ln in lines:
            m = ACCESS_LINE.match(ln)
            check(m is not None, f"{where}: not a `touchline` access line: {ln!r}")
            got[(m["path"], m["status"], m["bytes"])] += 1
        check(got == want, f"{where}: {len(lines)} access lines do not match the {len(requests)} requests made")
    st = log_file.stat()
    check((st.st_uid, stat.S_IMODE(st.st_mode)) == (101, 0o644),
          f"{log_file}: owner {st.st_uid}, mode {oct(stat.S_IMODE(st.st_mode))}, expected nginx's 101, 0644")
    log(f"access log: {len(requests)} lines in the shared volume's access.log (uid 101, 0644) and on nginx's stdout")


def main() -> int:
    scratch, site_cfg_p, site_root_s, sidecar_cfg_p, sidecar_root_s, compose_p, k8s_p = sys.argv[1:8]
    check(os.getpid() == 1, "run as PID 1 of a new PID namespace (scripts/test.d/46-images.sh)")
    site_cfg = json.loads(Path(site_cfg_p).read_text())[0]["Config"]
    sidecar_cfg = json.loads(Path(sidecar_cfg_p).read_text())[0]["Config"]
    site_root, sidecar_root = Path(site_root_s), Path(sidecar_root_s)
    compose = json.loads(Path(compose_p).read_text())
    k8s = list(yaml.safe_load_all(Path(k8s_p).read_text()))

    for name, cfg in (("site", site_cfg), ("sidecar", sidecar_cfg)):
        log(f"{name} image config: Entrypoint {cfg.get('Entrypoint')}, Cmd {cfg.get('Cmd')}, User {cfg.get('User')!r}, "
            f"WorkingDir {cfg.get('WorkingDir')!r}, Env {cfg.get('Env')}")
        check(cfg.get("User", "").split(":")[0] not in ("", "0", "root"), f"the {name} image runs as root")

    check_static_files(site_root, sidecar_root, sidecar_cfg)
    log_path = check_log_location(site_root, site_cfg, sidecar_cfg, compose, k8s)
    log_dir = os.path.dirname(log_path)

    run("ip", "link", "set", "lo", "up")
    pod = Path(scratch) / "pod"
    pod.mkdir()
    run("mount", "-t", "tmpfs", "-o", "size=512m", "pod", str(pod))
    # Volumes start as Docker's named volumes do: with the image directory's owner and mode, here
    # nginx's /var/log/touchline (101:101 0750) and the sidecar's /var/lib/touchline-sidecar.
    volumes = pod / "volumes"
    logs = volumes / "logs"
    state = volumes / "sidecar-state"
    routes = volumes / "routes"
    for vol, image_dir in ((logs, site_root / log_dir.lstrip("/")),
                           (state, sidecar_root / "var/lib/touchline-sidecar")):
        vol.mkdir(parents=True)
        st = image_dir.stat()
        os.chown(vol, st.st_uid, st.st_gid)
        os.chmod(vol, stat.S_IMODE(st.st_mode))
    # What compose's one-shot `routes` service leaves in its volume: the image's manifest.
    routes.mkdir()
    (routes / "_routes.json").write_bytes((site_root / "srv/touchline/dist/_routes.json").read_bytes())

    site = Container(pod, "site", site_root, site_cfg)
    site.start(None, {log_dir: (logs, False)}, ["/tmp"])
    wait_http(site, SITE_PORT, "/healthz")

    sidecar = Container(pod, "sidecar", sidecar_root, sidecar_cfg)
    sidecar.start(None, {log_dir: (logs, False)}, [])
    wait_http(sidecar, SIDECAR_PORT, "/readyz")
    check_unprivileged([site, sidecar], {"site": 2, "sidecar": 1})

    requests: list[tuple[str, int, int]] = []
    exercise_site(site_root, requests)
    check_access_log(logs / os.path.basename(log_path), site.stdout, requests)
    # Without a manifest (the image's own CMD) every distinct path is its own label.
    check_counts(SIDECAR_PORT, sidecar, requests, lambda p: p)
    check_unprivileged([site, sidecar], {"site": 2, "sidecar": 1})
    code = sidecar.stop(signal.SIGTERM)
    check(code == 0, f"sidecar (image CMD) exited {code} on SIGTERM:\n{sidecar.output()}")

    # compose's sidecar: labels by the route manifest, a checkpoint in its volume, and --reclaim.
    # Without a checkpoint yet it reads the existing log from its beginning.
    service = compose["services"]["sidecar"]
    targets = {v["target"]: v for v in service["volumes"]}
    mounts = {log_dir: (logs, False)}
    for target, v in targets.items():
        if v["source"] == "routes":
            mounts[target] = (routes, bool(v.get("read_only")))
        elif v["source"] == "sidecar-state":
            mounts[target] = (state, bool(v.get("read_only")))
    check(len(mounts) == 3, f"deploy/compose.yaml's sidecar volumes changed: {sorted(targets)}")
    compose_sidecar = Container(pod, "sidecar-compose", sidecar_root, sidecar_cfg)
    compose_sidecar.start(service["command"], mounts, [])
    wait_http(compose_sidecar, SIDECAR_PORT, "/readyz")
    manifest = json.loads((routes / "_routes.json").read_text())
    known = set(manifest["pages"]) | set(manifest["files"])

    def route_label(path: str) -> str:
        if path in known:
            return path
        if path.startswith(manifest["assets_prefix"]):
            return manifest["assets_prefix"] + "*"
        return "other"

    before = len(requests)
    exercise_site(site_root, requests)
    log(f"{len(requests) - before} more requests; compose's sidecar read the first {before} from the log's start")
    check_counts(SIDECAR_PORT, compose_sidecar, requests, route_label)
    check_unprivileged([site, compose_sidecar], {"site": 2, "sidecar-compose": 1})
    # --reclaim punches holes only behind a durable checkpoint, so the checkpoint comes first:
    # uid 101 must be able to write it in the volume that starts as the image's directory.
    checkpoint = state / "state.json"
    wait_for(lambda: checkpoint.is_file(), compose_sidecar,
             f"no checkpoint {checkpoint.name} in the sidecar-state volume")
    check(checkpoint.stat().st_uid == 101, f"checkpoint owned by {checkpoint.stat().st_uid}, not 101")
    log_file = logs / os.path.basename(log_path)
    wait_for(lambda: log_file.stat().st_blocks * 512 < log_file.stat().st_size, compose_sidecar,
             f"--reclaim punched no hole in {log_file.name} ({log_file.stat().st_size} bytes, "
             f"{log_file.stat().st_blocks * 512} allocated)")
    st = log_file.stat()
    log(f"checkpoint written; --reclaim as uid 101: access.log is {st.st_size} bytes with {st.st_blocks * 512} allocated")

    code = compose_sidecar.stop(signal.SIGTERM)
    check(code == 0, f"compose's sidecar exited {code} on SIGTERM:\n{compose_sidecar.output()}")
    stop_signal = getattr(signal, site_cfg.get("StopSignal") or "SIGTERM")
    code = site.stop(stop_signal)
    check(code == 0, f"nginx exited {code} on {stop_signal.name}:\n{site.output()}")
    stderr = site.stderr.read_text(errors="replace")
    check("[emerg]" not in stderr and "[alert]" not in stderr and "[crit]" not in stderr,
          f"nginx logged errors:\n{stderr}")
    log(f"stopped: sidecars on SIGTERM (checkpoint written), nginx on the image's StopSignal {stop_signal.name}, all exit 0")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Failure, subprocess.CalledProcessError, OSError, KeyError) as e:
        print(f"prove: FAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
