"""A user's mistake in a stack file gives exit 2 and one line naming the file, the field path and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import STACKS, Edit, edit_yaml

from gateway.cli.main import main


def _set(path: list[Any], value: Any) -> Edit:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        node[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Edit:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


ASR_ROUTE = ["services", "asr", "routes", "asr-v1"]
ASR_PLUGINS = ["services", "asr", "plugins"]

# (id, file to edit, change, expected line: file, field path, words of the reason)
CASES: list[tuple[str, str, Edit, str]] = [
    ("wrong-type-port", "base", _set(["services", "config", "host"], "config-service") , "stacks/base.yaml: services.config: set exactly one of 'host' or 'upstream'"),
    ("unknown-field", "dev", _set(["services", "asr", "timeout"], 5), "stacks/dev.yaml: services.asr.timeout: unknown field; allowed:"),
    ("unknown-plugin-field", "dev", _set([*ASR_PLUGINS, "rate-limiting-inline"], {"config": {"minute": 1, "per_minute": 5}}), "stacks/dev.yaml: services.asr.plugins.rate-limiting-inline.config.per_minute: unknown field"),
    ("unknown-plugin", "base", _set(["services", "pipeline", "plugins", "rate-limiter"], {"config": {}}), "stacks/base.yaml: services.pipeline.plugins.rate-limiter: unknown field; allowed: acl, bot-detection"),
    ("dangling-upstream", "dev", _set(["services", "asr", "upstream"], "asr-typo"), "stacks/dev.yaml: services.asr.upstream: upstream 'asr-typo' does not exist"),
    ("dangling-router-upstream", "dev", _set([*ASR_PLUGINS, "language-router", "config", "fallback_upstream"], "nowhere"), "stacks/dev.yaml: services.asr.plugins.language-router.config.fallback_upstream: upstream 'nowhere' does not exist"),
    ("unknown-script", "dev", _set([*ASR_PLUGINS, "language-router", "config", "mappings"], [{"language": "hi", "script": "Roman", "upstream": "asr"}]), "stacks/dev.yaml: services.asr.plugins.language-router.config.mappings[0].script: 'Roman' is not an ISO 15924 script code such as Latn, Deva, Taml"),
    ("dangling-anonymous", "dev", _set(["services", "config", "plugins", "key-auth"], {"config": {"anonymous": "nobody"}}), "stacks/dev.yaml: services.config.plugins.key-auth.config.anonymous: consumer 'nobody' does not exist; consumers: ai4voice-client, anonymous"),
    ("duplicate-route", "dev", _set(["services", "nmt", "routes", "nmt-copy"], {"paths": ["~/api/v1/nmt$", "/api/v1/nmt/"]}), "stacks/dev.yaml: services.nmt.routes.nmt-copy: matches exactly the same requests as services.nmt.routes.nmt-v1"),
    ("duplicate-route-name", "dev", _set(["services", "tts", "routes", "asr-v1"], {"paths": ["/api/v9/tts"]}), "stacks/dev.yaml: services.tts.routes.asr-v1: route name 'asr-v1' is already used at services.asr.routes.asr-v1"),
    ("bad-path", "dev", _set([*ASR_ROUTE, "paths"], ["api/v1/asr"]), "stacks/dev.yaml: services.asr.routes.asr-v1.paths[0]: 'api/v1/asr' must start with '/' (prefix) or '~/' (regex)"),
    ("empty-segment", "dev", _set([*ASR_ROUTE, "paths"], ["/api//asr"]), "stacks/dev.yaml: services.asr.routes.asr-v1.paths[0]: path '/api//asr' must not have empty segments ('//')"),
    ("bad-regex", "dev", _set([*ASR_ROUTE, "paths"], ["~/api/v1/(asr"]), "stacks/dev.yaml: services.asr.routes.asr-v1.paths[0]: '~/api/v1/(asr' is not a valid regex"),
    ("port-range", "dev", _set(["upstreams", "asr", "targets"], [{"target": "asr-service:70000"}]), "stacks/dev.yaml: upstreams.asr.targets[0].target: 'asr-service:70000': port 70000 is out of range 1-65535"),
    ("service-port-range", "dev", _set(["services", "auth", "port"], 99999), "stacks/dev.yaml: services.auth.port: Input should be less than or equal to 65535"),
    ("cors-star-credentials", "dev", _set(["plugins", "cors", "config", "origins"], ["*"]), "stacks/dev.yaml: plugins.cors.config: "),
    ("redis-without-settings", "dev", _set([*ASR_PLUGINS, "rate-limiting-inline", "config", "policy"], "redis"), "stacks/dev.yaml: services.asr.plugins.rate-limiting-inline.config: "),
    ("limits-out-of-order", "dev", _set([*ASR_PLUGINS, "rate-limiting-inline", "config", "hour"], 10), "stacks/dev.yaml: services.asr.plugins.rate-limiting-inline.config: "),
    ("limit-by-consumer-without-auth", "dev", _set(["services", "auth", "plugins", "rate-limiting-inline", "config", "limit_by"], "consumer"), "stacks/dev.yaml: services.auth.plugins.rate-limiting-inline.config.limit_by: limit_by 'consumer' needs an authenticated consumer (Kong would silently limit by IP), but no key-auth or jwt applies on route(s) auth-v1, auth"),
    ("inline-cluster-policy", "dev", _set([*ASR_PLUGINS, "rate-limiting-inline", "config", "policy"], "cluster"), "stacks/dev.yaml: services.asr.plugins.rate-limiting-inline.config.policy: Input should be 'local' or 'redis'"),
    ("inline-sync-rate", "dev", _set([*ASR_PLUGINS, "rate-limiting-inline", "config", "sync_rate"], 1), "stacks/dev.yaml: services.asr.plugins.rate-limiting-inline.config.sync_rate: unknown field"),
    ("clear-redis-password", "staging", _set(["plugin_defaults", "rate-limiting-inline", "redis", "password"], "hunter2hunter2"), "stacks/staging.yaml: plugin_defaults.rate-limiting-inline.redis.password: must be a secret reference {secret: camelCaseName}"),
    ("bad-method", "dev", _set([*ASR_ROUTE, "methods"], ["post"]), "stacks/dev.yaml: services.asr.routes.asr-v1.methods[0]: invalid HTTP method 'post': only uppercase letters A-Z are allowed"),
    ("bad-algorithm", "dev", _set(["upstreams", "nmt", "algorithm"], "random"), "stacks/dev.yaml: upstreams.nmt.algorithm: Input should be 'round-robin', 'consistent-hashing', 'least-connections' or 'latency'"),
    ("hash-on-header-missing", "dev", _set(["upstreams", "nmt"], {"algorithm": "consistent-hashing", "hash_on": "header", "targets": [{"target": "nmt:8089"}]}), "stacks/dev.yaml: upstreams.nmt: hash_on 'header' needs hash_on_header"),
    ("missing-targets", "dev", _set(["upstreams", "nmt", "targets"], []), "stacks/dev.yaml: upstreams.nmt.targets: List should have at least 1 item"),
    ("route-without-match", "dev", _set(["services", "nmt", "routes", "nmt-extra"], {"strip_path": True}), "stacks/dev.yaml: services.nmt.routes.nmt-extra: an HTTP route must set at least one of paths, methods, hosts, headers"),
    ("jwt-without-secret", "dev", _set(["consumers", "web-user", "jwt_secrets", "mobile"], {"key": "ai4v-mobile"}), "stacks/dev.yaml: consumers.web-user.jwt_secrets.mobile: algorithm HS256 needs 'secret'"),
    ("key-in-clear", "dev", _set(["consumers", "asr-only-client", "keyauth_credentials", "primary", "key"], "plain-text-key"), "stacks/dev.yaml: consumers.asr-only-client.keyauth_credentials.primary.key: must be a mapping, not str"),
    ("bad-secret-name", "dev", _set(["consumers", "asr-only-client", "keyauth_credentials", "primary", "key"], {"secret": "Bad-Name"}), "stacks/dev.yaml: consumers.asr-only-client.keyauth_credentials.primary.key.secret: String should match pattern"),
    ("wrong-type-list", "dev", _set(["services", "asr", "routes"], ["asr-v1"]), "stacks/dev.yaml: services.asr.routes: must be a mapping, not a list"),
    ("bad-name", "dev", _set(["services", "bad name!"], {"host": "x.example", "routes": {}}), "stacks/dev.yaml: services.bad name!: 'bad name!' is not a valid name: use letters, digits and . - _ ~"),
    ("bad-header-name", "dev", _set([*ASR_ROUTE, "headers"], {"X.Version": ["v2"]}), "stacks/dev.yaml: services.asr.routes.asr-v1.headers.X.Version: bad header name 'X.Version', allowed characters are A-Z, a-z, 0-9, '_', and '-'"),
    ("bad-target-host", "dev", _set(["upstreams", "asr", "targets"], [{"target": "asr_service!:8087"}]), "stacks/dev.yaml: upstreams.asr.targets[0].target: 'asr_service!:8087' is not a valid target: use host:port or [ipv6]:port"),
    ("header-host", "dev", _set([*ASR_ROUTE, "headers"], {"Host": ["x"]}), "stacks/dev.yaml: services.asr.routes.asr-v1: headers: cannot match on 'Host'; use 'hosts'"),
]


@pytest.mark.parametrize(("stack_file", "change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_spec_gives_exit_2_and_one_line(project: Path, capsys: pytest.CaptureFixture[str], stack_file: str,
                                                change: Edit, expected: str) -> None:
    edit_yaml(project / "stacks" / f"{stack_file}.yaml", change)
    target_stack = "staging" if stack_file == "staging" else "dev"
    code = main(["--root", str(project), "validate", "--stack", target_stack])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, out + err
    assert "Traceback" not in err
    assert len(lines) == 1, "\n".join(lines)
    assert lines[0].startswith(expected)
    file, path, reason = lines[0].split(": ", 2)
    assert file.startswith("stacks/") and file.endswith(".yaml")
    assert path and reason


def test_acl_without_auth_names_every_route(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "stacks" / "base.yaml", _delete(["services", "pipeline", "plugins", "key-auth"]))
    edit_yaml(project / "stacks" / "base.yaml", _delete(["services", "pipeline", "plugins", "jwt"]))
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "stacks/base.yaml: services.pipeline.plugins.acl.config.allow: acl needs an authenticated consumer, "
        "but no key-auth or jwt applies on route(s) pipeline-v1, pipeline",
    ]


def test_yaml_syntax_error_names_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stacks" / "dev.yaml").write_text("services:\n  asr: {port: 1\n", encoding="utf-8")
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stacks/dev.yaml: (top level): invalid YAML at line 3")


def test_duplicate_yaml_key_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stacks" / "dev.yaml").write_text("services: {}\nservices: {}\n", encoding="utf-8")
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    assert "duplicate key 'services' (line 2)" in capsys.readouterr().err


def test_unknown_stack(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(project), "validate", "--stack", "qa"]) == 2
    assert capsys.readouterr().err.strip() == "stacks/qa.yaml: (top level): no stack 'qa'; stacks: " + ", ".join(STACKS)


def test_cluster_policy_refused_in_dbless(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kongs = {"config": {"minute": 5, "limit_by": "ip", "policy": "cluster"}}  # Kong's plugin, still accepted
    edit_yaml(project / "stacks" / "dev.yaml", _set([*ASR_PLUGINS, "rate-limiting"], kongs))
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 0  # DB mode: fine
    edit_yaml(project / "Pulumi.dev.yaml", _set(["config", "ai4v-gateway:mode"], "dbless"))
    capsys.readouterr()
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    assert capsys.readouterr().err.strip() == (
        "stacks/dev.yaml: services.asr.plugins.rate-limiting.config.policy: "
        "policy 'cluster' needs a database; use 'local' or 'redis' in dbless mode"
    )


def test_bad_stack_setting(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "Pulumi.dev.yaml", _set(["config", "ai4v-gateway:mode"], "cloud"))
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    assert capsys.readouterr().err.strip() == "Pulumi.dev.yaml: config.ai4v-gateway:mode: Input should be 'db' or 'dbless'"
