#!/usr/bin/env python3
"""What issue 15 asks of deploy/terraform, read from the files with python-hcl2, so removing any
of it fails the suite (scripts/test.d/45-iac.sh: python -m unittest). The provider-dependent
part (validate, plan) runs in CI; check_terraform.py covers references and pins."""

from __future__ import annotations

import json
import re
import unittest
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parents[2] / "deploy/terraform"


def unquote(value):
    """python-hcl2 keeps string literals and block labels in their quotes."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def load(directory: Path) -> dict[str, dict]:
    """Blocks by kind, then by unquoted label path ("vpc", "aws_instance.monitoring")."""
    blocks: dict[str, dict] = {}
    for tf in sorted(directory.glob("*.tf")):
        for kind, entries in hcl2.loads(tf.read_text(encoding="utf-8")).items():
            if kind.startswith("__"):
                continue
            for entry in entries:
                if kind in ("locals", "terraform", "provider"):
                    blocks.setdefault(kind, {}).setdefault("", []).append(entry)
                    continue
                for label, body in entry.items():
                    if label.startswith("__"):
                        continue
                    if kind in ("resource", "data"):
                        for name, inner in body.items():
                            if not name.startswith("__"):
                                blocks.setdefault(kind, {})[f"{unquote(label)}.{unquote(name)}"] = inner
                    else:
                        blocks.setdefault(kind, {})[unquote(label)] = body
    return blocks


class StackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.root = load(ROOT)
        cls.cluster = load(ROOT / "cluster")

    def module(self, name: str) -> dict:
        self.assertIn(name, self.root.get("module", {}), f"no module {name!r} in {ROOT}")
        return self.root["module"][name]

    def variable_default(self, name: str):
        return self.root["variable"][name].get("default")

    def test_official_community_modules_pinned(self) -> None:
        for name, repo in [("vpc", "vpc"), ("eks", "eks"), ("ecr", "ecr"), ("vpc_cni_irsa", "iam"), ("ci_role", "iam")]:
            source = unquote(self.module(name)["source"])
            self.assertRegex(source, rf"^git::https://github\.com/terraform-aws-modules/terraform-aws-{repo}\.git(//[a-z/-]+)?\?ref=[0-9a-f]{{40}}$")

    def test_versions_pinned_and_remote_state(self) -> None:
        for stack in (self.root, self.cluster):
            terraform = stack["terraform"][""][0]
            self.assertRegex(unquote(terraform["required_version"]), r">= 1\.[0-9]+\.[0-9]+, < 2\.0\.0")
            for provider in terraform["required_providers"][0].values():
                if isinstance(provider, dict):
                    self.assertRegex(unquote(provider["version"]), r"^~> [0-9]+\.[0-9]+$")
            self.assertIn("s3", [unquote(k) for b in terraform["backend"] for k in b])
        for directory in (ROOT, ROOT / "cluster"):
            example = (directory / "backend.s3.tfbackend.example").read_text(encoding="utf-8")
            for key in ("bucket", "key", "region", "encrypt", "use_lockfile"):
                self.assertRegex(example, rf"(?m)^{key}\s+=")

    def test_vpc_three_zones_public_private_nat(self) -> None:
        self.assertEqual([unquote(z) for z in self.variable_default("availability_zones")], ["a", "b", "c"])
        vpc = self.module("vpc")
        self.assertIn("local.azs", vpc["azs"])
        for key in ("private_subnets", "public_subnets"):
            self.assertIn("range(local.az_count)", vpc[key])
        self.assertIs(vpc["enable_nat_gateway"], True)
        self.assertIn("!var.single_nat_gateway", vpc["one_nat_gateway_per_az"])
        self.assertIs(self.variable_default("single_nat_gateway"), False)
        self.assertIn('"kubernetes.io/role/elb"', vpc["public_subnet_tags"])
        self.assertIs(vpc["enable_flow_log"], True)

    def test_eks_node_group_irsa_addons(self) -> None:
        eks = self.module("eks")
        self.assertIs(eks["enable_irsa"], True)
        self.assertEqual(set(eks["addons"]), {"coredns", "kube-proxy", "vpc-cni", "eks-pod-identity-agent"})
        self.assertIn("module.vpc_cni_irsa.arn", eks["addons"]["vpc-cni"]["service_account_role_arn"])
        group = eks["eks_managed_node_groups"]["default"]
        for key, var in [("min_size", "node_min_size"), ("max_size", "node_max_size"), ("desired_size", "node_desired_size"),
                         ("instance_types", "node_instance_types")]:
            self.assertEqual(group[key], f"${{var.{var}}}")
        self.assertIn("module.vpc.private_subnets", eks["subnet_ids"])
        # Sized for the Deployment: the capacity preconditions use the workload figures.
        capacity = self.root["resource"]["terraform_data.node_capacity"]["lifecycle"][0]["precondition"]
        conditions = " ".join(p["condition"] for p in capacity)
        for needed in ("local.needed_cpu_m", "local.needed_memory_m", "local.needed_pods", "local.surviving_nodes"):
            self.assertIn(needed, conditions)
        self.assertEqual(len(capacity), 3)

    def test_ecr_site_and_sidecar_immutable_scanned_expiring(self) -> None:
        ecr = self.module("ecr")
        self.assertEqual(ecr["for_each"], "${local.images}")
        images = self.root["locals"][""]
        images = next(l["images"] for l in images if "images" in l)
        self.assertEqual(sorted(re.findall(r'"([a-z]+)"', images)), ["sidecar", "site"])
        self.assertEqual(unquote(ecr["repository_image_tag_mutability"]), "IMMUTABLE")
        self.assertIs(ecr["repository_image_scan_on_push"], True)
        self.assertIs(ecr["create_lifecycle_policy"], True)
        policy = ecr["repository_lifecycle_policy"]
        self.assertIn('tagStatus = "untagged"', policy)
        self.assertIn("countNumber = var.ecr_keep_images", policy)

    def test_outputs_for_ingress_and_ci(self) -> None:
        outputs = self.root["output"]
        for name in ("cluster_name", "cluster_endpoint", "kubeconfig_command", "public_subnet_ids", "ecr_repository_urls",
                     "registry", "ci_role_arn", "prometheus_remote_write_url", "agent_cluster_label", "monitoring_instance_id"):
            self.assertIn(name, outputs)
        self.assertIn("ingress_hostname", self.cluster["output"])

    def test_agent_runs_the_projects_agent_config(self) -> None:
        config = next(l for l in self.cluster["locals"][""] if "agent_source" in l)
        self.assertIn('file("${path.module}/../../prometheus/agent.yml")', config["agent_source"])
        # The remote-write URL default is agent.yml's, and the agent's Deployment runs --agent.
        agent_yml = (ROOT.parent / "prometheus/agent.yml").read_text(encoding="utf-8")
        url = unquote(self.cluster["variable"]["remote_write_url"]["default"])
        self.assertIn(f"- url: {url}  # env", agent_yml)
        args = json.dumps(self.cluster["resource"]["kubernetes_deployment_v1.agent"])
        self.assertIn("--agent", args)


if __name__ == "__main__":
    unittest.main()
