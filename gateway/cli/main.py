"""``python -m gateway validate|render|preflight|mode-check|explain|lint|diff|docs``: the spec checks, kong.yml,
the checks the scripts run before ``pulumi up``, the offline request model and the API docs, without Pulumi or
Docker. Exit codes: ``gateway.cli.ExitCode``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.cli import ExitCode, diff, docs, explain, lint, mode_check, preflight, render, validate
from gateway.explain.diff import GitError
from gateway.explain.request import RequestError
from gateway.spec.problems import SpecError

ROOT = Path(__file__).resolve().parent.parent.parent
COMMANDS = (validate, render, preflight, mode_check, explain, lint, diff, docs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory (holds stacks/ and Pulumi.*.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands).set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
    except (RequestError, GitError, OSError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
    return ExitCode.INVALID
