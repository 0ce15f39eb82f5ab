"""Item 13: a problem is reported where it was written - once at an ``x-*`` anchor, at the overlay line
whose ``null`` broke a reference - and a language-router mapping must name a language the plugin knows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from gateway.cli.main import main
from gateway.spec.plugins.language_router import ISO_ALIASES, ULCA_CODES

LANGUAGES_LUA = ROOT / "lua" / "kong" / "plugins" / "language-router" / "languages.lua"


def validate_dev(project: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    return capsys.readouterr().err.strip().splitlines()


def test_a_wrong_value_in_an_anchor_is_reported_once_at_the_anchor(project: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    base = project / "stacks" / "base.yaml"
    text = base.read_text(encoding="utf-8")
    assert text.count("*healthchecks") > 1  # used by many upstreams
    base.write_text(text.replace("      timeout: 2\n", "      timeout: -2\n", 1), encoding="utf-8")
    assert validate_dev(project, capsys) == [
        "stacks/base.yaml: x-anchors.healthchecks.active.timeout: Input should be greater than or equal to 0"]


def test_an_overlay_value_replacing_an_anchor_use_is_reported_in_the_overlay(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = project / "stacks" / "dev.yaml"
    text = dev.read_text(encoding="utf-8")
    upstreams = text.index("\nupstreams:\n")
    at = text.index("\n  pipeline:\n", upstreams) + len("\n  pipeline:\n")
    dev.write_text(text[:at] + "    healthchecks: {active: {timeout: -1}}\n" + text[at:], encoding="utf-8")
    lines = validate_dev(project, capsys)
    assert lines == ["stacks/dev.yaml: upstreams.pipeline.healthchecks.active.timeout: "
                     "Input should be greater than or equal to 0"]


def test_a_reference_broken_by_an_overlay_null_names_the_overlay_line(project: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    dev = project / "stacks" / "dev.yaml"
    text = re.sub(r"\n  nmt:\n(?:    .*\n)*", "\n  nmt: null\n", dev.read_text(encoding="utf-8"), count=1)
    dev.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  nmt: null") + 1
    lines = validate_dev(project, capsys)
    assert lines and all(x.startswith(f"stacks/dev.yaml: upstreams.nmt: null (line {line}) removes upstream 'nmt', "
                                      "but services.") for x in lines)
    assert any("services.nmt.upstream in stacks/base.yaml still refers to it" in x for x in lines)


@pytest.mark.parametrize("language", ["Hindi", "hn", "xx-IN", "deva"])
def test_a_mapping_with_an_unknown_language_is_refused(project: Path, capsys: pytest.CaptureFixture[str],
                                                       language: str) -> None:
    base = project / "stacks" / "base.yaml"
    text = base.read_text(encoding="utf-8")
    base.write_text(text.replace("- {language: en, upstream: asr-en}", f"- {{language: {language}, upstream: asr-en}}"),
                    encoding="utf-8")
    [line] = validate_dev(project, capsys)
    assert line.startswith("stacks/base.yaml: services.asr.plugins.language-router.config.mappings[0].language: "
                           f"'{language}' is not a known language code; use a ULCA code: as, bn, brx")


@pytest.mark.parametrize("language", ["hi", "HI", "hi-IN", "hin", "ta_Taml", "or"])
def test_known_language_forms_are_accepted(project: Path, language: str) -> None:
    base = project / "stacks" / "base.yaml"
    text = base.read_text(encoding="utf-8")
    base.write_text(text.replace("- {language: en, upstream: asr-en}", f"- {{language: '{language}', upstream: asr-en}}"),
                    encoding="utf-8")
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 0


def _lua_table(name: str) -> dict[str, str]:
    body = re.search(rf"local {name} = \{{(.*?)\n\}}", LANGUAGES_LUA.read_text(encoding="utf-8"), re.S)
    assert body, name
    return {k or q: v for k, q, v in re.findall(r'(?:(\w+)|\["(\w+)"\])\s*=\s*"?(\w+)"?', body.group(1))}


def test_python_knows_the_plugins_languages() -> None:
    assert set(_lua_table("SUPPORTED")) == ULCA_CODES
    aliases = {k: v for k, v in _lua_table("ALIASES").items() if k != v}
    assert aliases == ISO_ALIASES
