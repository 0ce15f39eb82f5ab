"""schema.lua is the only definition of each Lua plugin's configuration: the Python models
(gateway/spec/plugins/language_router.py, identity.py), the docs' field table (docs/LANGUAGE_ROUTER.md) and the
specs' default configuration (lua/spec/helpers/pdk_fake.lua ``config``) are checked here, field by field, against
schema.lua as LuaJIT loads it (tests/plugin_schema.py); where a Kong 3.9.3 is installed, Kong's own plugin
loader must read schema.lua the same way."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from local_gateway import kong_install
from plugin_schema import PLUGINS, SchemaField, config_fields, kong_config_fields
from pydantic import AfterValidator
from pydantic.fields import FieldInfo

from gateway.spec.models import Edge
from gateway.spec.plugins import PLUGIN_CONFIGS
from gateway.spec.plugins.base import KongModel
from gateway.spec.plugins.iso15924 import SCRIPT_CODES, script_code
from gateway.spec.plugins.language_router import LanguageMapping, LanguageRouterConfig
from gateway.spec.refs import SecretRef

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "LANGUAGE_ROUTER.md"

PY_TYPE: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list}


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under Annotated/Optional, with the metadata of every Annotated layer."""
    metadata: list[Any] = []
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation, *more = typing.get_args(annotation)
            metadata += more
            continue
        origin = typing.get_origin(annotation)
        if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
            continue
        return annotation, metadata


def _base(annotation: Any) -> Any:
    """The plain type (``list`` for ``list[...]``, the value's type for a Literal)."""
    inner, _ = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        return type(typing.get_args(inner)[0])
    return origin or inner


def _literal(annotation: Any) -> list[Any] | None:
    inner, _ = _unwrap(annotation)
    if typing.get_origin(inner) is typing.Literal:
        return list(typing.get_args(inner))
    return None


def _element(annotation: Any) -> Any:
    inner, _ = _unwrap(annotation)
    assert typing.get_origin(inner) is list, annotation
    return typing.get_args(inner)[0]


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for m in metadata:
        for attr, key in (("gt", "gt"), ("ge", "ge"), ("le", "le"), ("min_length", "len_min")):
            if isinstance(m, annotated_types.BaseMetadata) and getattr(m, attr, None) is not None:
                found[key] = getattr(m, attr)
        for inner in getattr(m, "metadata", []):  # FieldInfo from Field(...)
            found.update(_bounds([inner]))
    return found


def _without_secret_ref(annotation: Any) -> Any:
    """The annotation without its ``SecretRef`` alternative (a ``{secret: name}`` the spec resolves to the string
    Kong stores, ``PluginConfig.to_kong``); None when the value can only be a reference."""
    inner = annotation
    while typing.get_origin(inner) is typing.Annotated:
        inner = typing.get_args(inner)[0]
    if inner is SecretRef:
        return None
    origin = typing.get_origin(inner)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        kept = [b for a in typing.get_args(inner) if (b := _without_secret_ref(a)) is not None]
        if all(a is type(None) for a in kept):
            return None
        return typing.Union[tuple(kept)]  # noqa: UP007 (built at run time)
    return annotation


def _validated(metadata: list[Any]) -> bool:
    return any(isinstance(m, AfterValidator) for m in metadata)


