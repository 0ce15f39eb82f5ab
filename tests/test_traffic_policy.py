"""The traffic-policy issue, item by item, on what the program renders (kong.yml, nginx includes) and
what DB mode sends under mocks. What Kong does with it at request time is cited from Kong 3.9.3's
source in docs/SECURITY.md; the identity-guard plugin's behaviour is in lua/spec/identity_guard_spec.lua."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from platform_helpers import DOCKER_STACKS, STACKS, cached_run, containers, env_of, uploads_of
from pulumi_harness import ROOT, reveal
from test_entities import deployed

from gateway.kong.declarative import render
from gateway.kong.scope import effective_plugins
from gateway.platform import kongconf
from gateway.spec import SpecError, load_spec
from gateway.spec.models import Edge
from gateway.spec.plugins.identity import IDENTITY_HEADERS
from gateway.spec.refs import deck_placeholder
from gateway.stack.images import IMAGES, floating_tag
from gateway.stack.settings import StackSettings, read_stack_settings

K = "kong:index/"


def kong_nodes(stack: str, overrides: tuple[tuple[str, str], ...] = ()) -> list[Any]:
    run = cached_run(stack, overrides)
    nodes = [c for name, c in containers(run).items() if re.fullmatch(r"kong-\d+", name)]
    assert nodes, f"{stack}: no Kong container (the Kubernetes platform's pods: tests/test_kubernetes.py)"
    return nodes


def rendered(stack: str) -> dict[str, Any]:
    return render(load_spec(ROOT / "stacks", stack, "dbless"), stack, deck_placeholder)


def plugins_by_scope(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(scope, plugin name) -> config: scope is 'global', a service name or 'route:<name>'."""
    out = {("global", p["name"]): p["config"] for p in doc.get("plugins", [])}
    for service in doc["services"]:
        out.update({(service["name"], p["name"]): p["config"] for p in service.get("plugins", [])})
        for route in service.get("routes", []):
            out.update({(f"route:{route['name']}", p["name"]): p["config"] for p in route.get("plugins", [])})
    return out


# --- items 1 and 2: a budget per end user, one per service family ------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_rendered_limits_count_per_user_and_per_family(stack: str) -> None:
    doc = rendered(stack)
    plugins = plugins_by_scope(doc)
    guard = plugins[("global", "identity-guard")]
    for service in doc["services"]:
        limit = plugins[(service["name"], "rate-limiting-inline")]
        if service["name"] == "auth":
            assert limit["limit_by"] == "ip"
        else:
            assert (limit["limit_by"], limit["header_name"]) == ("header", guard["identity_header"])
        # Every route of the family (v1, v2, unversioned, by header) is in this one service, so Kong's
        # counter key (route_id, service_id, identifier) is the same for all of them.
        assert not any((f"route:{r['name']}", name) in plugins for r in service.get("routes", [])
                       for name in ("rate-limiting", "rate-limiting-inline"))
    families = {s["name"] for s in doc["services"]}
    assert families == {"auth", "config", "metrics", "telemetry", "alerting", "dashboard", "asr", "tts", "nmt",
                        "pipeline"}


def test_a_client_chosen_header_is_refused_as_a_bucket(project: Any) -> None:
    from conftest import edit_yaml

    def change(doc: dict[str, Any]) -> None:
        doc["services"]["nmt"]["plugins"]["rate-limiting-inline"]["config"]["header_name"] = "X-User"
    edit_yaml(project / "stacks" / "base.yaml", change)
    with pytest.raises(SpecError) as exc:
        load_spec(project / "stacks", "dev")
    assert [str(p) for p in exc.value.problems] == [
        "stacks/base.yaml: services.nmt.plugins.rate-limiting-inline.config.header_name: header 'X-User' is whatever the "
        "client sends, so a client could pick its own bucket; use a header that a global plugin sets after "
        "removing the client's copy (identity-guard's identity_header), or limit_by consumer or ip"
    ]


def test_routes_of_a_merged_service_move_in_place() -> None:
    """asr-v2 became routes of asr: in DB mode the routes keep their state (an alias to their old
    parent), so Pulumi updates service_id instead of creating a route whose name Kong still holds."""
    _, result = deployed("dev")
    route = next(r for r in result.of_type(f"{K}route:Route") if r.name == "kong-route-asr-v2")
    moved = [(a["spec"]["name"], a["spec"]["parentUrn"].rsplit("::", 1)[1]) for a in route.options["aliases"]
             if a["spec"]["parentUrn"]]
    # deployed under the old service, with the names of before or after they derived from the component
    assert moved == [("route-asr-v2", "service-asr-v2"), ("kong-route-asr-v2", "kong-service-asr-v2")]
    assert all(a["spec"]["parentUrn"].endswith(f"$kong:index/service:Service::{p}")
               for a, (_, p) in zip([a for a in route.options["aliases"] if a["spec"]["parentUrn"]], moved, strict=True))
    plain = next(r for r in result.of_type(f"{K}route:Route") if r.name == "kong-route-pipeline-v1")
    assert plain.options["aliases"] == [{"spec": {"name": "route-pipeline-v1", "parentUrn": ""}}]


