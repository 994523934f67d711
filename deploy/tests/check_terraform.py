#!/usr/bin/env python3
"""Static checks of Terraform root modules that need no provider (the registry is unreachable
here, so `terraform validate` cannot run; CI runs it where it can).

Each DIR is one module: its *.tf files are parsed with python-hcl2 (a real HCL2 parser: a file
it cannot parse fails), then:

- every `var.X`, `local.X`, `module.X`, `data.T.N` and resource `T.N` reference resolves to a
  declaration of the module, with for-expression and dynamic-block iterators scoped as
  Terraform scopes them; `each` only inside a block with `for_each`, `count` only with `count`;
- every variable and every local is used somewhere, nothing is declared twice;
- every variable has a description and a type, and a validation block unless it is a bool or a
  map(string); every output has a description;
- the example files (*.tfvars.example, *.tfbackend.example) parse, and the former set only
  declared variables;
- every registry module has an exact `version` (x.y.z), every git one a commit, the `terraform` block a
  `required_version`, and every required provider a source and a version constraint.

With --modules-json (the `.terraform/modules/modules.json` that `terraform init` writes), every
argument given to a module must also be one of that module's variables (or a meta-argument).

With --workload K8S_DIR, variable "workload"'s default must match the Deployment's requests and
the prod HPA's maxReplicas in that Kustomize tree (deploy/k8s).

Prints `FILE:LINE: problem` for each finding and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from lark import Token, Tree

# Roots that are not declarations of the module.
BUILTIN_ROOTS = {"path", "terraform"}
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}
# Attributes whose value is not an expression of references.
NON_REFERENCE_ATTRIBUTES = {"ignore_changes", "iterator", "provider", "providers"}
# Top-level blocks that declare nothing referable.
OTHER_BLOCKS = {"terraform", "provider", "moved", "import", "removed", "check"}
EXACT_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
GIT_COMMIT = re.compile(r"[?&]ref=[0-9a-f]{40}$")
INTERPOLATION = re.compile(r"(?<!\$)\$\{")


@dataclass
class Ref:
    """A reference: root identifier and the names after it ("[]" for an index or splat)."""

    root: str
    names: list[str]
    file: str
    line: int


@dataclass
class Block:
    kind: str
    labels: list[str]
    file: str
    line: int
    tree: Tree


@dataclass
class Module:
    directory: Path
    blocks: list[Block] = field(default_factory=list)
    # name -> (file, line) for locals.
    locals: dict[str, tuple[str, int]] = field(default_factory=dict)
    refs: list[Ref] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def token_line(node) -> int:
    """The first line of a node (its first token)."""
    if isinstance(node, Token):
        return node.line or 0
    for child in node.children:
        line = token_line(child)
        if line:
            return line
    return 0


def ident(node) -> str | None:
    """The name of an `identifier`/`keyword` tree, else None."""
    if isinstance(node, Tree) and node.data in ("identifier", "keyword") and node.children:
        return str(node.children[0])
    return None


def string_value(node) -> str | None:
    """The text of a string literal without interpolations, else None."""
    if not (isinstance(node, Tree) and node.data == "string"):
        return None
    parts = []
    for child in node.children:
        if isinstance(child, Tree) and child.data == "string_part":
            for part in child.children:
                if isinstance(part, Token):
                    parts.append(str(part))
                else:
                    return None
    return "".join(parts)


def body_items(block_tree: Tree) -> list[Tree]:
    """The attributes and blocks in a block's body."""
    for child in block_tree.children:
        if isinstance(child, Tree) and child.data == "body":
            return [c for c in child.children if isinstance(c, Tree) and c.data in ("attribute", "block")]
    return []


def attribute_parts(attr: Tree) -> tuple[str, Tree]:
    name = ident(attr.children[0]) or ""
    value = [c for c in attr.children[1:] if isinstance(c, Tree)][-1]
    return name, value


