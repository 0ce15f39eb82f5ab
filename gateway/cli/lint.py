"""``lint --stack NAME``: warnings about what the spec does to traffic (gateway.explain.lint); exit 1 when a
warning's rule is one the stack marks as an error."""

from __future__ import annotations

import argparse
import sys

from gateway.cli import ExitCode
from gateway.explain.engine import Model, language_runner
from gateway.explain.lint import RULES, lint, unknown_rules
from gateway.spec.loader import load_spec_located
from gateway.spec.problems import format_loc
from gateway.stack.settings import read_stack_settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = commands.add_parser("lint", help="warn about what the spec does to traffic (docs/EXPLAIN.md)")
    parser.add_argument("--stack", required=True)
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    root, stack = args.root, args.stack
    spec, origins = load_spec_located(root / "stacks", stack, read_stack_settings(root, stack).mode)
    model = Model(spec)
    bad = unknown_rules(model)
    if bad:
        for loc, message in bad:
            print(f"{origins.file_for(loc)}: {format_loc(loc)}: {message}", file=sys.stderr)
        return ExitCode.INVALID
    with language_runner(root) as (run_lua, _):
        warnings = lint(model, run_lua)
    errors = set(spec.lint.errors)
    for warning in warnings:
        level = "error" if warning.rule in errors else "warning"
        print(f"{level}: {warning.line(origins)}")
    failing = sum(1 for w in warnings if w.rule in errors)
    print(f"{stack}: {len(warnings)} warnings, {failing} marked as errors ({len(RULES)} rules)", file=sys.stderr)
    return ExitCode.FINDINGS if failing else ExitCode.OK
