#!/usr/bin/env python3
"""Tests of check_terraform.py: a module using every construct the checker must understand
passes with no finding, and a broken module yields exactly the findings expected, each at its
file and line (run by scripts/test.d/45-iac.sh: python -m unittest)."""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_terraform  # noqa: E402

TERRAFORM = """
terraform {
  required_version = ">= 1.9.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28"
    }
  }
}
"""

GOOD = {
    "versions.tf": TERRAFORM,
    "prod.tfvars.example": """
names   = ["a", "b"]
enabled = false
""",
    "backend.s3.tfbackend.example": """
bucket       = "b"
use_lockfile = true
""",
    "main.tf": """
variable "names" {
  description = "Names."
  type        = list(string)

  validation {
    condition     = length(var.names) > 0
    error_message = "At least one name."
  }
}

variable "enabled" {
  description = "A bool needs no validation."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Nor does a map of tags."
  type        = map(string)
  default     = {}
}

variable "settings" {
  description = "An object type: its attribute names are not references."
  type = object({
    size = number
    kind = optional(string, "gp3")
  })
  default = { size = 1 }

  validation {
    condition     = var.settings.size > 0
    error_message = "A positive size."
  }
}

variable "rules" {
  description = "Used only inside a heredoc and a dynamic block."
  type        = map(string)
}

variable "policy_sid" {
  description = "Used only in a heredoc."
  type        = string

  validation {
    condition     = length(var.policy_sid) > 0
    error_message = "Not empty."
  }
}

locals {
  # Dots inside string literals are not references; interpolations are.
  tags  = merge(var.tags, { "kubernetes.io/role/elb" = 1, Name = "${var.names[0]}-x", On = var.enabled })
  pairs = { for i, name in var.names : name => i if name != "skip.me" }
  list  = [for name in var.names : upper(name)]
  key   = "k"
  keyed = { (local.key) = var.settings.size }
  doc   = <<-EOT
    {"Sid": "${var.policy_sid}", "Count": ${length(local.list)}}
  EOT
}

data "aws_iam_policy_document" "p" {
  dynamic "statement" {
    for_each = var.rules
    content {
      sid       = statement.key
      actions   = [statement.value]
      resources = ["*"]
    }
  }
  dynamic "statement" {
    for_each = var.rules
    iterator = rule
    content {
      sid     = "x${rule.key}"
      actions = [rule.value]
    }
  }
}

resource "aws_thing" "each" {
  for_each = local.pairs
  name     = "${each.key}-${each.value}"
  doc      = local.doc
  tags     = local.tags
  keyed    = local.keyed
  policy   = data.aws_iam_policy_document.p.json
  file     = "${path.module}/files/x-${terraform.workspace}"

  lifecycle {
    ignore_changes = [ami, tags]
  }
}

resource "aws_thing" "counted" {
  count = 2
  name  = "n-${count.index}"
  other = aws_thing.each["a"].id
  all   = [for t in aws_thing.each : t.id]
}

module "m" {
  source  = "terraform-aws-modules/x/aws"
  version = "1.2.3"
  count   = 1
  ok      = aws_thing.counted[*].id

  depends_on = [aws_thing.each]
}

module "git_one" {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-x.git//modules/y?ref=0123456789abcdef0123456789abcdef01234567"
  ok     = 1
}

module "local_one" {
  source = "./sub"
  ok     = one(module.m[*].out)
}

output "out" {
  description = "Module output through an index."
  value       = module.m[0].out
}
""",
}

BROKEN = {
    "prod.tfvars.example": """
used    = "x"
unknown = "y"
""",
    "versions.tf": """
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}
""",
    "main.tf": """
variable "used" {
  description = "Used."
  type        = string
}

variable "unused" {
  description = "Declared, never referenced."
  type        = string
}

variable "no_description" {
  type = string
}

variable "used" {
  description = "Declared a second time."
  type        = string
}

locals {
  a      = var.used
  b      = var.undeclared
  c      = local.missing
  unused = 1
  d      = [for x in var.no_description : x]
  e      = x
  f      = <<-EOT
    ${var.only_in_heredoc}
  EOT
}

resource "aws_thing" "r" {
  name = "${each.key}-${count.index}"
  a    = local.a
  b    = local.b
  c    = local.c
  d    = local.d
  e    = local.e
  f    = local.f
  g    = aws_thing.missing.id
  h    = data.aws_x.nope.json
  i    = module.nope.out

  dynamic "statement" {
    for_each = [1]
    content {
      sid = other.value
    }
  }
}

module "unpinned" {
  source  = "terraform-aws-modules/x/aws"
  version = "~> 1.0"
  wrong   = 1
  ok      = module.unpinned.not_an_output
}

module "no_version" {
  source = "terraform-aws-modules/y/aws"
}

output "bare" {
  value = aws_thing.r.name
}

module "git_tag" {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-x.git?ref=v1.0.0"
}
""",
}

