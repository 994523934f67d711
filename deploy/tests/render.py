#!/usr/bin/env python3
"""Renders every Kustomize overlay and the Helm chart offline, validates, and checks drift.

    render.py OUTDIR [DIST/_routes.json]

1. `kubectl kustomize` renders deploy/k8s/base and each overlay (dev, prod, nodeport).
2. The Helm SDK (PyPI helm-python-sdk) lints the chart (strict: warnings fail) and renders it
   with the default values, each file in deploy/helm/values/, and extra non-default values
   (other image tags, resources, hosts, monitoring off).
3. Every rendering is validated by validate_k8s.py (kubernetes-validate --strict + promtool +
   pod standards).
4. Drift: each Kustomize overlay is compared with its Helm twin on the kinds, names and key
   fields of every object (see drift()), so the two install paths cannot silently diverge.
5. With a route manifest: every Ingress routes each top-level section of the site's pages.
Exits 1 on any finding.
"""
import copy
import os
import pathlib
import subprocess
import sys

import helm_python as helm
import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent.parent
CHART = DEPLOY / "helm/touchline"
KUBECTL = os.environ.get("KUBECTL", "/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
KUBE_VERSION = "v" + os.environ.get("K8S_VERSION", "1.33.0")

# Non-default values: every knob the issue names, changed.
CUSTOM = {
    "replicaCount": 4,
    "image": {"site": {"tag": "1.2.3"}, "sidecar": {"repository": "registry.example.org/ts", "tag": "1.2.3"}},
    "resources": {"nginx": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "2", "memory": "256Mi"}}},
    "ingress": {"className": "traefik", "hosts": [{"host": "a.example.net", "paths": ["/"]}, {"host": "b.example.net", "paths": ["/gandalf", "/"]}]},
    "monitoring": {"enabled": False},
    "sidecar": {"reclaim": False},
}


def kustomize(overlay: str) -> list[dict]:
    r = subprocess.run([KUBECTL, "kustomize", str(DEPLOY / "k8s" / overlay)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"kustomize {overlay} failed:\n{r.stderr}")
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def helm_render(values: dict, namespace: str) -> list[dict]:
    with helm.Chart.load(str(CHART)) as chart:
        chart.validate_schema(values)
        out = chart.render(values, name="touchline", namespace=namespace, is_install=True)
    docs = []
    for path, text in sorted(out.items()):
        if path.endswith(".yaml"):
            docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def helm_lint(values: dict, label: str) -> list[str]:
    report = helm.lint(str(CHART), values, strict=True, kube_version=KUBE_VERSION)
    # Severity 1 is informational ("icon is recommended"); warnings (2) and errors (3) fail.
    bad = [m for m in report["messages"] if m["severity"] >= 2] + report.get("errors", [])
    return [f"helm lint ({label}): {m}" for m in bad]


def key_fields(d: dict) -> dict:
    """What must agree between the two renderings: everything that changes behaviour."""
    kind = d["kind"]
    labels = d["metadata"].get("labels", {})
    out = {"labels": {k: labels[k] for k in ("release", "grafana_dashboard") if k in labels}}
    if kind == "ConfigMap":
        out["data"] = {k: v.strip() for k, v in d.get("data", {}).items()}
    elif kind == "Ingress":
        out["annotations"] = d["metadata"].get("annotations", {})
        out["spec"] = d["spec"]
    else:
        spec = copy.deepcopy(d.get("spec", {}))
        if kind == "Deployment":
            for field in ("initContainers", "containers"):
                for c in spec["template"]["spec"].get(field, []):
                    c.pop("imagePullPolicy", None)
        out["spec"] = spec
    return out


def drift(kustomized: list[dict], helmed: list[dict], label: str) -> list[str]:
    # Helm does not create namespaces (helm install --create-namespace does); skip them.
    k = {(d["kind"], d["metadata"]["name"]): d for d in kustomized if d["kind"] != "Namespace"}
    h = {(d["kind"], d["metadata"]["name"]): d for d in helmed}
    problems = []
    for key in sorted(set(k) ^ set(h)):
        where = "Kustomize" if key in k else "Helm"
        problems.append(f"drift ({label}): {key[0]}/{key[1]} only in {where}")
    for key in sorted(set(k) & set(h)):
        a, b = key_fields(k[key]), key_fields(h[key])
        if a != b:
            problems.append(f"drift ({label}): {key[0]}/{key[1]} differs:\n  kustomize: {a}\n  helm:      {b}")
    return problems


def dump(outdir: pathlib.Path, name: str, docs: list[dict]) -> str:
    path = outdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=True))
    return str(path)


