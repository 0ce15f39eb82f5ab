"""``explain``'s start-up (issue 12: < 300 ms per run): the spec cache answers only for unchanged inputs and
code, and spec models built on first use still build, pickle and refuse bad input as before."""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import STACKS, edit_yaml

from gateway.cli import main
from gateway.explain import speccache
from gateway.explain.decisions import lua_conf
from gateway.explain.speccache import cached, language_hint
from gateway.lazymodels import BUILD_ORDER, complete_models
from gateway.settings import read_stack_settings
from gateway.spec import load_spec
from gateway.spec.models import GatewaySpec
from gateway.stackfile import read_platform_mode
from gateway.usercache import cache_dir

ROOT = Path(__file__).resolve().parent.parent
HEALTH = ["explain", "--stack", "dev", "GET", "/api/v1/nmt/health"]
DETECT = ["explain", "--stack", "dev", "POST", "/api/v1/nmt", "--credential", "ai4voice-client/primary",
          "--data", "@lua/spec/fixtures/ulca/nmt-no-language.json"]
ROUTED = ("asr", "tts", "nmt")
"""The services of stacks/base.yaml with a language-router."""


@pytest.fixture(autouse=True)
def _empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def counting(root: Path, stack: str = "dev") -> tuple[Callable[[], GatewaySpec], list[int]]:
    calls: list[int] = []

    def load() -> GatewaySpec:
        calls.append(1)
        return load_spec(root / "stacks", stack)

    return load, calls


def explain_cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unchanged_stack_is_answered_from_the_cache(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load, calls = counting(project)
    first = cached(project, "dev", load).spec
    again = cached(project, "dev", load).spec
    assert calls == [1] and again == first and again is not first
    assert [explain_cli(capsys, project, *HEALTH) for _ in range(2)] == [explain_cli(capsys, project, *HEALTH)] * 2
    assert gc.isenabled()  # paused while a request is explained (gateway/explain/commands.py), then back on


@pytest.mark.parametrize("changed", ["stacks/base.yaml", "stacks/dev.yaml", "Pulumi.dev.yaml"])
def test_any_change_of_an_input_is_a_miss(project: Path, changed: str) -> None:
    load, calls = counting(project)
    cached(project, "dev", load)
    with (project / changed).open("a", encoding="utf-8") as file:
        file.write("\n# changed\n")
    cached(project, "dev", load)
    assert calls == [1, 1]


def test_a_changed_route_is_explained_as_changed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not only a miss: the answer follows the file (the route that took the request moves away)."""
    assert "route:    nmt/nmt-v1 " in explain_cli(capsys, project, *HEALTH)[1]
    edit_yaml(project / "stacks" / "dev.yaml",
              lambda data: data.setdefault("services", {}).update(
                  {"nmt": {"routes": {"nmt-v1": {"paths": ["/api/v9/nmt/"]}}}}))
    code, out, _ = explain_cli(capsys, project, *HEALTH)
    assert code == 0 and "route:    nmt/nmt-v1 " not in out


def test_a_change_of_the_code_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "gateway"
    package.mkdir()
    (package / "models.py").write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(speccache, "PACKAGE", package)
    before = speccache.input_key(ROOT, "dev")
    (package / "models.py").write_text("A = 2\n", encoding="utf-8")
    assert speccache.input_key(ROOT, "dev") != before
    (package / "new.py").write_text("", encoding="utf-8")
    assert len({before, speccache.input_key(ROOT, "dev")}) == 2


@pytest.mark.parametrize("damage", [b"", b"not a cache", "payload"])
def test_a_damaged_cache_file_is_ignored_and_rewritten(project: Path, damage: bytes | str) -> None:
    load, calls = counting(project)
    expected = cached(project, "dev", load).spec
    [path] = cache_dir().glob("*.pickle")
    good = path.read_bytes()
    if damage == "payload":  # the right header and key, a broken pickle
        key = speccache.FORMAT + speccache.input_key(project, "dev")
        path.write_bytes(key + b"\x80\x05garbage")
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    assert cached(project, "dev", load).spec == expected
    assert calls == [1, 1] and path.read_bytes() == good


def test_an_unwritable_cache_is_skipped(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    load, calls = counting(project)
    assert cached(project, "dev", load).spec == cached(project, "dev", load).spec
    assert calls == [1, 1]


def test_a_spec_with_problems_is_refused_every_run_and_never_cached(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The plugin models are built on first use: a bad field still gives validate's one line, exit 2."""
    edit_yaml(project / "stacks" / "dev.yaml",
              lambda data: data.setdefault("services", {}).update(
                  {"asr": {"plugins": {"rate-limiting": {"config": {"minute": 1, "per_minute": 5}}}}}))
    line = "stacks/dev.yaml: services.asr.plugins.rate-limiting.config.per_minute: unknown field; allowed: day, "
    before = set(cache_dir().glob("*.pickle")) if cache_dir().is_dir() else set()
    for _ in range(2):
        code, out, err = explain_cli(capsys, project, *HEALTH)
        assert (code, out) == (2, "") and err.startswith(line) and len(err.splitlines()) == 1
    after = set(cache_dir().glob("*.pickle")) if cache_dir().is_dir() else set()
    assert after == before
    code, _, err = explain_cli(capsys, project, "validate", "--stack", "dev")
    assert code == 2 and err.startswith(line)


def test_a_fresh_process_refuses_a_bad_plugin_field_in_the_same_words() -> None:
    """No model is built at import any more: the first validation in a new process builds them and must
    report as the spec loader does (field path and pydantic's reason)."""
    code = ("from gateway.plugins import RateLimitingConfig\n"
            "from pydantic import ValidationError\n"
            "try:\n"
            "    RateLimitingConfig.model_validate({'minute': -1})\n"
            "except ValidationError as exc:\n"
            "    print([(e['loc'], e['msg']) for e in exc.errors()])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[(('minute',), 'Input should be greater than 0')]"


def test_every_deferred_model_builds() -> None:
    """Deferred building hides an annotation that cannot be resolved until first use: build them all here."""
    complete_models()
    assert BUILD_ORDER and all(model.__pydantic_complete__ for model in BUILD_ORDER)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_survives_the_cache(stack: str) -> None:
    """Each plugin entry class is a module-level name, so pickle finds it (a parametrised generic made in a
    comprehension would not be)."""
    spec = load_spec(ROOT / "stacks", stack)
    assert pickle.loads(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)) == spec


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "ai4v-gateway"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache_dir() == tmp_path / "home" / ".cache" / "ai4v-gateway"


@pytest.mark.parametrize("stack", STACKS)
def test_explain_reads_the_mode_pulumi_up_uses(stack: str) -> None:
    """explain reads only platform and mode (gateway.stackfile), with the rules of the full settings."""
    assert read_platform_mode(ROOT, stack).mode == read_stack_settings(ROOT, stack).mode


def test_a_wrong_mode_is_refused_by_explain_as_by_validate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "Pulumi.dev.yaml", lambda data: data["config"].update({"ai4v-gateway:mode": "dbles"}))
    code, out, err = explain_cli(capsys, project, *HEALTH)
    assert (code, out, err.splitlines()) == (2, "", ["Pulumi.dev.yaml: config.ai4v-gateway:mode: Input should be "
                                                     "'db' or 'dbless'"])
    code, _, validate_err = explain_cli(capsys, project, "validate", "--stack", "dev")
    assert code == 2 and err.splitlines()[0] in validate_err.splitlines()


