"""``python -m gateway validate|render|explain|lint|diff|docs``: the spec checks, kong.yml, the offline
request model and the API docs, without Pulumi or Docker (``preflight`` and ``mode-check``: the checks the
scripts run before `pulumi up`).

Exit codes: 0 ok, 1 `docs --check` found out-of-date docs, 2 the spec or the command line is wrong (one line
per problem on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway import preflight, stackconfig, vault
from gateway.declarative import render, to_yaml
from gateway.docs import MarkerError, expected_files
from gateway.explain import commands as explain_commands
from gateway.platform import naming
from gateway.refs import deck_env_var, deck_placeholder
from gateway.settings import StackSettings, read_stack_config, read_stack_settings, settings_from_values
from gateway.spec.loader import available_stacks, load_spec
from gateway.spec.problems import Problem, SpecError

ROOT = Path(__file__).resolve().parent.parent
EXIT_INVALID = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory (holds stacks/ and Pulumi.*.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check the spec of one stack, or of every stack")
    validate.add_argument("--stack", help="stack name (default: every stack in stacks/)")
    validate.add_argument(
        "--spec-only", action="store_true",
        help="skip what an operator supplies before the first deploy (proxy certificate, Admin API tunnel), "
             "for checks of a repository whose stacks are not configured yet",
    )
    render_cmd = commands.add_parser("render", help="write Kong's declarative config for a stack")
    render_cmd.add_argument("--stack", required=True)
    render_cmd.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    render_cmd.add_argument(
        "--with-secrets", action="store_true",
        help="fill secrets from DECK_* environment variables instead of writing placeholders",
    )
    preflight_cmd = commands.add_parser(
        "preflight", help="checks of `make up` against the Docker engine (host ports, remote Docker)")
    preflight_cmd.add_argument("--stack", required=True)
    preflight_cmd.add_argument("--docker-host", default="", help="the engine's endpoint (DOCKER_HOST)")
    preflight_cmd.add_argument("--in-use", action="append", default=[], metavar="PORT=CONTAINER",
                               help="a host port another stack's container publishes (repeatable)")
    mode_cmd = commands.add_parser(
        "mode-check", help="refuse a db <-> dbless switch in one `pulumi up` (scripts/pulumi-env.sh runs it)")
    mode_cmd.add_argument("--stack", required=True)
    mode_cmd.add_argument("--deployed", required=True, help="the stack output `mode` of the last deployment")
    mode_cmd.add_argument("--kong-entities", action="store_true",
                          help="the stack's state still holds ai4v:gateway:KongEntities")
    explain_commands.add_parsers(commands)
    docs_cmd = commands.add_parser("docs", help="write the generated parts of docs/*.md (tables, topology)")
    docs_cmd.add_argument("--stack", default="dev", help="stack to document (default: dev)")
    docs_cmd.add_argument("--check", action="store_true", help="write nothing; exit 1 if the docs are out of date")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in explain_commands.COMMANDS:
            return explain_commands.run(args)
        if args.command == "validate":
            return _validate(args.root, args.stack, deployable=not args.spec_only)
        if args.command == "preflight":
            return _preflight(args.root, args.stack, args.docker_host, args.in_use)
        if args.command == "mode-check":
            return _mode_check(args.root, args.stack, args.deployed, args.kong_entities)
        if args.command == "docs":
            return _docs(args.root, args.stack, args.check)
        return _render(args.root, args.stack, args.output, args.with_secrets)
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID


def _validate(root: Path, stack: str | None, *, deployable: bool = True) -> int:
    """Every stack (or one): spec, stack config, and what would stop ``pulumi up``; all failures reported."""
    failed = False
    for name in [stack] if stack else available_stacks(root / "stacks"):
        try:
            print(_validate_stack(root, name, deployable=deployable))
        except SpecError as exc:
            failed = True
            for problem in exc.problems:
                print(problem, file=sys.stderr)
    return EXIT_INVALID if failed else 0


def _validate_stack(root: Path, name: str, *, deployable: bool = True) -> str:
    """The stack's one-line summary; raises SpecError with every problem of the stack."""
    file = stackconfig.stack_file(name)
    config = read_stack_config(root, name)
    problems: list[Problem] = []
    settings: StackSettings | None = None
    try:
        settings = settings_from_values({k: v for k, v in config.items() if not isinstance(v, dict)}, file)
    except SpecError as exc:
        problems += exc.problems
    mode = settings.mode if settings else "db"
    warned: list[Problem] = []
    try:
        spec = load_spec(root / "stacks", name, mode, warned)
    except SpecError as exc:
        raise SpecError([*problems, *exc.problems]) from None
    problems += stackconfig.unknown_key_problems(config, stackconfig.known_keys(spec.secret_names()), file)
    if settings is not None and deployable:
        problems += stackconfig.deploy_problems(settings, has_tls_key=naming.TLS_PRIVATE_KEY in config, stack=name)
    if problems:
        raise SpecError(problems)
    for warning in warned:  # printed, not counted: the exit code stays 0
        print(warning, file=sys.stderr)
    routes = sum(1 for _ in spec.routes())
    plugins = sum(1 for _ in spec.plugin_instances())
    return (f"{name}: ok ({mode} mode; {len(spec.services)} services, {routes} routes, "
            f"{len(spec.upstreams)} upstreams, {len(spec.consumers)} consumers, {plugins} plugins)")


