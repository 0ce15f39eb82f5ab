"""Plugin secrets travel as Kong env-vault references; the Kong nodes carry the values as secret env vars."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from local_gateway import kong_install
from plugin_schema import SchemaField, kong_config_fields

from gateway.kong import vault
from gateway.spec.plugins import PLUGIN_CONFIGS


def env_vault_variable(reference: str) -> str:
    """The variable Kong's env vault reads for a reference: kong/pdk/vault.lua parse_reference takes
    ``{vault://<name>/<resource>}``; kong/vaults/env/init.lua get() upper-cases the resource, '-' -> '_'."""
    assert reference.startswith("{vault://") and reference.endswith("}")
    name, _, resource = reference[len("{vault://"):-1].partition("/")
    assert name == "env" and resource and "/" not in resource
    return resource.upper().replace("-", "_")


@pytest.mark.parametrize("name", ["redisPassword", "logToken", "a", "asrOnlyClientKey"])
def test_reference_and_variable_agree_with_kongs_env_vault(name: str) -> None:
    assert env_vault_variable(vault.reference(name)) == vault.env_var(name)
    assert vault.env_var(name).startswith("AI4V_SECRET_")


def secret_paths(schema: dict[str, Any], node: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Paths in a pydantic JSON schema where a ``{secret: name}`` may stand (``*``: any map value)."""
    if node.get("$ref", "").endswith("/SecretRef"):
        yield path
        return
    if "$ref" in node:
        yield from secret_paths(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[1]], path)
    for option in node.get("anyOf", []):
        yield from secret_paths(schema, option, path)
    for key, sub in node.get("properties", {}).items():
        yield from secret_paths(schema, sub, (*path, key))
    if isinstance(node.get("additionalProperties"), dict):
        yield from secret_paths(schema, node["additionalProperties"], (*path, "*"))


def kong_field(fields: list[SchemaField], path: tuple[str, ...]) -> SchemaField:
    found = next(f for f in fields if f["name"] == path[0])
    if len(path) == 1:
        return found
    if path[1] == "*":
        return found["values"]
    return kong_field(found["fields"], path[1:])


def test_every_secret_field_of_a_plugin_is_referenceable_in_kong(kong: kong_install.KongInstall) -> None:
    """Only a ``referenceable`` field accepts a vault reference (kong/db/schema/init.lua); Kong's own plugin
    loader says which (issue 24 item 4: asked of Kong, no longer of a snapshot)."""
    checked = []
    for name, model in PLUGIN_CONFIGS.items():
        schema = model.model_json_schema(mode="validation")
        config = kong_config_fields(kong, name)
        for path in secret_paths(schema, schema, ()):
            assert kong_field(config, path).get("referenceable") is True, (name, path)
            checked.append((name, ".".join(path)))
    assert sorted(checked) == [("http-log", "headers.*"), ("rate-limiting", "redis.password"),
                               ("rate-limiting", "redis.username"), ("rate-limiting-inline", "redis.password"),
                               ("rate-limiting-inline", "redis.username")]
