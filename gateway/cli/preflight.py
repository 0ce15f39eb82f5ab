"""``preflight --stack NAME [--docker-host URL] [--in-use PORT=CONTAINER]...``: what ``make up`` checks against
the Docker engine before ``pulumi up`` (gateway.platform.docker.preflight)."""

from __future__ import annotations

import argparse

from gateway.cli import ExitCode
from gateway.platform.docker.preflight import port_problems, remote_admin_problem
from gateway.spec.problems import SpecError
from gateway.stack.settings import read_stack_settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "preflight", help="checks of `make up` against the Docker engine (host ports, remote Docker)")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--docker-host", default="", help="the engine's endpoint (DOCKER_HOST)")
    parser.add_argument("--in-use", action="append", default=[], metavar="PORT=CONTAINER",
                        help="a host port another stack's container publishes (repeatable)")
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    settings = read_stack_settings(args.root, args.stack)
    held: dict[int, str] = {}
    for entry in args.in_use:
        port, _, container = entry.partition("=")
        if port.isdigit():
            held[int(port)] = container
    problems = port_problems(settings, args.stack, held)
    remote = remote_admin_problem(settings, args.stack, args.docker_host)
    if remote is not None:
        problems.append(remote)
    if problems:
        raise SpecError(problems)
    return ExitCode.OK
