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

from pydantic import ValidationError

from gateway.explain.corpus import CaseRequest, describe, generate, load_cases, sample_bodies
from gateway.explain.diff import GitError, compare, git_stacks, load_base_spec
from gateway.explain.engine import Model, explain, no_language
from gateway.explain.flow import LanguageRun
from gateway.explain.lint import RULES, lint, unknown_rules
from gateway.explain.lua_runner import LuaError, LuaRunner
from gateway.explain.request import Request, RequestError, build_request
from gateway.explain.text import render
from gateway.settings import read_stack_settings
from gateway.spec.loader import available_stacks, load_spec, load_spec_located
from gateway.spec.problems import Problem, SpecError, format_loc

COMMANDS = ("explain", "lint", "diff")
TRAFFIC = Path("tests/traffic")
EXIT_INVALID = 2


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ex = commands.add_parser("explain", help="what Kong would do with a request, from the spec alone")
    ex.add_argument("--stack", required=True)
    ex.add_argument("method", nargs="?")
    ex.add_argument("url", nargs="?",
                    help="http(s)://host[:port]/path?query, or /path (host localhost, port 8000)")
    ex.add_argument("-H", "--header", action="append", default=[], help="'Name: value' (repeatable)")
    ex.add_argument("--data", help="request body: JSON text, or @file")
    who = ex.add_mutually_exclusive_group()
    who.add_argument("--credential", help="CONSUMER/CREDENTIAL of the spec, presented as its auth plugin reads it")
    who.add_argument("--anonymous", action="store_true", help="no credential (the default)")
    ex.add_argument("--json", action="store_true", help="the stable JSON shape of docs/EXPLAIN.md")
    ex.add_argument("--requests", type=Path, metavar="FILE",
                    help="many requests in one run: JSON Lines, one request per line ('-': stdin; docs/EXPLAIN.md)")
    li = commands.add_parser("lint", help="warn about what the spec does to traffic (docs/EXPLAIN.md)")
    li.add_argument("--stack", required=True)
    di = commands.add_parser("diff", help="requests whose outcome changes between GITREF's spec and this one")
    di.add_argument("--base", required=True, metavar="GITREF")
    di.add_argument("--stack", help="stack name (default: every stack)")
    di.add_argument("--limit", type=int, help="run only the first N generated requests")


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "explain":
            return _explain(args)
        if args.command == "lint":
            return _lint(args.root, args.stack)
        return _diff(args.root, args.base, args.stack, args.limit)
    except (RequestError, OSError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return EXIT_INVALID


@contextmanager
def language_runner(root: Path) -> Iterator[tuple[LanguageRun, str | None]]:
    """The plugin under LuaJIT, or a stand-in that reports why there is no language decision."""
    try:
        runner = LuaRunner(root / "lua")
    except LuaError as exc:
        yield no_language, str(exc)
        return
    with runner:
        yield (lambda call: runner.run([call])[0]), None


def _explain(args: argparse.Namespace) -> int:
    if args.requests is not None:
        if args.method or args.url or args.header or args.data or args.credential:
            raise RequestError("--requests FILE: the requests come from the file; give no METHOD, URL, -H, --data "
                               "or --credential")
        requests = read_requests(args.requests, sample_bodies(args.root))
    elif args.method is None or args.url is None:
        raise RequestError("give METHOD and URL, or --requests FILE")
    else:
        requests = [_command_line_request(args)]
    spec = load_spec(args.root / "stacks", args.stack, read_stack_settings(args.root, args.stack).mode)
    model = Model(spec)
    with language_runner(args.root) as (run_lua, problem):
        for number, request in enumerate(requests):
            outcome = explain(model, request, run_lua)
            if problem and outcome["language"] is not None:
                outcome["notes"].append(problem)
            if args.json:
                indent = None if args.requests is not None else 2  # JSON Lines for many requests
                sys.stdout.write(json.dumps(outcome, indent=indent, ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(("\n" if number else "") + render(outcome))
    return 0


def _command_line_request(args: argparse.Namespace) -> Request:
    body = None
    if args.data is not None:
        body = Path(args.data[1:]).read_bytes() if args.data.startswith("@") else args.data.encode()
        if not any(h.lower().startswith("content-type:") for h in args.header):
            args.header.append("Content-Type: application/json")
    return build_request(args.method, args.url, args.header, body, args.credential)


def read_requests(path: Path, bodies: dict[str, bytes]) -> list[Request]:
    """The requests of a ``--requests`` file: one JSON object per line with the fields of a traffic case's
    ``request`` (``method``, ``url``, ``headers``, ``body``, ``credential``); blank lines and ``#`` lines are
    skipped. Every wrong line is reported (``FILE:LINE: field: ...``, exit 2) before anything is explained."""
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    requests: list[Request] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            fields = CaseRequest.model_validate_json(line)
            if isinstance(fields.body, str) and fields.body.startswith("@") and fields.body[1:] not in bodies:
                raise RequestError(f"body '{fields.body}': no such ULCA sample; samples: {', '.join(sorted(bodies))}")
            requests.append(fields.build(bodies))
        except ValidationError as exc:
            problems += [Problem(f"{path}:{number}", tuple(e["loc"]) or ("request",), e["msg"]) for e in exc.errors()]
        except RequestError as exc:
            problems.append(Problem(f"{path}:{number}", ("request",), str(exc)))
    if problems:
        raise SpecError(problems)
    return requests


def _lint(root: Path, stack: str) -> int:
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
    try:
        return _diff_stacks(root, ref, stack, limit)
    except GitError as exc:
        print(f"diff: {exc}", file=sys.stderr)
        return EXIT_INVALID


def _diff_stacks(root: Path, ref: str, stack: str | None, limit: int | None) -> int:
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
