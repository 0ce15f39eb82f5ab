#!/usr/bin/env python3
"""Refresh the output shown under each ``python -m gateway explain`` example in README.md.

Run after a spec change that alters those requests' fate: ``.venv/bin/python tools/readme_explain.py``.
tests/test_explain.py fails while the README shows output the command no longer prints.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

from gateway.cli.main import main

ROOT = Path(__file__).resolve().parent.parent

EXAMPLE = re.compile(r"(```sh\n(\.venv/bin/python -m gateway explain [^\n]*)\n```\n\n```text\n)(.*?)(```)", re.S)


def run(command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["--root", str(ROOT), *shlex.split(command)[3:]])
    return out.getvalue()


def refresh(text: str) -> str:
    return EXAMPLE.sub(lambda m: m.group(1) + run(m.group(2)) + m.group(4), text)


if __name__ == "__main__":
    readme = ROOT / "README.md"
    readme.write_text(refresh(readme.read_text(encoding="utf-8")), encoding="utf-8")
