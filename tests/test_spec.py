"""The spec loader: overlay rules, plugin_defaults, provenance and the AI4V-Core base gateway."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, STACKS

from gateway.kong.scope import effective_plugins
from gateway.spec import SpecError, load_spec
from gateway.spec.plugins import RateLimitingInlineConfig

SERVICES = {"auth": 8081, "config": 8082, "metrics": 8083, "telemetry": 8084, "alerting": 8085,
            "dashboard": 8086, "asr": 8087, "tts": 8088, "nmt": 8089, "pipeline": 8090}
AI = ("asr", "tts", "nmt")
# (per minute, per hour) from the table
LIMITS = {"auth": (200, 2000), "asr": (100, 1000), "tts": (100, 1000), "nmt": (150, 1500),
          "pipeline": (50, 500), "config": (200, 2000), "metrics": (200, 2000), "telemetry": (200, 2000),
          "alerting": (200, 2000), "dashboard": (200, 2000)}


def write(root: Path, name: str, text: str) -> None:
    (root / "stacks").mkdir(exist_ok=True)
    (root / "stacks" / f"{name}.yaml").write_text(text, encoding="utf-8")


BASE = """
upstreams:
  a: {targets: [{target: a-1:80}, {target: a-2:80}]}
services:
  a:
    upstream: a
    routes:
      a-v1: {paths: [/a]}
      a-v2: {paths: [/a2]}
    plugins:
      rate-limiting: {config: {minute: 5, limit_by: ip}}
"""


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_loads(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    assert {svc.upstream for svc in spec.services.values()} <= set(spec.upstreams)


@pytest.mark.parametrize("stack", STACKS)
def test_base_gateway_has_every_service_behind_a_health_checked_upstream(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    for name, port in SERVICES.items():
        upstream = spec.upstreams[spec.services[name].upstream or ""]
        assert upstream.targets, name
        assert all(t.address.endswith(f":{port}") for t in upstream.targets), name
        active, passive = upstream.healthchecks.active, upstream.healthchecks.passive
        assert upstream.health_path == "/health"
        assert active.healthy.interval > 0 and active.unhealthy.interval > 0
        assert passive.unhealthy.http_failures > 0 and passive.unhealthy.tcp_failures > 0


def test_versioned_unversioned_and_header_routes() -> None:
    """Item 2 and 12 of the traffic-policy issue: one Kong service per family holds every version (so one
    rate-limit budget), and prefix paths match on segment boundaries."""
    spec = load_spec(ROOT / "stacks", "dev")
    paths = {route_name: (svc, route) for svc, route_name, route in spec.routes()}
    for name in SERVICES:
        svc, route = paths[f"{name}-v1"]
        assert svc == name and route.paths == [f"~/api/v1/{name}$", f"/api/v1/{name}/"]
        svc, route = paths[name]
        assert svc == name and route.paths == [f"~/api/{name}$", f"/api/{name}/"]
        assert spec.services[svc].path == f"/api/v1/{name}"  # strip_path: served as v1
    for name in AI:
        for route_name in (f"{name}-v2", f"{name}-v2-by-header"):
            svc, route = paths[route_name]
            assert svc == name and not route.strip_path
            rewrite = route.plugins.get("request-transformer")
            assert rewrite is not None and rewrite.config.replace.uri == f"/api/v2/{name}$(uri_captures.rest or '')"
            assert set(rewrite.config.remove.headers) == {"X-API-Key", "apikey"}
        assert paths[f"{name}-v2"][1].paths == [f"~/api/v2/{name}(?<rest>/.*)?$"]
        assert paths[f"{name}-v2-by-header"][1].headers == {"X-API-Version": ["v2"]}
    assert not any(name.endswith("-v2") for name in spec.services)


@pytest.mark.parametrize("stack", STACKS)
def test_prefix_paths_end_on_a_segment_boundary(stack: str) -> None:
    """/api/asr must not also match /api/asrX: a prefix path ends with '/', a regex with '$' or an
    optional '(/...)' group."""
    spec = load_spec(ROOT / "stacks", stack)
    for _, name, route in spec.routes():
        for path in route.paths or []:
            if path.startswith("~"):
                assert path.endswith("$"), (name, path)
            else:
                assert path.endswith("/"), (name, path)


@pytest.mark.parametrize("stack", STACKS)
def test_rate_limits_match_the_table(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    identity = spec.plugins.get("identity-guard")
    assert identity is not None
    for service_name, _, _ in spec.routes():
        assert spec.services[service_name].plugins.get("rate-limiting") is None  # Kong's: a timer per request
        config = spec.services[service_name].plugins.get("rate-limiting-inline")
        assert config is not None and isinstance(config.config, RateLimitingInlineConfig)
        limits = config.config
        assert (limits.minute, limits.hour) == LIMITS[service_name]
        if service_name == "auth":
            assert limits.limit_by == "ip"
        else:  # per end user: the header identity-guard sets after authentication
            assert (limits.limit_by, limits.header_name) == ("header", identity.config.identity_header)
        assert limits.policy == ("local" if stack == "dev" else "redis")
        if stack != "dev":
            assert limits.redis.host == "redis" and limits.redis.password is not None
    # The per-IP flood guard is nginx's, not a global rate-limiting instance that services shadow.
    assert spec.plugins.get("rate-limiting") is None and spec.plugins.get("rate-limiting-inline") is None
    assert spec.edge.flood_guard is not None and spec.edge.flood_guard.per_minute == 1000


def test_every_non_public_route_is_authenticated_and_acl_scoped() -> None:
    spec = load_spec(ROOT / "stacks", "prod")
    for service_name, route_name, _ in spec.routes():
        plugins = effective_plugins(spec, service_name, route_name)
        cors = plugins["cors"][1].config  # item 5: every API answers preflight for the stack's origins
        assert plugins["cors"][0] == ("plugins",) and "*" not in cors.origins and cors.credentials
        assert plugins["identity-guard"][0] == ("plugins",)  # item 8: global, so its rewrite phase runs
        if service_name == "auth":
            assert "key-auth" not in plugins and "jwt" not in plugins
            continue
        assert {"key-auth", "jwt", "acl"} <= set(plugins), route_name
        key_auth = plugins["key-auth"][1].config
        assert key_auth.key_names == ["apikey", "X-API-Key"] and key_auth.key_in_query and key_auth.hide_credentials
        jwt = plugins["jwt"][1].config
        assert jwt.claims_to_verify == ["exp"]  # item 6: nbf only when present (identity-guard)
        assert not key_auth.run_on_preflight and not jwt.run_on_preflight
        assert plugins["identity-guard"][1].config.reject_anonymous and plugins["identity-guard"][1].config.verify_nbf
        assert plugins["acl"][1].config.allow == [service_name]


def test_asr_only_client_reaches_only_asr() -> None:
    spec = load_spec(ROOT / "stacks", "dev")
    groups = set(spec.consumers["asr-only-client"].acl_groups)
    reachable = {svc for svc, route, _ in spec.routes()
                 if (acl := effective_plugins(spec, svc, route).get("acl")) and groups & set(acl[1].config.allow)}
    assert reachable == {"asr"}


def test_overlay_merges_maps_replaces_lists_and_null_removes(tmp_path: Path) -> None:
    write(tmp_path, "base", BASE)
    write(tmp_path, "dev", """
