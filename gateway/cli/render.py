"""``render --stack NAME [-o FILE] [--with-secrets]``: Kong's declarative config (kong.yml) of a stack."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gateway.cli import ExitCode
from gateway.kong import vault
from gateway.kong.declarative import render, to_yaml
from gateway.spec.loader import load_spec
from gateway.spec.refs import deck_env_var, deck_placeholder
from gateway.stack.settings import read_stack_settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = commands.add_parser("render", help="write Kong's declarative config for a stack")
    parser.add_argument("--stack", required=True)
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    parser.add_argument(
        "--with-secrets", action="store_true",
        help="fill secrets from DECK_* environment variables instead of writing placeholders",
    )
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    root, stack, output = args.root, args.stack, args.output
    mode = read_stack_settings(root, stack).mode
    spec = load_spec(root / "stacks", stack, "dbless")
    resolve = deck_placeholder
    if args.with_secrets:
        needed = spec.secret_names() - vault.plugin_secret_names(spec)  # plugin secrets stay vault references
        missing = sorted(deck_env_var(n) for n in needed if deck_env_var(n) not in os.environ)
        if missing:
            for var in missing:
                print(f"render --with-secrets: environment variable {var} is not set", file=sys.stderr)
            return ExitCode.INVALID
        resolve = lambda name: os.environ[deck_env_var(name)]  # noqa: E731
    text = to_yaml(render(spec, stack, resolve))
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)  # `make render` writes into build/, absent on a clone
        output.write_text(text, encoding="utf-8")
        if args.with_secrets:
            output.chmod(0o600)
        print(f"{stack}: wrote {output} ({mode} stack rendered for DB-less Kong)", file=sys.stderr)
    return ExitCode.OK