def block_header(block_tree: Tree) -> tuple[str, list[str]]:
    kind = ident(block_tree.children[0]) or ""
    labels = []
    for child in block_tree.children[1:]:
        if isinstance(child, Tree) and child.data == "string":
            labels.append(string_value(child) or "")
        elif isinstance(child, Tree) and child.data == "identifier":
            labels.append(ident(child) or "")
    return kind, labels


def chain(node: Tree) -> tuple[Token | None, list[str]]:
    """For a traversal expression, its root identifier token and the attribute names that follow
    it, up to the first index or splat ("[]" marks where the chain of names stops)."""
    if node.data == "expr_term":
        inner = [c for c in node.children if isinstance(c, Tree)]
        if len(inner) == 1 and len(node.children) == 1:
            if inner[0].data == "identifier":
                return inner[0].children[0], []
            return chain(inner[0])
        return None, []
    if node.data == "get_attr_expr_term":
        root, names = chain(node.children[0])
        attr = node.children[1]
        name = ident([c for c in attr.children if isinstance(c, Tree)][0])
        return root, names + [name or "?"]
    if node.data in ("index_expr_term", "full_splat_expr_term", "attr_splat_expr_term"):
        root, names = chain(node.children[0])
        return root, names + ["[]"]
    return None, []


class Walker:
    """Collects the references of one module's expressions."""

    def __init__(self, module: Module, file: str):
        self.module = module
        self.file = file
        # Innermost top-level block's meta-arguments, for `each` and `count`.
        self.has_for_each = False
        self.has_count = False

    def add(self, root: Token, names: list[str], scope: frozenset[str]) -> None:
        name = str(root)
        if name in scope:
            return
        line = root.line or 0
        if name == "each" and not self.has_for_each:
            self.module.problems.append(f"{self.file}:{line}: each.{'.'.join(names)} outside a block with for_each")
            return
        if name == "count" and not self.has_count:
            self.module.problems.append(f"{self.file}:{line}: count.{'.'.join(names)} outside a block with count")
            return
        if name in ("each", "count", "self") or name in BUILTIN_ROOTS:
            return
        self.module.refs.append(Ref(name, names, self.file, line))

    def expr(self, node, scope: frozenset[str]) -> None:
        if isinstance(node, Token):
            if node.type.startswith("HEREDOC") or str(node).startswith("<<"):
                self.heredoc(node, scope)
            return
        if node.data in ("get_attr_expr_term", "index_expr_term", "full_splat_expr_term", "attr_splat_expr_term"):
            root, names = chain(node)
            if root is not None:
                self.add(root, names, scope)
                # Index expressions inside the chain hold references of their own.
                self.indexes(node, scope)
                return
        if node.data == "expr_term":
            children = node.children
            if len(children) == 1 and isinstance(children[0], Tree) and children[0].data == "identifier":
                self.add(children[0].children[0], [], scope)
                return
        if node.data in ("for_tuple_expr", "for_object_expr"):
            self.for_expr(node, scope)
            return
        if node.data == "object_elem_key":
            # A bare key names an attribute; a parenthesised one is an expression.
            inner = [c for c in node.children if isinstance(c, Tree)]
            if inner and inner[0].data == "expr_term" and any(isinstance(c, Token) and str(c) == "(" for c in inner[0].children):
                self.expr(inner[0], scope)
            return
        if node.data == "function_call":
            for child in node.children[1:]:
                self.expr(child, scope)
            return
        if node.data == "heredoc_template" or node.data == "heredoc_template_trim":
            for child in node.children:
                if isinstance(child, Token):
                    self.heredoc(child, scope)
            return
        for child in node.children:
            self.expr(child, scope)

    def indexes(self, node: Tree, scope: frozenset[str]) -> None:
        for child in node.children:
            if isinstance(child, Tree):
                if child.data in ("braces_index",):
                    for c in child.children:
                        self.expr(c, scope)
                elif child.data in ("get_attr_expr_term", "index_expr_term", "full_splat_expr_term", "attr_splat_expr_term", "expr_term"):
                    self.indexes(child, scope)

    def heredoc(self, token: Token, scope: frozenset[str]) -> None:
        """Heredocs are one token to the parser: parse each `${...}` in them as an expression."""
        text = str(token)
        for match in INTERPOLATION.finditer(text):
            depth, i = 1, match.end()
            while i < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            inner = text[match.end() : i - 1]
            try:
                tree = hcl2.parses_to_tree(f"x = {inner}\n")
            except Exception as e:  # noqa: BLE001 - any parse error is a finding
                self.module.problems.append(f"{self.file}:{token.line}: cannot parse interpolation ${{{inner}}} in a heredoc: {e}")
                continue
            offset = (token.line or 1) + text[: match.start()].count("\n") - 1
            for t in tree.scan_values(lambda v: isinstance(v, Token)):
                t.line = (t.line or 1) + offset
            for attr in tree.find_data("attribute"):
                self.expr(attribute_parts(attr)[1], scope)

    def for_expr(self, node: Tree, scope: frozenset[str]) -> None:
        intro = next(c for c in node.children if isinstance(c, Tree) and c.data == "for_intro")
        names = [ident(c) for c in intro.children if isinstance(c, Tree) and c.data == "identifier"]
        collection = [c for c in intro.children if isinstance(c, Tree) and c.data != "identifier"]
        for c in collection:
            self.expr(c, scope)
        inner = scope | {n for n in names if n}
        for child in node.children:
            if child is not intro:
                self.expr(child, inner)

    def body(self, block_tree: Tree, scope: frozenset[str], kind: str) -> None:
        for item in body_items(block_tree):
            if item.data == "attribute":
                name, value = attribute_parts(item)
                if name in NON_REFERENCE_ATTRIBUTES:
                    continue
                if kind == "variable" and name == "type":
                    continue
                self.expr(value, scope)
            else:
                sub_kind, labels = block_header(item)
                if sub_kind == "dynamic":
                    iterator = labels[0] if labels else ""
                    for attr in body_items(item):
                        if attr.data == "attribute" and attribute_parts(attr)[0] == "iterator":
                            iterator = ident(chain_target(attribute_parts(attr)[1])) or iterator
                    self.body(item, scope | {iterator}, sub_kind)
                else:
                    self.body(item, scope, sub_kind)


