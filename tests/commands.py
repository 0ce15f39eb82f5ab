"""Shell commands written in docs and workflows, checked against this repo: make targets that exist,
``python -m gateway`` command lines its parser accepts, stacks that exist, files that are there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from gateway.cli.main import build_parser
from gateway.spec import available_stacks

ROOT = Path(__file__).resolve().parent.parent


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for line in text.splitlines() if (m := re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line))}


def split_commands(script: str) -> list[list[str]]:
    """Simple commands of a script: lines joined at ``\\`` and inside open quotes, comments dropped, split
    at ``&&``, ``||``, ``;`` and ``|``; an unquoted ``$(...)`` is a command of its own; leading
    ``NAME=value`` assignments, ``sudo``, braces and function heads (``name() {``) removed."""
    out = []
    lines = script.replace("\\\n", " ").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        while True:
            try:
                words = shlex.split(line.replace("=$(", "= ; ").replace(" $(", " ; "), comments=True)
                break
            except ValueError:  # a quote spans lines
                if index >= len(lines):
                    raise
                line += "\n" + lines[index]
                index += 1
        current: list[str] = []
        for word in [*words, ";"]:
            if word in ("&&", "||", ";", "|"):
                while current and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", current[0]):
                    current = current[1:]
                if current and current[0] == "sudo":
                    current = current[1:]
                if current:
                    out.append(current)
                current = []
            elif word not in ("{", "}") and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\(\)", word):
                current.append(word)
    return out


def shell_functions(script: str) -> set[str]:
    """Names of the shell functions a script defines (``name() {``)."""
    return set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{", script, re.MULTILINE))


def make_problem(args: list[str]) -> str | None:
    unknown = [a for a in args if not a.startswith("-") and "=" not in a and a not in make_targets()]
    return f"make target(s) {unknown} not in the Makefile" if unknown else None


def gateway_problem(args: list[str]) -> str | None:
    """``args`` after ``python -m gateway``: accepted by the CLI's parser, with an existing stack."""
    try:
        parsed = build_parser().parse_args(args)
    except SystemExit as exc:
        return None if exc.code == 0 else f"python -m gateway {' '.join(args)}: refused by the command line parser"
    stack = getattr(parsed, "stack", None)
    if stack is not None and stack not in available_stacks(ROOT / "stacks"):
        return f"no stack {stack!r}"
    return None
