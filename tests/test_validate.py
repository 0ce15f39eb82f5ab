"""Item 14: ``validate`` checks every stack as ``pulumi up`` would see it and reports every failing one;
``make render`` works on a fresh clone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, STACKS, edit_yaml

from gateway.cli.main import main


def test_shipped_stacks_report_what_the_operator_must_set(capsys: pytest.CaptureFixture[str]) -> None:
    """As shipped, staging and prod have no certificate (prod no Admin tunnel): the program would stop;
    validate says so for both stacks, not only the first, and still reports dev ok."""
    assert main(["validate"]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("dev: ok (db mode;")
    lines = err.splitlines()
    assert sorted(line.split(": ")[0] for line in lines) == ["Pulumi.prod.yaml", "Pulumi.prod.yaml",
                                                              "Pulumi.staging.yaml"]
    assert any(line.startswith("Pulumi.staging.yaml: config.ai4v-gateway:tlsCertificate: no TLS certificate")
               for line in lines)
    assert any(line.startswith("Pulumi.prod.yaml: config.ai4v-gateway:kongAdminUrl: ") for line in lines)


def test_spec_only_skips_what_the_operator_supplies(capsys: pytest.CaptureFixture[str]) -> None:
    """The push workflow checks the committed stacks before they are configured for a first deploy."""
    assert main(["validate", "--spec-only"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == list(STACKS)


def test_spec_only_still_refuses_a_broken_spec(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "stacks" / "staging.yaml", lambda d: d.update({"services": {"asr": {"port": "x"}}}))
    edit_yaml(project / "Pulumi.dev.yaml", lambda d: d["config"].update({"ai4v-gateway:kongNodes": 0}))
    assert main(["--root", str(project), "validate", "--spec-only"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if ": warning: " not in line]
    assert [line.split(": ")[0] for line in err] == ["Pulumi.dev.yaml", "stacks/staging.yaml"]


def test_every_failing_stack_is_reported(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "Pulumi.dev.yaml", lambda d: d["config"].update({"ai4v-gateway:kongNodes": 0}))
    edit_yaml(project / "Pulumi.prod.yaml", lambda d: d["config"].update({"ai4v-gateway:kongNode": 3}))
    edit_yaml(project / "stacks" / "staging.yaml", lambda d: d.update({"services": {"asr": {"port": "x"}}}))
    assert main(["--root", str(project), "validate"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[0] for line in err] == ["Pulumi.dev.yaml", "Pulumi.prod.yaml", "stacks/staging.yaml"]
    assert err[1] == ("Pulumi.prod.yaml: config.ai4v-gateway:kongNode: unknown key; "
                      "did you mean ai4v-gateway:kongNodes?")


def test_staging_without_tls_fails_validate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "Pulumi.staging.yaml", lambda d: d["config"].pop("ai4v-gateway:tlsCertificate"))
    assert main(["--root", str(project), "validate", "--stack", "staging"]) == 2
    assert capsys.readouterr().err.strip() == (
        "Pulumi.staging.yaml: config.ai4v-gateway:tlsCertificate: ai4v-gateway:tlsPrivateKey is set but "
        "ai4v-gateway:tlsCertificate is not")


def test_self_signed_staging_validates(project: Path) -> None:
    edit_yaml(project / "Pulumi.staging.yaml", lambda d: d["config"].update({"ai4v-gateway:tlsSelfSigned": True}))
    for key in ("ai4v-gateway:tlsCertificate", "ai4v-gateway:tlsPrivateKey"):
        edit_yaml(project / "Pulumi.staging.yaml", lambda d, k=key: d["config"].pop(k))  # type: ignore[misc]
    assert main(["--root", str(project), "validate", "--stack", "staging"]) == 0


def test_make_render_on_a_fresh_clone(tmp_path: Path) -> None:
    """`make render` writes build/kong.dev.yml; build/ is git-ignored, so a clone does not have it."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".git", "build", ".venv", "__pycache__", ".*cache"))
    (clone / ".venv").symlink_to(ROOT / ".venv")
    done = subprocess.run(["make", "-s", "-o", str(ROOT / ".venv" / ".deps-installed"), "render", "STACK=dev",
                           f"DEPS={ROOT / '.venv' / '.deps-installed'}"],
                          cwd=clone, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    document = yaml.safe_load((clone / "build" / "kong.dev.yml").read_text(encoding="utf-8"))
    assert document["_format_version"] == "3.0"
