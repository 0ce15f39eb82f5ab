"""``lint``: what the spec does to traffic that nobody meant, found by running probe requests through the
offline model (gateway.explain.engine) and by reading plugin scopes the way Kong's iterator does.

Each rule has an id; a stack marks ids as errors (exit 1) or ignores them in its ``lint:`` section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from gateway.explain.decisions import CLIENT_IP
from gateway.explain.engine import Model, explain
from gateway.explain.flow import LanguageRun
from gateway.explain.iterator import Instance
from gateway.explain.outcome import BucketOut, Outcome
from gateway.explain.request import Credential, Request
from gateway.explain.router import sample_path
from gateway.platform.kongconf import ACCESS_LOG_FIELDS
from gateway.spec.fields import PUBLIC_TAG
from gateway.spec.models import Route
from gateway.spec.overlay import Origins
from gateway.spec.plugins import CorsConfig, JwtConfig, KeyAuthConfig, LanguageRouterConfig
from gateway.spec.plugins.base import PluginConfig
from gateway.spec.problems import Loc, format_loc

AUTH_PLUGINS = ("key-auth", "jwt")
LOG_PLUGINS = ("file-log", "http-log")


@dataclass(frozen=True, order=True)
class Warning:
    loc: Loc
    rule: str
    happens: str
    fix: str

    def line(self, origins: Origins | None) -> str:
        file = origins.file_for(origins.locate(self.loc)) if origins else "spec"
        return f"{file}: {format_loc(self.loc)}: {self.happens}; fix: {self.fix} [{self.rule}]"


@dataclass
class Linter:
    model: Model
    language_run: LanguageRun

    def run(self, request: Request) -> Outcome:
        return explain(self.model, request, self.language_run)

    def probes(self, service: str, route_name: str, route: Route, neutral: bool = False) -> list[Request]:
        """Requests that satisfy every field of the route (a regex path only when it has a sample).

        ``neutral``: fields the route leaves open get values no other route asks for (method ``PROBE``,
        host ``unmatched.invalid``), so another route can only win by covering all of this one."""
        method = (route.methods or ["PROBE" if neutral else "GET"])[0]
        host = (route.hosts or ["unmatched.invalid" if neutral else "localhost"])[0].replace("*", "x")
        host_name, _, port = host.partition(":")
        headers = tuple((name, values[0].removeprefix("~*")) for name, values in (route.headers or {}).items())
        paths = [p for p in map(sample_path, route.paths or ["/"]) if p is not None]
        scheme = "http" if "http" in route.protocols else "https"
        default_port = 8000 if scheme == "http" else 8443
        return [Request(method, scheme, host_name, int(port) if port else default_port, path,
                        headers=(("Host", host), *headers)) for path in paths]


def _route_loc(service: str, route: str) -> Loc:
    return ("services", service, "routes", route)


def _took(out: Outcome, service: str, route: str) -> bool:
    """The probe went to the route it was made for (another route's outcome is not this one's)."""
    return out["route"] is not None and (out["route"]["service"], out["route"]["route"]) == (service, route)


def shadowed_plugin(linter: Linter) -> Iterator[Warning]:
    """An instance that never runs: every route has a more specific one of the same name, or it is
    consumer-scoped but its plugin runs before any authentication (the consumer is not known yet)."""
    spec = linter.model.spec
    index = linter.model.plugins
    auth_priorities = [i.priority or 0 for name in AUTH_PLUGINS for i in index.by_name.get(name, ())]
    routes = list(spec.routes())
    for name, insts in index.by_name.items():
        for inst in insts:
            if inst.kind == "consumer":
                if auth_priorities and (inst.priority or 0) > max(auth_priorities):
                    yield Warning((*inst.loc, name), "shadowed-plugin",
                                  f"never runs: {name} (priority {inst.priority}) runs before authentication, "
                                  "so no consumer is known yet", "scope it to a service or route instead")
                continue
            if inst.kind == "route":
                continue
            scope_routes = [(s, r) for s, r, _ in routes if inst.kind == "global" or s == inst.service]
            winners = {index.lookup(name, s, r, None) for s, r in scope_routes}
            if scope_routes and inst not in winners:
                others = sorted({w.spec_path for w in winners if w is not None})
                shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
                yield Warning((*inst.loc, name), "shadowed-plugin",
                              f"never runs: Kong runs one {name} per request and every route has its own "
                              f"({shown})", "remove it, or move what it enforces to a plugin that runs "
                              "alongside (e.g. an nginx directive, or a differently named plugin)")


def unreachable_route(linter: Linter) -> Iterator[Warning]:
    """A route whose own probe requests are all taken by another route (higher priority)."""
    for service, name, route in linter.model.spec.routes():
        probes = linter.probes(service, name, route, neutral=True)
        if not probes:
            continue
        winners: set[str | None] = set()
        for probe in probes:
            match = linter.model.router.match(probe)
            winners.add(f"{match.service}/{match.route}" if match else None)
        if f"{service}/{name}" not in winners and None not in winners:
            shown = ", ".join(sorted(w for w in winners if w))
            yield Warning(_route_loc(service, name), "unreachable-route",
                          f"can never match: requests for it go to {shown} (higher priority)",
                          "make it more specific (headers, hosts, methods or a longer path) or remove it")


def blocked_preflight(linter: Linter) -> Iterator[Warning]:
    """A CORS preflight that authentication or ACL answers with 401/403 instead of CORS."""
    spec = linter.model.spec
    configs = [i.config for i in linter.model.plugins.by_name.get("cors", ()) if isinstance(i.config, CorsConfig)]
    origin = next((o for c in configs for o in c.origins or [] if "*" not in o), "https://app.example")
    for service, name, route in spec.routes():
        for probe in linter.probes(service, name, route)[:1]:
            preflight = Request("OPTIONS", probe.scheme, probe.host, probe.port, probe.path,
                                headers=(*probe.headers, ("Origin", origin), ("Access-Control-Request-Method", "POST")))
            out = linter.run(preflight)
            blocked = out["status"] in (401, 403) and out["answered_by"] not in (None, "kong", "router")
            if _took(out, service, name) and blocked:
                yield Warning(_route_loc(service, name), "preflight-blocked",
                              f"a browser's CORS preflight (OPTIONS {probe.path}, Origin {origin}) gets "
                              f"{out['status']} from {out['answered_by']}, so browsers cannot call it",
                              "add cors (priority 2000, answers preflights before auth) to its service or "
                              "globally, or set run_on_preflight: false on the auth plugins")


def shared_bucket(linter: Linter) -> Iterator[Warning]:
    """A rate-limit bucket keyed by a consumer that stands for many users: a JWT issuer, or the
    anonymous consumer."""
    spec = linter.model.spec
    seen: set[str] = set()
    jwt_creds = [Credential(c, n) for c, cons in spec.consumers.items() for n in cons.jwt_secrets]
    for service, name, route in spec.routes():
        for probe in linter.probes(service, name, route)[:1]:
            for cred in [*jwt_creds, None]:
                out = linter.run(replace(probe, credential=cred))
                if out["status"] is not None:
                    continue
                for inst, bucket in _bucket_steps(linter, out):
                    ident = bucket["identifier"]
                    who = ident.partition(":")[2].split("/")[0]
                    many = (cred is not None and who == cred.consumer) or (cred is None and ident != f"ip:{CLIENT_IP}"
                                                                          and ident.startswith("consumer:"))
                    if not many or inst.spec_path in seen:
                        continue
                    seen.add(inst.spec_path)
                    users = (f"every user of JWT issuer consumer '{who}'" if cred else
                             f"every unauthenticated client (consumer '{who}')")
                    yield Warning((*inst.loc, inst.name), "shared-bucket",
                                  f"{users} counts in one bucket {bucket['key']}: one heavy user exhausts it for all",
                                  "limit by an identity per end user (e.g. limit_by: header with a header the "
                                  "gateway sets from the verified token subject)")


def _bucket_steps(linter: Linter, out: Outcome) -> Iterator[tuple[Instance, BucketOut]]:
    """Each instance that counted the request (``PluginConfig.counts_requests``: its decider adds one bucket),
    with its bucket."""
    counted = [inst for step in out["plugins"] if step["ran"]
               and (inst := instance_of(linter.model, step["spec_path"])) and inst.config.counts_requests]
    yield from zip(counted, out["buckets"], strict=False)


def split_budget(linter: Linter) -> Iterator[Warning]:
    """One consumer, several buckets for the same backend: versions (or aliases) of an API that reach
    the same upstream each count separately, so the real budget is a multiple of the configured one."""
    spec = linter.model.spec
    creds = [Credential(c, n) for c, cons in spec.consumers.items()
             for n in [*cons.keyauth_credentials, *cons.jwt_secrets]]
    by_upstream: dict[str, dict[str, list[str]]] = {}
    counters: dict[str, Instance] = {}
    for service, name, route in spec.routes():
        target = spec.services[service].upstream or spec.services[service].host or ""
        for probe in linter.probes(service, name, route)[:1]:
            # the first credential that gets through stands for "a consumer"
            out = next((o for o in (linter.run(replace(probe, credential=c)) for c in creds)
                        if o["status"] is None), None)
            if out is not None:
                for inst, bucket in _bucket_steps(linter, out):
                    scope = f"{bucket['route'] or '-'}:{bucket['service'] or '-'}"
                    by_upstream.setdefault(target, {}).setdefault(scope, []).append(f"{service}/{name}")
                    counters.setdefault(target, inst)
    for upstream, scopes in sorted(by_upstream.items()):
        if len(scopes) > 1:
            routes = "; ".join(f"{', '.join(sorted(set(r)))}" for r in scopes.values())
            first = counters[upstream]
            yield Warning((*first.loc, first.name), "split-budget",
                          f"a consumer gets {len(scopes)} separate budgets for upstream '{upstream}' "
                          f"({routes}): each {first.name} instance keys its counters by its own service/route",
                          "limit once per API family (one instance whose key does not depend on the version), "
                          f"e.g. a global {first.name} with limit_by: header set by the gateway")


def credential_in_log(linter: Linter) -> Iterator[Warning]:
    """A credential that a log can carry: in the query string when nginx's access log format writes
    the query (gateway/platform/kongconf.py ACCESS_LOG_FIELDS), or in the query or a header when a
    logging plugin runs and no global plugin redacts it (``PluginConfig.log_redactions``)."""
    index = linter.model.plugins
    loggers = [name for name in LOG_PLUGINS if name in index.by_name]
    redacted = {entry for inst in index.by_name.values() for i in inst if i.kind == "global"
                for entry in i.config.log_redactions()}
    access_log_query = any(v in ("$request", "$request_uri", "$args", "$query_string") or v.startswith("$arg_")
                           for v in ACCESS_LOG_FIELDS.values())
    for name in AUTH_PLUGINS:
        for inst in index.by_name.get(name, ()):
            where = _credential_places(inst.config)
            leaks = []
            if access_log_query and any(w.startswith("query:") for w in where):
                leaks.append("nginx's access log")
            unredacted = sorted(w for w in where if w not in redacted)
            if loggers and unredacted:
                leaks.append(f"{', '.join(loggers)} ({', '.join(unredacted)})")
            if leaks:
                yield Warning((*inst.loc, name, "config"), "credential-in-log",
                              f"a credential sent as {', '.join(sorted(where))} is written by {' and '.join(leaks)}",
                              "accept credentials in headers only, or redact them from logs (a global plugin "
                              "whose log_redactions() cover them, such as identity-guard)")


def _credential_places(cfg: PluginConfig) -> set[str]:
    """Where an auth plugin reads credentials: ``query:<name>`` / ``header:<name>`` (lower case)."""
    if isinstance(cfg, KeyAuthConfig):
        names = {n.lower() for n in cfg.key_names}
        return ({f"query:{n}" for n in names if cfg.key_in_query}
                | {f"header:{n}" for n in names if cfg.key_in_header})
    if isinstance(cfg, JwtConfig):
        return {f"query:{n.lower()}" for n in cfg.uri_param_names} | {f"header:{n.lower()}" for n in cfg.header_names}
    return set()


def unmarked_public(linter: Linter) -> Iterator[Warning]:
    """A route that proxies a request without any credential but is not tagged ``public``."""
    spec = linter.model.spec
    for service, name, route in spec.routes():
        if PUBLIC_TAG in route.tags or PUBLIC_TAG in spec.services[service].tags:
            continue
        for probe in linter.probes(service, name, route)[:1]:
            out = linter.run(probe)
            if _took(out, service, name) and out["status"] is None:
                yield Warning(_route_loc(service, name), "unmarked-public-route",
                              f"{probe.method} {probe.path} without any credential is proxied to the backend",
                              f"add auth to it, or tag the route or service '{PUBLIC_TAG}' if that is intended")


def language_redundancy(linter: Linter) -> Iterator[Warning]:
    """An upstream the language-router sends to that has one target, or no active health checks."""
    spec = linter.model.spec
    for inst in linter.model.plugins.by_name.get("language-router", ()):
        cfg = inst.config
        if not isinstance(cfg, LanguageRouterConfig):
            continue
        names = [(m.upstream, ("mappings",)) for m in cfg.mappings if m.upstream]
        if cfg.fallback_upstream:
            names.append((cfg.fallback_upstream, ("fallback_upstream",)))
        for upstream_name, _ in dict.fromkeys(names):
            upstream = spec.upstreams.get(upstream_name)
            if upstream is None:
                continue
            active = upstream.healthchecks.active
            checked = active.healthy.interval > 0 and active.unhealthy.interval > 0
            # A checked mapped upstream that fails is marked unhealthy, and the router then sends its
            # languages to the fallback (health_fallback, language-router's health.lua).
            covered = checked and cfg.health_fallback and cfg.fallback_upstream not in (None, upstream_name)
            if (len(upstream.targets) < 2 and not covered) or not checked:
                why = "one target" if len(upstream.targets) < 2 else "no active health checks"
                yield Warning(("upstreams", upstream_name, "targets"), "language-upstream-redundancy",
                              f"language-router ({inst.spec_path}) sends traffic to '{upstream_name}', which has "
                              f"{why}: when it fails, those languages get 502/503",
                              "give it a second target and active health checks")


Rule = Callable[[Linter], Iterator[Warning]]
RULES: dict[str, Rule] = {
    "shadowed-plugin": shadowed_plugin,
    "unreachable-route": unreachable_route,
    "preflight-blocked": blocked_preflight,
    "shared-bucket": shared_bucket,
    "split-budget": split_budget,
    "credential-in-log": credential_in_log,
    "unmarked-public-route": unmarked_public,
    "language-upstream-redundancy": language_redundancy,
}


def lint(model: Model, language_run: LanguageRun) -> list[Warning]:
    linter = Linter(model, language_run)
    ignored = set(model.spec.lint.ignore)
    found: list[Warning] = []
    for rule_id, rule in RULES.items():
        if rule_id not in ignored:
            found.extend(dict.fromkeys(rule(linter)))
    return sorted(found)


def unknown_rules(model: Model) -> list[tuple[Loc, str]]:
    """Rule ids in the stack's ``lint:`` section that do not exist."""
    out: list[tuple[Loc, str]] = []
    for field in ("errors", "ignore"):
        for i, rule in enumerate(getattr(model.spec.lint, field)):
            if rule not in RULES:
                out.append((("lint", field, i), f"unknown rule '{rule}'; rules: {', '.join(RULES)}"))
    return out


def instance_of(model: Model, spec_path: str) -> Instance | None:
    return next((i for insts in model.plugins.by_name.values() for i in insts if i.spec_path == spec_path), None)
