"""The spec's entities as Kong Admin API objects (field names and values exactly as Kong stores them).

Both outputs are built from these records, so DB mode (``gateway.kong.entities``) and DB-less mode
(``gateway.kong.declarative``) cannot drift apart: entities maps them to pulumi-kong arguments, the
declarative renderer nests them into ``kong.yml``. ``None`` is Kong's ``null`` (the field is unset); the
renderer leaves such fields out. Secrets in plugin configs are Kong vault references (``gateway.kong.vault``),
in both modes.
"""

from __future__ import annotations

from typing import Any, TypedDict

from gateway.kong import vault
from gateway.spec.models import Consumer, PluginEntry, Route, Service, Upstream, UpstreamTarget

MANAGED_BY = "managed-by:ai4v-gateway"


class ServiceData(TypedDict):
    name: str
    enabled: bool
    protocol: str
    host: str
    port: int
    path: str | None
    retries: int
    connect_timeout: int
    write_timeout: int
    read_timeout: int
    tls_verify: bool | None
    tls_verify_depth: int | None
    tags: list[str]


class RouteData(TypedDict):
    name: str
    protocols: list[str]
    methods: list[str] | None
    hosts: list[str] | None
    paths: list[str] | None
    headers: dict[str, list[str]] | None
    snis: list[str] | None
    https_redirect_status_code: int
    regex_priority: int
    strip_path: bool
    path_handling: str
    preserve_host: bool
    request_buffering: bool
    response_buffering: bool
    tags: list[str]


class UpstreamData(TypedDict):
    name: str
    algorithm: str
    hash_on: str
    hash_fallback: str
    hash_on_header: str | None
    hash_fallback_header: str | None
    hash_on_cookie: str | None
    hash_on_cookie_path: str
    hash_on_query_arg: str | None
    hash_fallback_query_arg: str | None
    hash_on_uri_capture: str | None
    hash_fallback_uri_capture: str | None
    slots: int
    healthchecks: dict[str, Any]
    """Kong's ``healthchecks`` record as JSON (``Healthchecks.model_dump``)."""
    host_header: str | None
    use_srv_name: bool
    tags: list[str]


class TargetData(TypedDict):
    target: str
    weight: int
    tags: list[str]


class ConsumerData(TypedDict):
    username: str
    custom_id: str | None
    tags: list[str]


class PluginData(TypedDict):
    name: str
    instance_name: str | None
    enabled: bool
    protocols: list[str] | None
    config: dict[str, Any]
    tags: list[str]


class KeyAuthData(TypedDict):
    key: str
    tags: list[str]


class JwtSecretData(TypedDict):
    key: str
    algorithm: str
    secret: str | None
    rsa_public_key: str | None
    tags: list[str]


class AclData(TypedDict):
    group: str
    tags: list[str]


def tags(entity_tags: list[str], stack: str) -> list[str]:
    """Entity tags plus the two that let an operator find everything this stack manages."""
    extra = [MANAGED_BY, f"stack:{stack}"]
    return [*entity_tags, *(tag for tag in extra if tag not in entity_tags)]


def service(name: str, svc: Service, stack: str) -> ServiceData:
    host = svc.upstream if svc.upstream is not None else svc.host
    assert host is not None  # the spec model requires one of them
    return ServiceData(
        name=name,
        enabled=svc.enabled,
        protocol=svc.protocol,
        host=host,
        port=svc.port,
        path=svc.path,
        retries=svc.retries,
        connect_timeout=svc.connect_timeout,
        write_timeout=svc.write_timeout,
        read_timeout=svc.read_timeout,
        tls_verify=svc.tls_verify,
        tls_verify_depth=svc.tls_verify_depth,
        tags=tags(svc.tags, stack),
    )


def route(name: str, rt: Route, stack: str) -> RouteData:
    return RouteData(
        name=name,
        protocols=list(rt.protocols),
        methods=list(rt.methods) if rt.methods is not None else None,
        hosts=rt.hosts,
        paths=rt.paths,
        headers=rt.headers,
        snis=rt.snis,
        https_redirect_status_code=rt.https_redirect_status_code,
        regex_priority=rt.regex_priority,
        strip_path=rt.strip_path,
        path_handling=rt.path_handling,
        preserve_host=rt.preserve_host,
        request_buffering=rt.request_buffering,
        response_buffering=rt.response_buffering,
        tags=tags(rt.tags, stack),
    )


def _healthchecks(up: Upstream) -> dict[str, Any]:
    """Kong's healthchecks record; its ``active.http_path`` is the upstream's ``health_path``."""
    record = up.healthchecks.model_dump(mode="json", exclude_none=True)
    record["active"]["http_path"] = up.health_path
    return record


def upstream(name: str, up: Upstream, stack: str) -> UpstreamData:
    return UpstreamData(
        name=name,
        algorithm=up.algorithm,
        hash_on=up.hash_on,
        hash_fallback=up.hash_fallback,
        hash_on_header=up.hash_on_header,
        hash_fallback_header=up.hash_fallback_header,
        hash_on_cookie=up.hash_on_cookie,
        hash_on_cookie_path=up.hash_on_cookie_path,
        hash_on_query_arg=up.hash_on_query_arg,
        hash_fallback_query_arg=up.hash_fallback_query_arg,
        hash_on_uri_capture=up.hash_on_uri_capture,
        hash_fallback_uri_capture=up.hash_fallback_uri_capture,
        slots=up.slots,
        healthchecks=_healthchecks(up),
        host_header=up.host_header,
        use_srv_name=up.use_srv_name,
        tags=tags(up.tags, stack),
    )


def target(tgt: UpstreamTarget, stack: str) -> TargetData:
    return TargetData(target=tgt.address, weight=tgt.weight, tags=tags(tgt.tags, stack))


def consumer(username: str, cons: Consumer, stack: str) -> ConsumerData:
    return ConsumerData(username=username, custom_id=cons.custom_id, tags=tags(cons.tags, stack))


def plugin(name: str, entry: PluginEntry[Any], stack: str, *, nulls: bool = False) -> PluginData:
    """``nulls``: every modelled config field, unset ones as ``null`` (what a PATCH must carry to clear them)."""
    return PluginData(
        name=name,
        instance_name=entry.instance_name,
        enabled=entry.enabled,
        protocols=list(entry.protocols) if entry.protocols is not None else None,
        config=entry.config.to_kong(vault.reference, nulls=nulls),
        tags=tags(entry.tags, stack),
    )


def keyauth_credential(key: str, entity_tags: list[str], stack: str) -> KeyAuthData:
    return KeyAuthData(key=key, tags=tags(entity_tags, stack))


def jwt_secret(key: str, algorithm: str, secret: str | None, rsa_public_key: str | None, entity_tags: list[str],
               stack: str) -> JwtSecretData:
    return JwtSecretData(key=key, algorithm=algorithm, secret=secret, rsa_public_key=rsa_public_key,
                         tags=tags(entity_tags, stack))


def acl(group: str, stack: str) -> AclData:
    return AclData(group=group, tags=tags([], stack))


def present(data: Any) -> dict[str, Any]:
    """The record without its unset (``None``) fields, as ``kong.yml`` writes it."""
    return {key: value for key, value in dict(data).items() if value is not None}
