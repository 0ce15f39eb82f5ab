"""docs/KUBERNETES.md: its `python -m gateway` commands run as written; every setting it names exists and
every value it sets validates."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from pulumi_harness import ROOT

from gateway.cli.main import main
from gateway.platform.interface import platform_secret_names
from gateway.stack.settings import StackSettings

DOC = ROOT / "docs" / "KUBERNETES.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sh\n(.*?)```", TEXT, flags=re.S)
LINES = [line.strip() for block in BLOCKS for line in block.splitlines() if line.strip()]
SECRETS = platform_secret_names("db") | {"tlsPrivateKey"}


def test_the_doc_has_commands() -> None:
    assert any(line.startswith("python -m gateway") for line in LINES)
    assert any(line.startswith("pulumi config set") for line in LINES)


@pytest.mark.parametrize("line", [line for line in LINES if line.startswith("python -m gateway")])
def test_gateway_commands_run_as_written(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative outputs (build/...) land here
    assert main(shlex.split(line)[3:]) == 0


def test_every_named_setting_exists() -> None:
    named = set(re.findall(r"ai4v-gateway:([A-Za-z0-9]+)", TEXT)) | set(re.findall(r"`(k8s[A-Za-z]+)`", TEXT))
    known = set(StackSettings.aliases()) | SECRETS
    assert named and named <= known, named - known


@pytest.mark.parametrize("line", [line for line in LINES if line.startswith("pulumi config set ai4v-gateway:")])
def test_every_value_set_validates(line: str) -> None:
    _, _, _, key, value = shlex.split(line)
    StackSettings.model_validate({key.removeprefix("ai4v-gateway:"): value})