# --- item 3: the per-IP flood guard runs on every route, before any plugin -----------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_flood_guard_is_nginx_limit_req_on_every_node(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    # a global instance would be shadowed by every service
    assert spec.plugins.get("rate-limiting") is None and spec.plugins.get("rate-limiting-inline") is None
    for node in kong_nodes(stack):
        env, uploads = env_of(node), uploads_of(node)
        assert env["KONG_NGINX_HTTP_INCLUDE"] == kongconf.NGINX_HTTP_CONF
        assert env["KONG_NGINX_PROXY_INCLUDE"] == kongconf.NGINX_PROXY_CONF
        http, proxy = uploads[kongconf.NGINX_HTTP_CONF], uploads[kongconf.NGINX_PROXY_CONF]
        assert "limit_req_zone $binary_remote_addr zone=ai4v_flood:10m rate=1000r/m;" in http
        assert "limit_req zone=ai4v_flood burst=200 nodelay;" in proxy
        assert "limit_req_status 429;" in proxy and "error_page 429 @ai4v_flood;" in proxy
        assert re.search(r"location @ai4v_flood \{ default_type application/json; return 429 '\{.*\}'; \}", proxy)


def test_flood_guard_can_be_turned_off_and_tuned() -> None:
    assert "limit_req" not in kongconf.nginx_proxy_conf(Edge(flood_guard=None))
    tuned = Edge.model_validate({"flood_guard": {"per_minute": 60, "burst": 0}})
    assert "rate=60r/m" in kongconf.nginx_http_conf(tuned) and "burst=0 " in kongconf.nginx_proxy_conf(tuned)


# --- item 4: the client address behind a load balancer -------------------------------------------------

def test_trusted_ips_render_to_kong_settings() -> None:
    for node in kong_nodes("dev"):
        assert "KONG_TRUSTED_IPS" not in env_of(node)  # default: nobody's forwarding headers are believed
    nodes = kong_nodes("dev", (("trustedIps", "10.0.0.0/8,192.168.10.5"), ("realIpHeader", "X-Real-IP")))
    env = env_of(nodes[0])
    assert env["KONG_TRUSTED_IPS"] == "10.0.0.0/8,192.168.10.5"
    assert env["KONG_REAL_IP_HEADER"] == "X-Real-IP" and env["KONG_REAL_IP_RECURSIVE"] == "on"


def test_a_bad_trusted_ip_is_one_line(tmp_path: Any) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  ai4v-gateway:trustedIps: 10.0.0.0/8,lb.local\n")
    with pytest.raises(SpecError) as exc:
        read_stack_settings(tmp_path, "x")
    assert [str(p) for p in exc.value.problems] == [
        "Pulumi.x.yaml: config.ai4v-gateway:trustedIps: Value error, 'lb.local' is not an IP address or CIDR "
        "range (e.g. 10.0.0.0/8)"
    ]


# --- item 5: browsers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_api_answers_preflight_for_the_stacks_origins(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    origins = spec.plugins.get("cors")
    assert origins is not None and origins.config.credentials and "*" not in origins.config.origins
    for service, route, _ in spec.routes():
        plugins = effective_plugins(spec, service, route)
        assert plugins["cors"][0] == ("plugins",), route  # one list per stack
        for auth in ("key-auth", "jwt"):
            if auth in plugins:
                assert plugins[auth][1].config.run_on_preflight is False, route


# --- item 7: no credential in any log -----------------------------------------------------------------

