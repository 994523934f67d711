#!/usr/bin/env python3
"""Keeps the copies of the single-source deploy files in step.

Kustomize and Helm only read files inside their own folder, so the alert/recording rules
(deploy/prometheus/rules/touchline.rules.yml) and the Grafana dashboard
(deploy/grafana/dashboards/touchline.json) are copied into deploy/k8s/base/ and the Helm chart.

    sync.py --check   exit 1 and name each stale copy (run by scripts/test.d/40-deploy.sh)
    sync.py --write   rewrite the copies from the sources
"""
import pathlib
import sys

DEPLOY = pathlib.Path(__file__).resolve().parent.parent
RULES = DEPLOY / "prometheus/rules/touchline.rules.yml"
DASHBOARD = DEPLOY / "grafana/dashboards/touchline.json"

PROMETHEUSRULE_HEAD = """\
# GENERATED from deploy/prometheus/rules/touchline.rules.yml by deploy/tests/sync.py --write;
# edit the source, not this file. kube-prometheus-stack's default ruleSelector matches the label
# release=<helm release name>.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: touchline
  labels:
    release: kube-prometheus-stack
spec:
"""


def prometheusrule() -> str:
    lines = RULES.read_text().splitlines()
    # Drop the source's leading comment block; indent the rest under spec:.
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return PROMETHEUSRULE_HEAD + "".join(("  " + l if l.strip() else "") + "\n" for l in lines)


def expected() -> dict[pathlib.Path, str]:
    return {
        DEPLOY / "k8s/base/prometheusrule.yaml": prometheusrule(),
        DEPLOY / "k8s/base/dashboards/touchline.json": DASHBOARD.read_text(),
        DEPLOY / "helm/touchline/files/touchline.rules.yml": RULES.read_text(),
        DEPLOY / "helm/touchline/files/touchline.json": DASHBOARD.read_text(),
    }


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    stale = []
    for path, text in expected().items():
        if mode == "--write":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            stale.append(path.relative_to(DEPLOY.parent))
    for path in stale:
        print(f"sync: {path} differs from its source; run: python3 deploy/tests/sync.py --write")
    if not stale and mode != "--write":
        print(f"sync: {len(expected())} generated copies match their sources")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
