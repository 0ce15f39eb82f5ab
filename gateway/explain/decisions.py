"""What each modelled plugin does to a request, keyed by its config model (one line per plugin below).

Each decider reads the plugin's own config model and the request so far, changes the Flow the way the
plugin's handler.lua does (Kong 3.9.3, cited per function), and says what happened in one line. A plugin
without a decider (a new or custom plugin) is still listed, with its priority, as "not modelled".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.explain.flow import Flow
from gateway.explain.iterator import Instance
from gateway.explain.outcome import BucketOut
from gateway.explain.template import render as render_template
from gateway.spec.plugins import (
    AclConfig,
    BotDetectionConfig,
    CorrelationIdConfig,
    CorsConfig,
    FileLogConfig,
    HttpLogConfig,
    IdentityGuardConfig,
    IpRestrictionConfig,
    JwtConfig,
    KeyAuthConfig,
    LanguageRouterConfig,
    PrometheusConfig,
    ProxyCacheConfig,
    RateLimitingBase,
    RequestSizeLimitingConfig,
    RequestTerminationConfig,
    RequestTransformerConfig,
    ResponseTransformerConfig,
)
from gateway.spec.plugins.base import PluginConfig
from gateway.spec.plugins.traffic import PERIODS
from gateway.spec.plugins.typedefs import split_colon_pair


@dataclass(frozen=True)
class Decision:
    text: str
    status: int | None = None


Decider = Callable[[Any, Flow, Instance], Decision]
CLIENT_IP = "<client ip>"


def key_marker(consumer: str, credential: str) -> str:
    """What stands for a key-auth key in a modelled request (the real key is a secret)."""
    return f"<key {consumer}/{credential}>"


def jwt_marker(consumer: str, credential: str) -> str:
    """What stands for a valid JWT signed with a consumer's jwt secret."""
    return f"<jwt {consumer}/{credential}>"


_MARKER = re.compile(r"<(key|jwt) ([^/>]+)/([^>]+)>")


def _marker(value: str, kind: str) -> tuple[str, str] | None:
    m = _MARKER.fullmatch(value.strip())
    return (m.group(2), m.group(3)) if m and m.group(1) == kind else None


# --- authentication ------------------------------------------------------------------------------


def _auth_skip(run_on_preflight: bool, anonymous: str | None, flow: Flow) -> Decision | None:
    """Both auth handlers return early on a preflight they do not run on, and, in anonymous mode, when
    an earlier auth plugin already authenticated the request."""
    if not run_on_preflight and flow.method == "OPTIONS":
        return Decision("skipped: OPTIONS and run_on_preflight is false")
    if anonymous and flow.credential:
        return Decision(f"skipped: already authenticated by {flow.credential} (anonymous mode is a logical OR)")
    return None


def _auth_failed(flow: Flow, plugin: str, anonymous: str | None, why: str) -> Decision:
    """Logical OR (``anonymous`` set): the anonymous consumer; logical AND: 401 (handler.lua)."""
    if anonymous:
        flow.authenticate(anonymous, None)
        return Decision(f"{why}: continues as anonymous consumer '{anonymous}'")
    flow.answer(plugin, 401)
    return Decision(f"{why}: 401", 401)


def key_auth(cfg: KeyAuthConfig, flow: Flow, inst: Instance) -> Decision:
    """kong/plugins/key-auth/handler.lua ``access`` / ``do_authentication``."""
    skip = _auth_skip(cfg.run_on_preflight, cfg.anonymous, flow)
    if skip:
        return skip
    needs = f"API key in {'/'.join(cfg.key_names)}" + " (" + ", ".join(
        w for w, on in (("header", cfg.key_in_header), ("query", cfg.key_in_query), ("body", cfg.key_in_body)) if on
    ) + ")"
    key: str | None = None
    for name in cfg.key_names:
        values = flow.headers.values(name) if cfg.key_in_header else []
        if not values and cfg.key_in_query:
            values = [v for k, v in flow.query if k == name]
        if len(values) > 1:
            return _auth_failed(flow, inst.name, None, f"needs {needs}; duplicate API key")
        if values:
            key = values[0]
            if cfg.hide_credentials:
                flow.headers.remove(name)
                flow.query = [(k, v) for k, v in flow.query if k != name]
            break
    if not key:
        return _auth_failed(flow, inst.name, cfg.anonymous, f"needs {needs}; none given")
    found = _marker(key, "key")
    consumer = flow.spec.consumers.get(found[0]) if found else None
    if found is None or consumer is None or found[1] not in consumer.keyauth_credentials:
        return _auth_failed(flow, inst.name, cfg.anonymous, f"needs {needs}; the key is not a credential of the spec")
    flow.authenticate(found[0], f"{found[0]}/{found[1]}")
    hidden = "; key removed before proxying" if cfg.hide_credentials else ""
    return Decision(f"authenticated consumer '{found[0]}' (key-auth credential {found[1]}){hidden}")


