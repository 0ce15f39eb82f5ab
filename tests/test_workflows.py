"""The GitHub workflows: they parse, run only commands this repo has, keep secrets out of the file, and
the pull-request one previews every stack with the policy pack."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from commands import gateway_problem, make_problem, split_commands
from pulumi_harness import ROOT

from gateway.spec import available_stacks

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
SHELL_WORDS = {"if", "then", "else", "elif", "fi", "for", "do", "done", "echo", "test", "[", "exit", "true",
               "false", "cd", "export"}
SECRET_REF = re.compile(r"^\$\{\{\s*secrets\.[A-Z0-9_]+\s*\}\}$")
SECRET_NAME = re.compile(r"password|passphrase|secret|token|api_?key|credentials?|access_key", re.IGNORECASE)
SECRET_SHAPES = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bpul-[0-9a-f]{40}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b|"
                           r"\bAKIA[0-9A-Z]{16}\b|://[^/\s:@]+:[^/\s@$]+@")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def command_problem(words: list[str]) -> str | None:
    """Why ``words`` is not a command of this repo, or None."""
    program, args = words[0], words[1:]
    if program in SHELL_WORDS:
        return None
    if program == "make":
        return make_problem(args)
    if program == "bash" and args:
        program, args = args[0], args[1:]
    if program.endswith("python") and args[:2] == ["-m", "gateway"]:
        return gateway_problem(args[2:])
    if "/" in program:
        return None if (ROOT / program).exists() or program.startswith(".venv/") else f"{program} is not in the repo"
    return f"{program} is neither a make target nor a file of the repo"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_runs_only_repo_commands(path: Path) -> None:
    workflow = load(path)
    assert workflow["on"] and workflow["jobs"], path.name
    for step in steps(workflow):
        assert ("run" in step) != ("uses" in step), step
        script = re.sub(r"\$\{\{\s*matrix\.stack\s*\}\}", "dev", step.get("run", ""))
        for words in split_commands(re.sub(r"\$\{\{[^}]*\}\}", "EXPR", script)):
            problem = command_problem(words)
            assert problem is None, f"{path.name}: {' '.join(words)}: {problem}"


def clear_secrets(workflow: dict[str, Any]) -> list[str]:
    """Keys that name a secret (or are PULUMI_* settings) whose value is not a ``${{ secrets.X }}`` reference."""
    found: list[str] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif (SECRET_NAME.search(key) or key in ("PULUMI_BACKEND_URL", "cloud-url")) and not SECRET_REF.match(str(value)):
            found.append(key)
    walk(workflow, "")
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_has_no_clear_secret(path: Path) -> None:
    assert not SECRET_SHAPES.search(path.read_text(encoding="utf-8")), path.name
    assert clear_secrets(load(path)) == [], path.name


def test_clear_secret_check_refuses_clear_values() -> None:
    bad = {"jobs": {"a": {"env": {"PULUMI_CONFIG_PASSPHRASE": "hunter2", "PULUMI_BACKEND_URL": "s3://b"},
                          "steps": [{"uses": "x", "with": {"github-token": "ghp_x"}}]}}}
    assert clear_secrets(bad) == ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL", "github-token"]
    assert SECRET_SHAPES.search("PULUMI_ACCESS_TOKEN: pul-" + "0" * 40)


def test_checker_refuses_what_it_should() -> None:
    assert command_problem(["make", "no-such-target"]) is not None
    assert command_problem(["bash", "scripts/missing.sh"]) is not None
    assert command_problem([".venv/bin/python", "-m", "gateway", "no-such-command"]) is not None
    assert command_problem(["curl", "https://example.org"]) is not None
    assert command_problem(split_commands("sudo make lua-deps")[0]) is None
    assert command_problem([".venv/bin/python", "-m", "gateway", "validate", "--stack", "nope"]) is not None
    assert split_commands("make deps && X=1 bash scripts/x.sh --a \\\n  b  # note\n") == [
        ["make", "deps"], ["bash", "scripts/x.sh", "--a", "b"]]


def test_push_runs_the_tests_and_validate() -> None:
    [workflow] = [w for w in map(load, WORKFLOWS) if "push" in w["on"]]
    runs = [step.get("run", "") for step in steps(workflow)]
    assert "make test" in runs
    assert any(re.fullmatch(r"\S*python -m gateway validate --spec-only(\s+#.*)?", run) for run in runs)


def test_pull_request_previews_every_stack_with_the_policy_pack() -> None:
    [workflow] = [w for w in map(load, WORKFLOWS) if "pull_request" in w["on"]]
    job = workflow["jobs"]["preview"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == available_stacks(ROOT / "stacks")
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert job["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    names = [s.get("run", s.get("uses", "")) for s in job["steps"]]
    [pulumi] = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["policyPacks"] == "policy" and (ROOT / "policy" / "PulumiPolicy.yaml").is_file()
    assert pulumi["with"]["comment-on-pr"] is True
    deps = names.index("make deps policy-deps")
    assert deps < names.index(pulumi["uses"]), "Python dependencies first"
    gate = job["steps"][0 if "run" in job["steps"][0] else 1]
    assert "ci-require-secrets.sh PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE" in gate["run"]
    assert all(s.get("if") == "steps.secrets.outputs.ready == 'true'" for s in job["steps"][names.index(gate["run"]) + 1:])
    diff = workflow["jobs"]["spec-diff"]
    assert any("ci-spec-diff.sh" in s.get("run", "") for s in diff["steps"])
    assert any(s.get("uses", "").startswith("actions/github-script@") for s in diff["steps"])


def run_script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    return subprocess.run(["bash", str(ROOT / "scripts" / name), *args], capture_output=True, text=True,
                          env={**base, **env}, check=True, cwd=ROOT)


def test_missing_secrets_skip_with_their_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_script("ci-require-secrets.sh", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE",
                        env={"GITHUB_OUTPUT": str(out), "PULUMI_BACKEND_URL": "s3://bucket"})
    assert out.read_text() == "ready=false\n"
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stdout and "PULUMI_BACKEND_URL" not in result.stdout.split("secret(s)")[1].split("(")[0]
    out.unlink()
    run_script("ci-require-secrets.sh", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE",
               env={"GITHUB_OUTPUT": str(out), "PULUMI_BACKEND_URL": "s3://b", "PULUMI_CONFIG_PASSPHRASE": "p"})
    assert out.read_text() == "ready=true\n"


def test_spec_diff_script_reports(tmp_path: Path) -> None:
    out = tmp_path / "diff.md"
    run_script("ci-spec-diff.sh", "HEAD", str(out), "--stack", "dev", "--limit", "20", env={})
    assert out.read_text().startswith("### Gateway spec diff against `HEAD`\n\n```\ndev: 0 of ")


def test_spec_diff_script_skips_without_the_command(tmp_path: Path) -> None:
    """A revision whose python has no `gateway diff` (here: a python that fails every command)."""
    out = tmp_path / "diff.md"
    result = run_script("ci-spec-diff.sh", "HEAD", str(out), env={"PY": "false"})
    assert out.read_text() == "Spec diff skipped: this revision has no `python -m gateway diff` command.\n"
    assert "skipped" in result.stdout