def _check_value(where: str, annotation: Any, field: SchemaField, outer: list[Any]) -> list[str]:
    """How ``annotation`` (with the ``outer`` metadata pydantic took off a model field's) differs from the schema
    field's type, one_of, bounds, validation and elements."""
    problems: list[str] = []
    if field.get("referenceable"):
        annotation = _without_secret_ref(annotation)
        if annotation is None:  # a reference only: Kong checks the string it resolves to
            return []
    inner, metadata = _unwrap(annotation)
    metadata = outer + metadata
    if field["type"] == "record":
        if not (isinstance(inner, type) and issubclass(inner, KongModel)):
            return [f"{where}: a record in schema.lua, {inner} here"]
        return _check_model(where, inner, field.get("fields", []))
    if _base(annotation) is not PY_TYPE[field["type"]]:
        problems.append(f"{where}: type {field['type']} in schema.lua, {_base(annotation)} here")
    if _literal(annotation) != field.get("one_of"):
        problems.append(f"{where}: one_of {field.get('one_of')} in schema.lua, {_literal(annotation)} here")
    want: dict[str, Any] = {}
    if "between" in field:
        want["ge"], want["le"] = field["between"]
    if "gt" in field:
        want["gt"] = field["gt"]
    one_of = field.get("one_of")
    if "len_min" in field and not (one_of and all(len(str(v)) >= field["len_min"] for v in one_of)):
        want["len_min"] = field["len_min"]  # (a one_of whose values are all long enough makes len_min moot)
    found = _bounds(metadata)
    if field["type"] == "string" and "one_of" not in field:
        # Kong refuses empty strings unless a field sets len_min (kong/db/schema/init.lua, validate_field
        # for "string"); gateway.spec.plugins.typedefs.String says so explicitly
        want.setdefault("len_min", 1)
    if found != want:
        problems.append(f"{where}: bounds {want} in schema.lua, {found} here")
    if field.get("validated") and not _validated(metadata):
        problems.append(f"{where}: schema.lua has a custom_validator, the model none")
    if field["type"] == "array":
        problems += _check_value(f"{where}[]", _element(annotation), field["elements"], [])
    return problems


def _check_field(where: str, info: FieldInfo, field: SchemaField) -> list[str]:
    problems = _check_value(where, info.annotation, field, list(info.metadata))
    if field["type"] == "record" and field.get("required") and "default" not in field:
        # Kong fills a missing required record from its fields' defaults (kong/db/schema/init.lua
        # handle_missing_field: "expand its structure to obtain any nested defaults"): a default_factory here
        if info.default_factory is None:
            problems.append(f"{where}: a required record in schema.lua, filled from its defaults; none here")
        return problems
    # Kong: `required` with a default is filled in; `required` without one must be sent
    must_send = bool(field.get("required")) and "default" not in field
    if info.is_required() != must_send:
        problems.append(f"{where}: required={field.get('required')} default={field.get('default')} in schema.lua, "
                        f"is_required()={info.is_required()} here")
    elif "default" in field and info.default != field["default"]:
        problems.append(f"{where}: default {field['default']!r} in schema.lua, {info.default!r} here")
    elif "default" not in field and not must_send and info.default is not None:
        problems.append(f"{where}: no default in schema.lua, {info.default!r} here")
    return problems


def _check_model(where: str, model: type[KongModel], fields: list[SchemaField]) -> list[str]:
    names = [f["name"] for f in fields]
    if list(model.model_fields) != names:
        return [f"{where}: fields {names} in schema.lua, {list(model.model_fields)} here"]
    problems: list[str] = []
    for f in fields:
        problems += _check_field(f"{where}.{f['name']}", model.model_fields[f["name"]], f)
    return problems


@pytest.mark.parametrize("plugin", PLUGINS)
def test_python_model_matches_schema_lua(plugin: str) -> None:
    """Issue 24 item 4: each plugin's pydantic model has schema.lua's config fields, in its order, with its
    types, defaults, required, one_of, between/gt/len_min, validated values and element types (a record's
    fields too)."""
    assert _check_model(plugin, PLUGIN_CONFIGS[plugin], config_fields(plugin)) == []


def test_the_check_sees_a_drifted_model() -> None:
    """The comparison is not vacuous: a model that differs in each checked respect is reported."""
    fields = config_fields("language-router")
    drifted = json.loads(json.dumps(fields))
    by = {f["name"]: f for f in drifted}
    by["min_confidence"]["between"] = [0, 2]
    by["preset"]["one_of"] = ["none", "asr"]
    by["service_id_delivery"]["default"] = "header"
    by["query_names"]["elements"]["type"] = "integer"
    by["script_query_names"]["elements"]["validated"] = True
    by["mappings"]["elements"]["fields"][0]["required"] = False
    by["fallback_upstream"]["required"] = True
    problems = _check_model("lr", LanguageRouterConfig, drifted)
    assert {p.split(":")[0] for p in problems} == {
        "lr.query_names[]", "lr.script_query_names[]", "lr.min_confidence", "lr.preset", "lr.mappings[].language",
        "lr.fallback_upstream", "lr.service_id_delivery"}


