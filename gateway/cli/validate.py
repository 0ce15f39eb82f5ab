"""``validate [--stack NAME] [--spec-only]``: every stack (or one), its spec and stack config, and what would
stop ``pulumi up``; all failures reported, one line per problem."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from gateway.cli import ExitCode
from gateway.spec.loader import available_stacks, load_spec
from gateway.spec.problems import Problem, SpecError
from gateway.stack.checks import check_stack
from gateway.stack.settings import read_stack_config


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = commands.add_parser("validate", help="check the spec of one stack, or of every stack")
    parser.add_argument("--stack", help="stack name (default: every stack in stacks/)")
    parser.add_argument(
        "--spec-only", action="store_true",
        help="skip what an operator supplies before the first deploy (proxy certificate, Admin API tunnel), "
             "for checks of a repository whose stacks are not configured yet",
    )
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    failed = False
    for name in [args.stack] if args.stack else available_stacks(args.root / "stacks"):
        warned: list[Problem] = []
        try:
            settings, spec = check_stack(name, read_stack_config(args.root, name),
                                         partial(load_spec, args.root / "stacks", name, warned=warned),
                                         deployable=not args.spec_only)
        except SpecError as exc:
            failed = True
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        for warning in warned:  # printed, not counted: the exit code stays 0
            print(warning, file=sys.stderr)
        routes = sum(1 for _ in spec.routes())
        plugins = sum(1 for _ in spec.plugin_instances())
        print(f"{name}: ok ({settings.mode} mode; {len(spec.services)} services, {routes} routes, "
              f"{len(spec.upstreams)} upstreams, {len(spec.consumers)} consumers, {plugins} plugins)")
    return ExitCode.INVALID if failed else ExitCode.OK
