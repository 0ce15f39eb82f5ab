"""One home per concept: a value that several parts of the project must agree on is written once, and the others
import it (a second copy is how the disabled-instance bug came about)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("gateway", "policy", "tools", "tests", "bench", "scripts")
LUA_DIRS = ("lua", "gateway", "bench", "tools")


def _files(dirs: tuple[str, ...], suffix: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob(f"*{suffix}"))
            if ".venv" not in p.parts and p.resolve() != Path(__file__).resolve()]


def _holding(pattern: str, dirs: tuple[str, ...], suffix: str) -> list[str]:
    regex = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    return [str(p.relative_to(ROOT)) for p in _files(dirs, suffix) if regex.search(p.read_text(encoding="utf-8"))]


def test_public_tag_has_one_home() -> None:
    """Issue 24 item 4: the tag that exempts a route from auth (policy pack, ``explain lint``, the docs' routes
    table) is defined once, ``gateway.spec.fields.PUBLIC_TAG``."""
    assert _holding(r"""=\s*["']public["']""", CODE_DIRS, ".py") == ["gateway/spec/fields.py"]


def test_kong_regex_conversion_has_one_home() -> None:
    """Issue 24 item 4: a Kong route regex is turned into Python's dialect in one place,
    ``gateway.spec.fields.kong_regex`` (spec validation and ``explain``'s router)."""
    assert _holding(r"""["']\(\?P<["']""", CODE_DIRS, ".py") == ["gateway/spec/fields.py"]


def test_identity_header_list_has_one_home() -> None:
    """Issue 24 item 4: the identity headers Kong's auth plugins set are listed once in Lua (identity-guard's
    schema.lua, the default of ``strip_headers``) and once in Python (``gateway.spec.plugins.identity``, checked
    against it by tests/test_plugin_schemas.py); specs and tests take them from there."""
    assert _holding(r"X-Authenticated-Userid", CODE_DIRS, ".py") == ["gateway/spec/plugins/identity.py"]
    assert _holding(r"X-Authenticated-Userid", LUA_DIRS, ".lua") == ["lua/kong/plugins/identity-guard/schema.lua"]


def test_language_router_config_table_has_one_definition() -> None:
    """Issue 24 item 4: the language-router's config fields are spelt out in schema.lua (the definition) and in
    the copies tests/test_plugin_schemas.py checks against it field by field: the Python model and the docs'
    table. The specs' default configuration and the explain runner take schema.lua's own defaults."""
    # field names with their defaults: what a copy of the table holds, and code reading a config does not
    fields = ("health_cache_seconds", "service_id_delivery", "X-Service-Id", "input[*].source",
              "config.language.sourceScriptCode")
    holding = [str(p.relative_to(ROOT)) for dirs, suffix in ((LUA_DIRS, ".lua"), (CODE_DIRS, ".py"),
                                                             (("docs", "lua"), ".md"), (("tests", "lua"), ".json"))
               for p in _files(dirs, suffix) if all(f in p.read_text(encoding="utf-8") for f in fields)]
    assert sorted(holding) == ["docs/LANGUAGE_ROUTER.md", "gateway/spec/plugins/language_router.py",
                               "lua/kong/plugins/language-router/schema.lua"]