NGINX_VARIABLES = {
    # What nginx would hold for: GET /api/v1/asr?apikey=SECRET-KEY&jwt=SECRET-JWT HTTP/1.1, with the key
    # also in headers and a referring page that had it in its URL.
    "$remote_addr": "203.0.113.7", "$remote_user": "", "$time_local": "30/Nov/2026:10:00:00 +0000",
    "$time_iso8601": "2026-11-30T10:00:00+00:00", "$request_method": "GET",
    "$request": "GET /api/v1/asr?apikey=SECRET-KEY&jwt=SECRET-JWT HTTP/1.1",
    "$request_uri": "/api/v1/asr?apikey=SECRET-KEY&jwt=SECRET-JWT", "$args": "apikey=SECRET-KEY&jwt=SECRET-JWT",
    "$query_string": "apikey=SECRET-KEY&jwt=SECRET-JWT", "$uri": "/api/v1/asr", "$server_protocol": "HTTP/1.1",
    "$status": "200", "$body_bytes_sent": "17", "$request_time": "0.004", "$upstream_response_time": "0.003",
    "$http_user_agent": "curl/8.5.0", "$http_referer": "https://app.example/?apikey=SECRET-KEY",
    "$http_x_api_key": "SECRET-KEY", "$http_apikey": "SECRET-KEY", "$http_authorization": "Bearer SECRET-JWT",
    "$kong_request_id": "0d1e2f", "$http_x_correlation_id": "c0ffee",
}


def nginx_log_line(log_format: str) -> str:
    """What nginx writes for NGINX_VARIABLES with this ``log_format`` value (name, options, strings)."""
    template = "".join(re.findall(r"'([^']*)'", log_format))
    unknown = set(re.findall(r"\$[a-z_0-9]+", template)) - set(NGINX_VARIABLES)
    assert not unknown, f"add these variables to NGINX_VARIABLES: {unknown}"
    return re.sub(r"\$[a-z_0-9]+", lambda m: NGINX_VARIABLES[m.group(0)], template)