@pytest.mark.parametrize("plugin", PLUGINS)
def test_kong_loads_schema_lua_as_luajit_does(plugin: str, kong: kong_install.KongInstall) -> None:
    """Issue 24 item 4: Kong's own plugin loader (kong/db/schema/plugin_loader.lua load_subschema: MetaSubSchema,
    Entity.new_subschema, Kong's typedefs) reads schema.lua as the LuaJIT load every other check uses does."""
    assert kong_config_fields(kong, plugin) == config_fields(plugin)


def _doc_rows() -> list[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        m = re.match(r"^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|", line)
        if m:
            rows.append((m.group(1), m.group(2).strip(), m.group(3).strip()))
    return rows


FIELDS = config_fields("language-router")


def test_docs_table_has_schema_luas_fields_in_order() -> None:
    assert [r[0] for r in _doc_rows()] == [f["name"] for f in FIELDS]


def _doc_types(field: SchemaField) -> set[str]:
    """What the docs' type column may say of ``field``: its type, one_of values, bounds, element type."""
    typ = field["type"]
    if typ == "array":
        e = field["elements"]
        if e["type"] == "record":
            names = [f"{f['name']} (required)" if f.get("required") else f["name"] for f in e.get("fields", [])]
            return {"array of `{" + ", ".join(names) + "}`"}
        if "one_of" in e:
            return {"array of " + ", ".join(f"`{v}`" for v in e["one_of"])}
        if e.get("validated"):
            return {"array of header names", "array of dotted paths"}
        return {"array of strings"}
    if "one_of" in field:
        return {f"{typ}: " + ", ".join(f"`{v}`" for v in field["one_of"])}
    if "between" in field:
        low, high = field["between"]
        return {f"{typ} {low:g}..{high:g}"}
    if "gt" in field:
        return {f"{typ} > {field['gt']:g}"}
    if field.get("validated"):
        return {f"{typ} (dotted path)", f"{typ} (header name)"}
    return {typ}


@pytest.mark.parametrize("row", _doc_rows(), ids=lambda r: r[0])
def test_docs_row_matches_schema_lua(row: tuple[str, str, str]) -> None:
    """Issue 24 item 4: each row of docs/LANGUAGE_ROUTER.md's table says schema.lua's type, one_of values,
    bounds, element type or record fields (required ones marked), and default (JSON; ``none``: none)."""
    name, typ, default = row
    field = next(f for f in FIELDS if f["name"] == name)
    assert typ in _doc_types(field)
    if default == "none":
        assert "default" not in field
    else:
        assert json.loads(default.strip("`")) == field["default"]


def test_max_body_bytes_follows_the_platforms_maximum() -> None:
    """Every body the gateway accepts (edge.max_body_size, nginx's 413 beyond) is routed by its language."""
    field = next(f for f in FIELDS if f["name"] == "max_body_bytes")
    assert field["default"] == Edge().max_body_size


def test_script_codes_are_the_plugins() -> None:
    """gateway/spec/plugins/iso15924.py and languages.lua's SCRIPT_CODES are one list (Kong and the spec
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


def test_the_check_reads_references_and_moot_bounds() -> None:
    """Issue 23 item 2: rate-limiting-inline's shared Redis record is checked too: a ``{secret: name}`` stands only
    for a ``referenceable`` string, and a ``len_min`` is left out only where every ``one_of`` value meets it."""
    drifted = json.loads(json.dumps(config_fields("rate-limiting-inline")))
    by = {f["name"]: f for f in drifted}
    redis = {f["name"]: f for f in by["redis"]["fields"]}
    del redis["username"]["referenceable"]
    by["policy"]["len_min"] = 6  # "local" and "redis" are shorter
    by["redis"]["default"] = {}
    problems = _check_model("rl", PLUGIN_CONFIGS["rate-limiting-inline"], drifted)
    assert {p.split(":")[0] for p in problems} == {"rl.redis.username", "rl.policy", "rl.redis"}
