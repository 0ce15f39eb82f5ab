"""The written-down traffic cases (tests/traffic/*.yaml) against the current specs, and ``diff``."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.cli.main import main
from gateway.explain.corpus import Case, Expect, check, generate, load_cases, sample_bodies
from gateway.explain.engine import Model, explain, no_language
from gateway.explain.lua_runner import LuaRunner
from gateway.explain.request import build_request
from gateway.explain.router import sample_path
from gateway.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
FILES = load_cases(ROOT / "tests" / "traffic")
CASES = [(f.stack, case) for _, f in FILES for case in f.cases]


@pytest.fixture(scope="module")
def lua() -> Iterator[Any]:
    with LuaRunner(ROOT / "lua") as runner:
        yield lambda call: runner.run([call])[0]


@pytest.fixture(scope="module")
def models() -> dict[str, Model]:
    return {stack: Model(load_spec(ROOT / "stacks", stack)) for stack in {f.stack for _, f in FILES}}


def test_there_are_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(("stack", "case"), CASES, ids=[c.name for _, c in CASES])
def test_traffic_case(stack: str, case: Case, models: dict[str, Model], lua: Any) -> None:
    outcome = explain(models[stack], case.request.build(sample_bodies(ROOT)), lua)
    assert check(case.expect, outcome) == []


def test_a_wrong_expectation_is_reported(models: dict[str, Model]) -> None:
    outcome = explain(models["dev"], build_request("GET", "/api/v1/auth"), no_language)
    wrong = check(Expect(route="auth/auth", status=401, headers={"X-Gateway": "nope"}, absent_headers=["X-Gateway"]),
                  outcome)
    assert wrong == ["route: expected 'auth/auth', got 'auth/auth-v1'", "status: expected 401, got 0",
                     "header X-Gateway: expected 'nope', got 'ai4v-gateway'",
                     "header X-Gateway: expected absent, got 'ai4v-gateway'"]


def test_generated_corpus_covers_paths_versions_bodies_and_credentials(models: dict[str, Model]) -> None:
    spec = models["dev"].spec
    corpus = generate([spec], sample_bodies(ROOT))
    assert len(corpus) >= 1000
    samples = {sample_path(p) for _, _, r in spec.routes() for p in r.paths or ()}
    assert {r.path for r in corpus} == samples - {None}
    assert {"/api/asr", "/api/v2/asr", "/api/asr/"} <= samples  # regex paths by their sample
    assert {r.credential.consumer for r in corpus if r.credential} == {
        name for name, c in spec.consumers.items() if c.keyauth_credentials or c.jwt_secrets}
    assert any(("X-API-Version", "v2") in r.headers for r in corpus)
    assert {len(r.body) for r in corpus if r.body} == {len(b) for b in sample_bodies(ROOT).values()}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the project's stacks, committed once."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copytree(ROOT / "tests" / "traffic", tmp_path / "tests" / "traffic")
    shutil.copytree(ROOT / "lua", tmp_path / "lua")
    for args in (["init", "-q"], ["add", "stacks"],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True)
    return tmp_path


def test_diff_lists_requests_whose_outcome_changes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = repo / "stacks" / "base.yaml"
    doc = yaml.safe_load(base.read_text(encoding="utf-8"))
    doc["services"]["asr"]["routes"]["asr-v2-by-header"]["headers"] = {"X-API-Version": ["v3"]}
    base.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    assert main(["--root", str(repo), "diff", "--base", "HEAD", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "dev: POST | /api/asr | X-API-Version: v2 | body" in out
    assert "    route: asr/asr-v2-by-header -> asr/asr" in out
    assert "    path: /api/v2/asr -> /api/v1/asr" in out
    assert "/api/v1/nmt" not in out
    assert out.rstrip().splitlines()[-1].startswith("dev: ") and "requests change (HEAD -> working tree)" in out


def test_diff_without_changes_and_bad_ref(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo), "diff", "--base", "HEAD", "--stack", "dev", "--limit", "50"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"dev: 0 of {50 + len(CASES)} requests change")
    assert main(["--root", str(repo), "diff", "--base", "no-such-ref"]) == 2
    assert "diff: git ls-tree no-such-ref:stacks:" in capsys.readouterr().err
