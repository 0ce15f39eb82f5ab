"""Item 14: every command in the README's ``sh`` blocks runs as written - with fake ``pulumi``/``docker``
(tests/fake_tools.py) where it needs them. Only commands that need a running gateway (``curl``) are not
run, nor ``make smoke`` (tests/test_integration_harness.py runs it against a fake), nor the ``make live*``
commands, which need a Kong (tests/test_local_gateway.py runs them as written), and the test names them; ``explain``/``lint``/``diff`` lines run in tests/test_explain.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fake_tools import make_sandbox
from pulumi_harness import ROOT

from gateway.spec import load_spec
from gateway.spec.refs import deck_env_var

# The installed venv's stamp, never remade from a sandbox's fresh copies (make -o): a sandbox must not
# `pip install -e` itself into the shared venv.
DEPS = f"-o {ROOT / '.venv' / '.deps-installed'} DEPS={ROOT / '.venv' / '.deps-installed'}"
PROBLEM = re.compile(r"^(Pulumi\.\w+\.yaml|stacks/\w+\.yaml): \S.*: .+")


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for command in block.replace("\\\n", " ").splitlines():
            command = re.split(r"\s{2,}# ", command)[0].strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    box = make_sandbox(tmp_path)
    keys = {"ai4voice-client/primary": "k-123"}
    spec = load_spec(ROOT / "stacks", "prod")
    deck = {deck_env_var(name): f"value-of-{name}" for name in spec.secret_names()}
    not_run: list[str] = []
    for command in readme_commands():
        if command.startswith(("curl ", "make smoke", "make integration", "make live")):
            not_run.append(command)  # needs the gateway running or a Kong (see the module docstring)
            continue
        if command.startswith(".venv/bin/python -m gateway ") and command.split()[3] in ("explain", "lint", "diff"):
            continue  # tests/test_explain.py runs these
        if command == "make test":
            continue  # what is running this test
        shell = command.replace("make ", f"make -s {DEPS} ", 1) if command.startswith("make ") else command
        env = deck if "--with-secrets" in command else {}
        done = box.run(["bash", "-c", shell], FAKE_STACK_OUTPUT=json.dumps(keys), **env)
        if command == ".venv/bin/python -m gateway validate":
            # documented: exit 0, or 2 with one line per problem (as shipped: staging's and prod's TLS)
            assert done.returncode == 2, done.stderr
            assert done.stderr and all(PROBLEM.match(line) for line in done.stderr.splitlines()), done.stderr
            continue
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        if command.startswith("make up"):
            assert ["up", "--stack", "dev", "--yes", "--non-interactive"] in box.argvs()
    assert sorted(c.split()[0] + " " + c.split()[1] for c in not_run if c.startswith("make")) == [
        "make live", "make live-down", "make live-up", "make smoke"]
    assert len([c for c in not_run if c.startswith("curl ")]) == 2
    assert (box.root / "kong.yml").exists()