# Each (file, line, text fragment) the broken module must produce, and nothing else (line None:
# the finding names the file only).
EXPECTED = [
    ("prod.tfvars.example", None, "sets 'unknown', which is not a variable of"),
    ("versions.tf", 2, "terraform block has no required_version"),
    ("versions.tf", 4, "provider 'aws' has no version constraint"),
    ("main.tf", 2, "variable 'used' (string) has no validation block"),
    ("main.tf", 7, "variable 'unused' is never used"),
    ("main.tf", 7, "variable 'unused' (string) has no validation block"),
    ("main.tf", 12, "variable 'no_description' (string) has no validation block"),
    ("main.tf", 16, "variable 'used' (string) has no validation block"),
    ("main.tf", 12, "variable 'no_description' has no description"),
    ("main.tf", 16, "variable 'used' is declared twice"),
    ("main.tf", 23, "var.undeclared is not declared"),
    ("main.tf", 24, "local.missing is not declared"),
    ("main.tf", 25, "local.unused is never used"),
    ("main.tf", 27, "x is not an iterator in scope"),
    ("main.tf", 29, "var.only_in_heredoc is not declared"),
    ("main.tf", 34, "each.key outside a block with for_each"),
    ("main.tf", 34, "count.index outside a block with count"),
    ("main.tf", 41, "aws_thing.missing is not a resource of this module"),
    ("main.tf", 42, "data.aws_x.nope is not declared"),
    ("main.tf", 43, "module.nope is not declared"),
    ("main.tf", 48, "other.value: other is not an iterator in scope nor a resource type of this module"),
    ("main.tf", 53, "module 'unpinned' (terraform-aws-modules/x/aws) must pin an exact version x.y.z, not '~> 1.0'"),
    ("main.tf", 56, "module 'unpinned' has no input 'wrong'"),
    ("main.tf", 57, "module 'unpinned' has no output 'not_an_output'"),
    ("main.tf", 60, "module 'no_version' (terraform-aws-modules/y/aws) must pin an exact version x.y.z, not None"),
    ("main.tf", 60, "module 'no_version' is not in modules.json"),
    ("main.tf", 64, "output 'bare' has no description"),
    ("main.tf", 68, "module 'git_tag' (git::https://github.com/terraform-aws-modules/terraform-aws-x.git?ref=v1.0.0) must pin a commit"),
    ("main.tf", 68, "module 'git_tag' is not in modules.json"),
]

FAKE_MODULE = """
variable "ok" {
  description = "An input."
  type        = number
}

output "out" {
  description = "An output."
  value       = var.ok
}
"""


def write(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        # Line 1 of each file is the blank line after the opening quotes.
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")


def modules_json(root: Path, keys: list[str]) -> dict[str, Path]:
    """A modules.json as terraform init writes it, every module being FAKE_MODULE."""
    mods = []
    for key in keys:
        write(root / ".terraform/modules" / key, {"main.tf": FAKE_MODULE})
        mods.append({"Key": key, "Source": "x", "Dir": f".terraform/modules/{key}"})
    path = root / ".terraform/modules/modules.json"
    path.write_text(json.dumps({"Modules": [{"Key": "", "Dir": "."}, *mods]}), encoding="utf-8")
    return check_terraform.read_modules_json(path)


class CheckTerraformTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_good_module_has_no_finding(self) -> None:
        write(self.root / "good", GOOD)
        module = check_terraform.load_module(self.root / "good")
        problems = check_terraform.check(module, modules_json(self.root / "good", ["m", "git_one", "local_one"]))
        self.assertEqual(problems, [], "\n".join(problems))
        # The references it saw, so a walker that sees nothing cannot pass.
        roots = {(r.root, r.names[0] if r.names else "") for r in module.refs}
        for expected in [("var", "policy_sid"), ("local", "list"), ("local", "key"), ("var", "rules"), ("module", "m"), ("aws_thing", "counted")]:
            self.assertIn(expected, roots)

    def test_broken_module_findings(self) -> None:
        write(self.root / "broken", BROKEN)
        module = check_terraform.load_module(self.root / "broken")
        problems = check_terraform.check(module, modules_json(self.root / "broken", ["unpinned"]))
        unmatched = list(problems)
        missing = []
        for file, line, text in EXPECTED:
            prefix = f"{self.root / 'broken' / file}" + (f":{line}: " if line is not None else ": ")
            found = next((p for p in unmatched if p.startswith(prefix) and text in p), None)
            if found is None:
                missing.append(f"{file}:{line}: {text}")
            else:
                unmatched.remove(found)
        self.assertEqual(missing, [], "expected findings not reported; all findings:\n" + "\n".join(problems))
        self.assertEqual(unmatched, [], "unexpected findings")

    def test_unparsable_file_is_a_finding(self) -> None:
        write(self.root / "bad", {"versions.tf": TERRAFORM, "main.tf": 'resource "a" "b" {\n  x = \n}\n'})
        problems = check_terraform.check(check_terraform.load_module(self.root / "bad"))
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("main.tf: HCL parse error", problems[0])

    def test_workload_drift(self) -> None:
        repo = Path(__file__).resolve().parents[2]
        module = check_terraform.load_module(repo / "deploy/terraform")
        self.assertEqual(check_terraform.check_workload(module, repo / "deploy/k8s"), [])
        # The same manifests with the sidecar's CPU request raised: the default no longer matches.
        k8s = self.root / "k8s"
        for rel in ("base/deployment.yaml", "overlays/prod/hpa.yaml"):
            (k8s / rel).parent.mkdir(parents=True, exist_ok=True)
            text = (repo / "deploy/k8s" / rel).read_text(encoding="utf-8")
            (k8s / rel).write_text(text.replace("requests: {cpu: 20m, memory: 16Mi}", "requests: {cpu: 25m, memory: 16Mi}"), encoding="utf-8")
        problems = check_terraform.check_workload(module, k8s)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("pod_cpu_millicores = 70, but", problems[0])
        self.assertIn("says 75", problems[0])


if __name__ == "__main__":
    unittest.main()
