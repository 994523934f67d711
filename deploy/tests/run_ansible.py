#!/usr/bin/env python3
"""Runs deploy/ansible for real against this machine (scripts/test.d/45-iac.sh).

1. `ansible-playbook --syntax-check site.yml`.
2. site.yml in --check mode, both roles (grafana's APT repository is not reachable here, so
   check mode is as far as its role goes), with the secrets in a real ansible-vault file.
3. site.yml for real (`-c local`), into a throwaway prefix: the prometheus role's
   configuration, rules, TLS material, web users and systemd unit, and the grafana role's
   grafana.ini, datasource, dashboard and provider all land under SCRATCH; on Debian's
   prometheus package (the apt task finds it installed), Grafana's package skipped
   (grafana_install_package=false: its repository is unreachable). Run twice: the second run must
   change nothing. As root, as CI runs.
4. The rendered unit: `systemd-analyze verify` and `security` (exposure at most 2.0).
5. No systemd runs as PID 1 here, so the role runs with prometheus_service_manager=none and this
   script starts the server exactly as the unit would: its ExecStart command line, as its User
   and Group. The server must answer over TLS with the role's basic auth (and refuse without),
   have the remote-write receiver and retention on, and have loaded the project's rules.
6. A Prometheus agent running deploy/prometheus/agent.yml (its "# env" lines pointed at this
   machine: a real sidecar, the server's https URL, the CA and a password file) remote-writes
   the sidecar's counts to the server, which must return them.

Usage: run_ansible.py SCRATCH SIDECAR_BINARY
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # Deprecated since 3.11, but the standard library's only bcrypt; the hashes are test data.
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "deploy/ansible"
VENV_BIN = REPO / ".tools/venv/bin"
AGENT_YML = REPO / "deploy/prometheus/agent.yml"
RULES = sorted((REPO / "deploy/prometheus/rules").glob("*.yml"))
PROMETHEUS = "/usr/bin/prometheus"
AGENT_USER = "touchline-agent"


class Failure(Exception):
    pass


def step(message: str) -> None:
    print(f"-- run_ansible: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise Failure(f"{shlex.join(cmd)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def make_certificates(d: Path) -> None:
    """A CA and a server certificate for 127.0.0.1 and prometheus.touchline.internal."""
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=touchline test CA",
         "-keyout", str(d / "ca.key"), "-out", str(d / "ca.crt")])
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=prometheus.touchline.internal",
         "-keyout", str(d / "server.key"), "-out", str(d / "server.csr")])
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:prometheus.touchline.internal\n")
    run(["openssl", "x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.crt"), "-CAkey", str(d / "ca.key"),
         "-CAcreateserial", "-days", "2", "-extfile", str(d / "san.ext"), "-out", str(d / "server.crt")])


def bcrypt(password: str) -> str:
    # Cost 10: the server checks every request's password (and caches the result).
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))


def yaml_block(text: str, indent: int = 2) -> str:
    pad = " " * indent
    return "|\n" + "".join(pad + line + "\n" for line in text.strip().splitlines())


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env['PATH']}"
    env["ANSIBLE_CONFIG"] = str(ANSIBLE_DIR / "ansible.cfg")
    # ansible-core keeps a local temp and cache directory: keep them out of $HOME.
    env["ANSIBLE_LOCAL_TEMP"] = env["ANSIBLE_HOME"] = str(SCRATCH / "ansible-home")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def playbook(*args: str) -> str:
    cmd = [str(VENV_BIN / "ansible-playbook"), "site.yml", "-i", str(SCRATCH / "inventory.yml"),
           "--vault-password-file", str(SCRATCH / "vault-password"), "-e", f"@{SCRATCH / 'vault.yml'}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ANSIBLE_DIR, env=ansible_env())
    if result.returncode != 0:
        raise Failure(f"ansible-playbook {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def recap(output: str) -> dict[str, int]:
    match = re.search(r"^localhost\s+:\s+(.*)$", output, re.M)
    if not match:
        raise Failure(f"no PLAY RECAP for localhost in:\n{output}")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def render_agent_config(sidecar_port: int, server_port: int, password_file: Path, ca_file: Path) -> str:
    """deploy/prometheus/agent.yml with exactly its "# env" lines replaced (each must be found once)."""
    replacements = {
        "dns_sd_configs": "static_configs:",
        "names": f"- targets: ['127.0.0.1:{sidecar_port}']",
        "url": f"- url: https://127.0.0.1:{server_port}/api/v1/write",
        "password_file": f"password_file: {password_file}",
        "ca_file": f"ca_file: {ca_file}",
    }
    seen = set()
    out = []
    for number, line in enumerate(AGENT_YML.read_text().splitlines(), 1):
        if not line.rstrip().endswith("# env"):
            out.append(line)
            continue
        match = re.match(r"^(\s*)(?:- )?\{?\s*([A-Za-z_]+):", line)
        key = match.group(2) if match else None
        if key not in replacements:
            raise Failure(f"{AGENT_YML}:{number}: unknown \"# env\" key {key!r}")
        if key in seen:
            raise Failure(f"{AGENT_YML}:{number}: \"# env\" key {key!r} appears twice")
        seen.add(key)
        out.append(match.group(1) + replacements[key])
    missing = set(replacements) - seen
    if missing:
        raise Failure(f"{AGENT_YML}: no \"# env\" line for {sorted(missing)}")
    return "\n".join(out) + "\n"


class Server:
    """HTTPS client of the role's server."""

    def __init__(self, port: int, ca: Path, user: str, password: str):
        self.base = f"https://127.0.0.1:{port}"
        self.context = ssl.create_default_context(cafile=str(ca))
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def get(self, path: str, auth: str | None = "default") -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path)
        if auth is not None:
            request.add_header("Authorization", self.auth if auth == "default" else auth)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def query(self, promql: str) -> list[dict]:
        status, body = self.get("/api/v1/query?query=" + urllib.parse.quote(promql))
        if status != 200:
            raise Failure(f"query {promql!r} answered {status}: {body[:300]!r}")
        return json.loads(body)["data"]["result"]


