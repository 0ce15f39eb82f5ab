"""docs/CLI.md, the one reference of ``python -m gateway``, against the parser it documents
(gateway/cli/main.py ``build_parser``) and the exit codes it promises (gateway/cli/__init__.py ``ExitCode``)."""

from __future__ import annotations

import argparse
import os
import re
import shlex
from pathlib import Path

import pytest
from pulumi_harness import ROOT

from gateway.cli import ExitCode
from gateway.cli.main import build_parser, main

DOC = ROOT / "docs" / "CLI.md"
COMMAND_LINE = re.compile(r"^\.venv/bin/python -m gateway (?P<args>.+?)\s+# exit (?P<code>\d)\b", re.MULTILINE)


def page() -> str:
    return DOC.read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """The text under each ``## `command` `` heading, by command."""
    parts = re.split(r"^## `([a-z-]+)`\n", page(), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def documented_options(section: str) -> set[str]:
    """The option strings in the first cell of each row of a section's options table."""
    cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {m for cell in cells for m in re.findall(r"`(-{1,2}[A-Za-z][\w-]*)", cell)}


def test_every_cli_command_is_documented_and_none_invented() -> None:
    """Issue 24 item 5: every subcommand of the parser (``preflight`` and ``mode-check`` included) has its
    section and its row in the commands table of docs/CLI.md, and the page has no command the parser lacks."""
    assert DOC.is_file(), "docs/CLI.md: the command reference is missing"
    assert set(sections()) == set(commands())
    listed = set(re.findall(r"^\| \[`([a-z-]+)`\]\(#\1\)", page(), re.MULTILINE))
    assert listed == set(commands())


def test_every_option_of_every_cli_command_is_documented() -> None:
    """Issue 24 item 5: each command's options table names exactly the parser's options (its positionals by
    their metavar in capitals), and the global ``--root`` is described."""
    assert DOC.is_file(), "docs/CLI.md: the command reference is missing"
    text = sections()
    for name, parser in commands().items():
        options = {o for a in parser._actions for o in a.option_strings if o not in ("-h", "--help")}
        assert documented_options(text[name]) == options, name
        for action in parser._actions:
            if not action.option_strings:
                assert f"`{action.dest.upper()}`" in text[name], f"{name}: positional {action.dest}"
    assert "`--root DIR`" in page()


def test_cli_exit_codes_documented_are_the_enum() -> None:
    """Issue 24 item 5: the exit-code table lists every ``ExitCode`` with its number and name, nothing else."""
    assert DOC.is_file(), "docs/CLI.md: the command reference is missing"
    table = page().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| (\d+) \| `([A-Z_]+)` \|", table, re.MULTILINE))
    assert rows == {(str(code.value), code.name) for code in ExitCode}


def test_every_cli_example_exits_as_documented(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24 item 5: every ``python -m gateway`` line on the page says its exit code (``# exit N``) and
    exits with it; every command has at least one example. Files it writes go to a scratch directory."""
    assert DOC.is_file(), "docs/CLI.md: the command reference is missing"
    blocks = "".join(re.findall(r"```sh\n(.*?)```", page(), re.DOTALL))
    examples = COMMAND_LINE.findall(blocks)
    assert len(examples) == blocks.count("python -m gateway "), "an example without '# exit N'"
    assert {shlex.split(args)[0] for args, _ in examples} == set(commands())
    for var in [v for v in os.environ if v.startswith("DECK_")]:
        monkeypatch.delenv(var)
    for args, code in examples:
        words = shlex.split(args)
        if "-o" in words:
            words[words.index("-o") + 1] = str(tmp_path / "kong.yml")
        assert main(words) == int(code), args
