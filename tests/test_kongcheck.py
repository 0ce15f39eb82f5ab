"""Tests for tests/kongcheck.py, the offline Kong 3.9.3 schema checker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kongcheck
import pytest
from kongcheck import (
    check_declarative,
    check_declarative_report,
    check_entity,
    check_plugin_config,
    lua_match,
    lua_pattern_to_regex,
)

ROOT = Path(__file__).resolve().parent.parent
UUID1 = "5b0d4e0e-9b8d-4bfb-9f5b-6f3d0e0b5e1a"


def _has(errors: list[str], *needles: str) -> bool:
    return any(all(n in e for n in needles) for e in errors)


# --- Lua patterns ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("^%u+$", "GET", True),
        ("^%u+$", "Get", False),
        (
            "^%u+$",
            "GET\n",
            False,
        ),  # Lua '$' is end of subject, not before a trailing newline
        ("//", "/a//b", True),
        ("^[^*]*%*?[^*]*$", "*.example.com", True),
        ("^[^*]*%*?[^*]*$", "*.*.example.com", False),
        ("^%*%.", "*.example.com", True),
        ("%.%*$", "example.*", True),
        ("^~/", "~/v1", True),
        ("^[Hh][Oo][Ss][Tt]$", "HoSt", True),
        ("^[^:]+:.*$", "x-foo:bar", True),
        ("^[^:]+:.*$", ":bar", False),
        ("^[^*&%%\\`]+$", "abc", True),
        ("^[^*&%%\\`]+$", "a%c", False),
        ("^[^*&%%\\`]+$", "a\\c", False),
        ("^%w+$", "abc_", False),  # %w has no underscore, unlike \w
        ("^%d+[%.%d]*%-?.*$", "1.2.3-rc1", True),
        (
            "^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Ll][Ee][nn][Gg][Tt][Hh]$",
            "Content-Length",
            True,
        ),
        ("a-b", "b", True),  # '-' is the lazy quantifier
        ("^-x", "-x", True),  # ... except where it quantifies nothing
    ],
)
def test_lua_patterns(pattern: str, value: str, expected: bool) -> None:
    assert lua_match(value, pattern) is expected


def test_lua_pattern_translation() -> None:
    assert lua_pattern_to_regex("^%u+$") == r"\A[A-Z]+\Z"
    assert lua_pattern_to_regex("%.%*$") == r"\.\*\Z"
    with pytest.raises(ValueError):
        lua_pattern_to_regex("%b()")


def test_every_snapshot_pattern_translates() -> None:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("match", "not_match") and isinstance(v, str):
                    found.append(v)
                elif k in ("match_none", "match_all"):
                    found.extend(item["pattern"] for item in v)
                elif k == "match_any":
                    found.extend(v["patterns"])
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(kongcheck.snapshot())
    assert found
    for p in found:
        lua_pattern_to_regex(p)


# --- snapshot ------------------------------------------------------------------


def test_snapshot_covers_brief() -> None:
    snap = kongcheck.snapshot()
    assert snap["kong_version"] == "3.9.3"
    for kind in (
        "services", "routes", "upstreams", "targets", "consumers", "plugins",
        "certificates", "snis", "ca_certificates", "keyauth_credentials", "jwt_secrets", "acls",
    ):  # fmt: skip
        assert kind in snap["entities"], kind
    for name in (
        "key-auth", "jwt", "acl", "cors", "rate-limiting", "request-transformer",
        "response-transformer", "correlation-id", "prometheus", "file-log", "http-log",
        "ip-restriction", "request-size-limiting", "proxy-cache", "request-termination",
        "bot-detection",
    ):  # fmt: skip
        assert name in snap["plugins"], name
    policy = snap["dbless_overrides"]["plugins"]["rate-limiting"]["config.policy"]
    assert policy["one_of"] == ["local", "redis"]


def test_snapshot_is_regenerable() -> None:
    source = os.environ.get("KONG_SOURCE")
    if not source:
        pytest.skip(
            "set KONG_SOURCE to a Kong 3.9.3 source checkout to re-run tools/kong_schema_dump.lua"
        )
    luajit = shutil.which("luajit")
    if luajit is None:
        pytest.skip("luajit is not installed")
    out = subprocess.run(
        [luajit, str(ROOT / "tools" / "kong_schema_dump.lua"), source],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert json.loads(out) == kongcheck.snapshot()
    assert out == kongcheck.SNAPSHOT.read_text(encoding="utf-8")


# --- entities ------------------------------------------------------------------


def test_minimal_service_and_route_pass() -> None:
    assert check_entity("services", {"name": "echo", "host": "echo.internal"}) == []
    assert (
        check_entity(
            "services", {"name": "echo", "url": "https://echo.internal:8443/v1"}
        )
        == []
    )
    route = {"name": "echo", "paths": ["/echo"], "service": {"id": UUID1}}
    assert check_entity("routes", route) == []
    assert check_entity("routes", {**route, "service": {"name": "echo"}}) == []


def test_unknown_field_and_wrong_type() -> None:
    errors = check_entity(
        "services", {"host": "a.example", "colour": "blue", "port": "80"}
    )
    assert "colour: unknown field" in errors
    assert "port: expected an integer" in errors


def test_service_bounds_and_conditionals() -> None:
    assert "port: value should be between 0 and 65535" in check_entity(
        "services", {"host": "a", "port": 70000}
    )
    assert _has(
        check_entity("services", {"host": "a", "protocol": "ftp"}),
        "protocol: expected one of",
    )
    errors = check_entity("services", {"host": "a", "protocol": "tcp", "path": "/x"})
    assert "path: value must be null" in errors
    assert (
        "@entity: failed conditional validation given value of field 'protocol'"
        in errors
    )


def test_route_needs_a_matcher() -> None:
    errors = check_entity("routes", {"name": "r"})
    assert errors == [
        "@entity: must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"
    ]
    errors = check_entity("routes", {"protocols": ["http"], "strip_path": True})
    assert _has(
        errors,
        "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'",
    )


def test_route_fields() -> None:
    assert _has(
        check_entity("routes", {"paths": ["/a//b"]}),
        "paths[0]: must not have empty segments",
    )
    assert _has(
        check_entity("routes", {"paths": ["a"]}),
        "should start with: / (fixed path) or ~/ (regex path)",
    )
    assert _has(
        check_entity("routes", {"methods": ["get"]}), "methods[0]: invalid value: get"
    )
    assert _has(
        check_entity("routes", {"headers": {"Host": ["x"]}}),
        "cannot contain 'host' header",
    )
    assert _has(
        check_entity("routes", {"paths": ["/"], "protocols": ["http", "tcp"]}),
        "mutually exclusive",
    )
    assert _has(
        check_entity("routes", {"paths": ["/"], "service": "svc"}),
        "service.id: missing primary key",
    )


def test_upstreams_and_targets() -> None:
    assert check_entity("upstreams", {"name": "up"}) == []
    errors = check_entity("upstreams", {"name": "up", "algorithm": "fastest"})
    assert errors == [
        "algorithm: expected one of: consistent-hashing, least-connections, round-robin, latency"
    ]
    errors = check_entity("upstreams", {"name": "up", "hash_on": "header"})
    assert "hash_on_header: required field missing" in errors
    assert (
        check_entity("targets", {"target": "10.0.0.1:8080", "upstream": {"id": UUID1}})
        == []
    )
    errors = check_entity("targets", {"upstream": {"id": UUID1}})
    assert errors == ["target: required field missing"]
    assert "upstream: required field missing" in check_entity(
        "targets", {"target": "10.0.0.1:8080"}
    )
    assert _has(
        check_entity(
            "targets", {"target": "a:1", "upstream": {"id": UUID1}, "weight": 70000}
        ),
        "between",
    )


def test_consumers_and_credentials() -> None:
    assert _has(
        check_entity("consumers", {}),
        "at least one of these fields must be non-empty: 'custom_id', 'username'",
    )
    assert check_entity("consumers", {"username": "alice"}) == []
    consumer = {"id": UUID1}
    assert check_entity("keyauth_credentials", {"consumer": consumer, "key": "k"}) == []
    assert check_entity("acls", {"consumer": consumer, "group": "g"}) == []
    assert "group: required field missing" in check_entity(
        "acls", {"consumer": consumer}
    )
    assert (
        check_entity("jwt_secrets", {"consumer": consumer, "key": "iss", "secret": "s"})
        == []
    )
    assert _has(
        check_entity("jwt_secrets", {"consumer": consumer, "algorithm": "HS1"}),
        "algorithm: expected one of",
    )


# --- plugins -----------------------------------------------------------------


def test_rate_limiting_with_nested_redis_passes() -> None:
    config = {
        "minute": 60,
        "policy": "redis",
        "redis": {"host": "redis", "port": 6379, "timeout": 2000},
    }
    assert check_plugin_config("rate-limiting", config, dbless=True) == []
    assert check_plugin_config("rate-limiting", config, dbless=False) == []


def test_rate_limiting_errors() -> None:
    config = {
        "minute": 60,
        "policy": "redis",
        "redis": {"host": "redis", "port": "6379"},
    }
    assert "config.redis.port: expected an integer" in check_plugin_config(
        "rate-limiting", config, dbless=True
    )
    errors = check_plugin_config(
        "rate-limiting", {"minute": 1, "policy": "redis"}, dbless=True
    )
    assert "config.redis.host: required field missing" in errors
    errors = check_plugin_config("rate-limiting", {"second": 1}, dbless=True)
    assert errors == []
    errors = check_plugin_config("rate-limiting", {"policy": "local"}, dbless=True)
    assert _has(
        errors, "at least one of these fields must be non-empty: 'config.second'"
    )
    errors = check_plugin_config("rate-limiting", {"minute": 0}, dbless=True)
    assert "config.minute: value must be greater than 0" in errors


def test_cluster_policy_is_dbless_only_refused() -> None:
    config = {"minute": 5, "policy": "cluster"}
    assert check_plugin_config("rate-limiting", config, dbless=True) == [
        "config.policy: expected one of: local, redis"
    ]
    assert check_plugin_config("rate-limiting", config, dbless=False) == []


def test_rate_limiting_deprecated_shorthands_map_to_redis() -> None:
    config = {"minute": 5, "policy": "redis", "redis_host": "r", "redis_port": 6380}
    assert check_plugin_config("rate-limiting", config, dbless=True) == []
    config = {
        "minute": 5,
        "policy": "redis",
        "redis_host": "r",
        "redis": {"host": "other"},
    }
    assert _has(
        check_plugin_config("rate-limiting", config, dbless=True), "values mismatch"
    )


def test_other_plugins() -> None:
    assert (
        check_plugin_config(
            "key-auth", {"key_names": ["apikey"], "hide_credentials": True}, dbless=True
        )
        == []
    )
    assert "config.key_names: expected an array" in check_plugin_config(
        "key-auth", {"key_names": "apikey"}, dbless=True
    )
    assert check_plugin_config("acl", {"allow": ["g"]}, dbless=True) == []
    assert _has(
        check_plugin_config("acl", {"allow": ["a"], "deny": ["b"]}, dbless=True),
        "exactly one of",
    )
    assert (
        check_plugin_config("cors", {"origins": ["*"], "max_age": 3600}, dbless=True)
        == []
    )
    assert _has(
        check_plugin_config("cors", {"methods": ["FETCH"]}, dbless=True),
        "config.methods[0]: expected one of",
    )
    assert (
        check_plugin_config("correlation-id", {"generator": "uuid"}, dbless=True) == []
    )
    assert _has(
        check_plugin_config("correlation-id", {"generator": "x"}, dbless=True),
        "expected one of",
    )
    assert check_plugin_config("prometheus", {"per_consumer": True}, dbless=True) == []
    assert check_plugin_config("file-log", {"path": "/dev/stdout"}, dbless=True) == []
    assert (
        check_plugin_config("http-log", {"http_endpoint": "http://x"}, dbless=True)
        == []
    )
    assert (
        check_plugin_config(
            "request-size-limiting", {"allowed_payload_size": 10}, dbless=True
        )
        == []
    )
    assert _has(
        check_plugin_config(
            "request-size-limiting", {"size_unit": "gigabytes"}, dbless=True
        ),
        "config.size_unit: expected one of: megabytes, kilobytes, bytes",
    )
    assert check_plugin_config("proxy-cache", {"strategy": "memory"}, dbless=True) == []
    assert (
        check_plugin_config("request-termination", {"status_code": 503}, dbless=True)
        == []
    )
    assert _has(
        check_plugin_config("request-termination", {"status_code": 99}, dbless=True),
        "between 100 and 599",
    )
    assert check_plugin_config("bot-detection", {"deny": ["curl"]}, dbless=True) == []
    assert (
        check_plugin_config(
            "request-transformer", {"add": {"headers": ["x-a:1"]}}, dbless=True
        )
        == []
    )
    assert (
        check_plugin_config(
            "response-transformer", {"remove": {"headers": ["server"]}}, dbless=True
        )
        == []
    )
    assert (
        check_plugin_config("ip-restriction", {"allow": ["10.0.0.0/8"]}, dbless=True)
        == []
    )
    assert check_plugin_config("jwt", {"claims_to_verify": ["exp"]}, dbless=True) == []
    assert _has(
        check_plugin_config("jwt", {"claims_to_verify": ["iat"]}, dbless=True),
        "expected one of: exp, nbf",
    )


def test_plugin_envelope() -> None:
    plugin = {
        "name": "cors",
        "config": {},
        "enabled": True,
        "protocols": ["http", "https"],
        "tags": ["t"],
    }
    assert check_entity("plugins", plugin) == []
    assert "consumer: value must be null" in check_entity(
        "plugins", {**plugin, "consumer": {"id": UUID1}}
    )
    assert _has(
        check_entity("plugins", {**plugin, "protocols": ["tcp"]}),
        "protocols[0]: expected one of",
    )
    assert _has(check_entity("plugins", {"name": "nope"}), "plugin 'nope' not enabled")
    assert "enabled: expected a boolean" in check_entity(
        "plugins", {**plugin, "enabled": "yes"}
    )


def test_unchecked_functions_are_reported() -> None:
    report = kongcheck.check_entity_report(
        "plugins", {"name": "cors", "config": {"origins": ["*"]}}
    )
    assert _has(report.unchecked, "config.origins[0]", "validate_asterisk_or_regex")
    listing = kongcheck.unrepresentable_checks()
    assert _has(listing["plugin rate-limiting"], "validate_periods_order")
    assert _has(listing["entity routes"], "validate_route")


# --- declarative ---------------------------------------------------------------


def _doc(**collections: Any) -> dict[str, Any]:
    return {"_format_version": "3.0", **collections}


def test_declarative_valid() -> None:
    doc = _doc(
        services=[
            {
                "name": "echo",
                "url": "http://echo.internal:8080",
                "routes": [
                    {
                        "name": "echo",
                        "paths": ["/echo"],
                        "plugins": [{"name": "key-auth"}],
                    }
                ],
                "plugins": [
                    {
                        "name": "rate-limiting",
                        "config": {
                            "minute": 5,
                            "policy": "redis",
                            "redis": {"host": "r"},
                        },
                    }
                ],
            }
        ],
        routes=[{"name": "other", "service": "echo", "hosts": ["x.example"]}],
        upstreams=[
            {
                "name": "echo.internal",
                "targets": [{"target": "10.0.0.1:8080"}, {"target": "10.0.0.2:8080"}],
            }
        ],
        targets=[{"upstream": "echo.internal", "target": "10.0.0.3:8080"}],
        consumers=[
            {
                "username": "alice",
                "keyauth_credentials": [{"key": '${{ env "DECK_ALICE_KEY" }}'}],
                "jwt_secrets": [{"key": "alice-iss", "secret": "s"}],
                "acls": [{"group": "voice"}],
                "plugins": [{"name": "rate-limiting", "config": {"minute": 1}}],
            }
        ],
        plugins=[{"name": "acl", "route": "echo", "config": {"allow": ["voice"]}}],
    )
    report = check_declarative_report(doc)
    assert report.errors == []
    assert report.placeholders == ["consumers[0].keyauth_credentials[0].key"]


def test_declarative_format_and_unknown_collections() -> None:
    assert "_format_version: required field missing" in check_declarative({})
    assert _has(
        check_declarative({"_format_version": "4.0"}),
        "_format_version: expected one of",
    )
    assert "widgets: unknown field" in check_declarative(_doc(widgets=[]))


def test_declarative_cluster_policy_refused() -> None:
    doc = _doc(
        plugins=[
            {"name": "rate-limiting", "config": {"minute": 5, "policy": "cluster"}}
        ]
    )
    assert check_declarative(doc) == [
        "plugins[0].config.policy: expected one of: local, redis"
    ]


def test_declarative_references_and_nesting() -> None:
    doc = _doc(routes=[{"name": "r", "service": "missing", "paths": ["/"]}])
    assert check_declarative(doc) == [
        "routes[0]: invalid reference 'service: missing' (no such entry in 'services')"
    ]
    doc = _doc(
        services=[
            {"name": "s", "host": "h", "routes": [{"paths": ["/"], "service": "s"}]}
        ]
    )
    assert "services[0].routes[0].service: value must be null" in check_declarative(doc)
    doc = _doc(targets=[{"target": "10.0.0.1:80"}])
    assert "targets[0].upstream: required field missing" in check_declarative(doc)
    doc = _doc(
        upstreams=[{"name": "u"}], targets=[{"target": "10.0.0.1:80", "upstream": "u"}]
    )
    assert check_declarative(doc) == []


def test_declarative_uniqueness() -> None:
    doc = _doc(services=[{"name": "s", "host": "a"}, {"name": "s", "host": "b"}])
    assert _has(
        check_declarative(doc),
        "uniqueness violation: 'services' entity with name set to 's'",
    )
    doc = _doc(
        services=[{"name": "s", "host": "a"}],
        plugins=[{"name": "cors", "service": "s"}, {"name": "cors", "service": "s"}],
    )
    assert _has(check_declarative(doc), "plugins[1]: uniqueness violation: 'plugins'")
    doc = _doc(
        upstreams=[{"name": "u", "targets": [{"target": "a:1"}, {"target": "a:1"}]}]
    )
    assert _has(check_declarative(doc), "upstreams[0].targets[1]: uniqueness violation")


def test_declarative_placeholder_only_where_string_expected() -> None:
    placeholder = '${{ env "DECK_REDIS_PORT" }}'
    doc = _doc(
        plugins=[
            {
                "name": "rate-limiting",
                "config": {
                    "minute": 1,
                    "policy": "redis",
                    "redis": {"host": "r", "port": placeholder},
                },
            }
        ]
    )
    assert "plugins[0].config.redis.port: expected an integer" in check_declarative(doc)
    doc = _doc(
        plugins=[
            {
                "name": "http-log",
                "config": {"http_endpoint": '${{ env "DECK_LOG_URL" }}'},
            }
        ]
    )
    report = check_declarative_report(doc)
    assert report.errors == []
    assert report.placeholders == ["plugins[0].config.http_endpoint"]