def wait_until(what: str, timeout: float, condition) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (OSError, Failure, ValueError, KeyError) as e:
            last = e
        time.sleep(0.2)
    raise Failure(f"{what}: not within {timeout:.0f} s (last error: {last})")


def unit_command(unit: Path) -> tuple[list[str], str, str]:
    """ExecStart's argv, User and Group of a unit file (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", unit.read_text())
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            fields.setdefault(key.strip(), value.strip())
    for key in ("ExecStart", "User", "Group"):
        if key not in fields:
            raise Failure(f"{unit}: no {key}=")
    return shlex.split(fields["ExecStart"]), fields["User"], fields["Group"]


def check_grafana_files(prefix: Path, port: int, prometheus_password: str, ca: str) -> None:
    """What the grafana role wrote: the vault's admin password, the datasource the dashboard
    names (uid prometheus) with the central server's URL, user, password and CA, the project's
    dashboard byte for byte, and its provider loading from where the dashboard went."""
    import yaml

    grafana_ini = (prefix / "etc/grafana/grafana.ini").read_text()
    vault = subprocess.run([str(VENV_BIN / "ansible-vault"), "view", "--vault-password-file", str(SCRATCH / "vault-password"),
                            str(SCRATCH / "vault.yml")], capture_output=True, text=True, env=ansible_env(), check=True).stdout
    admin_password = yaml.safe_load(vault)["vault_grafana_admin_password"]
    if f'admin_password = """{admin_password}"""' not in grafana_ini:
        raise Failure(f"grafana.ini does not carry the vault's admin password:\n{grafana_ini}")
    provisioning = prefix / "etc/grafana/provisioning"
    datasource = yaml.safe_load((provisioning / "datasources/touchline.yaml").read_text())["datasources"][0]
    expected = {"uid": "prometheus", "type": "prometheus", "url": f"https://127.0.0.1:{port}/", "basicAuth": True,
                "basicAuthUser": "grafana"}
    wrong = {k: datasource.get(k) for k, v in expected.items() if datasource.get(k) != v}
    secure = datasource.get("secureJsonData", {})
    if wrong or secure.get("basicAuthPassword") != prometheus_password or secure.get("tlsCACert") != ca \
            or datasource.get("jsonData", {}).get("tlsAuthWithCACert") is not True:
        raise Failure(f"datasource {datasource} differs from {expected} with the vault's password and the CA")
    if (provisioning / "datasources/touchline.yaml").stat().st_mode & 0o077 != 0o040:
        raise Failure("the datasource file (it holds a password) is readable beyond its group")
    dashboards = prefix / "var/lib/grafana/dashboards/touchline"
    for source in sorted((REPO / "deploy/grafana/dashboards").glob("*.json")):
        if (dashboards / source.name).read_bytes() != source.read_bytes():
            raise Failure(f"{dashboards / source.name} differs from {source}")
    provider = yaml.safe_load((provisioning / "dashboards/touchline.yaml").read_text())
    original = yaml.safe_load((REPO / "deploy/grafana/provisioning/dashboards/touchline.yaml").read_text())
    original["providers"][0]["options"]["path"] = str(dashboards)
    if provider != original:
        raise Failure(f"dashboard provider {provider} is not the repository's with path {dashboards}")
    uids: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("datasource"), dict):
                uids.add(node["datasource"].get("uid"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((dashboards / "touchline.json").read_text()))
    if uids != {datasource["uid"]}:
        raise Failure(f"the dashboard names datasources {uids}, the provisioned one is {datasource['uid']!r}")
    print(f"grafana files: admin password from the vault, datasource {datasource['uid']} -> {datasource['url']} "
          f"(basic auth, CA), dashboard and provider as in the repository")


def main() -> int:
    global SCRATCH
    SCRATCH = Path(sys.argv[1]).resolve()
    sidecar_binary = Path(sys.argv[2]).resolve()
    started = time.monotonic()
    processes: list[subprocess.Popen] = []
    try:
        return test(sidecar_binary, processes, started)
    except Failure as e:
        print(f"run_ansible: FAILED: {e}", file=sys.stderr)
        for log in sorted(SCRATCH.glob("*.log")):
            print(f"--- {log.name}:\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        return 1
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


def test(sidecar_binary: Path, processes: list[subprocess.Popen], started: float) -> int:
    if os.geteuid() != 0:
        raise Failure("run as root (as CI does): the roles install a package and give files to root and the service's user")
    prefix = SCRATCH / "prefix"
    tls = SCRATCH / "tls"
    tls.mkdir(parents=True)
    make_certificates(tls)
    port = free_port()
    agent_password = base64.b64encode(os.urandom(24)).decode()
    grafana_password = base64.b64encode(os.urandom(24)).decode()

    # The role's defaults for the package, user and group; every path in the prefix.
    role_vars = {
        "prometheus_config_dir": str(prefix / "etc/prometheus/central"),
        "prometheus_data_dir": str(prefix / "var/lib/prometheus/central"),
        "prometheus_systemd_dir": str(prefix / "etc/systemd/system"),
        "prometheus_listen_address": f"127.0.0.1:{port}",
        "prometheus_external_url": f"https://127.0.0.1:{port}/",
        "prometheus_service_manager": "none",
        "grafana_service_manager": "none",
        "grafana_config_file": str(prefix / "etc/grafana/grafana.ini"),
        "grafana_provisioning_dir": str(prefix / "etc/grafana/provisioning"),
        "grafana_dashboards_dir": str(prefix / "var/lib/grafana/dashboards/touchline"),
        "grafana_prometheus_url": f"https://127.0.0.1:{port}/",
        # Not become: the play runs as whoever runs the test (root in CI).
        "ansible_become": False,
    }
    (SCRATCH / "inventory.yml").write_text(
        "all:\n  children:\n    monitoring:\n      hosts:\n        localhost:\n"
        "          ansible_connection: local\n          ansible_python_interpreter: /usr/bin/python3\n"
        + "".join(f"          {k}: {json.dumps(v)}\n" for k, v in role_vars.items())
    )
    # The secrets, as group_vars/monitoring/vars.yml expects them, in a real vault file.
    (SCRATCH / "vault-password").write_text(base64.b64encode(os.urandom(18)).decode() + "\n")
    (SCRATCH / "vault.yml").write_text(
        "vault_prometheus_web_users:\n"
        f"  {AGENT_USER}: {json.dumps(bcrypt(agent_password))}\n"
        f"  grafana: {json.dumps(bcrypt(grafana_password))}\n"
        f"vault_prometheus_tls_certificate: {yaml_block((tls / 'server.crt').read_text())}"
        f"vault_prometheus_tls_key: {yaml_block((tls / 'server.key').read_text())}"
        f"vault_prometheus_ca_certificate: {yaml_block((tls / 'ca.crt').read_text())}"
        f"vault_grafana_prometheus_password: {json.dumps(grafana_password)}\n"
        f"vault_grafana_admin_password: {json.dumps(base64.b64encode(os.urandom(18)).decode())}\n"
    )
    run([str(VENV_BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(SCRATCH / "vault-password"),
         str(SCRATCH / "vault.yml")], env=ansible_env())
    if not (SCRATCH / "vault.yml").read_text().startswith("$ANSIBLE_VAULT;"):
        raise Failure("ansible-vault did not encrypt vault.yml")

    step("ansible-playbook --syntax-check site.yml")
    playbook("--syntax-check")

    step("site.yml --check (both roles; grafana's repository is unreachable here)")
    t = time.monotonic()
    out = playbook("--check")
    counts = recap(out)
    if counts.get("failed", 0) or counts.get("unreachable", 0):
        raise Failure(f"check mode failed: {counts}\n{out}")
    if prefix.exists():
        raise Failure(f"--check wrote {prefix}")
    grafana_tasks = len(re.findall(r"^TASK \[grafana :", out, re.M))
    print(f"check mode: {counts} ({grafana_tasks} grafana tasks) in {time.monotonic() - t:.1f} s")

    step("site.yml for real into the prefix, twice (the second must change nothing)")
    # Grafana's package cannot be installed here: its role writes its configuration only.
    grafana_vars = json.dumps({"grafana_install_package": False, "grafana_group": "root"})
    t = time.monotonic()
    first = recap(playbook("-e", grafana_vars))
    first_secs = time.monotonic() - t
    t = time.monotonic()
    second_out = playbook("-e", grafana_vars)
    second = recap(second_out)
    print(f"first run: {first} in {first_secs:.1f} s; second run: {second} in {time.monotonic() - t:.1f} s")
    if first.get("changed", 0) == 0:
        raise Failure("the first run changed nothing")
    if second.get("changed", 0) != 0:
        raise Failure(f"the second run changed {second['changed']} things (not idempotent):\n{second_out}")
    check_grafana_files(prefix, port, grafana_password, (tls / "ca.crt").read_text())

    config_dir = prefix / "etc/prometheus/central"
    unit = prefix / "etc/systemd/system/prometheus.service"
    installed_rules = sorted(p.name for p in (config_dir / "rules").iterdir())
    if installed_rules != [p.name for p in RULES]:
        raise Failure(f"rules installed: {installed_rules}, expected {[p.name for p in RULES]}")
    for path, mode in [(config_dir / "tls/server.key", 0o640), (config_dir / "web.yml", 0o640)]:
        if path.stat().st_mode & 0o777 != mode:
            raise Failure(f"{path} has mode {path.stat().st_mode & 0o777:o}, expected {mode:o}")
    if agent_password in (config_dir / "web.yml").read_text():
        raise Failure("web.yml holds a plain-text password")

    step("systemd-analyze verify + security on the rendered unit")
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True)
    if verify.returncode != 0 or verify.stdout.strip() or verify.stderr.strip():
        raise Failure(f"systemd-analyze verify {unit}:\n{verify.stdout}{verify.stderr}")
    security = run(["systemd-analyze", "security", "--offline=yes", "--threshold=20", str(unit)])
    print(security.stdout.strip().splitlines()[-1])

    step("the server, started as the unit starts it, answers")
    argv, unit_user, unit_group = unit_command(unit)
    if "--web.enable-remote-write-receiver" not in argv or argv[0] != PROMETHEUS:
        raise Failure(f"unexpected ExecStart: {argv}")
    argv = ["setpriv", f"--reuid={unit_user}", f"--regid={unit_group}", "--init-groups", "--", *argv]
    server_log = (SCRATCH / "server.log").open("w")
    server_process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=server_log, stderr=subprocess.STDOUT)
    processes.append(server_process)
    server = Server(port, tls / "ca.crt", AGENT_USER, agent_password)
    wait_until("server ready", 60, lambda: server_process.poll() is None and server.get("/-/ready")[0] == 200)
    checks = {
        "no credentials": server.get("/-/ready", auth=None)[0],
        "wrong password": server.get("/-/ready", auth="Basic " + base64.b64encode(f"{AGENT_USER}:nope".encode()).decode())[0],
        "grafana's user": Server(port, tls / "ca.crt", "grafana", grafana_password).get("/-/ready")[0],
    }
    if checks != {"no credentials": 401, "wrong password": 401, "grafana's user": 200}:
        raise Failure(f"authentication: {checks}")
    try:
        urllib.request.urlopen(f"https://127.0.0.1:{port}/-/ready", timeout=10)
        raise Failure("a client without the CA was accepted")
    except urllib.error.URLError as e:
        if "CERTIFICATE_VERIFY_FAILED" not in str(e):
            raise Failure(f"without the CA: {e}") from e
    flags = json.loads(server.get("/api/v1/status/flags")[1])["data"]
    expected_flags = {"web.enable-remote-write-receiver": "true", "storage.tsdb.retention.time": "30d",
                      "storage.tsdb.retention.size": "20GiB", "web.listen-address": f"127.0.0.1:{port}"}
    wrong = {k: flags.get(k) for k, v in expected_flags.items() if flags.get(k) != v}
    if wrong:
        raise Failure(f"flags differ from {expected_flags}: {wrong}")
    groups = json.loads(server.get("/api/v1/rules")[1])["data"]["groups"]
    names = sorted(g["name"] for g in groups)
    rule_count = sum(len(g["rules"]) for g in groups)
    if names != ["touchline.alerts", "touchline.recording"]:
        raise Failure(f"rule groups loaded: {names}")
    print(f"server answers over TLS with basic auth ({checks}); {rule_count} rules in {names}; flags {expected_flags}")

    step("an agent running deploy/prometheus/agent.yml remote-writes a real sidecar's counts to it")
    log = SCRATCH / "access.log"
    log.write_text("")
    sidecar_port = free_port()
    sidecar = subprocess.Popen([str(sidecar_binary), "run", "--log", str(log), "--listen", f"127.0.0.1:{sidecar_port}"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=(SCRATCH / "sidecar.log").open("w"))
    processes.append(sidecar)
    password_file = SCRATCH / "remote-write-password"
    password_file.write_text(agent_password)
    agent_config = SCRATCH / "agent.yml"
    agent_config.write_text(render_agent_config(sidecar_port, port, password_file, tls / "ca.crt"))
    run(["promtool", "check", "config", "--agent", str(agent_config)])
    agent = subprocess.Popen([PROMETHEUS, "--enable-feature=agent", f"--config.file={agent_config}",
                              f"--storage.agent.path={SCRATCH / 'agent-data'}", f"--web.listen-address=127.0.0.1:{free_port()}"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=(SCRATCH / "agent.log").open("w"))
    processes.append(agent)
    lines = 5
    with log.open("a") as f:
        for i in range(lines):
            f.write(f'127.0.0.1 - - [01/Dec/2026:10:00:0{i} +0000] "GET /gandalf HTTP/1.1" 200 512 "-" "test" 0.002\n')

    def arrived() -> bool:
        got = server.query('sum(touchline_http_requests_total{job="touchline-sidecar", cluster="touchline-prod"})')
        up = server.query('up{job="touchline-sidecar", cluster="touchline-prod"}')
        return bool(got) and float(got[0]["value"][1]) == lines and bool(up) and up[0]["value"][1] == "1"

    t = time.monotonic()
    wait_until(f"the server receiving the sidecar's {lines} requests from the agent", 60, arrived)
    print(f"{lines} requests counted by the sidecar reached the server by remote write in {time.monotonic() - t:.1f} s")
    for p in (agent, sidecar):
        if p.poll() is not None:
            raise Failure(f"{p.args[0]} exited with {p.returncode}")

    server_process.terminate()
    if server_process.wait(timeout=60) != 0:
        raise Failure(f"the server exited with {server_process.returncode} on SIGTERM")
    print(f"run_ansible: all checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