def _preflight(root: Path, stack: str, docker_host: str, in_use: list[str]) -> int:
    settings = read_stack_settings(root, stack)
    held: dict[int, str] = {}
    for entry in in_use:
        port, _, container = entry.partition("=")
        if port.isdigit():
            held[int(port)] = container
    problems = preflight.port_problems(settings, stack, held)
    remote = preflight.remote_admin_problem(settings, stack, docker_host)
    if remote is not None:
        problems.append(remote)
    if problems:
        raise SpecError(problems)
    return 0


def _mode_check(root: Path, stack: str, deployed: str, kong_entities: bool) -> int:
    problem = stackconfig.mode_switch_problem(read_stack_settings(root, stack), deployed=deployed,
                                              kong_entities=kong_entities, stack=stack)
    if problem is not None:
        raise SpecError([problem])
    return 0


def _docs(root: Path, stack: str, check: bool) -> int:
    spec = load_spec(root / "stacks", stack, read_stack_settings(root, stack).mode)
    try:
        files = expected_files(root, spec, stack)
    except MarkerError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    stale = [path for path, text in files.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    for path in stale:
        if check:
            print(f"{path.relative_to(root)}: out of date; run `python -m gateway docs --stack {stack}`",
                  file=sys.stderr)
        else:
            path.write_text(files[path], encoding="utf-8")
            print(f"{stack}: wrote {path.relative_to(root)}", file=sys.stderr)
    return 1 if check and stale else 0


def _render(root: Path, stack: str, output: Path | None, with_secrets: bool) -> int:
    mode = read_stack_settings(root, stack).mode
    spec = load_spec(root / "stacks", stack, "dbless")
    resolve = deck_placeholder
    if with_secrets:
        needed = spec.secret_names() - vault.plugin_secret_names(spec)  # plugin secrets stay vault references
        missing = sorted(deck_env_var(n) for n in needed if deck_env_var(n) not in os.environ)
        if missing:
            for var in missing:
                print(f"render --with-secrets: environment variable {var} is not set", file=sys.stderr)
            return EXIT_INVALID
        resolve = lambda name: os.environ[deck_env_var(name)]  # noqa: E731
    text = to_yaml(render(spec, stack, resolve))
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)  # `make render` writes into build/, absent on a clone
        output.write_text(text, encoding="utf-8")
        if with_secrets:
            output.chmod(0o600)
        print(f"{stack}: wrote {output} ({mode} stack rendered for DB-less Kong)", file=sys.stderr)
    return 0
