"""The gateway spec: pydantic models of every Kong entity we manage, with Kong 3.9.3's defaults.

Entities with names (services, routes, upstreams, consumers, credentials, plugins) are mappings keyed
by name, so a stack overlay can add, change or remove one by naming it. Field names and defaults are
Kong's (``kong/db/schema/entities/*.lua``), so the spec reads like the Admin API it drives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, model_validator

from gateway.spec.fields import (
    HeaderName,
    Host,
    HttpProtocol,
    Method,
    Name,
    Path,
    Port,
    Protocol,
    RouteHost,
    RouterPath,
    Tag,
    Target,
    Timeout,
    WildcardHost,
    split_target,
)
from gateway.spec.plugins import PLUGIN_CONFIGS
from gateway.spec.plugins.base import PluginConfig
from gateway.spec.refs import SecretRef


class Model(BaseModel):
    """A spec record: unknown fields rejected."""

    model_config = ConfigDict(extra="forbid")


C = TypeVar("C", bound=PluginConfig)


class PluginEntry(Model, Generic[C]):
    """One plugin instance; its scope is where it sits in the spec (global, service, route, consumer)."""

    enabled: bool = True
    protocols: list[HttpProtocol] | None = None
    instance_name: Name | None = None
    tags: list[Tag] = Field(default_factory=list)
    config: C

    @model_validator(mode="before")
    @classmethod
    def _default_config(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("config") is None:
            return {**data, "config": {}}
        return data


class PluginsBase(Model):
    """Plugins at one scope, keyed by Kong plugin name (Kong allows one instance per name per scope)."""

    def entries(self) -> Iterator[tuple[str, PluginEntry[Any]]]:
        for field_name, info in type(self).model_fields.items():
            entry = getattr(self, field_name)
            if entry is not None:
                yield info.alias or field_name, entry

    def get(self, plugin: str) -> PluginEntry[Any] | None:
        return dict(self.entries()).get(plugin)


if TYPE_CHECKING:
    Plugins = PluginsBase
else:
    Plugins = create_model("Plugins", __base__=PluginsBase, **{
        name.replace("-", "_"): (PluginEntry[config] | None, Field(None, alias=name))
        for name, config in PLUGIN_CONFIGS.items()})


HTTP_AND_HTTPS: tuple[Protocol, ...] = ("http", "https")


class Route(Model):
    protocols: list[Protocol] = Field(default_factory=lambda: list(HTTP_AND_HTTPS), min_length=1)
    methods: list[Method] | None = None
    hosts: list[RouteHost] | None = None
    paths: list[RouterPath] | None = None
    headers: dict[HeaderName, list[str]] | None = None
    snis: list[WildcardHost] | None = None
    https_redirect_status_code: Literal[426, 301, 302, 307, 308] = 426
    regex_priority: int = 0
    strip_path: bool = True
    path_handling: Literal["v0", "v1"] = "v0"
    preserve_host: bool = False
    request_buffering: bool = True
    response_buffering: bool = True
    tags: list[Tag] = Field(default_factory=list)
    plugins: Plugins = Field(default_factory=Plugins)

    @model_validator(mode="after")
    def _kong_route_rules(self) -> Self:
        http = {"http", "https", "grpc", "grpcs"}
        if set(self.protocols) & http and set(self.protocols) - http:
            raise ValueError("protocols: do not mix HTTP protocols with stream protocols (tcp, tls, udp)")
        if set(self.protocols) <= http and not (self.methods or self.hosts or self.headers or self.paths):
            raise ValueError("an HTTP route must set at least one of paths, methods, hosts, headers")
        if self.headers and any(name.lower() == "host" for name in self.headers):
            raise ValueError("headers: cannot match on 'Host'; use 'hosts'")
        if self.snis and not set(self.protocols) & {"https", "grpcs", "tls", "tls_passthrough"}:
            raise ValueError("snis can only be set when protocols include https, grpcs, tls or tls_passthrough")
        return self


class Service(Model):
    """A Kong service: either ``host``/``port`` or an ``upstream`` of this spec (Kong's host = its name)."""

    enabled: bool = True
    protocol: Protocol = "http"
    host: Host | None = None
    upstream: Name | None = None
    port: Port = 80
    path: Path | None = None
    retries: Annotated[int, Field(ge=0, le=32767)] = 5
    connect_timeout: Timeout = 60000
    write_timeout: Timeout = 60000
    read_timeout: Timeout = 60000
    tls_verify: bool | None = None
    tls_verify_depth: Annotated[int, Field(ge=0, le=64)] | None = None
    tags: list[Tag] = Field(default_factory=list)
    routes: dict[Name, Route] = Field(default_factory=dict)
    plugins: Plugins = Field(default_factory=Plugins)
    formerly: list[Name] = Field(default_factory=list)
    """Services this one replaces (renamed or merged into it). Not a Kong field: in DB mode their routes
    move here in place (an update of ``service_id``) instead of being created again, which Kong would
    refuse while the old route of the same name still exists."""

    @model_validator(mode="after")
    def _one_destination(self) -> Self:
        if (self.host is None) == (self.upstream is None):
            raise ValueError("set exactly one of 'host' or 'upstream'")
        if self.protocol in ("tcp", "tls", "udp", "grpc", "grpcs") and self.path is not None:
            raise ValueError(f"path cannot be set with protocol '{self.protocol}'")
        if self.protocol not in ("https", "tls") and (self.tls_verify is not None or self.tls_verify_depth is not None):
            raise ValueError("tls_verify and tls_verify_depth need protocol https or tls")
        return self


HttpStatus = Annotated[int, Field(ge=100, le=999)]
Seconds = Annotated[float, Field(ge=0, le=65535)]
Counter = Annotated[int, Field(ge=0, le=255)]


class ActiveHealthy(Model):
    interval: Seconds = 0
    http_statuses: list[HttpStatus] = Field(default_factory=lambda: [200, 302])
    successes: Counter = 0


class ActiveUnhealthy(Model):
    interval: Seconds = 0
    http_statuses: list[HttpStatus] = Field(default_factory=lambda: [429, 404, 500, 501, 502, 503, 504, 505])
    tcp_failures: Counter = 0
    timeouts: Counter = 0
    http_failures: Counter = 0


class ActiveHealthcheck(Model):
    type: Literal["tcp", "http", "https", "grpc", "grpcs"] = "http"
    timeout: Seconds = 1
    concurrency: Annotated[int, Field(ge=1, le=2**31)] = 10
    https_sni: Host | None = None
    https_verify_certificate: bool = True
    headers: dict[HeaderName, list[str]] | None = None
    healthy: ActiveHealthy = Field(default_factory=ActiveHealthy)
    unhealthy: ActiveUnhealthy = Field(default_factory=ActiveUnhealthy)

    @model_validator(mode="before")
    @classmethod
    def _path_is_the_upstreams(cls, data: Any) -> Any:
        """Kong's ``active.http_path`` comes from the upstream's ``health_path``: one place to set it."""
        if isinstance(data, dict) and "http_path" in data:
            raise ValueError("http_path is set by the upstream's health_path (default /health); "
                             "move it there")
        return data


class PassiveHealthy(Model):
    http_statuses: list[HttpStatus] = Field(
        default_factory=lambda: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                 300, 301, 302, 303, 304, 305, 306, 307, 308]
    )
    successes: Counter = 0


