"""What the live tests expect, read from the spec of the deployed stack and from the echo backends' answers.

The helpers under "issue 9" hold the expectations that depend on the language-router's handling of real
traffic (large bodies, the model as a query argument or header, the healthy fallback, passive health
checks), as docs/LANGUAGE_ROUTER.md describes it: adjust them there, not in the tests.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.kong.scope import effective_plugins
from gateway.spec import GatewaySpec, load_spec
from gateway.spec.fields import split_target
from gateway.spec.models import PluginEntry
from gateway.spec.plugins import COUNTING_PLUGINS, identity
from integration.live import ROOT

# The "message" of each JSON error body. kong.response.error adds "request_id" beside it
# (kong/tools/http.lua, ERROR_TEMPLATES); identity-guard and the flood guard send {"message": ...} alone.
KONG_NO_ROUTE = "no Route matched with those values"  # kong/runloop/handler.lua, access.before
ACL_FORBIDDEN = "You cannot consume this service"  # kong/plugins/acl/handler.lua
RATE_LIMITED = "API rate limit exceeded"  # kong/plugins/rate-limiting/schema.lua, error_message
FLOOD_GUARDED = "Too many requests from this address"  # gateway/platform/kongconf.py
UNAUTHORIZED = ("Unauthorized: send an API key in the 'apikey' or 'X-API-Key' header (or the 'apikey' "
                "query argument), or a JWT as 'Authorization: Bearer <token>'")  # docs/SECURITY.md, 6
WWW_AUTHENTICATE = 'Bearer realm="ai4v-gateway"'
IDENTITY_HEADERS = (*identity.IDENTITY_HEADERS, identity.IdentityGuardConfig().identity_header)  # docs/SECURITY.md, 8


@functools.cache
def spec_of(stack: str) -> GatewaySpec:
    return load_spec(ROOT / "stacks", stack)


BASE = load_spec(ROOT / "stacks", None)
"""The base spec: what every stack has, for parametrising at collection time."""


def v1_services(spec: GatewaySpec = BASE) -> list[str]:
    return sorted(name for name, s in spec.services.items() if s.enabled and s.path and s.path.startswith("/api/v1/"))


def v2_families(spec: GatewaySpec = BASE) -> list[str]:
    """Services with a ``/api/v2/<name>`` route (a route-level rewrite to the v2 API)."""
    return sorted(name for name, s in spec.services.items()
                  if any(p.startswith(f"~/api/v2/{name}") for r in s.routes.values() for p in r.paths or []))


def in_effect(spec: GatewaySpec, service: str, plugin: str) -> PluginEntry[Any] | None:
    """The instance of ``plugin`` Kong runs on ``service``'s routes for a request without a consumer-scoped
    one (gateway.kong.scope), the same on each route (the suite's requests to a service take any of them)."""
    found = {route: effective_plugins(spec, service, route).get(plugin) for route in spec.services[service].routes}
    entries = {id(one[1]) if one else None: one[1] if one else None for one in found.values()}
    assert len(entries) <= 1, f"{service}'s routes run different {plugin} instances: {sorted(found)}"
    return next(iter(entries.values()), None)


def authenticated(spec: GatewaySpec, service: str) -> bool:
    return in_effect(spec, service, "key-auth") is not None or in_effect(spec, service, "jwt") is not None


def rate_limit(spec: GatewaySpec, service: str) -> PluginEntry[Any] | None:
    """The rate limit Kong runs on ``service``: the instance in effect of the plugin that counts requests
    (``PluginConfig.counts_requests``: rate-limiting-inline as shipped, or Kong's rate-limiting), one at most."""
    found = [e for name in COUNTING_PLUGINS if (e := in_effect(spec, service, name)) is not None]
    assert len(found) <= 1, f"{service} runs {len(found)} rate-limit plugins"
    return found[0] if found else None


def minute_limit(spec: GatewaySpec, service: str) -> int:
    entry = rate_limit(spec, service)
    assert entry is not None and entry.config.minute, f"{service} has no per-minute rate limit in the spec"
    return int(entry.config.minute)


def cors_origins(spec: GatewaySpec) -> list[str]:
    entry = spec.plugins.get("cors")
    assert entry is not None, "the spec has no global cors plugin"
    return list(entry.config.origins or [])


def target_hosts(spec: GatewaySpec, upstream: str) -> set[str]:
    """The ``os.hostname`` of each demo echo backend of ``upstream`` (first label of the target host)."""
    return {split_target(t.target)[0].split(".")[0] for t in spec.upstreams[upstream].targets}


def upstream_of(spec: GatewaySpec, hostname: str) -> set[str]:
    return {name for name in spec.upstreams if hostname in target_hosts(spec, name)}


@dataclass(frozen=True)
class Echo:
    """The demo backend's answer (mendhak/http-https-echo): what the upstream received."""

    status: int
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, Any]
    body: str
    hostname: str
    response: httpx.Response

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def echo(response: httpx.Response) -> Echo:
    """The echo of a request that must have reached a demo backend; a clear failure otherwise."""
    snippet = response.text[:300]
    assert response.status_code == 200, f"expected the echo backend's 200, got {response.status_code}: {snippet}"
    try:
        data = response.json()
    except json.JSONDecodeError:
        data = None
    assert isinstance(data, dict) and isinstance(data.get("os"), dict) and "path" in data, \
        f"not an echo backend's answer: {snippet}"
    headers = {str(k).lower(): str(v) for k, v in (data.get("headers") or {}).items()}
    # Every request through the gateway carries its marks (correlation-id; request-transformer's X-Gateway,
    # plugin_defaults in stacks/base.yaml): an echo without them did not come through Kong.
    assert headers.get("x-gateway") == "ai4v-gateway" and headers.get("x-correlation-id"), \
        "the backend's request lacks the gateway's X-Gateway / X-Correlation-ID: it did not pass the gateway"
    return Echo(status=response.status_code, method=str(data.get("method")), path=str(data["path"]),
                headers=headers,
                query=dict(data.get("query") or {}), body=str(data.get("body") or ""),
                hostname=str(data["os"].get("hostname")), response=response)


