"""``diff --base REF``: the same requests through the spec at REF and the working tree's; what changes.

The base spec is read with ``git show REF:stacks/...`` into a temporary directory: no checkout.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gateway.explain.engine import Model, explain
from gateway.explain.flow import LanguageRun
from gateway.explain.outcome import Outcome
from gateway.explain.request import Request
from gateway.spec.loader import Mode, load_spec
from gateway.spec.models import GatewaySpec


class GitError(RuntimeError):
    """The base revision or its stack files cannot be read."""


def git_show(root: Path, ref: str, path: str) -> str:
    done = subprocess.run(["git", "-C", str(root), "show", f"{ref}:{path}"], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise GitError(f"git show {ref}:{path}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def git_stacks(root: Path, ref: str) -> list[str]:
    done = subprocess.run(["git", "-C", str(root), "ls-tree", "--name-only", f"{ref}:stacks"], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise GitError(f"git ls-tree {ref}:stacks: {done.stderr.strip() or 'failed'}")
    return [n.removesuffix(".yaml") for n in done.stdout.split() if n.endswith(".yaml") and n != "base.yaml"]


def load_base_spec(root: Path, ref: str, stack: str, mode: Mode) -> GatewaySpec | None:
    """The spec of ``stack`` at ``ref``; None when the stack did not exist there."""
    if stack not in git_stacks(root, ref):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp) / "stacks"
        stacks.mkdir()
        for name in ("base", stack):
            (stacks / f"{name}.yaml").write_text(git_show(root, ref, f"stacks/{name}.yaml"), encoding="utf-8")
        return load_spec(stacks, stack, mode)


def summary(outcome: Outcome) -> dict[str, object]:
    """The parts of an outcome a reviewer cares about when they change."""
    route = outcome["route"]
    up = outcome["upstream"]
    lang = outcome["language"]
    return {
        "route": f"{route['service']}/{route['route']}" if route else None,
        "status": outcome["status"],
        "upstream": up["host"] if up else None,
        "path": up["path"] if up else None,
        "serviceId": lang["service_id"] if lang else None,
        "buckets": [b["key"] for b in outcome["buckets"]],
        "headers": up["headers"] if up else None,
    }


@dataclass(frozen=True)
class Change:
    request: Request
    field: str
    before: object
    after: object


def compare(base: Model, head: Model, requests: list[Request], run: LanguageRun) -> Iterator[Change]:
    for request in requests:
        before = summary(explain(base, request, run))
        after = summary(explain(head, request, run))
        for key, old in before.items():
            new = after[key]
            if key == "headers" and isinstance(old, dict) and isinstance(new, dict):
                for name in sorted(set(old) | set(new)):
                    if old.get(name) != new.get(name):
                        yield Change(request, f"header {name}", old.get(name), new.get(name))
            elif old != new:
                yield Change(request, key, old, new)
