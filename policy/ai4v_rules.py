"""The gateway's mandatory rules as pure functions over resource inputs, testable without the policy server.

Each rule takes what ``pulumi preview`` hands a policy (the resource's type, name, URN, inputs with Pulumi's
camelCase names, options and the URNs each input depends on) and returns one message per violation.
``ai4v_pack`` wraps them as pulumi-policy policies.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from gateway.kong.scope import Placed, Resolver, Scope
from gateway.spec.fields import PUBLIC_TAG
from gateway.spec.plugins import COUNTING_PLUGINS
from gateway.stack.images import IMAGES, floating_tag

CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
VOLUME = "docker:index/volume:Volume"
KONG_ROUTE = "kong:index/route:Route"
KONG_SERVICE = "kong:index/service:Service"
KONG_PLUGIN = "kong:index/plugin:Plugin"
KEY_AUTH_CREDENTIAL = "kong:index/consumerKeyAuth:ConsumerKeyAuth"
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_FILE_HOLDERS = ("kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap")
K8S_WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
                 "kubernetes:batch/v1:Job")
KONG_ADMIN_PORTS = (8001, 8444, 8002, 8445)
"""Kong's Admin API and Manager ports (kong/templates/kong_defaults.lua), as the platform runs them."""


AUTH_PLUGINS = frozenset({"key-auth", "jwt", "basic-auth", "hmac-auth", "oauth2", "ldap-auth"})
"""Kong 3.9 OSS plugins that authenticate a consumer (kong/plugins/*/handler.lua set_consumer)."""
RATE_LIMIT_PLUGINS = frozenset(COUNTING_PLUGINS)

KONG_ADMIN_DEFAULTS = {
    # kong/templates/kong_defaults.lua: where Kong listens when the env var is not set.
    "KONG_ADMIN_LISTEN": "127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384",
    "KONG_ADMIN_GUI_LISTEN": "0.0.0.0:8002, 0.0.0.0:8445 ssl",
}
ADMIN_LABELS = {"KONG_ADMIN_LISTEN": "Admin API", "KONG_ADMIN_GUI_LISTEN": "Kong Manager"}

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""Pulumi's sentinel for a value not known during preview (pulumi.runtime.rpc.UNKNOWN)."""

DEFAULT_VERSION_PARTS = 3

PROTECTED_STACKS = frozenset({"prod"})


@dataclass(frozen=True)
class Resource:
    """What a policy sees of one resource."""

    type: str
    name: str
    urn: str = ""
    props: Mapping[str, Any] = field(default_factory=dict)
    protect: bool = False
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


class Secret:
    """A value the program marked secret (pulumi_policy.Secret has the same ``value`` attribute)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def is_secret(value: Any) -> bool:
    return type(value).__name__ == "Secret" and hasattr(value, "value")


def reveal(value: Any) -> Any:
    return reveal(value.value) if is_secret(value) else value


def stack_of(urn: str) -> str:
    """``urn:pulumi:<stack>::<project>::...`` -> stack."""
    parts = urn.split(":")
    return parts[2] if len(parts) > 2 and parts[0] == "urn" else ""


# 1. The Admin API and Kong Manager are published on loopback addresses only.

def _env(props: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in props.get("envs") or []:
        name, _, value = str(reveal(entry)).partition("=")
        out[name] = value
    return out


def _listen_addresses(listen: str) -> list[tuple[str, int]]:
    """``0.0.0.0:8001 reuseport, [::1]:8444 ssl`` -> [(host, port)]; ``off`` -> []."""
    out = []
    for item in listen.split(","):
        words = item.split()
        if not words or words[0] == "off":
            continue
        host, _, port = words[0].rpartition(":")
        if port.isdigit():
            out.append((host.strip("[]"), int(port)))
    return out


def is_loopback(host: str | None) -> bool:
    if not host:
        return False  # Docker publishes on every address when no ip is given
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_kong(props: Mapping[str, Any]) -> bool:
    return _repository(str(reveal(props.get("image", "")))).rsplit("/", 1)[-1] in ("kong", "kong-gateway")


def admin_published(resource: Resource) -> list[str]:
    """Kong containers: every published port of the Admin API or Manager is bound to a loopback address,
    and with host networking Kong itself listens on loopback only. Kubernetes: ``admin_service_exposed``."""
    if resource.type == K8S_SERVICE:
        return admin_service_exposed(resource)
    if resource.type != CONTAINER or not _is_kong(resource.props):
        return []
    env = _env(resource.props)
    problems = []
    admin_ports: dict[int, str] = {}
    for var, label in ADMIN_LABELS.items():
        for host, port in _listen_addresses(env.get(var, KONG_ADMIN_DEFAULTS[var])):
            admin_ports[port] = label
            if resource.props.get("networkMode") == "host" and not is_loopback(host):
                problems.append(f"{resource.name}: {label} listens on {host}:{port} with host networking; "
                                f"allowed: a loopback address (127.0.0.1, ::1)")
    for port in resource.props.get("ports") or []:
        internal = int(port.get("internal", 0))
        if internal in admin_ports and not is_loopback(port.get("ip")):
            where = port.get("ip") or "0.0.0.0 (no ip given)"
            problems.append(f"{resource.name}: {admin_ports[internal]} port {internal} is published on {where}; "
                            f"allowed: a loopback address (127.0.0.1, ::1)")
    return problems


def admin_service_exposed(resource: Resource) -> list[str]:
    """Kubernetes: a Service that reaches Kong's Admin API or Manager port stays ClusterIP (in-cluster)."""
    if resource.type != K8S_SERVICE:
        return []
    kind = str(reveal(resource.props.get("spec", {})).get("type") or "ClusterIP")
    if kind == "ClusterIP":
        return []
    ports = reveal(resource.props.get("spec", {})).get("ports") or []
    return [f"{resource.name}: Service of type {kind} exposes port {port.get('targetPort', port.get('port'))} "
            f"(Kong Admin API or Manager); allowed: type ClusterIP"
            for port in ports if port.get("targetPort", port.get("port")) in KONG_ADMIN_PORTS]


