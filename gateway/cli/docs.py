"""``docs [--stack NAME] [--check]``: write (or check) the generated parts of docs/*.md (gateway.docs)."""

from __future__ import annotations

import argparse
import sys

from gateway.cli import ExitCode
from gateway.docs import MarkerError, expected_files
from gateway.spec.loader import load_spec
from gateway.stack.settings import read_stack_settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = commands.add_parser("docs", help="write the generated parts of docs/*.md (tables, topology)")
    parser.add_argument("--stack", default="dev", help="stack to document (default: dev)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the docs are out of date")
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    root, stack = args.root, args.stack
    spec = load_spec(root / "stacks", stack, read_stack_settings(root, stack).mode)
    try:
        files = expected_files(root, spec, stack)
    except MarkerError as exc:
        print(exc, file=sys.stderr)
        return ExitCode.INVALID
    stale = [path for path, text in files.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    for path in stale:
        if args.check:
            print(f"{path.relative_to(root)}: out of date; run `python -m gateway docs --stack {stack}`",
                  file=sys.stderr)
        else:
            path.write_text(files[path], encoding="utf-8")
            print(f"{stack}: wrote {path.relative_to(root)}", file=sys.stderr)
    return ExitCode.FINDINGS if args.check and stale else ExitCode.OK
