"""gateway.spec.plugins against Kong 3.9.3's plugin schemas: defaults, unknown fields, bounds, entity checks,
secret references."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from plugin_schema import defaults
from pydantic import ValidationError

from gateway.spec.plugins import PLUGIN_CONFIGS, PluginConfig
from gateway.spec.plugins.identity import IDENTITY_HEADERS, IdentityGuardConfig
from gateway.spec.plugins.language_router import EMITTED_HEADERS, LanguageRouterConfig

MARK = "<resolved:{}>"


def resolve(name: str) -> str:
    return MARK.format(name)


def build(plugin: str, config: dict[str, Any]) -> PluginConfig:
    return PLUGIN_CONFIGS[plugin].model_validate(config)


def kong(plugin: str, config: dict[str, Any]) -> dict[str, Any]:
    return build(plugin, config).to_kong(resolve)


def messages(plugin: str, config: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        build(plugin, config)
    return [".".join(map(str, e["loc"])) + ": " + e["msg"] for e in caught.value.errors()]


# The smallest config Kong accepts for each plugin (required fields and entity checks satisfied).
MINIMAL: dict[str, dict[str, Any]] = {
    "key-auth": {},
    "jwt": {},
    "acl": {"allow": ["users"]},
    "ip-restriction": {"allow": ["10.0.0.0/8"]},
    "bot-detection": {},
    "rate-limiting": {"minute": 60},
    "rate-limiting-inline": {"minute": 60},
    "request-size-limiting": {},
    "request-termination": {},
    "proxy-cache": {"strategy": "memory"},
    "request-transformer": {},
    "response-transformer": {},
    "correlation-id": {},
    "cors": {},
    "prometheus": {},
    "file-log": {"path": "/dev/stdout"},
    "http-log": {"http_endpoint": "http://logs:8080/kong"},
    "language-router": {},
    "identity-guard": {},
}

REDIS_DEFAULTS = {"port": 6379, "timeout": 2000, "database": 0, "ssl": False, "ssl_verify": False}
QUEUE_DEFAULTS = {
    "max_batch_size": 1,
    "max_coalescing_delay": 1,
    "max_entries": 10000,
    "max_retry_time": 60,
    "initial_retry_delay": 0.01,
    "max_retry_delay": 60,
    "concurrency_limit": 1,
}
EMPTY_REQ: dict[str, list[str]] = {"body": [], "headers": [], "querystring": []}
EMPTY_RESP_ADD: dict[str, list[str]] = {"json": [], "json_types": [], "headers": []}
ALL_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"]

# What Kong stores for MINIMAL, defaults taken from each schema.lua (null fields omitted).
EXPECTED: dict[str, dict[str, Any]] = {
    "key-auth": {
        "key_names": ["apikey"],
        "hide_credentials": False,
        "key_in_header": True,
        "key_in_query": True,
        "key_in_body": False,
        "run_on_preflight": True,
    },
    "jwt": {
        "uri_param_names": ["jwt"],
        "cookie_names": [],
        "key_claim_name": "iss",
        "secret_is_base64": False,
        "run_on_preflight": True,
        "maximum_expiration": 0,
        "header_names": ["authorization"],
    },
    "acl": {"allow": ["users"], "hide_groups_header": False, "always_use_authenticated_groups": False},
    "ip-restriction": {"allow": ["10.0.0.0/8"]},
    "bot-detection": {"allow": [], "deny": []},
    "rate-limiting": {
        "minute": 60,
        "limit_by": "consumer",
        "policy": "local",
        "fault_tolerant": True,
        "redis": REDIS_DEFAULTS,
        "hide_client_headers": False,
        "error_code": 429,
        "error_message": "API rate limit exceeded",
        "sync_rate": -1,
    },
    # Kong's rate-limiting without sync_rate (it counts in the request: no timer to sync)
    "rate-limiting-inline": {
        "minute": 60,
        "limit_by": "consumer",
        "policy": "local",
        "fault_tolerant": True,
        "redis": REDIS_DEFAULTS,
        "hide_client_headers": False,
        "error_code": 429,
        "error_message": "API rate limit exceeded",
    },
    "request-size-limiting": {
        "allowed_payload_size": 128,
        "size_unit": "megabytes",
        "require_content_length": False,
    },
    "request-termination": {"status_code": 503, "echo": False},
    "proxy-cache": {
        "response_code": [200, 301, 404],
        "request_method": ["GET", "HEAD"],
        "content_type": ["text/plain", "application/json"],
        "cache_ttl": 300,
        "strategy": "memory",
        "cache_control": False,
        "ignore_uri_case": False,
        "memory": {"dictionary_name": "kong_db_cache"},
        "response_headers": {"age": True, "X-Cache-Status": True, "X-Cache-Key": True},
    },
    "request-transformer": {
        "remove": EMPTY_REQ,
        "rename": EMPTY_REQ,
        "replace": EMPTY_REQ,
        "add": EMPTY_REQ,
        "append": EMPTY_REQ,
    },
    "response-transformer": {
        "remove": {"json": [], "headers": []},
        "rename": {"json": [], "headers": []},
        "replace": EMPTY_RESP_ADD,
        "add": EMPTY_RESP_ADD,
        "append": EMPTY_RESP_ADD,
    },
    "correlation-id": {"header_name": "Kong-Request-ID", "generator": "uuid#counter", "echo_downstream": False},
    "cors": {"methods": ALL_METHODS, "credentials": False, "private_network": False, "preflight_continue": False},
    "prometheus": {
        "per_consumer": False,
        "status_code_metrics": False,
        "ai_metrics": False,
        "latency_metrics": False,
        "bandwidth_metrics": False,
        "upstream_health_metrics": False,
    },
    "file-log": {"path": "/dev/stdout", "reopen": False},
    "http-log": {
        "http_endpoint": "http://logs:8080/kong",
        "method": "POST",
        "content_type": "application/json",
        "timeout": 10000,
        "keepalive": 60000,
        "queue": QUEUE_DEFAULTS,
    },
    # schema.lua is the definition (tests/test_plugin_schemas.py)
    "language-router": defaults("language-router"),
    "identity-guard": defaults("identity-guard"),
}


def test_registry_covers_the_plugins_we_use() -> None:
    assert set(PLUGIN_CONFIGS) == set(MINIMAL) == set(EXPECTED)
    for name, model in PLUGIN_CONFIGS.items():
        assert model.plugin_name == name


@pytest.mark.parametrize("plugin", sorted(MINIMAL))
def test_defaults_serialise_as_kong_stores_them(plugin: str) -> None:
    out = kong(plugin, MINIMAL[plugin])
    assert out == EXPECTED[plugin]
    # integer-valued numbers stay integers (cjson writes 60.0 as 60)
    assert all(type(v) is not float or not v.is_integer() for v in out.values())


@pytest.mark.parametrize("plugin", sorted(MINIMAL))
def test_unknown_field_rejected(plugin: str) -> None:
    errs = messages(plugin, {**MINIMAL[plugin], "no_such_field": 1})
    assert errs == ["no_such_field: Extra inputs are not permitted"]


@pytest.mark.parametrize(
    ("plugin", "config", "field"),
    [
        ("rate-limiting", {"minute": 1, "redis_host": "redis"}, "redis_host"),
        ("rate-limiting", {"minute": 1, "redis_password": "x"}, "redis_password"),
        ("rate-limiting", {"minute": 1, "redis": {"hostname": "redis"}}, "redis.hostname"),
        ("http-log", {"http_endpoint": "http://a", "retry_count": 10}, "retry_count"),
        ("http-log", {"http_endpoint": "http://a", "queue_size": 1}, "queue_size"),
        ("http-log", {"http_endpoint": "http://a", "flush_timeout": 2}, "flush_timeout"),
        ("proxy-cache", {"strategy": "memory", "response_headers": {"x_cache_key": False}}, "response_headers.x_cache_key"),
        ("language-router", {"mappings": [{"language": "hi", "model": "x"}]}, "mappings.0.model"),
    ],
)
def test_deprecated_and_misnamed_fields_rejected(plugin: str, config: dict[str, Any], field: str) -> None:
    assert f"{field}: Extra inputs are not permitted" in messages(plugin, config)


# (plugin, config, substring expected in one error "loc: msg")
BAD: list[tuple[str, dict[str, Any], str]] = [
    # key-auth
    ("key-auth", {"key_names": ["api key"]}, "key_names.0: bad header name 'api key'"),
    ("key-auth", {"key_names": [""]}, "key_names.0: String should have at least 1 character"),
    ("key-auth", {"hide_credentials": "yes"}, "hide_credentials: Input should be a valid boolean"),
    ("key-auth", {"hide_credentials": 1}, "hide_credentials: Input should be a valid boolean"),
    ("key-auth", {"anonymous": ""}, "anonymous: String should have at least 1 character"),
    # jwt
    ("jwt", {"claims_to_verify": ["iat"]}, "claims_to_verify.0: Input should be 'exp' or 'nbf'"),
    ("jwt", {"maximum_expiration": 31536001}, "maximum_expiration: Input should be less than or equal to 31536000"),
    ("jwt", {"maximum_expiration": -1}, "maximum_expiration: Input should be greater than or equal to 0"),
    (
        "jwt",
        {"maximum_expiration": 3600, "claims_to_verify": ["nbf"]},
        ": maximum_expiration > 0 requires claims_to_verify to contain 'exp'",
    ),
    # acl
    ("acl", {}, "exactly one of allow or deny"),
    ("acl", {"allow": []}, "exactly one of allow or deny"),
    ("acl", {"allow": ["a"], "deny": ["b"]}, "exactly one of allow or deny"),
    # ip-restriction
    ("ip-restriction", {}, "at least one of allow or deny"),
    ("ip-restriction", {"deny": []}, "at least one of allow or deny"),
    ("ip-restriction", {"allow": ["10.0.0.0/33"]}, "allow.0: invalid ip or cidr range: '10.0.0.0/33'"),
    ("ip-restriction", {"allow": ["300.1.1.1"]}, "invalid ip or cidr range"),
    ("ip-restriction", {"allow": ["localhost"]}, "invalid ip or cidr range"),
    ("ip-restriction", {"allow": ["::1"], "status": "403"}, "status: Input should be a valid number"),
    # bot-detection
    ("bot-detection", {"deny": [""]}, "deny.0: String should have at least 1 character"),
    # rate-limiting
    ("rate-limiting", {}, "set at least one limit: second, minute, hour, day, month or year"),
    ("rate-limiting", {"minute": 0}, "minute: Input should be greater than 0"),
    ("rate-limiting", {"minute": "60"}, "minute: Input should be a valid number"),
    ("rate-limiting", {"minute": 100, "hour": 10}, "the hour limit (10) cannot be lower than the minute limit (100)"),
    ("rate-limiting", {"second": 5, "year": 4}, "the year limit (4) cannot be lower than the second limit (5)"),
    ("rate-limiting", {"minute": 1, "policy": "sliding"}, "policy: Input should be 'local', 'cluster' or 'redis'"),
    ("rate-limiting", {"minute": 1, "limit_by": "user"}, "limit_by: Input should be"),
    ("rate-limiting", {"minute": 1, "policy": "redis"}, "policy: redis requires redis.host"),
    ("rate-limiting", {"minute": 1, "sync_rate": 1}, "sync_rate can only be used with policy: redis"),
    (
        "rate-limiting",
        {"minute": 1, "policy": "redis", "redis": {"host": "r"}, "sync_rate": 0.01},
        "sync_rate must be at least 0.02 seconds, or -1",
    ),
    ("rate-limiting", {"minute": 1, "limit_by": "header"}, "limit_by: header requires header_name"),
    ("rate-limiting", {"minute": 1, "limit_by": "path"}, "limit_by: path requires path"),
    ("rate-limiting", {"minute": 1, "limit_by": "path", "path": "v1"}, "path: path 'v1' must start with '/'"),
    ("rate-limiting", {"minute": 1, "path": "/a//b"}, "must not have empty segments"),
    ("rate-limiting", {"minute": 1, "path": "/a b"}, "characters outside of the reserved list of RFC 3986"),
    ("rate-limiting", {"minute": 1, "path": "/a%zz"}, "must start a percent-encoded byte"),
    ("rate-limiting", {"minute": 1, "header_name": "X Key"}, "header_name: bad header name 'X Key'"),
    ("rate-limiting", {"minute": 1, "error_code": 0}, "error_code: Input should be greater than 0"),
    ("rate-limiting", {"minute": 1, "redis": {"host": "redis:6379"}}, "redis.host: host 'redis:6379' must not have a port"),
    ("rate-limiting", {"minute": 1, "redis": {"host": "re dis"}}, "redis.host: invalid host 're dis'"),
    ("rate-limiting", {"minute": 1, "redis": {"host": "bad-.example"}}, "redis.host: invalid host"),
    ("rate-limiting", {"minute": 1, "redis": {"port": 70000}}, "redis.port: Input should be less than or equal to 65535"),
    ("rate-limiting", {"minute": 1, "redis": {"timeout": -1}}, "redis.timeout: Input should be greater than or equal to 0"),
    ("rate-limiting", {"minute": 1, "redis": {"database": 1.5}}, "redis.database: Input should be a valid integer"),
    ("rate-limiting", {"minute": 1, "redis": {"server_name": "10.0.0.1"}}, "redis.server_name: server name '10.0.0.1' must be a host name"),
    # rate-limiting-inline: Kong's checks, from the same base; no cluster policy, no sync_rate
    ("rate-limiting-inline", {}, "set at least one limit: second, minute, hour, day, month or year"),
    ("rate-limiting-inline", {"minute": 100, "hour": 10}, "the hour limit (10) cannot be lower than the minute limit (100)"),
    ("rate-limiting-inline", {"minute": 1, "policy": "cluster"}, "policy: Input should be 'local' or 'redis'"),
    ("rate-limiting-inline", {"minute": 1, "sync_rate": 1}, "sync_rate: Extra inputs are not permitted"),
    ("rate-limiting-inline", {"minute": 1, "policy": "redis"}, "policy: redis requires redis.host"),
    ("rate-limiting-inline", {"minute": 1, "limit_by": "header"}, "limit_by: header requires header_name"),
    ("rate-limiting-inline", {"minute": 1, "limit_by": "path"}, "limit_by: path requires path"),
    ("rate-limiting-inline", {"minute": 1, "redis": {"host": "r", "password": "pw"}}, "redis.password"),
    # request-size-limiting
    ("request-size-limiting", {"size_unit": "gigabytes"}, "size_unit: Input should be 'megabytes', 'kilobytes' or 'bytes'"),
    ("request-size-limiting", {"allowed_payload_size": 1.5}, "allowed_payload_size: Input should be a valid integer"),
    # request-termination
    ("request-termination", {"status_code": 99}, "status_code: Input should be greater than or equal to 100"),
    ("request-termination", {"status_code": 600}, "status_code: Input should be less than or equal to 599"),
    ("request-termination", {"message": "m", "body": "b"}, "message cannot be used with content_type or body"),
    ("request-termination", {"message": "m", "content_type": "text/plain"}, "message cannot be used with content_type"),
    ("request-termination", {"content_type": "text/plain"}, "content_type requires a body"),
    ("request-termination", {"echo": True, "body": "b"}, "echo cannot be used with content_type or body"),
    ("request-termination", {"trigger": "X Debug"}, "trigger: bad header name"),
    # proxy-cache
    ("proxy-cache", {}, "strategy: Field required"),
    ("proxy-cache", {"strategy": "redis"}, "strategy: Input should be 'memory'"),
    ("proxy-cache", {"strategy": "memory", "response_code": []}, "response_code: List should have at least 1 item"),
    ("proxy-cache", {"strategy": "memory", "response_code": [99]}, "response_code.0: Input should be greater than or equal to 100"),
    ("proxy-cache", {"strategy": "memory", "response_code": [901]}, "response_code.0: Input should be less than or equal to 900"),
    ("proxy-cache", {"strategy": "memory", "request_method": ["DELETE"]}, "request_method.0: Input should be"),
    ("proxy-cache", {"strategy": "memory", "cache_ttl": 0}, "cache_ttl: Input should be greater than 0"),
    ("proxy-cache", {"strategy": "memory", "memory": {"dictionary_name": ""}}, "memory.dictionary_name: String should have at least 1"),
    # request-transformer
    ("request-transformer", {"http_method": "get"}, "http_method: invalid HTTP method 'get'"),
    ("request-transformer", {"add": {"headers": ["X-Foo"]}}, "add.headers.0: 'X-Foo' must be written as 'name:value'"),
    ("request-transformer", {"add": {"headers": ["X Foo:1"]}}, "add.headers.0: bad header name 'X Foo'"),
    ("request-transformer", {"add": {"querystring": ["q"]}}, "add.querystring.0: 'q' has no value"),
    ("request-transformer", {"append": {"body": ["k:"]}}, "append.body.0: 'k:' has no value"),
    ("request-transformer", {"replace": {"uri": ""}}, "replace.uri: String should have at least 1 character"),
    ("request-transformer", {"rename": {"headers": ["X-Old:"]}}, "rename.headers.0: 'X-Old:' must be written as 'old-header:new-header'"),
    ("request-transformer", {"rename": {"headers": ["X-Old:New Name"]}}, "rename.headers.0: bad header name 'New Name'"),
    ("request-transformer", {"remove": {"headers": ["Bad Header"]}}, "remove.headers.0: bad header name 'Bad Header'"),
    ("request-transformer", {"remove": {"uri": "/x"}}, "remove.uri: Extra inputs are not permitted"),
    # response-transformer
    ("response-transformer", {"add": {"json": ["key"]}}, "add.json.0: 'key' must be written as 'name:value'"),
    ("response-transformer", {"add": {"json_types": ["object"]}}, "add.json_types.0: Input should be 'boolean', 'number' or 'string'"),
    ("response-transformer", {"rename": {"headers": ["a:b c"]}}, "rename.headers.0: bad header name 'b c'"),
    ("response-transformer", {"rename": {"json_types": []}}, "rename.json_types: Extra inputs are not permitted"),
    # correlation-id
    ("correlation-id", {"generator": "ulid"}, "generator: Input should be 'uuid', 'uuid#counter' or 'tracker'"),
    ("correlation-id", {"header_name": ""}, "header_name: String should have at least 1 character"),
    # cors
    ("cors", {"methods": ["FETCH"]}, "methods.0: Input should be"),
    ("cors", {"max_age": "3600"}, "max_age: Input should be a valid number"),
    ("cors", {"credentials": True}, "credentials: true needs explicit origins"),
    ("cors", {"credentials": True, "origins": ["https://a.example", "*"]}, "credentials: true needs explicit origins"),
    # prometheus
    ("prometheus", {"per_consumer": "true"}, "per_consumer: Input should be a valid boolean"),
    # file-log
    ("file-log", {}, "path: Field required"),
    ("file-log", {"path": "/tmp/*.log"}, "path: '/tmp/*.log' is not a valid filename"),
    ("file-log", {"path": "/tmp/a", "custom_fields_by_lua": {"f": ""}}, "custom_fields_by_lua.f: String should have at least 1"),
    # http-log
    ("http-log", {}, "http_endpoint: Field required"),
    ("http-log", {"http_endpoint": "logs:8080"}, "http_endpoint: url 'logs:8080' has no scheme"),
    ("http-log", {"http_endpoint": "http:///x"}, "http_endpoint: url 'http:///x' has no host"),
    ("http-log", {"http_endpoint": "http://a", "method": "GET"}, "method: Input should be 'POST', 'PUT' or 'PATCH'"),
    ("http-log", {"http_endpoint": "http://a", "content_type": "text/plain"}, "content_type: Input should be"),
    ("http-log", {"http_endpoint": "http://a", "headers": {"Host": "x"}}, "headers.Host.[key]: headers cannot contain 'Host'"),
    ("http-log", {"http_endpoint": "http://a", "headers": {"content-type": "x"}}, "headers cannot contain 'content-type'"),
    ("http-log", {"http_endpoint": "http://a", "headers": {"X Bad": "x"}}, "bad header name 'X Bad'"),
    (
        "http-log",
        {"http_endpoint": "https://u:p@logs/x", "headers": {"authorization": "Basic x"}},
        "give credentials either in http_endpoint (user:pass@) or in an Authorization header, not both",
    ),
    ("http-log", {"http_endpoint": "http://a", "queue": {"max_batch_size": 0}}, "queue.max_batch_size: Input should be greater than or equal to 1"),
    ("http-log", {"http_endpoint": "http://a", "queue": {"max_coalescing_delay": 3601}}, "queue.max_coalescing_delay: Input should be less than or equal to 3600"),
    ("http-log", {"http_endpoint": "http://a", "queue": {"initial_retry_delay": 0}}, "queue.initial_retry_delay: Input should be greater than or equal to 0.001"),
    ("http-log", {"http_endpoint": "http://a", "queue": {"concurrency_limit": 2}}, "queue.concurrency_limit: concurrency_limit must be 1 or -1"),
    # language-router (lua/kong/plugins/language-router/schema.lua)
    ("language-router", {"sources": []}, "sources: List should have at least 1 item"),
    ("language-router", {"sources": ["cookie"]}, "sources.0: Input should be 'header', 'query', 'body' or 'detect'"),
    ("language-router", {"min_confidence": 1.5}, "min_confidence: Input should be less than or equal to 1"),
    ("language-router", {"min_confidence": -0.1}, "min_confidence: Input should be greater than or equal to 0"),
    ("language-router", {"max_body_bytes": 0}, "max_body_bytes: Input should be greater than 0"),
    ("language-router", {"preset": "ocr"}, "preset: Input should be 'none', 'asr', 'tts', 'nmt' or 'pipeline'"),
    ("language-router", {"mappings": [{"upstream": "asr-hi"}]}, "mappings.0.language: Field required"),
    ("language-router", {"header_names": ["X Lang"]}, "header_names.0: bad header name"),
    ("language-router", {"body_language_path": "config..language"}, "body_language_path: 'config..language' is not a dotted path"),
    ("language-router", {"body_language_path": "input[*].x"}, "is not a dotted path"),
    ("language-router", {"detect_fields": ["input[*]..source"]}, "detect_fields.0: 'input[*]..source' is not a dotted path"),
    ("language-router", {"set_service_id": "no"}, "set_service_id: Input should be a valid boolean"),
    ("language-router", {"mappings": [{"language": "hi", "script": "Roman"}]},
     "mappings.0.script: 'Roman' is not an ISO 15924 script code such as Latn, Deva, Taml"),
    ("language-router", {"mappings": [{"language": "hi", "script": "Qaaa"}]}, "mappings.0.script: 'Qaaa' is not"),
    ("language-router", {"body_script_path": "input[*].script"}, "body_script_path: 'input[*].script' is not a dotted path"),
    ("language-router", {"script_header_names": ["X Script"]}, "script_header_names.0: bad header name"),
]


@pytest.mark.parametrize(("plugin", "config", "expected"), BAD, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BAD)])
def test_bad_input_rejected_with_useful_message(plugin: str, config: dict[str, Any], expected: str) -> None:
    errs = messages(plugin, config)
    assert any(expected in e for e in errs), errs


@pytest.mark.parametrize(
    ("plugin", "config"),
    [
        ("jwt", {"maximum_expiration": 3600, "claims_to_verify": ["exp", "nbf"]}),
        ("jwt", {"maximum_expiration": 3600}),  # Kong's conditional passes when claims_to_verify is null
        ("ip-restriction", {"allow": ["10.0.0.1", "192.168.0.0/16"], "deny": ["::1", "2001:db8::/32"]}),
        ("rate-limiting", {"second": 5, "minute": 5, "hour": 100, "day": 1000.5}),
        ("rate-limiting", {"minute": 1, "limit_by": "header", "header_name": "X-Client-Id"}),
        ("rate-limiting", {"minute": 1, "limit_by": "path", "path": "/v1/asr%20x"}),
        ("rate-limiting", {"minute": 1, "policy": "redis", "redis": {"host": "10.0.0.5"}, "sync_rate": 0.02}),
        ("rate-limiting", {"minute": 1, "policy": "redis", "redis": {"host": "redis.internal.", "server_name": "redis.internal"}}),
        ("rate-limiting", {"minute": 1, "policy": "cluster"}),
        ("rate-limiting-inline", {"minute": 1, "policy": "redis", "redis": {"host": "redis", "password": {"secret": "r"}}}),
        ("rate-limiting-inline", {"second": 5, "minute": 5, "limit_by": "header", "header_name": "X-Client-Id"}),
        ("request-termination", {"body": "{}", "content_type": "application/json"}),
        ("request-termination", {"message": "maintenance", "status_code": 503, "trigger": "X-Maintenance"}),
        ("request-termination", {"echo": True}),
        ("request-transformer", {"add": {"headers": ["X-Empty:"], "body": ["a:$(headers.x)"]}, "replace": {"uri": "/v2"}}),
        ("request-transformer", {"rename": {"headers": ["X-Old:X-New"]}, "remove": {"headers": ["X-Drop"]}}),
        ("response-transformer", {"add": {"json": ["ok:true"], "json_types": ["boolean"]}}),
        ("cors", {"origins": ["https://app.example", "https://.*\\.example$"], "credentials": True}),
        ("cors", {"origins": ["*"], "max_age": 3600}),
        ("http-log", {"http_endpoint": "https://u:p@logs/x", "headers": {"X-Tenant": "t"}}),
        ("http-log", {"http_endpoint": "http://logs", "queue": {"concurrency_limit": -1, "max_bytes": 1000}}),
        ("language-router", {"body_language_path": "pipelineTasks[0].config.language.sourceLanguage"}),
        ("language-router", {"mappings": [{"language": "hi", "upstream": "asr-indo-aryan", "service_id": "ai4bharat/x"}]}),
        ("language-router", {"mappings": [{"language": "hi", "script": "Latn", "service_id": "ai4bharat/xlit"},
                                          {"language": "ta", "script": "taml"}]}),
    ],
)
def test_good_input_accepted(plugin: str, config: dict[str, Any]) -> None:
    build(plugin, config)


def test_numbers_keep_kong_types() -> None:
    out = kong("rate-limiting", {"second": 1.5, "minute": 90})
    assert out["second"] == 1.5 and type(out["minute"]) is int
    assert out["sync_rate"] == -1 and type(out["sync_rate"]) is int
    assert type(kong("http-log", MINIMAL["http-log"])["queue"]["initial_retry_delay"]) is float


def test_sets_drop_duplicates_like_kong() -> None:
    out = kong("jwt", {"header_names": ["authorization", "x-jwt", "authorization"], "claims_to_verify": ["exp", "exp"]})
    assert out["header_names"] == ["authorization", "x-jwt"]
    assert out["claims_to_verify"] == ["exp"]


def test_proxy_cache_header_fields_use_kong_names() -> None:
    out = kong("proxy-cache", {"strategy": "memory", "response_headers": {"X-Cache-Key": False, "age": False}})
    assert out["response_headers"] == {"age": False, "X-Cache-Status": True, "X-Cache-Key": False}


def test_response_transformer_json_field_uses_kong_name() -> None:
    out = kong("response-transformer", {"remove": {"json": ["secret"]}})
    assert out["remove"] == {"json": ["secret"], "headers": []}


# --- secrets ---------------------------------------------------------------------------------------

REDIS_WITH_SECRETS = {
    "minute": 60,
    "policy": "redis",
    "redis": {"host": "redis", "password": {"secret": "redisPassword"}, "username": {"secret": "redisUser"}},
}


def test_redis_secrets_resolved_by_to_kong() -> None:
    config = build("rate-limiting", REDIS_WITH_SECRETS)
    assert config.secret_names() == {"redisPassword", "redisUser"}
    redis = config.to_kong(resolve)["redis"]
    assert redis == {**REDIS_DEFAULTS, "host": "redis", "password": MARK.format("redisPassword"), "username": MARK.format("redisUser")}


def test_secret_resolver_can_return_placeholder() -> None:
    from gateway.spec.refs import deck_placeholder

    redis = build("rate-limiting", REDIS_WITH_SECRETS).to_kong(deck_placeholder)["redis"]
    assert redis["password"] == '${{ env "DECK_REDIS_PASSWORD" }}'


def test_redis_username_may_be_plain() -> None:
    config = build("rate-limiting", {"minute": 1, "redis": {"username": "kong"}})
    assert config.secret_names() == set()
    assert config.to_kong(resolve)["redis"]["username"] == "kong"


@pytest.mark.parametrize("password", ["hunter2", "", 12345])
def test_redis_password_in_clear_rejected(password: Any) -> None:
    errs = messages("rate-limiting", {"minute": 1, "redis": {"host": "r", "password": password}})
    assert errs == ["redis.password: must be a secret reference {secret: camelCaseName}; a clear value is never allowed here"]


def test_secret_ref_shape_checked() -> None:
    errs = messages("rate-limiting", {"minute": 1, "redis": {"password": {"secret": "Redis-Password"}}})
    assert any("redis.password.secret" in e for e in errs), errs
    errs = messages("rate-limiting", {"minute": 1, "redis": {"password": {"secret": "x", "value": "y"}}})
    assert any("redis.password.value: Extra inputs are not permitted" in e for e in errs), errs


@pytest.mark.parametrize("username", ["", 5, {"secret": "Bad-Name"}])
def test_redis_username_errors_are_one_sentence(username: Any) -> None:
    errs = messages("rate-limiting", {"minute": 1, "redis": {"username": username}})
    assert errs == ["redis.username: expected a non-empty string or a secret reference {secret: camelCaseName}"]


def test_http_log_header_values_may_be_secrets() -> None:
    config = build(
        "http-log",
        {"http_endpoint": "https://logs/x", "headers": {"Authorization": {"secret": "logToken"}, "X-Tenant": "ai4v"}},
    )
    assert config.secret_names() == {"logToken"}
    assert config.to_kong(resolve)["headers"] == {"Authorization": MARK.format("logToken"), "X-Tenant": "ai4v"}


def test_plugins_without_secret_fields_name_none() -> None:
    for plugin, config in MINIMAL.items():
        assert build(plugin, config).secret_names() == set(), plugin


@pytest.mark.parametrize(
    ("field", "path", "ok"),
    [
        ("body_language_path", "[0].config.language.sourceLanguage", True),
        ("body_language_path", "a.[0]", True),  # accepted by the plugin's json_path.compile too
        ("body_language_path", "a[0]b", False),
        ("body_language_path", "a[1234567890]", False),
        ("service_id_path", "pipelineTasks[*].config.serviceId", False),
        ("service_id_path", ".".join(["a"] * 32), True),
        ("service_id_path", ".".join(["a"] * 33), False),
    ],
)
def test_language_router_path_grammar(field: str, path: str, ok: bool) -> None:
    if ok:
        build("language-router", {field: path})
    else:
        assert any(e.startswith(f"{field}: ") for e in messages("language-router", {field: path}))


def test_owned_header_lists_are_the_handlers() -> None:
    """Issue 22 item 14: the headers each of our plugins removes under any spelling come from one list per
    plugin model, the same the Lua plugin uses (language-router's ``HEADER_*`` in report.lua, identity-guard's
    default ``strip_headers`` = schema.lua ``IDENTITY_HEADERS``)."""
    lua = Path(__file__).resolve().parent.parent / "lua" / "kong" / "plugins"
    report = (lua / "language-router" / "report.lua").read_text(encoding="utf-8")
    headers = dict(re.findall(r'^local (HEADER_\w+) = "([^"]+)"', report, re.M))
    assert set(headers.values()) == set(EMITTED_HEADERS)
    # OWNED_HEADERS: the lower-cased values of the constants HEADERS lists
    listed = re.search(r"^local HEADERS = \{ ([A-Z_, ]+) \}\n(?:--.*\n)*local OWNED_HEADERS = \{\}\n"
                       r"for _, name in ipairs\(HEADERS\) do\n  OWNED_HEADERS\[lower\(name\)\] = true", report, re.M)
    assert listed, "OWNED_HEADERS is no longer built from the HEADER_* constants"
    owned = {headers[constant].lower() for constant in listed[1].split(", ")}
    assert owned == LanguageRouterConfig().sets_headers()
    assert defaults("identity-guard")["strip_headers"] == IDENTITY_HEADERS
    assert IdentityGuardConfig().sets_headers() == {n.lower() for n in [*IDENTITY_HEADERS, "X-Client-Identity"]}



def test_rate_limit_table_says_when_counts_are_kept_in_memory() -> None:
    """Issue 23 item 3: the rate-limit table (docs/RATE_LIMITING.md) tells ``policy: redis`` with a
    ``sync_rate`` (each worker counts in memory and writes every ``sync_rate`` seconds, policies/init.lua
    ``rate_limited_sync``; the operator's option priced in docs/PERFORMANCE.md) from Redis asked on every
    request."""
    from gateway.docs.limits import limits_table
    from gateway.spec.models import GatewaySpec
    from gateway.spec.plugins.traffic import RateLimitingConfig, RedisConfig

    assert RateLimitingConfig(minute=1).counters() == "each node"
    assert RateLimitingConfig(minute=1, policy="redis", redis=RedisConfig(host="r")).counters() == "Redis, shared"
    synced = RateLimitingConfig(minute=1, policy="redis", redis=RedisConfig(host="r"), sync_rate=0.5)
    assert synced.counters() == "Redis, shared, synced every 0.5 s"
    spec = GatewaySpec.model_validate({
        "upstreams": {"u": {"targets": [{"target": "u:80"}]}},
        "services": {"s": {"upstream": "u", "routes": {"r": {"paths": ["/s"]}}, "plugins": {"rate-limiting": {
            "config": {"minute": 5, "limit_by": "ip", "policy": "redis", "redis": {"host": "r"}, "sync_rate": 2}}}}},
    })
    assert "| ip | Redis, shared, synced every 2 s |" in limits_table(spec)


def test_rate_limiting_inline_is_kongs_rate_limiting_counted_in_the_request() -> None:
    """Issue 23 item 2: ``rate-limiting-inline`` has Kong 3.9.3's rate-limiting fields, defaults, order and
    checks (kong/plugins/rate-limiting/schema.lua) from one shared base, less ``sync_rate`` and the ``cluster``
    policy; it runs where Kong's does (priority 910) and the rules about rate limits apply to it alike."""
    from gateway.spec.plugins.traffic import RateLimitingBase, RateLimitingConfig, RateLimitingInlineConfig

    inline, bundled = RateLimitingInlineConfig, RateLimitingConfig
    assert issubclass(inline, RateLimitingBase) and issubclass(bundled, RateLimitingBase)
    assert list(inline.model_fields) == [f for f in bundled.model_fields if f != "sync_rate"]
    # one home: the subclasses declare only what differs (policy narrowed, sync_rate), never the checks again
    assert set(inline.__annotations__) == {"policy"} and set(bundled.__annotations__) == {"sync_rate"}
    assert "_kong_checks" not in vars(inline) and "_kong_checks" not in vars(bundled)
    assert (inline.priority, inline.phases, inline.plugin_name) == (bundled.priority, bundled.phases, "rate-limiting-inline")
    assert inline.counts_requests and bundled.counts_requests
    assert not any(m.counts_requests for n, m in PLUGIN_CONFIGS.items() if n not in (inline.plugin_name, bundled.plugin_name))
    per_user = {"minute": 5, "limit_by": "header", "header_name": "X-Client-Identity"}
    assert build("rate-limiting-inline", per_user).needs_gateway_header() == (("header_name",), "X-Client-Identity")
    need = build("rate-limiting-inline", {"minute": 5}).needs_consumer()
    assert need is not None and need[0] == ("limit_by",)
    assert list(build("rate-limiting-inline", {"minute": 5}).dbless_problems()) == []
    assert [loc for loc, _ in build("rate-limiting", {"minute": 5, "policy": "cluster"}).dbless_problems()] == [("policy",)]
    counting = inline(minute=5).counting()
    assert "in the request" in counting and "lua/kong/plugins/rate-limiting-inline/handler.lua" in counting
    assert "timer" in bundled(minute=5).counting()


def test_rate_limit_table_names_the_counting_plugin() -> None:
    """Issue 23 item 2: the rate-limit table lists rate-limiting-inline and Kong's rate-limiting, each with its
    name, and counts the routes where Kong runs each (one instance per plugin name and request)."""
    from gateway.docs.limits import limits_table
    from gateway.spec.models import GatewaySpec

    spec = GatewaySpec.model_validate({
        "upstreams": {"u": {"targets": [{"target": "u:80"}]}},
        "services": {"s": {"upstream": "u", "routes": {"r": {"paths": ["/s"]}, "q": {"paths": ["/q"], "plugins": {
            "rate-limiting": {"config": {"minute": 9, "limit_by": "ip"}}}}},
                           "plugins": {"rate-limiting-inline": {"config": {"minute": 5, "limit_by": "ip"}}}}},
    })
    rows = limits_table(spec).splitlines()[2:]
    assert [r.split(" | ")[:4] for r in rows] == [["| rate-limiting-inline", "service s", "2 of 2 routes", "5/minute"],
                                                   ["| rate-limiting", "route q", "1 of 1 routes", "9/minute"]]