def chain_target(value: Tree):
    """The identifier tree of a bare-identifier expression."""
    for child in value.children:
        if isinstance(child, Tree) and child.data == "identifier":
            return child
    return None


def load_module(directory: Path) -> Module:
    module = Module(directory)
    files = sorted(directory.glob("*.tf"))
    if not files:
        module.problems.append(f"{directory}: no .tf files")
        return module
    for path in files:
        rel = str(path)
        text = path.read_text(encoding="utf-8")
        try:
            tree = hcl2.parses_to_tree(text)
        except Exception as e:  # noqa: BLE001 - the parser's own message names the position
            module.problems.append(f"{rel}: HCL parse error: {e}")
            continue
        # The dict form too: python-hcl2's transformer rejects some things the grammar accepts.
        try:
            hcl2.loads(text)
        except Exception as e:  # noqa: BLE001
            module.problems.append(f"{rel}: HCL load error: {e}")
            continue
        body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "body")
        for item in body.children:
            if not isinstance(item, Tree):
                continue
            if item.data == "attribute":
                module.problems.append(f"{rel}:{token_line(item)}: attribute outside any block")
                continue
            if item.data != "block":
                continue
            kind, labels = block_header(item)
            block = Block(kind, labels, rel, token_line(item), item)
            module.blocks.append(block)
            if kind == "locals":
                for attr in body_items(item):
                    if attr.data != "attribute":
                        continue
                    name = attribute_parts(attr)[0]
                    if name in module.locals:
                        first = module.locals[name]
                        module.problems.append(f"{rel}:{token_line(attr)}: local.{name} is declared twice (first at {first[0]}:{first[1]})")
                    module.locals[name] = (rel, token_line(attr))
            walker = Walker(module, rel)
            attrs = {attribute_parts(a)[0] for a in body_items(item) if a.data == "attribute"}
            walker.has_for_each = "for_each" in attrs
            walker.has_count = "count" in attrs
            walker.body(item, frozenset(), kind)
    return module


