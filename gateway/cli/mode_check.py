"""``mode-check --stack NAME --deployed MODE [--kong-entities]``: refuse a db <-> dbless switch in one
``pulumi up`` (scripts/pulumi-env.sh runs it; gateway.stack.checks.mode_switch_problem)."""

from __future__ import annotations

import argparse

from gateway.cli import ExitCode
from gateway.spec.problems import SpecError
from gateway.stack.checks import mode_switch_problem
from gateway.stack.settings import read_stack_settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "mode-check", help="refuse a db <-> dbless switch in one `pulumi up` (scripts/pulumi-env.sh runs it)")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--deployed", required=True, help="the stack output `mode` of the last deployment")
    parser.add_argument("--kong-entities", action="store_true",
                        help="the stack's state still holds ai4v:gateway:KongEntities")
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    problem = mode_switch_problem(read_stack_settings(args.root, args.stack), deployed=args.deployed,
                                  kong_entities=args.kong_entities, stack=args.stack)
    if problem is not None:
        raise SpecError([problem])
    return ExitCode.OK
