"""The spec's entities as Kong Admin API objects (field names and values exactly as Kong stores them).

Both outputs are built from these dicts, so DB mode (``gateway.entities``) and DB-less mode
(``gateway.declarative``) cannot drift apart: entities maps them to pulumi-kong arguments, the
declarative renderer nests them into ``kong.yml``.
"""

from __future__ import annotations

from typing import Any

from gateway.refs import Resolver
from gateway.spec.models import Consumer, PluginEntry, Route, Service, Upstream, UpstreamTarget

MANAGED_BY = "managed-by:ai4v-gateway"


def tags(entity_tags: list[str], stack: str) -> list[str]:
    """Entity tags plus the two that let an operator find everything this stack manages."""
    extra = [MANAGED_BY, f"stack:{stack}"]
    return [*entity_tags, *(tag for tag in extra if tag not in entity_tags)]


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def service(name: str, svc: Service, stack: str) -> dict[str, Any]:
    return _present({
        "name": name,
        "enabled": svc.enabled,
        "protocol": svc.protocol,
        "host": svc.upstream if svc.upstream is not None else svc.host,
        "port": svc.port,
        "path": svc.path,
        "retries": svc.retries,
        "connect_timeout": svc.connect_timeout,
        "write_timeout": svc.write_timeout,
        "read_timeout": svc.read_timeout,
        "tls_verify": svc.tls_verify,
        "tls_verify_depth": svc.tls_verify_depth,
        "tags": tags(svc.tags, stack),
    })


def route(name: str, rt: Route, stack: str) -> dict[str, Any]:
    return _present({
        "name": name,
        "protocols": rt.protocols,
        "methods": rt.methods,
        "hosts": rt.hosts,
        "paths": rt.paths,
        "headers": rt.headers,
        "snis": rt.snis,
        "https_redirect_status_code": rt.https_redirect_status_code,
        "regex_priority": rt.regex_priority,
        "strip_path": rt.strip_path,
        "path_handling": rt.path_handling,
        "preserve_host": rt.preserve_host,
        "request_buffering": rt.request_buffering,
        "response_buffering": rt.response_buffering,
        "tags": tags(rt.tags, stack),
    })


def upstream(name: str, up: Upstream, stack: str) -> dict[str, Any]:
    fields = up.model_dump(mode="json", exclude={"targets", "tags", "health_path"}, exclude_none=True)
    fields["healthchecks"]["active"]["http_path"] = up.health_path
    return {"name": name, **fields, "tags": tags(up.tags, stack)}


def target(tgt: UpstreamTarget, stack: str) -> dict[str, Any]:
    return {"target": tgt.address, "weight": tgt.weight, "tags": tags(tgt.tags, stack)}


def consumer(username: str, cons: Consumer, stack: str) -> dict[str, Any]:
    return _present({"username": username, "custom_id": cons.custom_id, "tags": tags(cons.tags, stack)})


def plugin(name: str, entry: PluginEntry[Any], stack: str, resolve_secret: Resolver) -> dict[str, Any]:
    return _present({
        "name": name,
        "instance_name": entry.instance_name,
        "enabled": entry.enabled,
        "protocols": entry.protocols,
        "config": entry.config.to_kong(resolve_secret),
        "tags": tags(entry.tags, stack),
    })


def keyauth_credential(key: Any, entity_tags: list[str], stack: str) -> dict[str, Any]:
    return {"key": key, "tags": tags(entity_tags, stack)}


def jwt_secret(key: str, algorithm: str, secret: Any, rsa_public_key: str | None, entity_tags: list[str],
               stack: str) -> dict[str, Any]:
    return _present({
        "key": key,
        "algorithm": algorithm,
        "secret": secret,
        "rsa_public_key": rsa_public_key,
        "tags": tags(entity_tags, stack),
    })


def acl(group: str, stack: str) -> dict[str, Any]:
    return {"group": group, "tags": tags([], stack)}
