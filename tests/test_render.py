"""``render``: the declarative kong.yml equals what DB mode creates (Kong parses it: tests/test_kong_config_parse.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, STACKS
from test_entities import K, deployed

from gateway.cli.main import main
from gateway.kong import vault
from gateway.kong.declarative import render
from gateway.spec import load_spec
from gateway.spec.refs import deck_env_var, deck_placeholder


@pytest.mark.parametrize("stack", STACKS)
def test_render_holds_what_db_mode_creates(stack: str) -> None:
    spec, result = deployed(stack)
    document = render(spec, stack)
    services = {s["name"]: s for s in document["services"]}
    assert set(services) == {r.inputs["name"] for r in result.of_type(f"{K}service:Service")}
    routes = {r["name"]: (svc, r) for svc in services.values() for r in svc["routes"]}
    for route in result.of_type(f"{K}route:Route"):
        service, rendered = routes[route.inputs["name"]]
        assert route.inputs["serviceId"] == f"kong-service-{service['name']}-id"
        assert route.inputs["paths"] == rendered["paths"]
        assert route.inputs["stripPath"] == rendered["strip_path"]
    targets = {(u["name"], t["target"], t["weight"]) for u in document["upstreams"] for t in u["targets"]}
    assert targets == {(t.inputs["upstreamId"].removeprefix("kong-upstream-").removesuffix("-id"), t.inputs["target"],
                        t.inputs["weight"]) for t in result.of_type(f"{K}target:Target")}
    rendered_plugins = sorted(
        (p["name"], json.dumps(p["config"], sort_keys=True))
        for holder in [document, *document["services"], *routes_of(document), *document["consumers"]]
        for p in holder.get("plugins", [])
    )
    created = sorted((p.inputs["name"], json.dumps(without_nulls(json.loads(p.inputs["configJson"])), sort_keys=True))
                     for p in result.of_type(f"{K}plugin:Plugin"))
    # identical: DB mode only adds explicit nulls (to clear keys on PATCH); both carry vault references
    assert rendered_plugins == created
    consumers = {c["username"]: c for c in document["consumers"]}
    assert set(consumers) == {r.inputs["username"] for r in result.of_type(f"{K}consumer:Consumer")}
    acls = {(c, a["group"]) for c, body in consumers.items() for a in body["acls"]}
    assert acls == {(r.name.removeprefix("kong-acl-").rsplit("-", 1)[0], r.inputs["group"])
                    for r in result.of_type(f"{K}consumerAcl:ConsumerAcl")}


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def routes_of(document: dict[str, object]) -> list[dict[str, object]]:
    return [route for service in document["services"] for route in service["routes"]]  # type: ignore[attr-defined]


def test_secrets_are_placeholders_by_default() -> None:
    spec = load_spec(ROOT / "stacks", "staging", "dbless")
    text = yaml.safe_dump(render(spec, "staging"))
    in_plugins = vault.plugin_secret_names(spec)
    assert in_plugins == {"redisPassword"}
    for name in spec.secret_names() - in_plugins:
        assert deck_placeholder(name) in text
    for name in in_plugins:  # referenceable in Kong: the nodes resolve them from their environment
        assert deck_placeholder(name) not in text and vault.reference(name) in text
    web = next(c for c in render(spec, "staging")["consumers"] if c["username"] == "web-user")
    assert web["jwt_secrets"][0]["secret"] == '${{ env "DECK_WEB_USER_JWT_SECRET" }}'


def test_cli_render_writes_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kong.yml"
    assert main(["render", "--stack", "prod", "-o", str(out)]) == 0
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert document == render(load_spec(ROOT / "stacks", "prod", "dbless"), "prod")
    text = out.read_text(encoding="utf-8")
    assert "{vault://env/ai4v-secret-redis-password}" in text and "DECK_REDIS_PASSWORD" not in text


def test_cli_render_with_secrets_needs_every_value(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec(ROOT / "stacks", "dev")
    for name in spec.secret_names():
        monkeypatch.delenv(deck_env_var(name), raising=False)
    assert main(["render", "--stack", "dev", "--with-secrets"]) == 2
    err = capsys.readouterr().err
    assert "environment variable DECK_ASR_ONLY_CLIENT_KEY is not set" in err
    for name in spec.secret_names():
        monkeypatch.setenv(deck_env_var(name), f"value-of-{name}")
    out = tmp_path / "kong.yml"
    assert main(["render", "--stack", "dev", "--with-secrets", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "value-of-asrOnlyClientKey" in text and "DECK_" not in text
    assert "value-of-redisPassword" not in text
    assert os.stat(out).st_mode & 0o077 == 0  # holds secrets: owner only


def test_validate_all_stacks(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With the operator's certificate (and prod's tunnel) in the stack files, every stack validates."""
    assert main(["--root", str(project), "validate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == sorted(STACKS)
