"""``KongEntities``: every Kong entity of the spec as a pulumi-kong resource (DB mode, via the Admin API).

pulumi-kong 4.6.3 bridges a Terraform provider built for Kong 2.x, so a few Kong 3.9 fields have no
argument (upstream ``algorithm``, ``hash_on_query_arg``/``uri_capture``, ``use_srv_name``, health
check ``threshold`` and active ``headers``; plugin ``protocols`` and ``instance_name``; service
``enabled``). Such a field set away from Kong's default is announced with a warning at preview and is
still honoured in DB-less mode; nothing is faked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kong as kong

from gateway import kongdata
from gateway.refs import Resolver
from gateway.secrets import resolved_text, secret
from gateway.spec.models import GatewaySpec, PluginEntry, Upstream

UNSUPPORTED_UPSTREAM_DEFAULTS: dict[str, Any] = {
    "algorithm": "round-robin",
    "hash_on_query_arg": None,
    "hash_fallback_query_arg": None,
    "hash_on_uri_capture": None,
    "hash_fallback_uri_capture": None,
    "use_srv_name": False,
}


NO_SECRETS: Mapping[str, str] = {}

UNUSED_RSA_PUBLIC_KEY = "unused: HS* algorithms sign with the secret"
"""pulumi-kong requires ``rsa_public_key`` and sends it as given, and Kong 3.9 refuses an empty string
(len_min 1). Kong's jwt handler never reads it for HS256/384/512, so HS credentials carry this text."""