def jwt(cfg: JwtConfig, flow: Flow, inst: Instance) -> Decision:
    """kong/plugins/jwt/handler.lua ``retrieve_tokens`` / ``do_authentication``."""
    skip = _auth_skip(cfg.run_on_preflight, cfg.anonymous, flow)
    if skip:
        return skip
    claims = f"; claims {', '.join(cfg.claims_to_verify)} required" if cfg.claims_to_verify else ""
    needs = (f"Bearer token in {'/'.join(cfg.header_names)}"
             + (f" or ?{'/'.join(cfg.uri_param_names)}" if cfg.uri_param_names else "")
             + f" with '{cfg.key_claim_name}' = a jwt secret key{claims}")
    tokens: set[str] = set()
    for name in cfg.uri_param_names:
        tokens.update(v for k, v in flow.query if k == name and v)
    for name in cfg.header_names:
        value = flow.headers.get(name)
        m = re.match(r"\s*[Bb]earer\s+(.+)", value or "")
        if m:
            tokens.add(m.group(1))
    if not tokens:
        return _auth_failed(flow, inst.name, cfg.anonymous, f"needs {needs}; none given")
    if len(tokens) > 1:
        return _auth_failed(flow, inst.name, cfg.anonymous, f"needs {needs}; multiple tokens")
    found = _marker(next(iter(tokens)), "jwt")
    consumer = flow.spec.consumers.get(found[0]) if found else None
    if found is None or consumer is None or found[1] not in consumer.jwt_secrets:
        return _auth_failed(flow, inst.name, cfg.anonymous, f"needs {needs}; the token is not one the spec can verify")
    secret = consumer.jwt_secrets[found[1]]
    flow.authenticate(found[0], f"{found[0]}/{found[1]}")
    return Decision(f"authenticated consumer '{found[0]}' (jwt {secret.algorithm}, {cfg.key_claim_name}="
                    f"'{secret.key}'{claims}, assumed valid)")


def acl(cfg: AclConfig, flow: Flow, inst: Instance) -> Decision:
    """kong/plugins/acl/handler.lua ``access``: consumer groups against allow/deny."""
    deny = bool(cfg.deny)
    groups_cfg = cfg.deny if deny else cfg.allow
    listed = f"{'deny' if deny else 'allow'} [{', '.join(groups_cfg or [])}]"
    if flow.consumer is None:
        status = 403 if flow.credential else 401
        flow.answer(inst.name, status)
        return Decision(f"{listed}; no consumer: {status}", status)
    consumer = flow.spec.consumers.get(flow.consumer)
    groups = consumer.acl_groups if consumer else []
    if not groups and not deny:
        status = 403 if flow.credential else 401
        flow.answer(inst.name, status)
        return Decision(f"{listed}; consumer '{flow.consumer}' is in no group: {status}", status)
    hit = bool(set(groups) & set(groups_cfg or []))
    if hit == deny:
        flow.answer(inst.name, 403)
        return Decision(f"{listed}; consumer '{flow.consumer}' groups [{', '.join(groups)}]: 403", 403)
    if not cfg.hide_groups_header:
        flow.headers.set("X-Consumer-Groups", ", ".join(groups))
    return Decision(f"{listed}; consumer '{flow.consumer}' groups [{', '.join(groups)}]: allowed")


# --- traffic ---------------------------------------------------------------------------------------