def attribute_value(block: Block, name: str):
    for item in body_items(block.tree):
        if item.data == "attribute" and attribute_parts(item)[0] == name:
            return attribute_parts(item)[1]
    return None


def literal(value) -> str | None:
    """A plain string literal's text (an expr_term wrapping a string), else None."""
    if value is None:
        return None
    if isinstance(value, Tree) and value.data == "expr_term":
        inner = [c for c in value.children if isinstance(c, Tree)]
        if len(inner) == 1:
            return string_value(inner[0])
    return None


def check(module: Module, modules_json: dict[str, Path] | None = None) -> list[str]:
    problems = list(module.problems)
    declared: dict[tuple[str, ...], Block] = {}

    def declare(key: tuple[str, ...], block: Block, what: str) -> None:
        if key in declared:
            first = declared[key]
            problems.append(f"{block.file}:{block.line}: {what} is declared twice (first at {first.file}:{first.line})")
        declared[key] = block

    for b in module.blocks:
        if b.kind == "variable" and len(b.labels) == 1:
            declare(("var", b.labels[0]), b, f"variable {b.labels[0]!r}")
            for needed in ("description", "type"):
                value = attribute_value(b, needed)
                if value is None or (needed == "description" and not (literal(value) or "").strip()):
                    problems.append(f"{b.file}:{b.line}: variable {b.labels[0]!r} has no {needed}")
            # A bool or a free-form map of tags has nothing to validate; anything else must say
            # what a good value is.
            type_tree = attribute_value(b, "type")
            type_text = "".join(str(t) for t in type_tree.scan_values(lambda v: isinstance(v, Token))) if type_tree else ""
            validations = [i for i in body_items(b.tree) if i.data == "block" and block_header(i)[0] == "validation"]
            if type_text not in ("bool", "map(string)") and not validations:
                problems.append(f"{b.file}:{b.line}: variable {b.labels[0]!r} ({type_text}) has no validation block")
        elif b.kind == "output" and len(b.labels) == 1:
            declare(("output", b.labels[0]), b, f"output {b.labels[0]!r}")
            if not (literal(attribute_value(b, "description")) or "").strip():
                problems.append(f"{b.file}:{b.line}: output {b.labels[0]!r} has no description")
        elif b.kind == "module" and len(b.labels) == 1:
            declare(("module", b.labels[0]), b, f"module {b.labels[0]!r}")
            source = literal(attribute_value(b, "source")) or ""
            version = literal(attribute_value(b, "version"))
            if source.startswith("git::") or source.startswith("github.com/"):
                if not GIT_COMMIT.search(source):
                    problems.append(f"{b.file}:{b.line}: module {b.labels[0]!r} ({source}) must pin a commit (?ref=<40 hex digits>)")
            elif not (source.startswith("./") or source.startswith("../")):
                if not (version and EXACT_VERSION.match(version)):
                    problems.append(f"{b.file}:{b.line}: module {b.labels[0]!r} ({source}) must pin an exact version x.y.z, not {version!r}")
        elif b.kind == "data" and len(b.labels) == 2:
            declare(("data", *b.labels), b, f"data {b.labels[0]}.{b.labels[1]}")
        elif b.kind == "resource" and len(b.labels) == 2:
            declare(("resource", *b.labels), b, f"resource {b.labels[0]}.{b.labels[1]}")
        elif b.kind == "terraform":
            check_terraform_block(b, problems)
        elif b.kind not in OTHER_BLOCKS and b.kind != "locals":
            problems.append(f"{b.file}:{b.line}: unexpected block {b.kind} {b.labels}")
    if not any(b.kind == "terraform" for b in module.blocks):
        problems.append(f"{module.directory}: no terraform block (required_version, required_providers)")

    # The example variable files are HCL too, and may only set variables the module declares.
    for example in sorted(module.directory.glob("*.tfvars.example")) + sorted(module.directory.glob("*.tfbackend.example")):
        try:
            values = hcl2.loads(example.read_text(encoding="utf-8"))
        except Exception as e:  # noqa: BLE001 - the parser's message names the position
            problems.append(f"{example}: HCL parse error: {e}")
            continue
        if example.name.endswith(".tfvars.example"):
            for name in values:
                if not name.startswith("__") and ("var", name) not in declared:
                    problems.append(f"{example}: sets {name!r}, which is not a variable of {module.directory}")

    used_vars: set[str] = set()
    used_locals: set[str] = set()
    module_outputs = {key: outputs_of(path) for key, path in (modules_json or {}).items()}
    for r in module.refs:
        where = f"{r.file}:{r.line}"
        first = r.names[0] if r.names and r.names[0] != "[]" else None
        if r.root == "var":
            if first is None or ("var", first) not in declared:
                problems.append(f"{where}: var.{first} is not declared")
            used_vars.add(first or "")
        elif r.root == "local":
            if first is None or first not in module.locals:
                problems.append(f"{where}: local.{first} is not declared")
            used_locals.add(first or "")
        elif r.root == "module":
            if first is None or ("module", first) not in declared:
                problems.append(f"{where}: module.{first} is not declared")
            elif first in module_outputs:
                # module.NAME.OUTPUT or module.NAME[KEY].OUTPUT
                rest = r.names[2:] if r.names[1:2] == ["[]"] else r.names[1:]
                if rest and rest[0] != "[]" and rest[0] not in module_outputs[first]:
                    problems.append(f"{where}: module {first!r} has no output {rest[0]!r}")
        elif r.root == "data":
            if len(r.names) < 2 or ("data", r.names[0], r.names[1]) not in declared:
                problems.append(f"{where}: data.{'.'.join(r.names[:2])} is not declared")
        elif first is None:
            problems.append(f"{where}: {r.root} is not an iterator in scope (nor var., local., a resource...)")
        elif not any(key[:2] == ("resource", r.root) for key in declared):
            problems.append(f"{where}: {r.root}.{first}: {r.root} is not an iterator in scope nor a resource type of this module")
        elif ("resource", r.root, first) not in declared:
            problems.append(f"{where}: {r.root}.{first} is not a resource of this module")
    for b in module.blocks:
        if b.kind == "variable" and len(b.labels) == 1 and b.labels[0] not in used_vars:
            problems.append(f"{b.file}:{b.line}: variable {b.labels[0]!r} is never used")
    for name, (file, line) in module.locals.items():
        if name not in used_locals:
            problems.append(f"{file}:{line}: local.{name} is never used")

    if modules_json is not None:
        for b in module.blocks:
            if b.kind != "module" or len(b.labels) != 1:
                continue
            source_dir = modules_json.get(b.labels[0])
            if source_dir is None:
                problems.append(f"{b.file}:{b.line}: module {b.labels[0]!r} is not in modules.json (run terraform init)")
                continue
            inputs = set()
            for tf in source_dir.glob("*.tf"):
                for var in hcl2.loads(tf.read_text(encoding="utf-8")).get("variable", []):
                    inputs.update(k.strip('"') for k in var if not k.startswith("__"))
            for item in body_items(b.tree):
                if item.data != "attribute":
                    continue
                name = attribute_parts(item)[0]
                if name not in META_ARGUMENTS and name not in inputs:
                    problems.append(f"{b.file}:{token_line(item)}: module {b.labels[0]!r} has no input {name!r}")
    return problems