@dataclass
class KongEntitiesArgs:
    spec: GatewaySpec
    stack: str
    admin_uri: pulumi.Input[str]
    secrets: Mapping[str, pulumi.Output[str]]
    """Every name in ``spec.secret_names()`` -> its (secret) value."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """What must be ready before the Admin API answers (the Kong container)."""


class KongEntities(pulumi.ComponentResource):
    services: dict[str, kong.Service]
    routes: dict[str, kong.Route]
    upstreams: dict[str, kong.Upstream]
    consumers: dict[str, kong.Consumer]
    plugins: dict[str, kong.Plugin]

    def __init__(self, name: str, args: KongEntitiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai4v:gateway:KongEntities", name, None, opts)
        missing = args.spec.secret_names() - set(args.secrets)
        if missing:
            raise ValueError(f"no value for secret(s): {', '.join(sorted(missing))}")
        self._args = args
        self.provider = kong.Provider(
            f"{name}-admin",
            kong_admin_uri=args.admin_uri,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self._child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.services, self.routes, self.upstreams, self.consumers, self.plugins = {}, {}, {}, {}, {}
        self.credentials: list[pulumi.CustomResource] = []

        self._create_upstreams()
        self._create_services()
        self._create_consumers()
        for name_, entry in args.spec.plugins.entries():
            self._plugin(f"global-{name_}", name_, entry)

        self.register_outputs({
            "service_ids": {k: v.id for k, v in self.services.items()},
            "route_ids": {k: v.id for k, v in self.routes.items()},
            "upstream_ids": {k: v.id for k, v in self.upstreams.items()},
            "consumer_ids": {k: v.id for k, v in self.consumers.items()},
        })

    def _create_upstreams(self) -> None:
        stack = self._args.stack
        for name, up in self._args.spec.upstreams.items():
            data = kongdata.upstream(name, up, stack)
            self._warn_unsupported_upstream(name, up)
            resource = kong.Upstream(
                f"upstream-{name}",
                name=name,
                slots=data["slots"],
                hash_on=data["hash_on"],
                hash_fallback=data["hash_fallback"],
                hash_on_header=data.get("hash_on_header"),
                hash_fallback_header=data.get("hash_fallback_header"),
                hash_on_cookie=data.get("hash_on_cookie"),
                hash_on_cookie_path=data["hash_on_cookie_path"],
                host_header=data.get("host_header"),
                healthchecks=_healthchecks_args(data["healthchecks"]),
                tags=data["tags"],
                opts=self._child,
            )
            self.upstreams[name] = resource
            for tgt in up.targets:
                target = kongdata.target(tgt, stack)
                kong.Target(
                    f"target-{name}-{target['target'].replace(':', '-')}",
                    upstream_id=resource.id,
                    target=target["target"],
                    weight=target["weight"],
                    tags=target["tags"],
                    opts=pulumi.ResourceOptions(parent=resource, provider=self.provider),
                )

    def _warn_unsupported_upstream(self, name: str, up: Upstream) -> None:
        for field_name, default in UNSUPPORTED_UPSTREAM_DEFAULTS.items():
            if getattr(up, field_name) != default:
                _unsupported(f"upstream {name}: {field_name}")
        if up.healthchecks.threshold != 0:
            _unsupported(f"upstream {name}: healthchecks.threshold")
        if up.healthchecks.active.headers:
            _unsupported(f"upstream {name}: healthchecks.active.headers")

    def _create_services(self) -> None:
        stack = self._args.stack
        for name, svc in self._args.spec.services.items():
            if not svc.enabled:
                pulumi.log.warn(f"service {name} has enabled: false; in DB mode it and its routes are not created")
                continue
            data = kongdata.service(name, svc, stack)
            depends = [self.upstreams[svc.upstream]] if svc.upstream else []
            resource = kong.Service(
                f"service-{name}",
                name=name,
                protocol=data["protocol"],
                host=data["host"],
                port=data["port"],
                path=data.get("path"),
                retries=data["retries"],
                connect_timeout=data["connect_timeout"],
                write_timeout=data["write_timeout"],
                read_timeout=data["read_timeout"],
                tls_verify=data.get("tls_verify"),
                tls_verify_depth=data.get("tls_verify_depth"),
                tags=data["tags"],
                opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=depends)),
            )
            self.services[name] = resource
            for plugin_name, entry in svc.plugins.entries():
                self._plugin(f"service-{name}-{plugin_name}", plugin_name, entry, service_id=resource.id)
            for route_name, rt in svc.routes.items():
                route = kongdata.route(route_name, rt, stack)
                route_resource = kong.Route(
                    f"route-{route_name}",
                    name=route_name,
                    service_id=resource.id,
                    protocols=route["protocols"],
                    methods=route.get("methods"),
                    hosts=route.get("hosts"),
                    paths=route.get("paths"),
                    headers=[kong.RouteHeaderArgs(name=k, values=v) for k, v in (rt.headers or {}).items()] or None,
                    snis=route.get("snis"),
                    https_redirect_status_code=route["https_redirect_status_code"],
                    regex_priority=route["regex_priority"],
                    strip_path=route["strip_path"],
                    path_handling=route["path_handling"],
                    preserve_host=route["preserve_host"],
                    request_buffering=route["request_buffering"],
                    response_buffering=route["response_buffering"],
                    tags=route["tags"],
                    opts=pulumi.ResourceOptions(parent=resource, provider=self.provider,
                                                aliases=self._moved_from(svc.formerly)),
                )
                self.routes[route_name] = route_resource
                for plugin_name, entry in rt.plugins.entries():
                    self._plugin(f"route-{route_name}-{plugin_name}", plugin_name, entry, route_id=route_resource.id)

    def _moved_from(self, formerly: Sequence[str]) -> list[pulumi.Alias]:
        """A route of a service that replaced others was last deployed under one of them."""
        return [pulumi.Alias(parent=pulumi.create_urn(f"service-{old}", "kong:index/service:Service", parent=self))
                for old in formerly]

    def _create_consumers(self) -> None:
        stack = self._args.stack
        secrets = self._args.secrets
        for username, cons in self._args.spec.consumers.items():
            data = kongdata.consumer(username, cons, stack)
            resource = kong.Consumer(
                f"consumer-{username}",
                username=username,
                custom_id=data.get("custom_id"),
                tags=data["tags"],
                opts=self._child,
            )
            self.consumers[username] = resource
            under = pulumi.ResourceOptions(parent=resource, provider=self.provider)
            for cred_name, cred in cons.keyauth_credentials.items():
                self.credentials.append(kong.ConsumerKeyAuth(
                    f"keyauth-{username}-{cred_name}",
                    consumer_id=resource.id,
                    key=secret(secrets[cred.key.secret]),
                    tags=kongdata.tags(cred.tags, stack),
                    opts=under,
                ))
            for cred_name, jwt in cons.jwt_secrets.items():
                self.credentials.append(kong.ConsumerJwtAuth(
                    f"jwt-{username}-{cred_name}",
                    consumer_id=resource.id,
                    key=jwt.key,
                    algorithm=jwt.algorithm,
                    secret=secret(secrets[jwt.secret.secret]) if jwt.secret else None,
                    rsa_public_key=jwt.rsa_public_key or UNUSED_RSA_PUBLIC_KEY,
                    tags=kongdata.tags(jwt.tags, stack),
                    opts=under,
                ))
            for group in cons.acl_groups:
                self.credentials.append(kong.ConsumerAcl(
                    f"acl-{username}-{group}",
                    consumer_id=resource.id,
                    group=group,
                    tags=kongdata.acl(group, stack)["tags"],
                    opts=under,
                ))
            for plugin_name, entry in cons.plugins.entries():
                self._plugin(f"consumer-{username}-{plugin_name}", plugin_name, entry, consumer_id=resource.id)

    def _plugin(self, resource_name: str, plugin_name: str, entry: PluginEntry[Any], *,
                service_id: pulumi.Input[str] | None = None, route_id: pulumi.Input[str] | None = None,
                consumer_id: pulumi.Input[str] | None = None) -> None:
        if entry.protocols is not None:
            _unsupported(f"plugin {resource_name}: protocols")
        if entry.instance_name is not None:
            _unsupported(f"plugin {resource_name}: instance_name")
        names = entry.config.secret_names()
        config_json: pulumi.Input[str]
        if names:
            config_json = resolved_text(names, self._args.secrets, lambda resolve: _config_json(entry, resolve))
        else:
            config_json = _config_json(entry, NO_SECRETS.__getitem__)
        self.plugins[resource_name] = kong.Plugin(
            f"plugin-{resource_name}",
            name=plugin_name,
            config_json=config_json,
            enabled=entry.enabled,
            service_id=service_id,
            route_id=route_id,
            consumer_id=consumer_id,
            tags=kongdata.tags(entry.tags, self._args.stack),
            opts=self._child,
        )


def _config_json(entry: PluginEntry[Any], resolve: Resolver) -> str:
    return json.dumps(entry.config.to_kong(resolve), sort_keys=True, separators=(",", ":"))


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