def test_the_entry_says_whether_luajit_can_be_needed(project: Path) -> None:
    """language_hint is read before any model is imported, to start LuaJIT early; lua_confs spare the
    language-router's serializer. Both follow the spec: no enabled language-router, no hint."""
    assert not language_hint(project, "dev")
    load, _ = counting(project)
    entry = cached(project, "dev", load)
    fresh = load_spec(project / "stacks", "dev")
    assert language_hint(project, "dev")
    routers = {name: fresh.services[name].plugins.get("language-router") for name in ROUTED}
    assert entry.lua_confs == {f"services.{name}.plugins.language-router": lua_conf(router.config)
                               for name, router in routers.items() if router is not None}
    assert len(entry.lua_confs) == len(ROUTED)
    edit_yaml(project / "stacks" / "dev.yaml", lambda data: data.setdefault("services", {}).update(
        {name: {"plugins": {"language-router": {"enabled": False}}} for name in ROUTED}))
    assert cached(project, "dev", load).lua_confs == {} and not language_hint(project, "dev")
    [path] = cache_dir().glob("*.pickle")
    path.write_bytes(b"not a cache")
    assert not language_hint(project, "dev")


def test_a_cached_language_decision_builds_no_serializer_and_answers_the_same() -> None:
    """From the cache, a fresh process runs the plugin on the stored config (no model built: the point of
    lua_confs) and prints what explaining the freshly loaded spec prints."""
    code = ("import sys\n"
            "from gateway.cli import main\n"
            "from gateway.plugins import LanguageRouterConfig\n"
            f"assert main({DETECT!r}) == 0\n"
            "print('built:', LanguageRouterConfig.__pydantic_complete__, file=sys.stderr)\n")
    runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
            for _ in range(2)]
    assert runs[0].stderr.strip() == "built: True"  # the first run validated the spec
    assert runs[1].stderr.strip() == "built: False"
    assert runs[0].stdout == runs[1].stdout and "language ta (detected" in runs[1].stdout
