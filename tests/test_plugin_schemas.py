"""schema.lua is the only definition of language-router's configuration: the Python model and the
docs' field table are checked here, field by field, against its dump
(tests/kong_schema/plugin-language-router.json, kept current by test_render's fnv1a check)."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic.fields import FieldInfo

from gateway.plugins.iso15924 import SCRIPT_CODES, script_code
from gateway.plugins.language_router import LanguageMapping, LanguageRouterConfig
from gateway.spec.models import Edge

ROOT = Path(__file__).resolve().parent.parent
DUMP = ROOT / "tests" / "kong_schema" / "plugin-language-router.json"
DOC = ROOT / "docs" / "LANGUAGE_ROUTER.md"

PY_TYPE = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list}


def _config_fields() -> list[dict[str, Any]]:
    plugin = json.loads(DUMP.read_text(encoding="utf-8"))["plugins"]["language-router"]
    config = next(f for f in plugin["fields"] if f["name"] == "config")
    fields: list[dict[str, Any]] = config["fields"]
    return fields


FIELDS = _config_fields()


def _base(annotation: Any) -> Any:
    """The plain type under Annotated/Optional/Literal (``list`` for ``list[...]``)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _base(args[0])
    if origin is typing.Literal:
        return type(typing.get_args(annotation)[0])
    return origin or annotation


def _literal(annotation: Any) -> list[Any] | None:
    """The values of a Literal, for a scalar or the element of a list."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is list:
        return _literal(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return None


def _bounds(info: FieldInfo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for m in info.metadata:
        if isinstance(m, annotated_types.Gt):
            found["gt"] = m.gt
        elif isinstance(m, annotated_types.Ge):
            found["ge"] = m.ge
        elif isinstance(m, annotated_types.Le):
            found["le"] = m.le
        elif isinstance(m, annotated_types.MinLen):
            found["len_min"] = m.min_length
    return found


def test_model_has_the_dumped_fields_in_order() -> None:
    assert list(LanguageRouterConfig.model_fields) == [f["name"] for f in FIELDS]


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: str(f["name"]))
def test_model_field_matches_dump(field: dict[str, Any]) -> None:
    info = LanguageRouterConfig.model_fields[field["name"]]
    assert _base(info.annotation) is PY_TYPE[field["type"]]
    if "default" in field:
        assert info.default == field["default"]
    else:
        assert info.default is None and not field.get("required", False)

    one_of = field.get("one_of") or field.get("elements", {}).get("one_of")
    assert _literal(info.annotation) == one_of

    want: dict[str, Any] = {}
    if "between" in field:
        want["ge"], want["le"] = field["between"]
    if "gt" in field:
        want["gt"] = field["gt"]
    if "len_min" in field:
        want["len_min"] = field["len_min"]
    found = _bounds(info)
    if field["type"] == "string" and found.get("len_min") == 1:
        # Kong refuses empty strings unless a field sets len_min (kong/db/schema/init.lua,
        # validate_field for "string"); gateway.plugins.typedefs.String says so explicitly
        want.setdefault("len_min", 1)
    assert found == want


def test_mapping_record_matches_dump() -> None:
    mappings = next(f for f in FIELDS if f["name"] == "mappings")
    record = mappings["elements"]["fields"]
    assert list(LanguageMapping.model_fields) == [f["name"] for f in record]
    for f in record:
        assert LanguageMapping.model_fields[f["name"]].is_required() == bool(f.get("required"))


def _doc_rows() -> list[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        m = re.match(r"^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|", line)
        if m:
            rows.append((m.group(1), m.group(2).strip(), m.group(3).strip()))
    return rows


def test_docs_table_has_the_dumped_fields_in_order() -> None:
    assert [r[0] for r in _doc_rows()] == [f["name"] for f in FIELDS]


@pytest.mark.parametrize("row", _doc_rows(), ids=lambda r: r[0])
def test_docs_row_matches_dump(row: tuple[str, str, str]) -> None:
    name, typ, default = row
    field = next(f for f in FIELDS if f["name"] == name)
    assert typ.split()[0].rstrip(":") == field["type"]
    if default == "none":
        assert "default" not in field
    else:
        assert json.loads(default.strip("`")) == field["default"]


def test_max_body_bytes_follows_the_platforms_maximum() -> None:
    """Every body the gateway accepts (edge.max_body_size, nginx's 413 beyond) is routed by its language."""
    field = next(f for f in FIELDS if f["name"] == "max_body_bytes")
    assert field["default"] == Edge().max_body_size


def test_script_codes_are_the_plugins() -> None:
    """gateway/plugins/iso15924.py and languages.lua's SCRIPT_CODES are one list (Kong and the spec
    validation accept the same scripts)."""
    lua = (ROOT / "lua" / "kong" / "plugins" / "language-router" / "languages.lua").read_text(encoding="utf-8")
    block = lua.split("local SCRIPT_CODES = {", 1)[1].split("}", 1)[0]
    assert set(re.findall(r'"([A-Za-z]{4})"', block)) == SCRIPT_CODES
    assert {"Latn", "Deva", "Taml", "Arab", "Beng", "Olck", "Mtei"} <= SCRIPT_CODES
    assert not {"Qaaa", "Qabx"} & SCRIPT_CODES


def test_mapping_on_language_and_script() -> None:
    cfg = LanguageRouterConfig.model_validate({
        "mappings": [{"language": "hi", "upstream": "nmt"},
                     {"language": "hi", "script": "latn", "upstream": "nmt-xlit", "service_id": "xlit"}],
        "fallback_upstream": "nmt",
    })
    assert [m.key for m in cfg.mappings] == ["hi", "hi-Latn"]
    assert cfg.upstream_choices() == [("*", "nmt"), ("hi", "nmt"), ("hi-Latn", "nmt-xlit")]
    assert cfg.doc_summary() == "hi→nmt; hi-Latn→nmt-xlit; else nmt"
    assert LanguageMapping(language="hi-Latn").key == "hi-Latn"
    assert LanguageMapping(language="hi_IN").key == "hi_IN"
    assert LanguageMapping(language="hin-deva", script="Latn").key == "hin-Latn"
    assert script_code(" DEVA ") == "Deva"
    assert script_code("Roman") is None
