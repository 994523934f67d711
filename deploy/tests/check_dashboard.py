#!/usr/bin/env python3
"""Static checks of the Grafana dashboards (the e2e test e2e/tests/dashboards.rs runs every
query against a real Prometheus; this catches mistakes without one):

- valid JSON with a uid, unique panel ids, and every panel's datasource uid provisioned in
  deploy/grafana/provisioning/datasources/;
- every PromQL expression, with Grafana's variables replaced ($__rate_interval -> 1m,
  $path -> .*), parses: each is written into a rule file for `promtool check rules`.
Exits 1 on any finding.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent.parent
VARIABLES = {"$__rate_interval": "1m", "$path": ".*"}


def expand(expr: str) -> str:
    for k, v in VARIABLES.items():
        expr = expr.replace(k, v)
    return expr


def main() -> int:
    problems = []
    ds_file = DEPLOY / "grafana/provisioning/datasources/touchline.yaml"
    uids = {d["uid"] for d in yaml.safe_load(ds_file.read_text())["datasources"]}
    rules = []
    for path in sorted((DEPLOY / "grafana/dashboards").glob("*.json")):
        dash = json.loads(path.read_text())
        if not dash.get("uid"):
            problems.append(f"{path.name}: no uid")
        ids = [p["id"] for p in dash["panels"]]
        if len(ids) != len(set(ids)):
            problems.append(f"{path.name}: duplicate panel ids")
        for p in dash["panels"]:
            if p["type"] == "row":
                continue
            if p.get("datasource", {}).get("uid") not in uids:
                problems.append(f"{path.name}: panel {p['title']!r}: datasource not provisioned")
            if not p.get("targets"):
                problems.append(f"{path.name}: panel {p['title']!r}: no query")
            for t in p.get("targets", []):
                rules.append({"record": f"dashboard_check:{len(rules)}", "expr": expand(t["expr"])})
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, f)
    r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    pathlib.Path(f.name).unlink()
    if r.returncode != 0:
        problems.append("promtool check rules on the dashboard queries:\n" + r.stdout + r.stderr)
    for p in problems:
        print(f"FINDING: {p}")
    if not problems:
        print(f"dashboards: {len(rules)} panel queries parse (promtool); datasources provisioned")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
