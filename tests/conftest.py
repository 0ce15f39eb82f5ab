"""Shared fixtures: a scratch copy of the project's stacks to break on purpose."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.spec import available_stacks

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests' own helpers (pulumi_harness, kongcheck)

STACKS = tuple(available_stacks(ROOT / "stacks"))
"""Every stack of stacks/ (discovered: a new overlay is tested like the others)."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of stacks/ and Pulumi.<stack>.yaml files in a temporary project root."""
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    for path in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


Edit = Callable[[dict[str, Any]], None]


def edit_yaml(path: Path, change: Edit) -> None:
    """Load a stack file (anchors expanded), apply ``change`` and write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
