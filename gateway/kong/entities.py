"""``KongEntities``: every Kong entity of the spec as a pulumi-kong resource (DB mode, via the Admin API).

pulumi-kong 4.6.3 bridges a Terraform provider built for Kong 2.x (terraform-provider-kong 6.5.1+,
``resourceKongUpstream``/``Plugin``/``Service`` schemas), so a few Kong 3.9 fields have no argument (upstream
``algorithm``, ``hash_on_query_arg``/``uri_capture``, ``use_srv_name``, health check ``threshold`` and active
``headers``; plugin ``protocols`` and ``instance_name``; service ``enabled``). Each entity's values of them
go through the Admin API in a ``gateway.kong.adminpatch.KongFields`` resource that depends on it, so DB mode
reaches the state DB-less mode loads.

Later deploys: the provider updates with PATCH and leaves out empty and zero fields, and Kong merges a
PATCH into what it has. So every resource sends complete values (plugin configs with explicit nulls, a
service without path as ``/``), and where the provider cannot send a clearing value (route matchers,
upstream headers) a change replaces the resource. Targets are replaced delete-first. See
docs/WRITING_THE_SPEC.md, "Changing a running gateway".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kong as kong

from gateway.kong import records
from gateway.kong.adminpatch import KongFields, pick
from gateway.spec.models import GatewaySpec, PluginEntry, Route
from gateway.stack.secrets import secret

UPSTREAM_UNSENT = ("algorithm", "hash_on_query_arg", "hash_fallback_query_arg", "hash_on_uri_capture",
                   "hash_fallback_uri_capture", "use_srv_name", "healthchecks.threshold",
                   "healthchecks.active.headers")
UPSTREAM_HASHING = ("hash_on", "hash_fallback")
"""Sent with the upstream's KongFields too: Kong checks them with ``hash_*_query_arg``/``uri_capture`` in one
request (kong/db/schema/entities/upstreams.lua ``entity_checks``) and derives ``algorithm`` from ``hash_on``
(``shorthand_fields``)."""
UNSENDABLE_HASHES = {"query_arg", "uri_capture"}
"""Kong refuses these without their argument, which pulumi-kong cannot send: such an upstream is created by
pulumi-kong with ``none``/``none``, which it then ignores (``ignore_changes``); its KongFields set them."""
PLUGIN_UNSENT = ("protocols", "instance_name")
SERVICE_UNSENT = ("enabled",)
"""Kong fields pulumi-kong has no argument for (terraform-provider-kong ``resourceKongUpstream``,
``resourceKongPlugin``, ``resourceKongService``; go-kong's ``ActiveHealthcheck`` has no ``headers``): each
entity's ``KongFields`` PATCHes them, with complete values (a default too, so removing a field restores it)."""


UNUSED_RSA_PUBLIC_KEY = "unused: HS* algorithms sign with the secret"
"""pulumi-kong requires ``rsa_public_key`` and sends it as given, and Kong 3.9 refuses an empty string
(len_min 1). Kong's jwt handler never reads it for HS256/384/512, so HS credentials carry this text."""

UNUSED_JWT_SECRET = "unused: this algorithm verifies with rsa_public_key"
"""terraform-provider-kong ``resourceKongConsumerJWTAuthCreate``/``Update`` always send ``secret``
(``d.Get("secret")``, so ``""`` when unset), which Kong 3.9 refuses (strings have len_min 1,
kong/db/schema/init.lua). For RS*/ES*/PS*/EdDSA Kong's jwt handler verifies with ``rsa_public_key`` and
never reads ``secret`` (kong/plugins/jwt/handler.lua), so such credentials carry this text instead."""

ROUTE_UNCLEARABLE = ["methods", "hosts", "paths", "headers", "snis", "regexPriority"]
"""Route fields the provider cannot clear: ``createKongRouteRequestFromResourceData`` reads them with
``GetOk`` (an empty list, an empty header set or 0 is "not set") and go-kong drops them (``omitempty``), so a
PATCH leaves Kong's old value, and Read writes it back into state (a diff on every preview). A change to
any of them replaces the route instead; delete first, as Kong route names are unique."""

UPSTREAM_UNCLEARABLE = ["hostHeader", "hashOnHeader", "hashFallbackHeader", "hashOnCookie",
                        "healthchecks.active.httpsSni"]
"""The same for upstreams (``createKongUpstreamRequestFromResourceData``: ``readStringPtrFromResource``
drops ""; ``createKongHealthCheckActiveFromMap`` drops an empty ``https_sni``). Its targets go first: their
``upstream_id`` forces replacement, so the engine deletes them before the upstream."""

PLUGIN_PARENT_IDS = ["serviceId", "routeId", "consumerId"]
"""A replaced service/route/consumer takes its plugins with it (Kong's ``on_delete = "cascade"``,
kong/db/schema/entities/plugins.lua); the provider would PATCH the gone plugin (404), so re-create it."""


@dataclass
class KongEntitiesArgs:
    spec: GatewaySpec
    stack: str
    admin_uri: pulumi.Input[str]
    secrets: Mapping[str, pulumi.Output[str]]
    """Every name in ``spec.secret_names()`` -> its (secret) value."""


class KongEntities(pulumi.ComponentResource):
    """Every Kong entity of the spec. What must be up before the Admin API answers (the Kong nodes) goes in
    ``opts.depends_on``; the Admin API provider waits for it."""

    services: dict[str, kong.Service]
    routes: dict[str, kong.Route]
    upstreams: dict[str, kong.Upstream]
    targets: dict[str, kong.Target]
    consumers: dict[str, kong.Consumer]
    plugins: dict[str, kong.Plugin]

    def __init__(self, name: str, args: KongEntitiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai4v:gateway:KongEntities", name, None, opts)
        missing = args.spec.secret_names() - set(args.secrets)
        if missing:
            raise ValueError(f"no value for secret(s): {', '.join(sorted(missing))}")
        self._name = name
        self._args = args
        self.provider = kong.Provider(
            f"{name}-admin",
            kong_admin_uri=args.admin_uri,
            opts=pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None),
        )
        self.services, self.routes, self.upstreams, self.targets = {}, {}, {}, {}
        self.consumers, self.plugins = {}, {}
        self.credentials: list[pulumi.CustomResource] = []
        self._upstream_ready: dict[str, list[pulumi.Resource]] = {}
        """Per upstream: what a service pointed at it waits for (the upstream, its KongFields, its targets)."""

        self._create_upstreams()
        self._create_services()
        self._create_consumers()
        for name_, entry in args.spec.plugins.entries():
            self._plugin(f"global-{name_}", name_, entry, parent=self)

        self.register_outputs({
            "service_ids": {k: v.id for k, v in self.services.items()},
            "route_ids": {k: v.id for k, v in self.routes.items()},
            "upstream_ids": {k: v.id for k, v in self.upstreams.items()},
            "consumer_ids": {k: v.id for k, v in self.consumers.items()},
        })

    def _opts(self, kind: str, key: str, parent: pulumi.Resource, *, moved_from: pulumi.Resource | None = None,
              moved: Sequence[pulumi.Alias] = (), **options: Any) -> tuple[str, pulumi.ResourceOptions]:
        """The child's name (``<component>-<kind>-<key>``) and options. The alias is the name it had before
        names derived from the component (``<kind>-<key>``, under ``moved_from`` if it had another parent),
        so a stack deployed with those names keeps its resources."""
        alias = pulumi.Alias(name=f"{kind}-{key}", parent=moved_from) if moved_from else \
            pulumi.Alias(name=f"{kind}-{key}")
        opts = pulumi.ResourceOptions(parent=parent, provider=self.provider, aliases=[alias, *moved], **options)
        return f"{self._name}-{kind}-{key}", opts

    def _create_upstreams(self) -> None:
        stack = self._args.stack
        for name, up in self._args.spec.upstreams.items():
            data = records.upstream(name, up, stack)
            unsendable = bool({data["hash_on"], data["hash_fallback"]} & UNSENDABLE_HASHES)
            resource_name, opts = self._opts("upstream", name, self, replace_on_changes=UPSTREAM_UNCLEARABLE,
                                             delete_before_replace=True,
                                             ignore_changes=["hashOn", "hashFallback"] if unsendable else None)
            resource = kong.Upstream(
                resource_name,
                name=name,
                slots=data["slots"],
                hash_on="none" if unsendable else data["hash_on"],
                hash_fallback="none" if unsendable else data["hash_fallback"],
                hash_on_header=data["hash_on_header"],
                hash_fallback_header=data["hash_fallback_header"],
                hash_on_cookie=data["hash_on_cookie"],
                hash_on_cookie_path=data["hash_on_cookie_path"],
                host_header=data["host_header"],
                healthchecks=_healthchecks_args(data["healthchecks"]),
                tags=data["tags"],
                opts=opts,
            )
            self.upstreams[name] = resource
            self._upstream_ready[name] = [resource]
            # Every pulumi-kong PATCH of an upstream sends hash_on, and Kong's hash_on shorthand sets algorithm
            # from it (round-robin for "none": kong/db/schema/entities/upstreams.lua, shorthand_fields): so the
            # patch goes again whenever what pulumi-kong sends changes.
            self._upstream_ready[name].append(self._fields(
                "upstreams", resource_name, resource, _unsent(data, (*UPSTREAM_UNSENT, *UPSTREAM_HASHING)),
                after=_digest(dict(data))))
            for tgt in up.targets:
                self._target(name, resource, records.target(tgt, stack))

    def _target(self, upstream: str, resource: kong.Upstream, data: records.TargetData) -> None:
        key = f"{upstream}-{data['target'].replace(':', '-')}"
        if data["weight"] == 0:
            # The provider reads weight with GetOk and drops 0, so Kong would apply its default 100
            # (resourceKongTarget, readIntPtrFromResource). A weight-0 target takes no traffic and is not
            # health-checked (kong/runloop/balancer/healthcheckers.lua), exactly like no target: leave it out.
            pulumi.log.info(f"upstream {upstream}: target {data['target']} has weight 0; in DB mode it is not "
                            "created (no traffic either way)")
            return
        # Every target field forces replacement and Kong refuses a second upstream+target (409): delete first.
        resource_name, opts = self._opts("target", key, resource, delete_before_replace=True)
        self.targets[key] = target = kong.Target(
            resource_name,
            upstream_id=resource.id,
            target=data["target"],
            weight=data["weight"],
            tags=data["tags"],
            opts=opts,
        )
        self._upstream_ready[upstream].append(target)

    def _fields(self, kind: str, entity_name: str, entity: pulumi.CustomResource, fields: dict[str, Any], *,
                after: str = "") -> KongFields:
        """The entity's fields pulumi-kong cannot send, PATCHed through the same Admin API after it."""
        return KongFields(f"{entity_name}-fields", admin_url=self._args.admin_uri, kind=kind, entity=entity,
                          fields=fields, after=after, opts=pulumi.ResourceOptions(parent=entity))

    def _create_services(self) -> None:
        stack = self._args.stack
        for name, svc in self._args.spec.services.items():
            data = records.service(name, svc, stack)
            # A service pointed at an upstream (new, or replaced in this run) waits for its targets and its
            # algorithm too: before them the upstream has no peer (503). depends_on only orders: a replaced
            # target never cascades into the service (step_generator.go calculateDependentReplacements
            # follows property dependencies).
            depends = list(self._upstream_ready[svc.upstream]) if svc.upstream else []
            resource_name, opts = self._opts("service", name, self, depends_on=depends)
            resource = kong.Service(
                resource_name,
                name=name,
                protocol=data["protocol"],
                host=data["host"],
                port=data["port"],
                path=_service_path(data),
                retries=data["retries"],
                connect_timeout=data["connect_timeout"],
                write_timeout=data["write_timeout"],
                read_timeout=data["read_timeout"],
                # Not clearable either (GetOk), and Kong wants them null unless the protocol is https/tls, so
                # no default is sent in their place: see docs/WRITING_THE_SPEC.md "Changing a running gateway".
                tls_verify=data["tls_verify"],
                tls_verify_depth=data["tls_verify_depth"],
                tags=data["tags"],
                opts=opts,
            )
            self.services[name] = resource
            # Routes only once enabled is set: the routes of a disabled service never serve, not even briefly.
            fields = self._fields("services", resource_name, resource, _unsent(data, SERVICE_UNSENT))
            for plugin_name, entry in svc.plugins.entries():
                self._plugin(f"service-{name}-{plugin_name}", plugin_name, entry, parent=resource,
                             service_id=resource.id)
            for route_name, rt in svc.routes.items():
                self._route(route_name, rt, resource, svc.formerly, fields)

    def _route(self, route_name: str, rt: Route, service: kong.Service, formerly: Sequence[str],
               service_fields: KongFields) -> None:
        route = records.route(route_name, rt, self._args.stack)
        resource_name, opts = self._opts("route", route_name, service, replace_on_changes=ROUTE_UNCLEARABLE,
                                         delete_before_replace=True, moved=self._moved_from(route_name, formerly),
                                         depends_on=[service_fields])
        resource = kong.Route(
            resource_name,
            name=route_name,
            service_id=service.id,
            protocols=route["protocols"],
            methods=route["methods"],
            hosts=route["hosts"],
            paths=route["paths"],
            headers=[kong.RouteHeaderArgs(name=k, values=v) for k, v in (route["headers"] or {}).items()] or None,
            snis=route["snis"],
            https_redirect_status_code=route["https_redirect_status_code"],
            regex_priority=route["regex_priority"],
            strip_path=route["strip_path"],
            path_handling=route["path_handling"],
            preserve_host=route["preserve_host"],
            request_buffering=route["request_buffering"],
            response_buffering=route["response_buffering"],
            tags=route["tags"],
            opts=opts,
        )
        self.routes[route_name] = resource
        for plugin_name, entry in rt.plugins.entries():
            self._plugin(f"route-{route_name}-{plugin_name}", plugin_name, entry, parent=resource,
                         route_id=resource.id)

    def _moved_from(self, route_name: str, formerly: Sequence[str]) -> list[pulumi.Alias]:
        """A route of a service that replaced others was last deployed under one of them (by either naming)."""
        return [pulumi.Alias(name=f"{prefix}route-{route_name}", parent=pulumi.create_urn(
                    f"{prefix}service-{old}", "kong:index/service:Service", parent=self))
                for old in formerly for prefix in ("", f"{self._name}-")]

    def _create_consumers(self) -> None:
        stack = self._args.stack
        secrets = self._args.secrets
        for username, cons in self._args.spec.consumers.items():
            data = records.consumer(username, cons, stack)
            resource_name, opts = self._opts("consumer", username, self)
            resource = kong.Consumer(
                resource_name,
                username=username,
                custom_id=data["custom_id"],
                tags=data["tags"],
                opts=opts,
            )
            self.consumers[username] = resource
            for cred_name, cred in cons.keyauth_credentials.items():
                resource_name, opts = self._opts("keyauth", f"{username}-{cred_name}", resource)
                self.credentials.append(kong.ConsumerKeyAuth(
                    resource_name,
                    consumer_id=resource.id,
                    key=secret(secrets[cred.key.secret]),
                    tags=records.tags(cred.tags, stack),
                    opts=opts,
                ))
            for cred_name, jwt in cons.jwt_secrets.items():
                jwt_data = records.jwt_secret(jwt.key, jwt.algorithm, None, jwt.rsa_public_key, jwt.tags, stack)
                resource_name, opts = self._opts("jwt", f"{username}-{cred_name}", resource)
                self.credentials.append(kong.ConsumerJwtAuth(
                    resource_name,
                    consumer_id=resource.id,
                    key=jwt_data["key"],
                    algorithm=jwt_data["algorithm"],
                    secret=secret(secrets[jwt.secret.secret]) if jwt.secret else UNUSED_JWT_SECRET,
                    rsa_public_key=jwt_data["rsa_public_key"] or UNUSED_RSA_PUBLIC_KEY,
                    tags=jwt_data["tags"],
                    opts=opts,
                ))
            for group in cons.acl_groups:
                acl = records.acl(group, stack)
                resource_name, opts = self._opts("acl", f"{username}-{group}", resource)
                self.credentials.append(kong.ConsumerAcl(
                    resource_name,
                    consumer_id=resource.id,
                    group=acl["group"],
                    tags=acl["tags"],
                    opts=opts,
                ))
            for plugin_name, entry in cons.plugins.entries():
                self._plugin(f"consumer-{username}-{plugin_name}", plugin_name, entry, parent=resource,
                             consumer_id=resource.id)

    def _plugin(self, key: str, plugin_name: str, entry: PluginEntry[Any], *, parent: pulumi.Resource,
                service_id: pulumi.Input[str] | None = None, route_id: pulumi.Input[str] | None = None,
                consumer_id: pulumi.Input[str] | None = None) -> None:
        data = records.plugin(plugin_name, entry, self._args.stack, nulls=True)
        # A plugin that sends traffic to upstreams by name (language-router) waits for them as a service does.
        named = sorted({upstream for _, upstream in entry.config.upstream_refs()})
        waits = [resource for upstream in named for resource in self._upstream_ready.get(upstream, [])]
        resource_name, opts = self._opts("plugin", key, parent, moved_from=self if parent is not self else None,
                                         replace_on_changes=PLUGIN_PARENT_IDS, depends_on=waits or None)
        self.plugins[key] = plugin = kong.Plugin(
            resource_name,
            name=data["name"],
            # Complete, with null for every unset field: Kong merges config key by key on PATCH. Secrets are
            # vault references (gateway.kong.vault): Read copies Kong's config into the non-secret computed_config.
            config_json=json.dumps(data["config"], sort_keys=True, separators=(",", ":")),
            enabled=data["enabled"],
            service_id=service_id,
            route_id=route_id,
            consumer_id=consumer_id,
            tags=data["tags"],
            opts=opts,
        )
        # No protocols in the spec: the plugin's default, sent, so that removing them restores it.
        protocols = data["protocols"] or list(entry.config.default_protocols)
        self._fields("plugins", resource_name, plugin, {**_unsent(data, PLUGIN_UNSENT), "protocols": protocols})


def _unsent(record: Any, paths: Sequence[str]) -> dict[str, Any]:
    """The record's values at these Kong field paths (``None`` where unset: Kong's null)."""
    return {path: pick(dict(record), path) for path in paths}


def _digest(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def _service_path(data: records.ServiceData) -> str | None:
    """``/`` for an HTTP service without a path. The provider cannot send an empty path (``GetOk``), so a
    removed path would stay in Kong; Kong routes a service without path exactly as one with ``/``
    (kong/router/utils.lua ``get_service_info``: ``service.path or "/"``). Other protocols take no path."""
    if data["path"] is None and data["protocol"] in ("http", "https"):
        return "/"
    return data["path"]


def _unsupported(what: str) -> None:
    pulumi.log.warn(f"{what} is not supported by pulumi-kong 4.6.3 (DB mode); Kong's default applies. "
                    "DB-less mode (ai4v-gateway:mode dbless) honours it.")


def _healthchecks_args(data: dict[str, Any]) -> kong.UpstreamHealthchecksArgs:
    active, passive = data["active"], data["passive"]
    return kong.UpstreamHealthchecksArgs(
        active=kong.UpstreamHealthchecksActiveArgs(
            type=active["type"],
            timeout=_whole(active["timeout"]),
            concurrency=active["concurrency"],
            http_path=active["http_path"],
            https_sni=active.get("https_sni"),
            https_verify_certificate=active["https_verify_certificate"],
            healthy=kong.UpstreamHealthchecksActiveHealthyArgs(
                interval=_whole(active["healthy"]["interval"]),
                http_statuses=active["healthy"]["http_statuses"],
                successes=active["healthy"]["successes"],
            ),
            unhealthy=kong.UpstreamHealthchecksActiveUnhealthyArgs(
                interval=_whole(active["unhealthy"]["interval"]),
                http_statuses=active["unhealthy"]["http_statuses"],
                tcp_failures=active["unhealthy"]["tcp_failures"],
                timeouts=active["unhealthy"]["timeouts"],
                http_failures=active["unhealthy"]["http_failures"],
            ),
        ),
        passive=kong.UpstreamHealthchecksPassiveArgs(
            type=passive["type"],
            healthy=kong.UpstreamHealthchecksPassiveHealthyArgs(
                http_statuses=passive["healthy"]["http_statuses"],
                successes=passive["healthy"]["successes"],
            ),
            unhealthy=kong.UpstreamHealthchecksPassiveUnhealthyArgs(
                http_statuses=passive["unhealthy"]["http_statuses"],
                tcp_failures=passive["unhealthy"]["tcp_failures"],
                timeouts=passive["unhealthy"]["timeouts"],
                http_failures=passive["unhealthy"]["http_failures"],
            ),
        ),
    )


def _whole(seconds: float) -> int:
    """pulumi-kong takes whole seconds where Kong takes a number; round up so probing is never disabled."""
    whole = int(seconds)
    if whole != seconds:
        whole += 1
        _unsupported(f"fractional health-check seconds ({seconds})")
    return whole
