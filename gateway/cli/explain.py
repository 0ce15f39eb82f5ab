"""``explain --stack NAME METHOD URL ...`` or ``explain --stack NAME --requests FILE``: what Kong would do with
a request, from the spec alone (gateway.explain; docs/EXPLAIN.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from gateway.cli import ExitCode
from gateway.explain.corpus import CaseRequest, sample_bodies
from gateway.explain.engine import Model, explain, language_runner
from gateway.explain.request import Request, RequestError, build_request
from gateway.explain.text import render
from gateway.spec.loader import load_spec
from gateway.spec.problems import Problem, SpecError
from gateway.stack.settings import read_stack_settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
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
    return ex


def run(args: argparse.Namespace) -> ExitCode:
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
    return ExitCode.OK


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