def test_access_log_cannot_write_a_key_from_the_query() -> None:
    line = nginx_log_line(kongconf.access_log_format())
    assert "SECRET" not in line
    entry = json.loads(line)
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/v1/asr", "200")
    # The control: nginx's combined-style format that Kong uses by default writes the key.
    default = "kong_log_format '$remote_addr - $remote_user [$time_local] \"$request\" $status'"
    assert "SECRET-KEY" in nginx_log_line(default)


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_every_node_logs_with_the_safe_format_and_no_file_log(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    assert not any(name == "file-log" for _, name, _ in spec.plugin_instances())
    for node in kong_nodes(stack):
        env, uploads = env_of(node), uploads_of(node)
        assert env["KONG_PROXY_ACCESS_LOG"] == f"/dev/stdout {kongconf.ACCESS_LOG_FORMAT}"
        assert env["KONG_ADMIN_ACCESS_LOG"] == f"/dev/stdout {kongconf.ACCESS_LOG_FORMAT}"
        assert f"log_format {kongconf.access_log_format()};" in uploads[kongconf.NGINX_HTTP_CONF]
        assert "limit_req_log_level info;" in uploads[kongconf.NGINX_PROXY_CONF]  # rejections log $request


@pytest.mark.parametrize("stack", STACKS)
def test_logging_payloads_and_backends_get_no_credential(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    guard = spec.plugins.get("identity-guard")
    assert guard is not None
    assert {"apikey", "jwt"} <= set(guard.config.redact_query_args)  # key-auth key_names, jwt uri_param_names
    assert {"apikey", "x-api-key", "authorization"} <= {h.lower() for h in guard.config.redact_headers}
    for service, route, _ in spec.routes():
        plugins = effective_plugins(spec, service, route)
        if "key-auth" in plugins:
            assert plugins["key-auth"][1].config.hide_credentials
            strip = plugins["request-transformer"][1].config.remove
            assert {"X-API-Key", "apikey"} <= set(strip.headers)
        if "jwt" in plugins:  # identity-guard removes them from the query (the jwt plugin does not)
            assert set(plugins["jwt"][1].config.uri_param_names) <= set(guard.config.redact_query_args)


@pytest.mark.parametrize("stack", STACKS)
def test_global_request_transformer_leaves_query_strings_alone(stack: str) -> None:
    """Issue 22 item 15: any querystring entry of request-transformer makes it rebuild the whole query of
    every request it runs on (kong/plugins/request-transformer/access.lua ``transform_querystrings``:
    ``kong.request.get_query()`` (100 arguments), then ``set_query``: sorted and re-encoded). key-auth's
    ``hide_credentials`` removes the key from the query itself (``clear_query_arg``), so no instance may
    edit query strings."""
    spec = load_spec(ROOT / "stacks", stack)
    for scope, name, entry in spec.plugin_instances():
        if name == "request-transformer":
            cfg = entry.config
            edits = [cfg.remove.querystring, cfg.rename.querystring, cfg.replace.querystring,
                     cfg.add.querystring, cfg.append.querystring]
            assert not any(edits), f"{'.'.join(map(str, scope))}.request-transformer edits the query string"


# --- item 8: forged identity headers ------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_identity_headers_are_stripped_by_a_global_instance(stack: str) -> None:
    _, result = deployed(stack)
    global_plugins = {p.inputs["name"]: p for p in result.of_type(f"{K}plugin:Plugin")
                      if not any(p.inputs.get(k) for k in ("serviceId", "routeId", "consumerId"))}
    guard = json.loads(reveal(global_plugins["identity-guard"].inputs["configJson"]))
    assert {h.lower() for h in guard["strip_headers"]} >= {h.lower() for h in IDENTITY_HEADERS}
    assert "identity-guard" in kongconf.PLUGINS.split(",")


# --- item 9: an unauthenticated request costs a bounded amount of memory --------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_no_plugin_reads_a_body_before_access_is_decided(stack: str) -> None:
    spec = load_spec(ROOT / "stacks", stack)
    # request-size-limiting (priority 951) reads bodies without Content-Length before acl (950).
    assert not any(name == "request-size-limiting" for _, name, _ in spec.plugin_instances())
    for node in kong_nodes(stack):
        assert env_of(node)["KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE"] == "50m"  # nginx refuses more while reading


# --- item 10: no version disclosure; HTTPS only on staging and prod ------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_no_server_headers_and_https_only_outside_dev(stack: str) -> None:
    for node in kong_nodes(stack):
        assert env_of(node)["KONG_HEADERS"] == "off"
        hsts = 'add_header Strict-Transport-Security "max-age=31536000" always;'
        assert (hsts in uploads_of(node)[kongconf.NGINX_PROXY_CONF]) == (stack != "dev")
    for service in rendered(stack)["services"]:
        for route in service["routes"]:
            if stack == "dev":
                assert "http" in route["protocols"]
            else:
                assert route["protocols"] == ["https"] and route["https_redirect_status_code"] == 426


# --- item 11: images ------------------------------------------------------------------------------------

def test_image_defaults_are_pinned_patch_releases() -> None:
    settings = StackSettings()
    assert settings.kong_image == "kong:3.9.3"
    for key, image in IMAGES.items():
        assert floating_tag(image.default, image.release_parts) is None, key


@pytest.mark.parametrize("image", ["kong:latest", "kong:3.9", "kong:3", "kong", "postgres:16-alpine"])
def test_a_floating_tag_is_refused(image: str, tmp_path: Any) -> None:
    key = "postgresImage" if image.startswith("postgres") else "kongImage"
    (tmp_path / "Pulumi.x.yaml").write_text(f"config:\n  ai4v-gateway:{key}: {image}\n")
    with pytest.raises(SpecError) as exc:
        read_stack_settings(tmp_path, "x")
    assert len(exc.value.problems) == 1 and f"config.ai4v-gateway:{key}" in str(exc.value.problems[0])


def test_pinned_forms_are_accepted() -> None:
    assert floating_tag("kong:3.9.3-ubuntu", 3) is None
    assert floating_tag("registry.example:5000/kong@sha256:" + "a" * 64, 3) is None
    assert floating_tag("postgres:16.15", 2) is None


def test_the_security_doc_jwt_helper_signs_tokens_kong_accepts(tmp_path: Any) -> None:
    """docs/SECURITY.md's checks mint tokens with a shell function: it must produce an HS256 JWT that
    Kong's jwt plugin verifies (iss = the credential key, exp set, signature over header.payload)."""
    import base64
    import hashlib
    import hmac
    import subprocess

    text = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None
    function = re.search(r"^jwt\(\) \{.*?; \}$", block.group(1), re.S | re.M)
    assert function is not None
    script = f"JWT_SECRET=s3cret\n{function.group(0)}\njwt alice; jwt bob '{{\"nbf\": 5}}'\n"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert len(out) == 2
    for token, sub in zip(out, ("alice", "bob"), strict=True):
        head, payload, signature = token.split(".")
        expected = hmac.new(b"s3cret", f"{head}.{payload}".encode(), hashlib.sha256).digest()
        assert base64.urlsafe_b64decode(signature + "==") == expected
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        assert claims["iss"] == "ai4v-web" and claims["sub"] == sub and claims["exp"] > 0
    assert json.loads(base64.urlsafe_b64decode(out[1].split(".")[1] + "=="))["nbf"] == 5


# --- item 13: the auth service keeps X-API-Key -----------------------------------------------------------

def test_auth_service_receives_the_api_key_others_do_not() -> None:
    plugins = plugins_by_scope(rendered("dev"))
    assert "X-API-Key" not in plugins[("auth", "request-transformer")]["remove"]["headers"]
    assert "X-API-Key" in plugins[("global", "request-transformer")]["remove"]["headers"]
    for scope in (("auth", "request-transformer"), ("global", "request-transformer")):
        assert "X-Gateway:ai4v-gateway" in plugins[scope]["add"]["headers"]  # plugin_defaults reach both