# 2 and 3. Auth and rate limits in scope: the instance Kong runs on each route (gateway.kong.scope).

def _dep(resource: Resource, prop: str) -> str | None:
    deps = list(resource.property_dependencies.get(prop) or [])
    if deps:
        return deps[0]
    return None


def _plugin_scopes(resources: Sequence[Resource]) -> Resolver[str]:
    """Every plugin resource placed by the URNs of its route, service and consumer (Kong's compound key);
    ``enabled`` unknown in a preview counts as enabled, as it defaults in Kong."""
    def urn(plugin: Resource, prop: str) -> str | None:
        value = plugin.props.get(prop)
        return (_dep(plugin, prop) or str(value)) if value else None

    return Resolver(Placed(str(plugin.props.get("name", "")),
                           Scope(urn(plugin, "routeId"), urn(plugin, "serviceId"), urn(plugin, "consumerId")),
                           plugin.props.get("enabled") is not False, str(plugin.props.get("name", "")))
                    for plugin in resources if plugin.type == KONG_PLUGIN)


def _runs_one_of(scope: Resolver[str], names: frozenset[str], route: str | None, service: str) -> bool:
    """Kong runs an instance of one of ``names`` on a request to ``route`` of ``service`` without a consumer."""
    return any(scope.lookup(name, route, service) is not None for name in names)


def _tags(resource: Resource | None) -> set[str]:
    return {str(t) for t in (resource.props.get("tags") or [])} if resource else set()


def declarative_entities(resources: Sequence[Resource]) -> list[Resource]:
    """The services, routes and plugins of the kong.yml a DB-less Kong container is given, as resources
    (a URN per entity, scopes as property dependencies), so the scope rules hold in DB-less mode too."""
    out: list[Resource] = []
    seen: set[str] = set()
    for container in resources:
        if container.type != CONTAINER or not _is_kong(container.props):
            continue
        path = _env(container.props).get("KONG_DECLARATIVE_CONFIG")
        text = next((str(reveal(u.get("content"))) for u in container.props.get("uploads") or []
                     if path and u.get("file") == path), None)
        if text is None or text in seen:
            continue
        seen.add(text)
        out += _from_declarative(yaml.safe_load(text) or {}, f"{container.urn}#kong.yml")
    for holder in resources:  # Kubernetes: the kong.yml a Secret (or ConfigMap) mounts into the Kong pods
        if holder.type not in K8S_FILE_HOLDERS:
            continue
        files = {**(reveal(holder.props.get("data")) or {}), **(reveal(holder.props.get("stringData")) or {})}
        text = files.get("kong.yml")
        if isinstance(text, str) and text not in seen:
            seen.add(text)
            out += _from_declarative(yaml.safe_load(text) or {}, f"{holder.urn}#kong.yml")
    return out