upstreams:
  a: {targets: [{target: a-3:80}]}
services:
  a:
    read_timeout: 1000
    routes:
      a-v2: null
    plugins:
      rate-limiting: {config: {minute: 7}}
""")
    spec = load_spec(tmp_path / "stacks", "dev")
    assert [t.target for t in spec.upstreams["a"].targets] == ["a-3:80"]
    service = spec.services["a"]
    assert service.read_timeout == 1000 and service.upstream == "a"
    assert list(service.routes) == ["a-v1"]
    limits = service.plugins.get("rate-limiting")
    assert limits is not None and (limits.config.minute, limits.config.limit_by) == (7, "ip")


def test_plugin_defaults_fill_every_instance_and_instances_win(tmp_path: Path) -> None:
    write(tmp_path, "base", BASE + """
plugins:
  rate-limiting: {config: {minute: 100, limit_by: ip, policy: local}}
""")
    write(tmp_path, "prod", """
plugin_defaults:
  rate-limiting: {policy: redis, redis: {host: redis, password: {secret: redisPassword}}}
""")
    spec = load_spec(tmp_path / "stacks", "prod")
    service_limit = spec.services["a"].plugins.get("rate-limiting")
    global_limit = spec.plugins.get("rate-limiting")
    assert service_limit is not None and global_limit is not None
    assert service_limit.config.policy == "redis" and service_limit.config.redis.host == "redis"
    assert global_limit.config.policy == "local"  # the instance's own setting wins
    assert spec.secret_names() == {"redisPassword"}


def test_plugin_defaults_for_unknown_plugin(tmp_path: Path) -> None:
    write(tmp_path, "base", BASE)
    write(tmp_path, "dev", "plugin_defaults: {rate-limit: {policy: redis}}\n")
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "stacks", "dev")
    (problem,) = caught.value.problems
    assert str(problem).startswith("stacks/dev.yaml: plugin_defaults.rate-limit: unknown plugin; known: acl,")


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    write(tmp_path, "base", BASE)
    write(tmp_path, "dev", """
services:
  a: {port: -1, retries: many, routes: {a-v1: {paths: [nope]}}}
""")
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "stacks", "dev")
    assert [str(p).split(": ")[1] for p in caught.value.problems] == [
        "services.a.port", "services.a.retries", "services.a.routes.a-v1.paths[0]",
    ]


def test_anchors_are_not_shared_after_loading(tmp_path: Path) -> None:
    write(tmp_path, "base", """
x-anchors:
  limits: &limits {rate-limiting: {config: {minute: 5, limit_by: ip}}}
upstreams:
  a: {targets: [{target: a-1:80}]}
services:
  a: {upstream: a, routes: {a-v1: {paths: [/a]}}, plugins: *limits}
  b: {upstream: a, routes: {b-v1: {paths: [/b]}}, plugins: *limits}
""")
    write(tmp_path, "dev", "services: {b: {plugins: {rate-limiting: {config: {minute: 9}}}}}\n")
    spec = load_spec(tmp_path / "stacks", "dev")
    a, b = spec.services["a"].plugins.get("rate-limiting"), spec.services["b"].plugins.get("rate-limiting")
    assert a is not None and b is not None
    assert (a.config.minute, b.config.minute) == (5, 9)


def test_secret_names_cover_credentials_and_plugin_secrets() -> None:
    spec = load_spec(ROOT / "stacks", "staging")
    assert spec.secret_names() == {"ai4voiceClientKey", "pipelineClientKey", "developerClientKey",
                                   "asrOnlyClientKey", "webUserJwtSecret", "redisPassword"}


def test_pcre_named_groups_are_accepted(tmp_path: Path) -> None:
    write(tmp_path, "base", BASE.replace("a-v2: {paths: [/a2]}", "a-v2: {paths: ['~/a/(?<task>[a-z]+)$']}"))
    write(tmp_path, "dev", "{}\n")
    assert load_spec(tmp_path / "stacks", "dev").services["a"].routes["a-v2"].paths == ["~/a/(?<task>[a-z]+)$"]