def check_terraform_block(b: Block, problems: list[str]) -> None:
    if literal(attribute_value(b, "required_version")) is None:
        problems.append(f"{b.file}:{b.line}: terraform block has no required_version")
    providers = [i for i in body_items(b.tree) if i.data == "block" and block_header(i)[0] == "required_providers"]
    if not providers:
        problems.append(f"{b.file}:{b.line}: terraform block has no required_providers")
        return
    for item in body_items(providers[0]):
        if item.data != "attribute":
            continue
        name, value = attribute_parts(item)
        keys = {}
        for elem in value.find_data("object_elem"):
            key_tree = next(c for c in elem.children if isinstance(c, Tree) and c.data == "object_elem_key")
            key = ident(next(iter(key_tree.find_data("identifier")), None))
            val = [c for c in elem.children if isinstance(c, Tree) and c.data == "expr_term"]
            keys[key] = literal(val[-1]) if val else None
        if not keys.get("source"):
            problems.append(f"{b.file}:{token_line(item)}: provider {name!r} has no source")
        if not keys.get("version"):
            problems.append(f"{b.file}:{token_line(item)}: provider {name!r} has no version constraint")


def outputs_of(directory: Path) -> set[str]:
    names = set()
    for tf in directory.glob("*.tf"):
        for out in hcl2.loads(tf.read_text(encoding="utf-8")).get("output", []):
            names.update(k.strip('"') for k in out if not k.startswith("__"))
    return names


