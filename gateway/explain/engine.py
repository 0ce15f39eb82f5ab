"""``explain``: one request through the offline model of Kong 3.9 built from a spec.

Order of events as in kong/init.lua: the router picks a route (404 when none); the rewrite phase runs
global plugins only; ``runloop.access.before`` refuses a protocol the route does not take; the access
phase walks every plugin in priority order, one instance per name (gateway.explain.iterator), and once a
plugin answers, the remaining access handlers are skipped while response and log handlers still run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gateway.explain.decisions import REWRITERS, decider_for, jwt_marker, key_marker
from gateway.explain.flow import Flow, Headers, LanguageRun
from gateway.explain.iterator import Instance, PluginIndex
from gateway.explain.lua_runner import LanguageDecision, LuaCall, LuaError, LuaRunner
from gateway.explain.outcome import SCHEMA_VERSION, LanguageOut, Outcome, PluginStep, RouteOut, UpstreamOut
from gateway.explain.request import Credential, Request, RequestError
from gateway.explain.router import Router, protocol_refusal, upstream_path
from gateway.spec.models import GatewaySpec
from gateway.spec.plugins import JwtConfig, KeyAuthConfig
from gateway.spec.problems import format_loc

RESPONSE_PHASES = frozenset({"header_filter", "body_filter", "response", "log"})


@dataclass
class Model:
    """A spec compiled once for many requests (router matchers, plugin index)."""

    spec: GatewaySpec
    router: Router = field(init=False)
    plugins: PluginIndex = field(init=False)

    def __post_init__(self) -> None:
        self.router = Router.build(self.spec)
        self.plugins = PluginIndex.build(self.spec)


def explain(model: Model, request: Request, language_run: LanguageRun) -> Outcome:
    spec = model.spec
    match = None if request.method == "TRACE" else model.router.match(request)
    outcome: Outcome = {
        "version": SCHEMA_VERSION,
        "request": {
            "method": request.method, "url": request.url(), "host": request.host, "port": request.port,
            "credential": f"{request.credential.consumer}/{request.credential.name}" if request.credential else None,
        },
        "route": None, "status": None, "answered_by": None, "consumer": None, "credential": None,
        "plugins": [], "buckets": [], "language": None, "upstream": None, "response_headers": {}, "notes": [],
    }
    if request.method == "TRACE":
        outcome["status"] = 405
        outcome["answered_by"] = "nginx"
        outcome["notes"].append("TRACE: nginx answers 405 before Kong runs (ngx_http_request.c); no route sees it")
        return outcome
    if match is None:
        outcome["status"] = 404
        outcome["answered_by"] = "router"
        outcome["notes"].append("no route matches: Kong answers 404 'no Route matched with those values' before "
                                "any plugin's access handler (global response and log handlers still run)")
        return outcome
    service = spec.services[match.service]
    route = service.routes[match.route]
    outcome["route"] = RouteOut(
        service=match.service, route=match.route,
        spec_path=format_loc(("services", match.service, "routes", match.route)),
        priority=f"{match.priority:#018x}", matched_path=match.matched_path, ties=list(match.ties),
    )
    if match.ties:
        outcome["notes"].append(f"routes {', '.join(match.ties)} match with the same priority: Kong's choice "
                                "among them depends on route ids, not on the spec")
    flow = Flow(
        spec=spec, request=request, service=match.service, route=match.route, language_run=language_run,
        method=request.method, path=upstream_path(route, service, request.path, match.matched_path),
        query=list(request.query), headers=Headers(request.headers),
        upstream_host=service.upstream or service.host or "", captures=match.captures,
        body=request.body.decode("utf-8", errors="replace") if request.body is not None else None,
    )
    _present_credential(model, flow)
    if _edge(spec, flow, outcome):
        return outcome
    refused = protocol_refusal(route, request)
    if refused is not None:
        flow.answer("kong", refused)
        flow.notes.append(f"route takes {route.protocols} only: {refused} to plain http")
    outcome["plugins"] = _run_plugins(model, flow)
    outcome.update({
        "status": flow.status, "answered_by": flow.answered_by, "consumer": flow.consumer,
        "credential": flow.credential, "buckets": flow.buckets,
        "response_headers": flow.response_headers.as_dict(),
    })
    outcome["notes"].extend(flow.notes)
    if flow.language is not None:
        outcome["language"] = _language(flow.language)
    if flow.status is None:
        outcome["upstream"] = _upstream(flow, service.protocol)
    return outcome


def _edge(spec: GatewaySpec, flow: Flow, outcome: Outcome) -> bool:
    """What nginx does before Kong's router (spec ``edge``, rendered by gateway/platform/kongconf.py):
    the flood guard (a note: it depends on the client's rate; nginx's preaccess phase, after Kong's rewrite
    phase) and ``client_max_body_size`` (413)."""
    guard = spec.edge.flood_guard
    if guard is not None:
        outcome["notes"].append(f"nginx flood guard: over {guard.per_minute}/minute per client IP and node "
                                f"(burst {guard.burst}), nginx answers 429 after Kong's rewrite phase, before routing")
    size = len(flow.body.encode()) if flow.body is not None else 0
    length = flow.headers.get("Content-Length")
    if length is not None and length.isdigit():
        size = int(length)
    if size > spec.edge.max_body_size:
        outcome.update({"status": 413, "answered_by": "nginx"})
        outcome["notes"].append(f"body of {size} bytes over edge.max_body_size ({spec.edge.max_body_size}): "
                                "nginx answers 413 before any plugin")
        return True
    return False


@dataclass(frozen=True)
class CredentialSlot:
    """Where a client puts a credential for a route: the first place its auth plugin reads."""

    kind: Literal["key", "jwt"]
    where: Literal["header", "query"]
    name: str
    """The header or query argument."""

    def value(self, secret: str) -> str:
        """What goes there: the key, or ``Bearer <token>``."""
        return "Bearer " + secret if self.kind == "jwt" else secret


def credential_slot(model: Model, credential: Credential, service: str, route: str) -> CredentialSlot:
    consumer = model.spec.consumers.get(credential.consumer)
    if consumer is None:
        raise RequestError(f"credential '{credential.consumer}/{credential.name}': no consumer "
                           f"'{credential.consumer}'; consumers: {', '.join(model.spec.consumers)}")
    if credential.name in consumer.keyauth_credentials:
        inst = model.plugins.lookup("key-auth", service, route, None)
        cfg = inst.config if inst else KeyAuthConfig()
        assert isinstance(cfg, KeyAuthConfig)
        where: Literal["header", "query"] = "header" if cfg.key_in_header or not cfg.key_in_query else "query"
        return CredentialSlot("key", where, cfg.key_names[0])
    if credential.name in consumer.jwt_secrets:
        inst = model.plugins.lookup("jwt", service, route, None)
        jcfg = inst.config if inst else JwtConfig()
        assert isinstance(jcfg, JwtConfig)
        return CredentialSlot("jwt", "header", jcfg.header_names[0].title())
    names = [*consumer.keyauth_credentials, *consumer.jwt_secrets]
    raise RequestError(f"credential '{credential.consumer}/{credential.name}': consumer '{credential.consumer}' has "
                       f"no credential '{credential.name}'; it has: {', '.join(names) or 'none'}")


def _present_credential(model: Model, flow: Flow) -> None:
    """Put the --credential into the request the way the route's auth plugin reads it (a marker stands for
    the secret)."""
    cred = flow.request.credential
    if cred is None:
        return
    slot = credential_slot(model, cred, flow.service, flow.route)
    marker = (jwt_marker if slot.kind == "jwt" else key_marker)(cred.consumer, cred.name)
    if slot.where == "header":
        flow.headers.set(slot.name, slot.value(marker))
    else:
        flow.query.append((slot.name, slot.value(marker)))


def _step(inst: Instance, ran: bool, modelled: bool, decision: str, status: int | None) -> PluginStep:
    return PluginStep(name=inst.name, priority=inst.priority, phases=sorted(inst.phases), scope=inst.scope,
                      spec_path=inst.spec_path, ran=ran, modelled=modelled, decision=decision, status=status)


def _decide(inst: Instance, flow: Flow, unmodelled: list[str], rewrite: str = "") -> PluginStep:
    decider = decider_for(inst.config)
    if decider is None:
        unmodelled.append(inst.name)
        prio = inst.priority if inst.priority is not None else "unknown"
        text = f"not modelled (priority {prio}, phases {', '.join(sorted(inst.phases))})"
        if "rewrite" in inst.phases and inst.kind != "global":
            text += "; its rewrite handler does not run here (global instances only)"
        return _step(inst, True, False, rewrite + text, None)
    before = len(flow.buckets)
    decision = decider(inst.config, flow, inst)
    text = decision.text
    if "rewrite" in inst.phases and inst.kind != "global":
        text += " (its rewrite handler does not run: Kong runs rewrite for global instances only)"
    if unmodelled and len(flow.buckets) > before:
        text += f" (as far as known: {', '.join(unmodelled)} ran before and is not modelled)"
    return _step(inst, True, True, rewrite + text, decision.status)


def _run_plugins(model: Model, flow: Flow) -> list[PluginStep]:
    steps: list[PluginStep] = []
    unmodelled: list[str] = []
    rewrites: dict[str, str] = {}
    for name in model.plugins.order:  # rewrite: global instances only, before any access handler
        inst = model.plugins.lookup(name, None, None, None)
        if inst is None or "rewrite" not in inst.phases:
            continue
        rewriter = decider_for(inst.config, REWRITERS)
        if rewriter is not None:
            rewrites[name] = rewriter(inst.config, flow, inst).text + "; "
        if inst.phases == {"rewrite"}:
            steps.append(_decide(inst, flow, unmodelled, rewrites.pop(name, "")))
    for name in model.plugins.order:
        inst = model.plugins.lookup(name, flow.service, flow.route, flow.consumer)
        if inst is None or (inst.phases == {"rewrite"} and inst.kind == "global"):
            continue
        rewrite = rewrites.get(name, "") if inst.kind == "global" else ""
        if inst.phases == {"rewrite"}:
            steps.append(_step(inst, False, True, "rewrite handler: Kong runs it for global instances only", None))
        elif "access" in inst.phases and flow.status is not None:
            steps.append(_step(inst, False, decider_for(inst.config) is not None,
                               f"{rewrite}access skipped: {flow.answered_by} answered {flow.status}", None))
        else:
            steps.append(_decide(inst, flow, unmodelled, rewrite))
    return steps


def _language(result: LanguageDecision) -> LanguageOut:
    return LanguageOut(language=result.language, script=result.script, source=result.source,
                       confidence=result.confidence,
                       upstream=result.upstream, service_id=result.service_id,
                       body_rewritten=result.body_rewritten, error=result.error)


def _upstream(flow: Flow, scheme: str) -> UpstreamOut:
    upstream = flow.spec.upstreams.get(flow.upstream_host)
    service = flow.spec.services[flow.service]
    targets = [t.address for t in upstream.targets] if upstream else [f"{flow.upstream_host}:{service.port}"]
    flow.headers.remove("Host")
    return UpstreamOut(
        service=flow.service, host=flow.upstream_host, targets=targets, scheme=scheme, method=flow.method,
        path=flow.path, query="&".join(f"{k}={v}" for k, v in flow.query), headers=flow.headers.as_dict(),
    )


def no_language(call: LuaCall) -> LanguageDecision:
    """A LanguageRun for callers that have no LuaJIT: says so instead of guessing."""
    return LanguageDecision(None, None, None, None, None, False, {}, (), None, (),
                            error="LuaJIT not available")


@contextmanager
def language_runner(root: Path) -> Iterator[tuple[LanguageRun, str | None]]:
    """The plugin of the project at ``root`` under LuaJIT, or ``no_language`` and the reason there is none."""
    try:
        runner = LuaRunner(root / "lua")
    except LuaError as exc:
        yield no_language, str(exc)
        return
    with runner:
        yield (lambda call: runner.run([call])[0]), None
