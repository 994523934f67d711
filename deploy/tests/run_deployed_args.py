#!/usr/bin/env python3
"""Runs the real touchline-sidecar with the exact arguments each deployment gives it.

    run_deployed_args.py SIDECAR_BIN KUSTOMIZE_RENDERED.yaml HELM_RENDERED.yaml COMPOSE.json UNIT DIST [CONTAINER_LOG]

For the Kubernetes Deployment (Kustomize and Helm renderings), the compose service and the
systemd unit: take the sidecar's argument list, move its absolute paths into a scratch folder
(the log, the route manifest from DIST, the state file) and its listen address to a free
loopback port, start the binary, write two access-log lines, and require /healthz 200,
/readyz 200 and both lines counted on /metrics. So a flag renamed in the sidecar, or a path
that does not match between the manifests, fails here rather than in a cluster.
Also checks the compose file's policy: ports on 127.0.0.1 only, read-only root filesystems,
all capabilities dropped, image tags pinned. Exits 1 on any finding.
"""
import json
import pathlib
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

LINE = '127.0.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET {path} HTTP/1.1" 200 512 "-" "check" 0.002\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except OSError:
        return 0, ""


def sidecar_args_k8s(rendered: str) -> list[str]:
    for d in yaml.safe_load_all(pathlib.Path(rendered).read_text()):
        if d and d["kind"] == "Deployment":
            for c in d["spec"]["template"]["spec"]["containers"]:
                if c["name"] == "sidecar":
                    return c.get("command", []) + c["args"]
    raise SystemExit(f"{rendered}: no sidecar container")


def sidecar_args_unit(unit: str) -> list[str]:
    text = pathlib.Path(unit).read_text().replace("\\\n", " ")
    line = next(l for l in text.splitlines() if l.startswith("ExecStart="))
    return shlex.split(line.split("=", 1)[1])[1:]


def run(label: str, args: list[str], binary: str, dist: pathlib.Path, expected_log: str | None) -> list[str]:
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sidecar-args-"))
    port = free_port()
    replaced, log = [], None
    it = iter(args)
    for a in it:
        # Normalise "--flag value" to "--flag=value".
        if a.startswith("--") and "=" not in a and a in ("--log", "--routes", "--listen", "--state"):
            a = f"{a}={next(it)}"
        flag, _, value = a.partition("=")
        if flag == "--log":
            if expected_log and value != expected_log:
                return [f"{label}: sidecar reads {value}, but nginx writes {expected_log}"]
            log = tmp / "log" / pathlib.Path(value).name
            value = str(log)
        elif flag == "--routes":
            (tmp / "routes").mkdir(exist_ok=True)
            shutil.copy(dist / "_routes.json", tmp / "routes/_routes.json")
            value = str(tmp / "routes/_routes.json")
        elif flag == "--state":
            value = str(tmp / "state" / pathlib.Path(value).name)
            (tmp / "state").mkdir(exist_ok=True)
        elif flag == "--listen":
            value = f"127.0.0.1:{port}"
        replaced.append(f"{flag}={value}" if value else flag)
    if log is None:
        return [f"{label}: no --log argument in {args}"]
    if not any(a.startswith("--listen") for a in replaced):
        return [f"{label}: no --listen argument (the default 127.0.0.1 is unreachable from Prometheus)"]
    log.parent.mkdir()
    log.write_text("")
    problems = []
    proc = subprocess.Popen([binary, *replaced], stdout=subprocess.DEVNULL, stderr=open(tmp / "stderr", "w"))
    try:
        deadline = time.time() + 10
        while time.time() < deadline and get(port, "/healthz")[0] != 200:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(log, "a") as f:
            f.write(LINE.format(path="/gandalf") + LINE.format(path="/colombo"))
        counted = False
        while time.time() < deadline and proc.poll() is None:
            status, body = get(port, "/metrics")
            if status == 200 and 'touchline_log_lines_total{outcome="parsed"} 2' in body:
                counted = True
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            problems.append(f"{label}: sidecar exited ({proc.returncode}) with {replaced}:\n{(tmp / 'stderr').read_text()}")
        else:
            if get(port, "/readyz")[0] != 200:
                problems.append(f"{label}: /readyz is not 200")
            if not counted:
                problems.append(f"{label}: the two log lines were not counted on /metrics within 10 s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    if not problems:
        print(f"sidecar args: {label}: {' '.join(args)} -> healthy, ready, lines counted")
    return problems


def compose_policy(config: dict) -> list[str]:
    problems = []
    for name, svc in config["services"].items():
        for p in svc.get("ports", []):
            if p.get("host_ip") != "127.0.0.1":
                problems.append(f"compose {name}: port {p.get('published')} not bound to 127.0.0.1")
        if svc.get("read_only") is not True:
            problems.append(f"compose {name}: root filesystem not read-only")
        if svc.get("cap_drop") != ["ALL"]:
            problems.append(f"compose {name}: capabilities not all dropped")
        image = svc.get("image", "")
        if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            problems.append(f"compose {name}: image {image!r} not pinned")
    return problems


def main() -> int:
    binary, kustomized, helmed, compose_json, unit, dist = sys.argv[1:7]
    # The access log path of the containers' nginx config (nginx-container.sed), which the
    # container deployments' sidecars must read.
    container_log = sys.argv[7] if len(sys.argv) > 7 else None
    config = json.loads(pathlib.Path(compose_json).read_text())
    problems = compose_policy(config)
    cases = {
        "kubernetes (kustomize)": sidecar_args_k8s(kustomized),
        "kubernetes (helm)": sidecar_args_k8s(helmed),
        "compose": config["services"]["sidecar"]["command"],
        "systemd": sidecar_args_unit(unit),
    }
    for label, args in cases.items():
        if args and args[0] == "run":
            expected = None if label == "systemd" else container_log
            problems += run(label, args, binary, pathlib.Path(dist), expected)
        else:
            problems.append(f"{label}: sidecar arguments do not start with 'run': {args}")
    for p in problems:
        print(f"FINDING: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
