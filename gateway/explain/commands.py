"""``python -m gateway explain | lint | diff``: argument parsing and output (wired in gateway/cli.py).

Exit codes: 0 done (explain/diff), lint 0 or 1 (a warning whose rule the stack marks as an error),
2 a wrong command line, request, spec or git revision (one line per problem on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.explain.lua_runner import LuaError, LuaRunner
from gateway.explain.request import RequestError, build_request

if TYPE_CHECKING:
    from gateway.explain.flow import LanguageRun
    from gateway.spec.models import GatewaySpec

# The spec models, the engine and the loader are imported inside each command: `validate` and `render`
# do not need the engine, and `explain` answering from its cached spec needs no loader (issue 12: explain
# < 300 ms per run).

COMMANDS = ("explain", "lint", "diff")
TRAFFIC = Path("tests/traffic")
EXIT_INVALID = 2


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ex = commands.add_parser("explain", help="what Kong would do with one request, from the spec alone")
    ex.add_argument("--stack", required=True)
    ex.add_argument("method")
    ex.add_argument("url", help="http(s)://host[:port]/path?query, or /path (host localhost, port 8000)")
    ex.add_argument("-H", "--header", action="append", default=[], help="'Name: value' (repeatable)")
    ex.add_argument("--data", help="request body: JSON text, or @file")
    who = ex.add_mutually_exclusive_group()
    who.add_argument("--credential", help="CONSUMER/CREDENTIAL of the spec, presented as its auth plugin reads it")
    who.add_argument("--anonymous", action="store_true", help="no credential (the default)")
    ex.add_argument("--json", action="store_true", help="the stable JSON shape of docs/EXPLAIN.md")
    li = commands.add_parser("lint", help="warn about what the spec does to traffic (docs/EXPLAIN.md)")
    li.add_argument("--stack", required=True)
    di = commands.add_parser("diff", help="requests whose outcome changes between GITREF's spec and this one")
    di.add_argument("--base", required=True, metavar="GITREF")
    di.add_argument("--stack", help="stack name (default: every stack)")
    di.add_argument("--limit", type=int, help="run only the first N generated requests")


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "explain":
            with _collector_paused():
                return _explain(args)
        if args.command == "lint":
            return _lint(args.root, args.stack)
        return _diff(args.root, args.base, args.stack, args.limit)
    except (RequestError, OSError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return EXIT_INVALID


@contextmanager
def language_runner(root: Path, *, start: bool = False) -> Iterator[tuple[LanguageRun, str | None]]:
    """The plugin under LuaJIT, or a stand-in that reports why there is no language decision. ``start``:
    start LuaJIT now rather than on the first decision (killed unused at the end)."""
    try:
        runner = LuaRunner(root / "lua")
    except LuaError as exc:
        from gateway.explain.engine import no_language

        yield no_language, str(exc)
        return
    with runner:
        if start:
            runner.start()
        yield (lambda call: runner.run([call])[0]), None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one request is explained: importing the models would run it ~60
    times over a growing heap (~10 ms of a ~0.2 s run), and one request leaves little garbage in cycles."""
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _explain(args: argparse.Namespace) -> int:
    body = None
    if args.data is not None:
        body = Path(args.data[1:]).read_bytes() if args.data.startswith("@") else args.data.encode()
        if not any(h.lower().startswith("content-type:") for h in args.header):
            args.header.append("Content-Type: application/json")
    request = build_request(args.method, args.url, args.header, body, args.credential)

    def load() -> GatewaySpec:  # only on a cache miss: the cached path builds no model, PlatformMode neither
        from gateway.spec.loader import load_spec
        from gateway.stackfile import read_platform_mode

        mode = read_platform_mode(args.root, args.stack).mode  # not the platform settings: see stackfile
        return load_spec(args.root / "stacks", args.stack, mode)

    # A request with a body, to a stack whose last cached spec has a language-router, starts LuaJIT first: it
    # loads the plugin on another core while Python imports the models below. Any other request starts it on
    # its first language decision: a request without a body rarely needs one, and one started ahead for
    # nothing costs a run that needs none ~0.1 s of CPU and, measured, ~40 ms of wall time on 2 cores.
    from gateway.explain.speccache import language_hint

    ahead = body is not None and language_hint(args.root, args.stack)
    with language_runner(args.root, start=ahead) as (run_lua, problem):
        from gateway.explain.engine import Model, explain
        from gateway.explain.speccache import cached
        from gateway.explain.text import render

        entry = cached(args.root, args.stack, load)
        outcome = explain(Model(entry.spec, entry.lua_confs), request, run_lua)
    if problem and outcome["language"] is not None:
        outcome["notes"].append(problem)
    sys.stdout.write(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n" if args.json else render(outcome))
    return 0


def _lint(root: Path, stack: str) -> int:
    from gateway.explain.engine import Model
    from gateway.explain.lint import RULES, lint, unknown_rules
    from gateway.settings import read_stack_settings
    from gateway.spec.loader import load_spec_located
    from gateway.spec.problems import format_loc

    mode = read_stack_settings(root, stack).mode
    spec, origins = load_spec_located(root / "stacks", stack, mode)
    model = Model(spec)
    bad = unknown_rules(model)
    if bad:
        for loc, message in bad:
            print(f"{origins.file_for(loc)}: {format_loc(loc)}: {message}", file=sys.stderr)
        return EXIT_INVALID
    with language_runner(root) as (run_lua, _):
        warnings = lint(model, run_lua)
    errors = set(spec.lint.errors)
    for warning in warnings:
        level = "error" if warning.rule in errors else "warning"
        print(f"{level}: {warning.line(origins)}")
    failing = sum(1 for w in warnings if w.rule in errors)
    print(f"{stack}: {len(warnings)} warnings, {failing} marked as errors ({len(RULES)} rules)", file=sys.stderr)
    return 1 if failing else 0


def _diff(root: Path, ref: str, stack: str | None, limit: int | None) -> int:
    from gateway.explain.diff import GitError

    try:
        return _diff_stacks(root, ref, stack, limit)
    except GitError as exc:
        print(f"diff: {exc}", file=sys.stderr)
        return EXIT_INVALID


def _diff_stacks(root: Path, ref: str, stack: str | None, limit: int | None) -> int:
    from gateway.explain.corpus import describe, generate, load_cases, sample_bodies
    from gateway.explain.diff import compare, git_stacks, load_base_spec
    from gateway.explain.engine import Model
    from gateway.settings import read_stack_settings
    from gateway.spec.loader import available_stacks, load_spec

    stacks = [stack] if stack else sorted(set(available_stacks(root / "stacks")) | set(git_stacks(root, ref)))
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
    return 0