def read_modules_json(path: Path) -> dict[str, Path]:
    """Module key -> its downloaded source directory, from terraform init's modules.json."""
    data = json.loads(path.read_text(encoding="utf-8"))
    root = path.parent.parent.parent
    return {m["Key"]: root / m["Dir"] for m in data.get("Modules", []) if m.get("Key") and "." not in m["Key"]}


def check_workload(module: Module, k8s: Path) -> list[str]:
    """variable "workload"'s pod requests and max replicas against the Kustomize manifests."""
    import yaml

    problems = []
    block = next((b for b in module.blocks if b.kind == "variable" and b.labels == ["workload"]), None)
    if block is None:
        return [f"{module.directory}: no variable \"workload\" to check against {k8s}"]
    data = hcl2.loads(Path(block.file).read_text(encoding="utf-8"))
    # python-hcl2 keeps block labels quoted.
    default = next(v['"workload"']["default"] for v in data["variable"] if '"workload"' in v)
    deployment = yaml.safe_load((k8s / "base/deployment.yaml").read_text(encoding="utf-8"))
    hpa = yaml.safe_load((k8s / "overlays/prod/hpa.yaml").read_text(encoding="utf-8"))
    containers = deployment["spec"]["template"]["spec"]["containers"]

    def millicores(v: str) -> float:
        return float(v[:-1]) if str(v).endswith("m") else float(v) * 1000

    def mebibytes(v: str) -> float:
        units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
        for unit, factor in units.items():
            if str(v).endswith(unit):
                return float(v[: -len(unit)]) * factor
        return float(v) / (1024 * 1024)

    cpu = sum(millicores(c["resources"]["requests"]["cpu"]) for c in containers)
    memory = sum(mebibytes(c["resources"]["requests"]["memory"]) for c in containers)
    expected = {
        "pod_cpu_millicores": cpu,
        "pod_memory_mib": memory,
        "max_replicas": hpa["spec"]["maxReplicas"],
    }
    for key, value in expected.items():
        if float(default[key]) != float(value):
            problems.append(
                f"{block.file}:{block.line}: variable workload default {key} = {default[key]}, but {k8s} says {value:g} "
                "(the containers' requests summed; maxReplicas of overlays/prod/hpa.yaml)"
            )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", type=Path, help="Terraform module directories")
    parser.add_argument("--modules-json", type=Path, help="terraform init's .terraform/modules/modules.json")
    parser.add_argument("--workload", type=Path, help="Kustomize tree to check variable \"workload\" against")
    args = parser.parse_args()
    problems = []
    for directory in args.dirs:
        module = load_module(directory)
        modules = read_modules_json(args.modules_json) if args.modules_json else None
        problems += check(module, modules)
        if args.workload and any(b.kind == "variable" and b.labels == ["workload"] for b in module.blocks):
            problems += check_workload(module, args.workload)
        refs = len(module.refs)
        print(f"check_terraform: {directory}: {len(module.blocks)} blocks, {len(module.locals)} locals, {refs} references")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
