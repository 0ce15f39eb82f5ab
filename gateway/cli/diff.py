"""``diff --base GITREF [--stack NAME] [--limit N]``: the requests whose outcome changes between GITREF's spec
and the working tree's (gateway.explain.diff)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.cli import ExitCode
from gateway.explain.corpus import describe, generate, load_cases, sample_bodies
from gateway.explain.diff import compare, git_stacks, load_base_spec
from gateway.explain.engine import Model, language_runner
from gateway.spec.loader import available_stacks, load_spec
from gateway.stack.settings import read_stack_settings

TRAFFIC = Path("tests/traffic")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = commands.add_parser("diff", help="requests whose outcome changes between GITREF's spec and this one")
    parser.add_argument("--base", required=True, metavar="GITREF")
    parser.add_argument("--stack", help="stack name (default: every stack)")
    parser.add_argument("--limit", type=int, help="run only the first N generated requests")
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    root, ref, limit = args.root, args.base, args.limit
    stacks = [args.stack] if args.stack else sorted(set(available_stacks(root / "stacks")) | set(git_stacks(root, ref)))
    bodies = sample_bodies(root)
    cases = [(path, case) for path, f in load_cases(root / TRAFFIC) for case in f.cases]
    with language_runner(root) as (run_lua, problem):
        if problem:
            print(f"diff: {problem}", file=sys.stderr)
        for name in stacks:
            mode = read_stack_settings(root, name).mode
            base = load_base_spec(root, ref, name, mode)
            head = load_spec(root / "stacks", name, mode)
            if base is None:
                print(f"{name}: new stack (not in {ref})")
                continue
            requests = generate([base, head], bodies)[:limit]
            requests += [case.request.build(bodies) for _, case in cases]
            changed = 0
            last = None
            for change in compare(Model(base), Model(head), requests, run_lua):
                if change.request is not last:
                    changed += 1
                    last = change.request
                    print(f"{name}: {describe(change.request)}")
                print(f"    {change.field}: {change.before} -> {change.after}")
            print(f"{name}: {changed} of {len(requests)} requests change ({ref} -> working tree)")
    return ExitCode.OK