def main() -> int:
    outdir = pathlib.Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    files = []
    k = {o: kustomize(o) for o in ("base", "overlays/dev", "overlays/prod", "overlays/nodeport")}
    for o, docs in k.items():
        files.append(dump(outdir, "kustomize-" + o.replace("/", "-"), docs))

    helm_values = {"default": ({}, "touchline")}
    for f in sorted((DEPLOY / "helm/values").glob("*.yaml")):
        helm_values[f.stem] = (yaml.safe_load(f.read_text()) or {}, "touchline-dev" if f.stem == "dev" else "touchline")
    helm_values["custom"] = (CUSTOM, "web")
    h = {}
    for label, (values, ns) in helm_values.items():
        problems += helm_lint(values, label)
        h[label] = helm_render(values, ns)
        files.append(dump(outdir, f"helm-{label}", h[label]))

    r = subprocess.run([sys.executable, str(DEPLOY / "tests/validate_k8s.py"), *files])
    if r.returncode != 0:
        problems.append("validate_k8s.py reported findings (above)")

    for overlay, label in (("overlays/dev", "dev"), ("overlays/prod", "prod"), ("overlays/nodeport", "nodeport")):
        problems += drift(k[overlay], h[label], f"{overlay} vs helm -f values/{label}.yaml")
    # Non-default values must actually take effect.
    custom = {(d["kind"], d["metadata"]["name"]): d for d in h["custom"]}
    dep = custom[("Deployment", "touchline")]["spec"]
    images = [c["image"] for c in dep["template"]["spec"]["containers"]]
    checks = {
        "replicas 4": dep["replicas"] == 4,
        "image tags 1.2.3": images == ["ghcr.io/touchline/touchline-site:1.2.3", "registry.example.org/ts:1.2.3"],
        "nginx resources": dep["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "256Mi",
        "ingress hosts": [r["host"] for r in custom[("Ingress", "touchline")]["spec"]["rules"]] == ["a.example.net", "b.example.net"],
        "monitoring off": not {kind for kind, _ in custom} & {"ServiceMonitor", "PrometheusRule", "ConfigMap"},
        "reclaim off": "--reclaim" not in dep["template"]["spec"]["containers"][1]["args"],
    }
    problems += [f"helm custom values: {name} not applied" for name, ok in checks.items() if not ok]
    # values.schema.json refuses what would otherwise be silently ignored or unsafe.
    for bad in ({"replicaCuont": 3}, {"image": {"site": {"repository": "x", "tag": "latest"}}},
                {"ingress": {"hosts": [{"host": "a", "paths": ["no-slash"]}]}}):
        try:
            helm_render(bad, "touchline")
            problems.append(f"helm values {bad} were accepted; values.schema.json should refuse them")
        except helm.HelmError:
            pass
    if len(sys.argv) > 2:
        import json
        pages = json.loads(pathlib.Path(sys.argv[2]).read_text())["pages"]
        sections = {"/"} | {"/" + p.strip("/").split("/")[0] for p in pages if p != "/"}
        for label, docs in [*k.items(), *h.items()]:
            for d in docs:
                if d["kind"] != "Ingress" or label == "custom":
                    continue
                for rule in d["spec"]["rules"]:
                    paths = {p["path"] for p in rule["http"]["paths"]}
                    if sections - paths:
                        problems.append(f"{label}: Ingress host {rule['host']} has no path for {sorted(sections - paths)}")
    for p in problems:
        print(f"FINDING: {p}")
    if not problems:
        print(f"render: {len(k)} Kustomize renderings and {len(h)} Helm renderings valid; "
              f"3 overlay/values pairs free of drift; custom values applied ({', '.join(checks)}); "
              f"bad values refused by values.schema.json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