def rate_limiting(cfg: RateLimitingBase, flow: Flow, inst: Instance) -> Decision:
    """kong/plugins/rate-limiting/handler.lua ``get_identifier`` and policies/init.lua ``get_local_key``:
    the counter is keyed by the plugin instance's own route and service (none for global or consumer
    instances) plus the identifier; rate-limiting-inline keeps both, and counts at another time
    (``counting``)."""
    ident = identifier(cfg, flow)
    route = inst.route if inst.kind == "route" else None  # a route instance's row has no service
    service = inst.service if inst.kind == "service" else None
    limits = {p: _number(getattr(cfg, p)) for p in PERIODS if getattr(cfg, p) is not None}
    bucket: BucketOut = {
        "plugin_scope": inst.scope,
        "route": route,
        "service": service,
        "identifier": ident,
        "key": f"ratelimit:{route or '-'}:{service or '-'}:{ident}",
        "limits": limits,
        "policy": cfg.policy,
    }
    flow.buckets.append(bucket)
    shown = ", ".join(f"{v:g}/{p}" for p, v in limits.items())
    return Decision(f"bucket {bucket['key']} ({shown}, policy {cfg.policy}); {cfg.counting()}; "
                    f"over the limit: {cfg.error_code:g}")


def _number(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def identifier(cfg: RateLimitingBase, flow: Flow) -> str:
    if cfg.limit_by == "service":
        return f"service:{flow.service}"
    if cfg.limit_by == "consumer" and flow.consumer:
        return f"consumer:{flow.consumer}"
    if cfg.limit_by in ("consumer", "credential") and flow.credential:
        return f"credential:{flow.credential}"
    if cfg.limit_by == "header" and cfg.header_name and flow.headers.get(cfg.header_name) is not None:
        return f"header:{cfg.header_name}={flow.headers.get(cfg.header_name)}"
    if cfg.limit_by == "path" and cfg.path == flow.request.path:
        return f"path:{cfg.path}"
    return f"ip:{CLIENT_IP}"


def request_size_limiting(cfg: RequestSizeLimitingConfig, flow: Flow, inst: Instance) -> Decision:
    """kong/plugins/request-size-limiting/handler.lua: Content-Length (or the read body) over the limit."""
    factor = {"megabytes": 2**20, "kilobytes": 2**10, "bytes": 1}[cfg.size_unit]
    allowed = cfg.allowed_payload_size * factor
    size = len(flow.body.encode()) if flow.body is not None else 0
    length = flow.headers.get("Content-Length")
    if length is not None and length.isdigit():
        size = int(length)
    elif cfg.require_content_length and flow.body is not None:
        flow.answer(inst.name, 411)
        return Decision("no Content-Length: 411", 411)
    if size > allowed:
        flow.answer(inst.name, 413)
        return Decision(f"body of {size} bytes over {cfg.allowed_payload_size} {cfg.size_unit}: 413", 413)
    return Decision(f"body of {size} bytes within {cfg.allowed_payload_size} {cfg.size_unit}")


def request_termination(cfg: RequestTerminationConfig, flow: Flow, inst: Instance) -> Decision:
    """kong/plugins/request-termination/handler.lua: answers unless a ``trigger`` header/query is absent."""
    if cfg.trigger and flow.headers.get(cfg.trigger) is None and not any(k == cfg.trigger for k, _ in flow.query):
        return Decision(f"no '{cfg.trigger}' trigger: passes")
    flow.answer(inst.name, cfg.status_code)
    return Decision(f"answers {cfg.status_code}", cfg.status_code)


def ip_restriction(cfg: IpRestrictionConfig, flow: Flow, inst: Instance) -> Decision:
    return Decision(f"depends on the client IP: allow {cfg.allow or []}, deny {cfg.deny or []}; refused: "
                    f"{cfg.status or 403:g}")


def bot_detection(cfg: BotDetectionConfig, flow: Flow, inst: Instance) -> Decision:
    return Decision(f"depends on User-Agent ('{flow.headers.get('User-Agent') or ''}'): Kong's bot list, "
                    f"allow {cfg.allow}, deny {cfg.deny}; a bot gets 403")


def proxy_cache(cfg: ProxyCacheConfig, flow: Flow, inst: Instance) -> Decision:
    if flow.method not in cfg.request_method:
        return Decision(f"{flow.method} is not cached (request_method {cfg.request_method})")
    return Decision(f"may answer from its {cfg.strategy} cache (ttl {cfg.cache_ttl}s); on a miss, proxies")


# --- what requests and responses look like ---------------------------------------------------------


def _origin_allowed(cfg: CorsConfig, origin: str | None) -> str | None:
    """cors/handler.lua ``configure_origin``: the Access-Control-Allow-Origin value, or None."""
    origins = cfg.origins or []
    if not origins or origins == ["*"]:
        return "*"
    if len(origins) == 1 and re.fullmatch(r"[A-Za-z0-9.:/-]+", origins[0]):
        return origins[0]
    if origin is None:
        return None
    for entry in origins:
        if entry == "*":
            return "*"
        if re.search(r"[^A-Za-z0-9.:/-]", entry):
            pattern = entry if entry.endswith("$") else entry + "$"
            subject = origin if ":" in entry else re.sub(r"^[a-z]+://", "", origin).split(":")[0]
            if re.match(pattern.removeprefix("^"), subject):
                return origin
        elif entry.rstrip("/").lower() == origin.rstrip("/").lower():
            return origin
    return None


def _cors_headers(cfg: CorsConfig, flow: Flow) -> str:
    allow = _origin_allowed(cfg, flow.headers.get("Origin"))
    if allow is not None:
        flow.response_headers.set("Access-Control-Allow-Origin", allow)
    if cfg.credentials and allow is not None:
        flow.response_headers.set("Access-Control-Allow-Credentials", "true")
    return allow or "(none)"


def cors(cfg: CorsConfig, flow: Flow, inst: Instance) -> Decision:
    """cors/handler.lua ``access`` (preflight: OPTIONS with Origin and Access-Control-Request-Method)
    and ``header_filter`` (other requests)."""
    preflight = (flow.method == "OPTIONS" and flow.headers.get("Origin") is not None
                 and flow.headers.get("Access-Control-Request-Method") is not None)
    if not preflight:
        if flow.headers.get("Origin") is None:
            return Decision("no Origin: no CORS headers")
        allow = _cors_headers(cfg, flow)
        return Decision(f"response gets Access-Control-Allow-Origin: {allow}")
    if cfg.preflight_continue:
        return Decision("preflight passed on to the upstream (preflight_continue)")
    allow = _cors_headers(cfg, flow)
    flow.response_headers.set("Access-Control-Allow-Methods", ",".join(cfg.methods))
    requested = flow.headers.get("Access-Control-Request-Headers")
    if cfg.headers:
        flow.response_headers.set("Access-Control-Allow-Headers", ",".join(cfg.headers))
    elif requested is not None:  # no configured list: the requested headers are echoed
        flow.response_headers.set("Access-Control-Allow-Headers", requested)
    if cfg.max_age is not None:
        flow.response_headers.set("Access-Control-Max-Age", f"{cfg.max_age:g}")
    flow.answer(inst.name, 200)
    return Decision(f"preflight answered 200: Allow-Origin {allow}, methods {','.join(cfg.methods)}", 200)


def _pairs(entries: list[str]) -> list[tuple[str, str]]:
    return [pair for pair in map(split_colon_pair, entries) if pair is not None]


QUERY_ARGS = 100
"""kong.request.get_query's default limit (lua_max_uri_args, kong/templates/kong_defaults.lua)."""


def _edits_query(cfg: RequestTransformerConfig) -> bool:
    """access.lua ``transform_querystrings`` runs (and rebuilds the query) when any list is set."""
    return any((cfg.remove.querystring, cfg.rename.querystring, cfg.replace.querystring, cfg.add.querystring,
                cfg.append.querystring))


def request_transformer(cfg: RequestTransformerConfig, flow: Flow, inst: Instance) -> Decision:
    """request-transformer/access.lua ``transform_headers`` / ``transform_querystrings`` /
    ``transform_uri``: remove, rename, replace (only present ones), add (only absent ones), append; then
    ``replace.uri``. Values are templates (gateway.explain.template)."""
    changes: list[str] = []
    unsupported: list[str] = []

    def value(template: str) -> str:
        rendered = render_template(template, flow.lookup)
        unsupported.extend(rendered.unsupported)
        return rendered.text

    for name in cfg.remove.headers:
        if flow.headers.remove(name):
            changes.append(f"-{name}")
    for old, new in _pairs(cfg.rename.headers):
        values = flow.headers.values(old)
        if values and flow.headers.remove(old):
            for item in values:
                flow.headers.append(new, item)
            changes.append(f"{old}->{new}")
    for name, template in _pairs(cfg.replace.headers):
        if name in flow.headers:
            flow.headers.set(name, value(template))
            changes.append(f"~{name}")
    for name, template in _pairs(cfg.add.headers):
        if name not in flow.headers and name.lower() != "host":
            flow.headers.set(name, value(template))
            changes.append(f"+{name}")
    for name, template in _pairs(cfg.append.headers):
        flow.headers.append(name, value(template))
        changes.append(f"+={name}")
    if _edits_query(cfg):
        # transform_querystrings: kong.request.get_query() (the first 100 arguments), edited, then
        # kong.service.request.set_query: make_ordered_args sorts the arguments by name and re-encodes
        flow.query = flow.query[:QUERY_ARGS]
        before = len(flow.query)
        flow.query = [(k, v) for k, v in flow.query if k not in cfg.remove.querystring]
        if len(flow.query) < before:
            changes.append("-?" + ",".join(sorted({k for k in cfg.remove.querystring})))
        for name, template in _pairs(cfg.add.querystring):
            if not any(k == name for k, _ in flow.query):
                flow.query.append((name, value(template)))
                changes.append(f"+?{name}")
        flow.query.sort(key=lambda pair: pair[0])
        changes.append(f"query rebuilt (sorted, at most {QUERY_ARGS} arguments)")
    if cfg.replace.uri:
        flow.path = value(cfg.replace.uri)
        changes.append(f"path={flow.path}")
    if cfg.http_method:
        flow.method = cfg.http_method
        changes.append(f"method={cfg.http_method}")
    text = "request " + (" ".join(changes) if changes else "unchanged")
    if unsupported:
        text += f" (templates not evaluated: {', '.join(unsupported)})"
    return Decision(text)


def response_transformer(cfg: ResponseTransformerConfig, flow: Flow, inst: Instance) -> Decision:
    """response-transformer/header_transformer.lua: header edits on the upstream's response."""
    changes = [f"-{h}" for h in cfg.remove.headers]
    for name, value in _pairs(cfg.add.headers):
        flow.response_headers.set(name, value)
        changes.append(f"+{name}")
    for name, value in _pairs(cfg.append.headers):
        flow.response_headers.append(name, value)
        changes.append(f"+={name}")
    changes += [f"~{n}" for n, _ in _pairs(cfg.replace.headers)]
    return Decision("response headers " + (" ".join(changes) if changes else "unchanged"))


def correlation_id(cfg: CorrelationIdConfig, flow: Flow, inst: Instance) -> Decision:
    """correlation-id/handler.lua: keeps the client's id, else generates one."""
    if flow.headers.get(cfg.header_name):
        text = f"keeps the client's {cfg.header_name}"
    else:
        flow.headers.set(cfg.header_name, f"<{cfg.generator}>")
        text = f"sets {cfg.header_name}: <{cfg.generator}>"
    if cfg.echo_downstream:
        flow.response_headers.set(cfg.header_name, flow.headers.get(cfg.header_name) or "")
        text += ", echoed to the client"
    return Decision(text)


def logger(cfg: PluginConfig, flow: Flow, inst: Instance) -> Decision:
    """Log-phase plugins see ``request.uri`` as received, query string included."""
    where = getattr(cfg, "path", None) or getattr(cfg, "http_endpoint", None) or "/metrics"
    return Decision(f"logs the request ({where})")


def lua_conf(cfg: PluginConfig) -> str:
    """The config as the JSON the plugin gets under LuaJIT (secrets as placeholders)."""
    return json.dumps(cfg.to_kong(lambda name: f"<secret {name}>"), sort_keys=True)


def language_router(cfg: LanguageRouterConfig, flow: Flow, inst: Instance) -> Decision:
    """The project's own handler.lua, run under LuaJIT (gateway/explain/lua_runner.lua)."""
    conf = lua_conf(cfg)
    result = flow.language_run({
        "conf": conf,
        "upstreams": sorted(flow.spec.upstreams),
        "method": flow.method,
        "path": flow.request.path,
        "headers": flow.headers.as_lists(),
        "query": _query_lists(flow.query),
        "body": flow.body,
    })
    flow.language = result
    if result.error:
        return Decision(f"could not run the plugin: {result.error}")
    if result.upstream:
        flow.upstream_host = result.upstream
    for name in result.cleared:
        flow.headers.remove(name)
    for name, value in result.set_headers.items():
        flow.headers.set(name, value)
    if result.raw_body is not None:  # kong.service.request.set_raw_body also sets Content-Length
        flow.body = result.raw_body
        flow.headers.set("Content-Length", str(len(result.raw_body.encode())))
    conf_text = f", confidence {result.confidence:.2f}" if result.confidence is not None else ""
    script = f", script {result.script}" if result.script else ""
    return Decision(f"language {result.language or '-'} ({result.source}{conf_text}{script}) -> upstream "
                    f"{result.upstream or '(service default)'}, serviceId {result.service_id or '-'}"
                    + ("; body rewritten" if result.body_rewritten else ""))


def identity_guard_rewrite(cfg: IdentityGuardConfig, flow: Flow, inst: Instance) -> Decision:
    """lua/kong/plugins/identity-guard/handler.lua ``rewrite``: the client's identity headers go (the
    identity header always), however spelled (``clear_spellings``: ``_`` for ``-``)."""
    names = [cfg.identity_header, *(n for n in cfg.strip_headers if n.lower() != cfg.identity_header.lower())]
    removed = [spelling for name in names for spelling in flow.headers.remove_spellings(name)]
    return Decision("rewrite: removed client " + (", ".join(removed) if removed else "identity headers (none sent)"))


def identity_guard(cfg: IdentityGuardConfig, flow: Flow, inst: Instance) -> Decision:
    """lua/kong/plugins/identity-guard/handler.lua ``access``: ``decide``, then ``strip_query`` on a request
    it lets through (the ``redact_query_args`` arguments, any case, out of the query; the rest untouched)."""
    decision = _identity_decision(cfg, flow, inst)
    if decision.status is not None:
        return decision
    names = {name.lower() for name in cfg.redact_query_args}
    kept = [(k, v) for k, v in flow.query if k.lower() not in names]
    if len(kept) == len(flow.query):
        return decision
    gone = sorted({k for k, _ in flow.query if k.lower() in names})
    flow.query = kept
    return Decision(f"{decision.text}; removed ?{','.join(gone)}")


def _identity_decision(cfg: IdentityGuardConfig, flow: Flow, inst: Instance) -> Decision:
    """``decide``: 401 for the anonymous consumer; else the identity header = consumer id, plus a hash of
    the JWT subject for token users."""
    if flow.consumer is not None and flow.credential is None:
        if cfg.reject_anonymous:
            flow.answer(inst.name, 401)
            return Decision(f"anonymous consumer '{flow.consumer}': 401", 401)
        flow.headers.remove_spellings(cfg.identity_header)
        return Decision(f"anonymous consumer '{flow.consumer}': no {cfg.identity_header}")
    if flow.consumer is None:
        flow.headers.remove_spellings(cfg.identity_header)
        return Decision(f"no consumer (no auth plugin ran): no {cfg.identity_header}")
    identity = f"<id of consumer {flow.consumer}>"
    consumer = flow.spec.consumers.get(flow.consumer)
    cred = (flow.credential or "").partition("/")[2]
    if consumer is not None and cred in consumer.jwt_secrets:  # handler.lua subject_text, hashed
        identity += f":<md5 of the token's {cfg.subject_claim}>"
    flow.headers.remove_spellings(cfg.identity_header)
    flow.headers.set(cfg.identity_header, identity)
    token = consumer is not None and cred in consumer.jwt_secrets
    nbf = "; nbf checked when the token has one" if cfg.verify_nbf and token else ""
    return Decision(f"sets {cfg.identity_header}: {identity}{nbf}")


def _query_lists(query: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in query:
        out.setdefault(key, []).append(value)
    return out


DECIDERS: dict[type[PluginConfig], Decider] = {
    KeyAuthConfig: key_auth,
    JwtConfig: jwt,
    AclConfig: acl,
    IpRestrictionConfig: ip_restriction,
    BotDetectionConfig: bot_detection,
    RateLimitingBase: rate_limiting,
    RequestSizeLimitingConfig: request_size_limiting,
    RequestTerminationConfig: request_termination,
    ProxyCacheConfig: proxy_cache,
    CorsConfig: cors,
    RequestTransformerConfig: request_transformer,
    ResponseTransformerConfig: response_transformer,
    CorrelationIdConfig: correlation_id,
    PrometheusConfig: logger,
    FileLogConfig: logger,
    HttpLogConfig: logger,
    LanguageRouterConfig: language_router,
    IdentityGuardConfig: identity_guard,
}

REWRITERS: dict[type[PluginConfig], Decider] = {
    IdentityGuardConfig: identity_guard_rewrite,
}
"""Effects of a ``rewrite`` handler (global instances only: kong/init.lua runs rewrite through the
global iterator, before routing is used by any plugin)."""


def decider_for(config: PluginConfig, registry: dict[type[PluginConfig], Decider] = DECIDERS) -> Decider | None:
    for cls in type(config).__mro__:
        found = registry.get(cls)
        if found is not None:
            return found
    return None
