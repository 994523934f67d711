#!/usr/bin/env python3
"""Validates rendered Kubernetes manifests (Kustomize or Helm output) offline.

    validate_k8s.py RENDERED.yaml [...]

For each file:
  1. kubernetes-validate --strict against the pinned Kubernetes version (K8S_VERSION): every
     built-in object must match the API schema, unknown fields included.
  2. The two CRDs of kube-prometheus-stack (ServiceMonitor, PrometheusRule) have no schema in
     kubernetes-validate: they are skipped there BY NAME, and any other object it cannot find a
     schema for fails the check (so a misspelt kind or apiVersion is not silently passed).
     Each PrometheusRule's spec is checked with `promtool check rules` instead, and each
     ServiceMonitor for the fields the Prometheus operator requires.
  3. The project's pod standards: non-root, seccomp RuntimeDefault, read-only root filesystem,
     no privilege escalation, all capabilities dropped, requests and limits on every container,
     liveness and readiness probes on every long-running container.
Exits 1 on any finding, printing each.
"""
import os
import subprocess
import sys
import tempfile

import yaml

K8S_VERSION = os.environ.get("K8S_VERSION", "1.33.0")
SKIPPED_CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}
POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


def check_pod(where: str, spec: dict, problems: list[str]) -> None:
    psc = spec.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: pod seccompProfile is not RuntimeDefault")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: automountServiceAccountToken is not false")
    groups = [("initContainers", False), ("containers", True)]
    for field, long_running in groups:
        for c in spec.get(field, []) or []:
            name = f"{where} container {c.get('name')}"
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{name}: readOnlyRootFilesystem is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}: allowPrivilegeEscalation is not false")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{name}: capabilities.drop is not [ALL]")
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(kind, {}):
                        problems.append(f"{name}: no {kind}.{r}")
            image = c.get("image", "")
            if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                problems.append(f"{name}: image {image!r} has no pinned tag")
            if long_running:
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in c:
                        problems.append(f"{name}: no {probe}")


def check_file(path: str) -> list[str]:
    problems: list[str] = []
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    if not docs:
        return [f"{path}: no objects rendered"]
    builtin, seen = [], set()
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"))
        name = f"{d.get('kind')}/{d.get('metadata', {}).get('name')}"
        if (key[1], name) in seen:
            problems.append(f"{path}: {name} rendered twice")
        seen.add((key[1], name))
        if key in SKIPPED_CRDS:
            if key[1] == "PrometheusRule":
                with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as t:
                    yaml.safe_dump(d["spec"], t)
                r = subprocess.run(["promtool", "check", "rules", t.name], capture_output=True, text=True)
                os.unlink(t.name)
                if r.returncode != 0:
                    problems.append(f"{path}: {name}: promtool check rules failed:\n{r.stdout}{r.stderr}")
            else:
                for ep in d.get("spec", {}).get("endpoints", []):
                    if "port" not in ep:
                        problems.append(f"{path}: {name}: endpoint without a named port")
                if not d.get("spec", {}).get("selector"):
                    problems.append(f"{path}: {name}: no selector")
            continue
        builtin.append(d)
        if d.get("kind") in POD_KINDS:
            check_pod(f"{path}: {name}", d["spec"]["template"]["spec"], problems)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as t:
        yaml.safe_dump_all(builtin, t)
    r = subprocess.run(
        ["kubernetes-validate", "--strict", "--quiet", "-k", K8S_VERSION, t.name],
        capture_output=True, text=True,
    )
    os.unlink(t.name)
    out = (r.stdout + r.stderr).strip()
    # With --quiet only warnings and failures print: an unknown schema is a WARN with exit 0,
    # which for a built-in kind means a typo, so any output at all is a finding.
    if r.returncode != 0 or out:
        problems.append(f"{path}: kubernetes-validate --strict -k {K8S_VERSION}:\n{out}")
    skipped = sorted({d["kind"] for d in docs if (d.get("apiVersion"), d.get("kind")) in SKIPPED_CRDS})
    if not problems:
        print(f"validate: {path}: {len(builtin)} objects valid against Kubernetes {K8S_VERSION} (strict); "
              f"CRDs skipped by name: {', '.join(skipped) or 'none'} (rules checked by promtool)")
    return problems


def main() -> int:
    problems = [p for path in sys.argv[1:] for p in check_file(path)]
    for p in problems:
        print(f"FINDING: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