def _from_declarative(doc: Mapping[str, Any], base: str) -> list[Resource]:
    out: list[Resource] = []
    urns = {kind: {e.get("name"): f"{base}/{kind}/{e.get('name')}" for e in doc.get(kind) or []}
            for kind in ("services", "consumers")}
    urns["routes"] = {}

    def plugin(entry: Mapping[str, Any], where: str, deps: dict[str, list[str]]) -> None:
        props = {**entry, **{f"{key}Id": urn for key, urn_list in deps.items() for urn in urn_list[:1]}}
        out.append(Resource(KONG_PLUGIN, str(entry.get("name")), f"{where}/plugins/{entry.get('name')}", props,
                            property_dependencies={f"{k}Id": v for k, v in deps.items()}))

    for service in doc.get("services") or []:
        surn = urns["services"][service.get("name")]
        out.append(Resource(KONG_SERVICE, str(service.get("name")), surn, service))
        for entry in service.get("plugins") or []:
            plugin(entry, surn, {"service": [surn]})
        for route in service.get("routes") or []:
            rurn = f"{base}/routes/{route.get('name')}"
            urns["routes"][route.get("name")] = rurn
            out.append(Resource(KONG_ROUTE, str(route.get("name")), rurn, route,
                                property_dependencies={"serviceId": [surn]}))
            for entry in route.get("plugins") or []:
                plugin(entry, rurn, {"route": [rurn]})
    for consumer in doc.get("consumers") or []:
        curn = urns["consumers"][consumer.get("name")]
        for entry in consumer.get("plugins") or []:
            plugin(entry, curn, {"consumer": [curn]})
    for entry in doc.get("plugins") or []:
        deps = {key: [urns[f"{key}s"][entry[key]]] for key in ("service", "route", "consumer")
                if isinstance(entry.get(key), str) and entry[key] in urns[f"{key}s"]}
        plugin({k: v for k, v in entry.items() if k not in deps}, f"{base}/global", deps)
    return out


def unauthenticated_routes(resources: Sequence[Resource]) -> list[str]:
    """Every route not declared public (tag ``public`` on it or its service) has an auth plugin in scope."""
    resources = [*resources, *declarative_entities(resources)]
    scope = _plugin_scopes(resources)
    by_urn = {r.urn: r for r in resources}
    problems = []
    for route in resources:
        if route.type != KONG_ROUTE:
            continue
        service_urn = _dep(route, "serviceId") or ""
        service = by_urn.get(service_urn)
        if PUBLIC_TAG in _tags(route) | _tags(service):
            continue
        if not _runs_one_of(scope, AUTH_PLUGINS, route.urn, service_urn):
            problems.append(f"route {route.props.get('name', route.name)}: no auth plugin in scope "
                            f"(global, its service or the route); allowed: one of {', '.join(sorted(AUTH_PLUGINS))}, "
                            f"or tag the route or its service '{PUBLIC_TAG}'")
    return problems


def unlimited_services(resources: Sequence[Resource]) -> list[str]:
    """Every service has a rate limit: global, on the service, or on each of its routes."""
    resources = [*resources, *declarative_entities(resources)]
    scope = _plugin_scopes(resources)
    routes: dict[str, list[str | None]] = {}
    for route in resources:
        if route.type == KONG_ROUTE:
            routes.setdefault(_dep(route, "serviceId") or "", []).append(route.urn)
    problems = []
    for service in resources:
        if service.type != KONG_SERVICE:
            continue
        own = routes.get(service.urn) or [None]  # without routes: what a route of it would get
        if all(_runs_one_of(scope, RATE_LIMIT_PLUGINS, route, service.urn) for route in own):
            continue
        plugins = " or ".join(sorted(RATE_LIMIT_PLUGINS, reverse=True))
        problems.append(f"service {service.props.get('name', service.name)}: no rate limit; allowed: a "
                        f"{plugins} plugin on the service, on each of its routes, or global")
    return problems


# 4. No secret-looking value in clear.

SECRET_NAME = re.compile(r"password|passwd|passphrase|secret|token|api_?key|private_?key|credentials?$|_auth$",
                         re.IGNORECASE)
NOT_SECRET_NAME = re.compile(r"^(hide_credentials|secret_is_base64|key_names|key_claim_name|"
                             r"secretOutputs|secretName|token_header_name|.*_names?)$", re.IGNORECASE)
"""``secretName``: a Kubernetes volume's reference to a Secret object by name, not a value."""
SECRET_FIELDS = {(KEY_AUTH_CREDENTIAL, "key")}
"""Inputs that are secret although their name does not say so (a key-auth credential's ``key``)."""
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
CONFIG_LINE = re.compile(r"^\s*(requirepass|masterauth|password)\s+\S+", re.IGNORECASE | re.MULTILINE)
REFERENCE = re.compile(r"^\s*(\{vault://|\$\{\{\s*env\s)")


def _is_clear(value: Any) -> bool:
    return isinstance(value, str) and value not in ("", UNKNOWN) and not REFERENCE.match(value)


