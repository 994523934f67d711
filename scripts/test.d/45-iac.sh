#!/usr/bin/env bash
# Infrastructure as code (issue 15): deploy/terraform and deploy/ansible, offline.
#
# Terraform: providers cannot be downloaded here, so `init`/`validate`/`plan` run in CI only
# (.github/workflows/ci.yml, job terraform). Here: `terraform fmt -check`, a parse of every file
# with python-hcl2 plus the reference check (deploy/tests/check_terraform.py, and its own test
# against a broken module), and checkov with no failed check (each skip justified inline).
# Ansible: ansible-lint (production profile), then deploy/tests/run_ansible.py runs the
# playbook for real against this machine: --syntax-check, --check of both roles, and the
# prometheus role into a throwaway prefix whose server must answer and receive an agent's
# remote write. A missing tool is a failure that names the command to install it.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.tools/venv/bin
CHECKOV=.tools/checkov/bin/checkov
need() { # need TOOL_PATH INSTALL_HINT
  if ! command -v "$1" > /dev/null 2>&1; then
    echo "45-iac: missing $1; install it with: $2" >&2
    exit 1
  fi
}
for tool in python ansible-playbook ansible-lint ansible-vault; do
  need "$VENV/$tool" "scripts/install-deps   (pip install -r scripts/requirements-tools.txt into .tools/venv)"
done
need "$CHECKOV" "scripts/install-deps   (pip install -r scripts/requirements-checkov.txt into .tools/checkov)"
need terraform "Terraform 1.11 from HashiCorp's APT repository (apt-get install terraform), or its release zip"
need prometheus "apt-get install -y prometheus   (or scripts/install-deps)"
need openssl "apt-get install -y openssl   (or scripts/install-deps)"
need systemd-analyze "apt-get install -y systemd   (or scripts/install-deps)"
sidecar_bin=target/release/touchline-sidecar
[ -x "$sidecar_bin" ] || {
  echo "45-iac: $sidecar_bin missing (the agent scrapes a real sidecar); build it with: cargo build --release -p sidecar" >&2
  exit 1
}

export CHECKPOINT_DISABLE=1
# ansible-lint finds ansible and its own helpers through PATH.
PATH="$PWD/$VENV:$PATH"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The role's server runs as user prometheus (under root): it must reach the prefix inside.
chmod 0755 "$scratch"
step() { echo "-- 45-iac: $*"; }
started=$SECONDS

step "terraform fmt -check -recursive deploy/terraform ($(terraform version | head -n 1))"
terraform fmt -check -recursive -diff deploy/terraform

step "HCL parse + references, usage, pins and the node group's sizing inputs (deploy/tests/check_terraform.py)"
python deploy/tests/check_terraform.py deploy/terraform deploy/terraform/cluster --workload deploy/k8s
python -m unittest deploy/tests/test_check_terraform.py
step "what the stacks must provision (deploy/tests/test_terraform_stack.py)"
python -m unittest deploy/tests/test_terraform_stack.py

step "checkov (deploy/terraform, both stacks): no failed check, every skip justified"
"$CHECKOV" -d deploy/terraform --framework terraform --skip-download --compact --quiet \
  > "$scratch/checkov.txt" 2>&1 || { cat "$scratch/checkov.txt"; exit 1; }
grep -E '^(Passed|terraform scan)' "$scratch/checkov.txt" || true
if grep -rn 'checkov:skip=' deploy/terraform | grep -vE 'checkov:skip=[A-Z0-9_]+:.{20,}'; then
  echo "45-iac: the checkov skips above carry no reason (#checkov:skip=ID:why)" >&2
  exit 1
fi

step "ansible-lint --offline, production profile (deploy/ansible)"
(cd deploy/ansible && ansible-lint --offline --nocolor > "$scratch/ansible-lint.txt" 2>&1) \
  || { cat "$scratch/ansible-lint.txt"; exit 1; }
tail -n 1 "$scratch/ansible-lint.txt"

step "deploy/ansible for real: syntax, check mode, the prometheus role into a prefix, its server, an agent's remote write"
python deploy/tests/run_ansible.py "$scratch/ansible" "$sidecar_bin"

echo "-- 45-iac: all infrastructure checks passed in $((SECONDS - started)) s"