class PassiveUnhealthy(Model):
    http_statuses: list[HttpStatus] = Field(default_factory=lambda: [429, 500, 503])
    tcp_failures: Counter = 0
    timeouts: Counter = 0
    http_failures: Counter = 0


class PassiveHealthcheck(Model):
    type: Literal["tcp", "http", "https", "grpc", "grpcs"] = "http"
    healthy: PassiveHealthy = Field(default_factory=PassiveHealthy)
    unhealthy: PassiveUnhealthy = Field(default_factory=PassiveUnhealthy)


class Healthchecks(Model):
    active: ActiveHealthcheck = Field(default_factory=ActiveHealthcheck)
    passive: PassiveHealthcheck = Field(default_factory=PassiveHealthcheck)
    threshold: Annotated[float, Field(ge=0, le=100)] = 0


class UpstreamTarget(Model):
    target: Target
    weight: Annotated[int, Field(ge=0, le=65535)] = 100
    tags: list[Tag] = Field(default_factory=list)

    @property
    def address(self) -> str:
        """``host:port`` with Kong's default port 8000 made explicit, so two spellings compare equal."""
        host, port = split_target(self.target)
        return f"{host}:{port if port is not None else 8000}"


HashOn = Literal["none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"]


class Upstream(Model):
    algorithm: Literal["round-robin", "consistent-hashing", "least-connections", "latency"] = "round-robin"
    hash_on: HashOn = "none"
    hash_fallback: HashOn = "none"
    hash_on_header: HeaderName | None = None
    hash_fallback_header: HeaderName | None = None
    hash_on_cookie: Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")] | None = None
    hash_on_cookie_path: Path = "/"
    hash_on_query_arg: Annotated[str, Field(min_length=1)] | None = None
    hash_fallback_query_arg: Annotated[str, Field(min_length=1)] | None = None
    hash_on_uri_capture: Annotated[str, Field(min_length=1)] | None = None
    hash_fallback_uri_capture: Annotated[str, Field(min_length=1)] | None = None
    slots: Annotated[int, Field(ge=10, le=2**16)] = 10000
    health_path: Path = "/health"
    """The path active health checks request (Kong's healthchecks.active.http_path)."""
    healthchecks: Healthchecks = Field(default_factory=Healthchecks)
    host_header: Host | None = None
    use_srv_name: bool = False
    tags: list[Tag] = Field(default_factory=list)
    targets: list[UpstreamTarget] = Field(min_length=1)

    @model_validator(mode="after")
    def _kong_hash_rules(self) -> Self:
        """Kong's upstream entity checks, in the same words where possible."""
        needs = {"header": "hash_on_header", "cookie": "hash_on_cookie", "query_arg": "hash_on_query_arg",
                 "uri_capture": "hash_on_uri_capture"}
        fallback_needs = {"header": "hash_fallback_header", "cookie": "hash_on_cookie",
                          "query_arg": "hash_fallback_query_arg", "uri_capture": "hash_fallback_uri_capture"}
        problems = []
        if self.hash_on in needs and getattr(self, needs[self.hash_on]) is None:
            problems.append(f"hash_on '{self.hash_on}' needs {needs[self.hash_on]}")
        if self.hash_fallback in fallback_needs and getattr(self, fallback_needs[self.hash_fallback]) is None:
            problems.append(f"hash_fallback '{self.hash_fallback}' needs {fallback_needs[self.hash_fallback]}")
        if self.hash_on in ("none", "cookie") and self.hash_fallback != "none":
            problems.append(f"hash_fallback must be 'none' when hash_on is '{self.hash_on}'")
        if self.hash_on == self.hash_fallback and self.hash_on in ("consumer", "ip", "path"):
            problems.append("hash_fallback must differ from hash_on")
        for a, b in (("hash_on_header", "hash_fallback_header"), ("hash_on_query_arg", "hash_fallback_query_arg"),
                     ("hash_on_uri_capture", "hash_fallback_uri_capture")):
            if getattr(self, a) is not None and getattr(self, a) == getattr(self, b):
                problems.append(f"{a} and {b} must differ")
        if self.algorithm == "consistent-hashing" and self.hash_on == "none":
            problems.append("algorithm 'consistent-hashing' needs hash_on")
        if self.algorithm != "consistent-hashing" and self.hash_on != "none":
            problems.append(f"hash_on is only used with algorithm 'consistent-hashing', not '{self.algorithm}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class KeyAuthCredential(Model):
    key: SecretRef
    tags: list[Tag] = Field(default_factory=list)


JwtAlgorithm = Literal["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
                       "PS256", "PS384", "PS512", "EdDSA"]


class JwtSecret(Model):
    """``key`` is the value clients put in the ``iss`` claim: an identifier, not a secret."""

    key: Annotated[str, Field(min_length=1)]
    algorithm: JwtAlgorithm = "HS256"
    secret: SecretRef | None = None
    rsa_public_key: str | None = None
    tags: list[Tag] = Field(default_factory=list)

    @model_validator(mode="after")
    def _key_material(self) -> Self:
        if self.algorithm.startswith("HS"):
            if self.secret is None:
                raise ValueError(f"algorithm {self.algorithm} needs 'secret' ({{secret: <configKey>}})")
            if self.rsa_public_key is not None:
                raise ValueError(f"rsa_public_key is not used with algorithm {self.algorithm}")
        elif self.rsa_public_key is None or "BEGIN PUBLIC KEY" not in self.rsa_public_key:
            raise ValueError(f"algorithm {self.algorithm} needs 'rsa_public_key' (a PEM public key)")
        return self


class Consumer(Model):
    custom_id: Annotated[str, Field(min_length=1)] | None = None
    tags: list[Tag] = Field(default_factory=list)
    acl_groups: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    keyauth_credentials: dict[Name, KeyAuthCredential] = Field(default_factory=dict)
    jwt_secrets: dict[Name, JwtSecret] = Field(default_factory=dict)
    plugins: Plugins = Field(default_factory=Plugins)


SIZE_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _nginx_size(value: Any) -> Any:
    """nginx size syntax (``50m``, ``512k``, ``1000``) to bytes."""
    if isinstance(value, str):
        text = value.strip().lower()
        unit = SIZE_UNITS.get(text[-1:], 1)
        number = text[:-1] if text[-1:] in SIZE_UNITS else text
        if not number.isdigit():
            raise ValueError(f"'{value}' is not a size; write bytes, or a number with k, m or g (e.g. 50m)")
        return int(number) * unit
    return value


ByteSize = Annotated[int, BeforeValidator(_nginx_size), Field(ge=1, le=1 << 40)]
RedirectStatus = Literal[426, 301, 302, 307, 308]


class FloodGuard(Model):
    """Requests per client IP and Kong node, counted by nginx (``limit_req``, preaccess phase) after Kong's
    rewrite phase (global rewrite handlers) and before routing, access plugins or any body read: what stops
    a flood that no plugin instance could (Kong runs one rate-limiting instance per request, and each
    service has its own)."""

    per_minute: Annotated[int, Field(ge=1, le=6_000_000)] = 1000
    burst: Annotated[int, Field(ge=0, le=1_000_000)] = 200
    """Requests above the rate that are still served at once; beyond them: 429."""


class Edge(Model):
    """What nginx enforces for every route, in front of Kong's router and plugins."""

    max_body_size: ByteSize = 50 << 20
    """Largest request body (nginx ``client_max_body_size``; 413 beyond). Enforced while reading, so
    no plugin has to read a body before auth to measure it."""
    flood_guard: FloodGuard | None = Field(default_factory=FloodGuard)
    """``null`` turns it off."""
    https_only: RedirectStatus | None = None
    """Set: every route that accepts ``http`` accepts only ``https``, and Kong answers plain HTTP with
    this status (426 Upgrade Required, or a redirect); responses carry HSTS."""
    hsts_max_age: Annotated[int, Field(ge=0, le=63072000)] = 31536000


class LintSettings(Model):
    """``python -m gateway lint``: which rules (docs/EXPLAIN.md) fail the stack (exit 1) or are not run."""

    errors: list[Name] = Field(default_factory=list)
    ignore: list[Name] = Field(default_factory=list)


class GatewaySpec(Model):
    """One stack's gateway, after the overlay is merged."""

    edge: Edge = Field(default_factory=Edge)
    services: dict[Name, Service] = Field(default_factory=dict)
    upstreams: dict[Name, Upstream] = Field(default_factory=dict)
    consumers: dict[Name, Consumer] = Field(default_factory=dict)
    plugins: Plugins = Field(default_factory=Plugins)
    lint: LintSettings = Field(default_factory=LintSettings)

    @model_validator(mode="after")
    def _https_only(self) -> Self:
        """Kong answers a route's plain-HTTP request with ``https_redirect_status_code`` when the route's
        protocols lack ``http`` (kong/runloop/handler.lua, access.before)."""
        status = self.edge.https_only
        if status is None:
            return self
        for _, _, route in self.routes():
            if "http" in route.protocols:
                route.protocols = [p for p in route.protocols if p != "http"] or ["https"]
                if "https" not in route.protocols:
                    route.protocols.append("https")
                route.https_redirect_status_code = status
        return self

    def routes(self) -> Iterator[tuple[str, str, Route]]:
        """(service name, route name, route) for every route."""
        for service_name, service in self.services.items():
            for route_name, route in service.routes.items():
                yield service_name, route_name, route

    def plugin_instances(self) -> Iterator[tuple[tuple[str | int, ...], str, PluginEntry[Any]]]:
        """(spec path of the scope, plugin name, entry) for every plugin at every scope."""
        for name, entry in self.plugins.entries():
            yield ("plugins",), name, entry
        for service_name, service in self.services.items():
            for name, entry in service.plugins.entries():
                yield ("services", service_name, "plugins"), name, entry
            for route_name, route in service.routes.items():
                for name, entry in route.plugins.entries():
                    yield ("services", service_name, "routes", route_name, "plugins"), name, entry
        for consumer_name, consumer in self.consumers.items():
            for name, entry in consumer.plugins.entries():
                yield ("consumers", consumer_name, "plugins"), name, entry

    def consumer_key_secrets(self) -> dict[str, str]:
        """``<consumer>/<credential>`` -> the secret holding that API key (the ``consumerKeys`` output)."""
        return {f"{consumer}/{cred}": credential.key.secret for consumer, entry in self.consumers.items()
                for cred, credential in entry.keyauth_credentials.items()}

    def consumer_jwt_secrets(self) -> dict[str, str]:
        """``<consumer>/<jwt key>`` -> the secret signing its tokens (the ``consumerJwtSecrets`` output)."""
        return {f"{consumer}/{jwt.key}": jwt.secret.secret for consumer, entry in self.consumers.items()
                for jwt in entry.jwt_secrets.values() if jwt.secret is not None}

    def secret_names(self) -> set[str]:
        """Every secret the spec refers to; each becomes a Pulumi config key or a generated value."""
        names: set[str] = set()
        for consumer in self.consumers.values():
            names.update(cred.key.secret for cred in consumer.keyauth_credentials.values())
            names.update(jwt.secret.secret for jwt in consumer.jwt_secrets.values() if jwt.secret)
        for _, _, entry in self.plugin_instances():
            names.update(entry.config.secret_names())
        return names