def message(response: httpx.Response) -> str:
    """The ``message`` of a JSON error body; the start of the body when it is not one."""
    try:
        data = response.json()
    except json.JSONDecodeError:
        data = None
    return str(data["message"]) if isinstance(data, dict) and "message" in data else f"(no JSON message) {response.text[:200]}"


# ---- issue 9 (language-router on real traffic): what depends on its details, in one place ------------------

LARGE_BODY_BYTES = 30 * 1024 * 1024
"""The config-first ASR body of the issue: routed by its language although nginx spilled it to a file."""
ASR_WHISPER = "ai4bharat/whisper--gpu-t4"
"""The model language-router picks for English speech (stacks/base.yaml)."""


def asr_body(language: str, total: int) -> bytes:
    """A config-first ULCA ASR request of exactly ``total`` bytes; the audio is base64-looking filler."""
    head = json.dumps({"config": {"language": {"sourceLanguage": language}, "serviceId": ""}})[:-1].encode()
    head += b', "audio": [{"audioContent": "'
    tail = b'"}]}'
    filler = total - len(head) - len(tail)
    block = b"UklGRiQAAABXQVZF"
    return head + (block * (filler // len(block) + 1))[:filler] + tail

MODEL_QUERY_ARG = "serviceId"  # service_id_delivery: query (the default)
MODEL_HEADER = "x-service-id"  # service_id_delivery: header, service_id_header's default


def model_sent(upstream_saw: Echo) -> str | None:
    """The model (``serviceId``) the upstream received: in the JSON body (``config.serviceId``), or, where
    issue 9 avoids copying a large body, as a query argument or a header (whichever is configured)."""
    try:
        body = json.loads(upstream_saw.body) if upstream_saw.body else None
    except json.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("config"), dict):
        value = body["config"].get("serviceId")
        if isinstance(value, str) and value:
            return value
    query_value = upstream_saw.query.get(MODEL_QUERY_ARG)
    if isinstance(query_value, str) and query_value:
        return query_value
    return upstream_saw.header(MODEL_HEADER)


def is_unhealthy_fallback_source(value: str | None) -> bool:
    """``X-Language-Source`` when the mapped upstream had no healthy target and the fallback served
    (docs/LANGUAGE_ROUTER.md, "Healthy fallback": ``fallback``)."""
    return value == "fallback"


def health_cache_seconds(spec: GatewaySpec, service: str) -> float:
    """How long a worker keeps using an upstream's health answer (language-router ``health_cache_seconds``):
    after Kong's view of a target changes, requests follow it once this has passed."""
    entry = in_effect(spec, service, "language-router")
    return float(entry.config.health_cache_seconds) if entry is not None else 0.0


def health_path(spec: GatewaySpec, upstream: str) -> str:
    """The path active checks probe on ``upstream``'s targets: the upstream's ``health_path`` (default
    ``/health``), which the program sends as Kong's ``healthchecks.active.http_path``."""
    return str(spec.upstreams[upstream].health_path)


PASSIVE_UNHEALTHY_STATUSES = (502, 503, 504)
CLIENT_PROVOKED_STATUSES = (500, 429)
"""Issue 9: passive checks count only 502/503/504 (and TCP errors, timeouts), never what a client provokes."""

ECHO_STATUS_HEADER = "x-set-response-status-code"
"""mendhak/http-https-echo answers with this status when the request carries it (index.js)."""
ECHO_DELAY_HEADER = "x-set-response-delay-ms"