def _leaves(value: Any, path: str) -> Iterator[tuple[str, str, Any, bool]]:
    """(path, last name, value, secret) for every leaf; JSON inside strings (configJson) is walked too."""
    secret = is_secret(value)
    value = reveal(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            for p, name, leaf, inner in _leaves(item, f"{path}.{key}" if path else str(key)):
                yield p, name, leaf, inner or secret
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            for p, name, leaf, inner in _leaves(item, f"{path}[{i}]"):
                yield p, name, leaf, inner or secret
        return
    if isinstance(value, str) and value[:1] in "{[" and not secret:
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, (dict, list)):
            yield from _leaves(parsed, path)
            return
    if isinstance(value, str) and path.endswith((".yml", ".yaml")) and not secret:
        # a YAML file held in a Kubernetes Secret or ConfigMap (kong.yml): walk what it holds
        try:
            document = yaml.safe_load(value)
        except yaml.YAMLError:
            document = None
        if isinstance(document, (dict, list)):
            yield from _leaves(document, path)
            return
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    yield path, name, value, secret


def clear_secrets(resource: Resource) -> list[str]:
    """Secret-looking inputs that are not marked secret: by name (``*password*``, ``*secret*``, ``*token*``,
    ``NAME=value`` env entries with such a NAME), or by content (a PEM private key, a URL with a password,
    a ``requirepass`` line). Vault references and decK ``${{ env }}`` placeholders are not secrets."""
    problems = []
    for path, name, value, secret in _leaves(dict(resource.props), ""):
        if secret or not _is_clear(value):
            continue
        why = None
        env_name, eq, env_value = value.partition("=")
        if (resource.type, path) in SECRET_FIELDS:
            why = "a credential"
        elif SECRET_NAME.search(name) and not NOT_SECRET_NAME.match(name):
            why = f"'{name}' names a secret"
        elif eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env_name) and SECRET_NAME.search(env_name) \
                and _is_clear(env_value):
            why = f"environment variable {env_name}"
        elif PRIVATE_KEY.search(value):
            why = "a private key"
        elif URL_PASSWORD.search(value):
            why = "a URL with a password"
        elif CONFIG_LINE.search(value):
            why = "a password line"
        if why:
            problems.append(f"{resource.name}: {path} is in clear ({why}); allowed: a secret Output "
                            f"(pulumi config set --secret, pulumi.Output.secret) or a vault reference")
    return problems


# 5. The Postgres volume is protected on prod.

def unprotected_postgres_volumes(resources: Sequence[Resource],
                                 protected_stacks: frozenset[str] = PROTECTED_STACKS) -> list[str]:
    """On a protected stack, every volume a Postgres container mounts has ``protect`` set."""
    postgres_volumes: set[str] = set()
    for container in resources:
        if container.type == CONTAINER and _repository(str(reveal(container.props.get("image", "")))) == "postgres":
            postgres_volumes.update(str(v.get("volumeName")) for v in container.props.get("volumes") or []
                                    if v.get("volumeName"))
    problems = []
    for volume in resources:
        if volume.type != VOLUME or stack_of(volume.urn) not in protected_stacks:
            continue
        name = str(volume.props.get("name", volume.name))
        if (name in postgres_volumes or "postgres" in name) and not volume.protect:
            problems.append(f"volume {name}: holds Postgres data on stack {stack_of(volume.urn)} and is not "
                            f"protected; allowed: protect=True (ai4v-gateway:protectData true)")
    return problems


# 6. Images are pinned to a patch release.

def _split_image(image: str) -> tuple[str, str | None, str | None]:
    """``registry/repo:tag@sha256:...`` -> (repository without registry, tag, digest)."""
    image, _, digest = image.partition("@")
    last = image.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    parts = image.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    repo = "/".join(parts)
    return repo.removeprefix("library/"), tag, digest or None


def _repository(image: str) -> str:
    return _split_image(image)[0]


VERSION_PARTS = {_repository(image.default): image.release_parts for image in IMAGES.values()}
"""How many version numbers pin an image to one patch release, per repository (default 3: X.Y.Z); the
program's own table (gateway/stack/images.py: postgres numbers patch releases X.Y, the echo image X)."""


def unpinned_image(image: str, version_parts: Mapping[str, int] = VERSION_PARTS) -> str | None:
    """Why ``image`` is not pinned to one patch release, or None (gateway.stack.images.floating_tag decides)."""
    if image.startswith("sha256:") or image == UNKNOWN:
        return None  # an image id, or not known before the image is pulled
    return floating_tag(image, version_parts.get(_repository(image), DEFAULT_VERSION_PARTS))


def unpinned_images(resource: Resource) -> list[str]:
    if resource.type in K8S_WORKLOADS:
        pod = (reveal(resource.props.get("spec")) or {}).get("template", {}).get("spec", {})
        images = [str(c.get("image", "")) for c in [*pod.get("containers", []), *pod.get("initContainers", [])]]
        return [f"{resource.name}: {why}" for why in map(unpinned_image, images) if why]
    key = {REMOTE_IMAGE: "name", CONTAINER: "image"}.get(resource.type)
    if key is None or key not in resource.props:
        return []
    why = unpinned_image(str(reveal(resource.props[key])))
    return [f"{resource.name}: {why}"] if why else []
