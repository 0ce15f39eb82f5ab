"""Record, per stack, the URNs a commit's program registers under Pulumi mocks, and the pickled dynamic
providers it writes into state: the baseline tests/test_urn_aliases.py holds a newer program to (its URNs and
aliases must take over every old URN, so a preview of a stack deployed from that commit replaces nothing).

    PYTHONPATH=tests .venv/bin/python tools/urn_snapshot.py --ref REF [--out tests/fixtures/urns]

The commit is exported with ``git archive`` into a temporary directory and run there, with its own tests'
helpers (``platform_helpers.stack_config``, ``pulumi_harness.run_main``), in a process of its own; the
engine's URNs are derived here (``pulumi_harness.engine_urn_map``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from pulumi_harness import ROOT, Registration, engine_urn_map

RUN = """
import json, sys
from platform_helpers import stack_config
from pulumi_harness import reveal, run_main
stack = sys.argv[1]
config, secret_keys = stack_config(stack)
run = run_main(stack, config, secret_keys)
print(json.dumps({
    "resources": [{"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent} for r in run.resources],
    "providers": sorted({str(reveal(r.inputs["__provider"])) for r in run.resources if "__provider" in r.inputs}),
}))
"""


def snapshot(checkout: Path, stack: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": f"{checkout}{os.pathsep}{checkout / 'tests'}",
           "XDG_CACHE_HOME": str(checkout / ".cache")}
    done = subprocess.run([sys.executable, "-c", RUN, stack], cwd=checkout, env=env, capture_output=True,
                          text=True, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    resources = [Registration(r["type"], r["name"], r["urn"], r["parent"], "", [], {}) for r in data["resources"]]
    return {"urns": sorted(set(engine_urn_map(resources, stack).values())), "dynamic_providers": data["providers"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD", help="the commit whose program to record (default: HEAD)")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "urns")
    args = parser.parse_args()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", args.ref], capture_output=True, text=True,
                            check=True).stdout.strip()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True).stdout
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="urn-snapshot-") as tmp:
        checkout = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(checkout, filter="data")
        for stack in sorted(p.stem for p in (checkout / "stacks").glob("*.yaml") if p.stem != "base"):
            out = args.out / f"{stack}.json"
            out.write_text(json.dumps({"commit": commit, **snapshot(checkout, stack)}, indent=1) + "\n",
                           encoding="utf-8")
            print(f"{stack}: wrote {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
