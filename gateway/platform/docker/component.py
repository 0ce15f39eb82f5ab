"""``DockerPlatform``: everything the gateway runs on, on one Docker host.

DB mode: network -> Postgres (volume) -> migrations ``bootstrap && up`` (gate: exit code 0) -> Kong node 1
-> node 2 ... -> migrations ``finish`` (gate: exit code 0, in the component's outputs); Redis beside.
DB-less mode: network -> Redis -> Kong nodes with the declarative config rendered from the spec.
Demo backends (echo containers named after the upstream targets) when asked for.
"""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from gateway.kong import vault
from gateway.platform import kongconf
from gateway.platform.children import LEGACY_PLATFORM_TYPES, PLATFORM_TYPE, Children
from gateway.platform.docker import backends, ports
from gateway.platform.docker.database import create_migrations, create_migrations_finish, create_postgres
from gateway.platform.docker.kong import KongNodeInputs, create_node, rolling_after
from gateway.platform.docker.network import create_network, host_side_address, pull_image
from gateway.platform.docker.redis import create_redis
from gateway.platform.files import rendered_config
from gateway.platform.interface import PlatformArgs, PlatformExports, vault_secret_names
from gateway.platform.naming import POSTGRES_PASSWORD, REDIS_PASSWORD, platform_secret_names
from gateway.platform.tls import proxy_tls
from gateway.stack.secrets import env_assignments

__all__ = ["DockerPlatform", "platform_secret_names"]


class DockerPlatform(pulumi.ComponentResource):
    network: docker.Network
    kong_nodes: list[docker.Container]
    admin_url: pulumi.Output[str | None]
    """From settings alone (no node id in it): a change that replaces nodes leaves it known, so pulumi-kong's
    provider stays the same and a preview still shows every Kong entity change. Whoever writes through it
    waits for the nodes with ``depends_on=kong_nodes``."""

    exports: PlatformExports

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Stacks deployed as KongPlatform or, before that, Platform keep their component (children follow it:
        # the engine gives each child its parent's alias, pkg/resource/deploy/step_generator.go generateAliases).
        legacy = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=old) for old in LEGACY_PLATFORM_TYPES])
        super().__init__(PLATFORM_TYPE, name, None, pulumi.ResourceOptions.merge(legacy, opts))
        settings, stack, spec = args.settings, args.stack, args.spec
        vault_names = vault_secret_names(args)
        kong_plugin_files = kongconf.custom_plugin_files()  # fail before creating anything
        demo = backends.demo_backends(spec) if settings.docker.demo_backends else []
        children = Children(name, self)

        self.network = create_network(stack, children)
        network_name = self.network.name
        kong_image = pull_image("kong-image", settings.kong_image, children)
        redis_image = pull_image("redis-image", settings.redis_image, children)

        self.redis = create_redis(stack=stack, image=redis_image.name, network=network_name,
                                  password=args.secrets[REDIS_PASSWORD], children=children)
        waits_for: list[pulumi.Resource] = [self.redis]

        self.backends: list[docker.Container] = []
        if demo:
            echo_image = pull_image("echo-image", settings.docker.echo_image, children)
            self.backends = backends.create_backends(demo, stack=stack, image=echo_image.name,
                                                     network=network_name, children=children)
            waits_for += self.backends

        self.postgres: docker.Container | None = None
        self.postgres_volume: docker.Volume | None = None
        self.migrations: docker.Container | None = None
        self.migrations_finish: docker.Container | None = None
        gate: pulumi.Output[str] | None = None
        pg_password: pulumi.Output[str] | None = None
        declarative_config: pulumi.Output[str] | None = None
        if settings.mode == "db":
            pg_password = args.secrets[POSTGRES_PASSWORD]
            postgres_image = pull_image("postgres-image", settings.docker.postgres_image, children)
            self.postgres_volume, self.postgres = create_postgres(
                stack=stack, image=postgres_image.name, network=network_name, password=pg_password,
                protect_data=settings.docker.protect_data, children=children)
            self.migrations, gate = create_migrations(
                stack=stack, image=kong_image.name, network=network_name, password=pg_password,
                postgres=self.postgres, children=children)
            waits_for += [self.postgres]
        else:
            declarative_config = rendered_config(spec, stack, args.secrets)

        proxy = proxy_tls(certificate=settings.tls_certificate, private_key=args.tls_private_key,
                          self_signed=settings.tls_self_signed, hostnames=settings.tls_hostnames,
                          children=children)
        host_address = host_side_address(self.network)
        secret_env = env_assignments(vault_names, args.secrets, vault.env_var)
        self.kong_nodes = []
        for index in range(1, settings.docker.kong_nodes + 1):
            previous = self.kong_nodes[-1] if self.kong_nodes else None
            self.kong_nodes.append(create_node(KongNodeInputs(
                stack=stack, index=index, image=kong_image.name, network=network_name, host_address=host_address,
                conf=kongconf.node_conf(settings, index, spec.edge), ports=ports.node_ports(settings.docker, index),
                tls=proxy, pg_password=pg_password, declarative=declarative_config,
                wait_timeout=settings.docker.kong_wait_timeout, secret_env=secret_env,
            ), children, after=rolling_after(previous, waits_for, gate)))
        finished: pulumi.Output[str] | None = None
        if pg_password is not None:
            self.migrations_finish, finished = create_migrations_finish(
                stack=stack, image=kong_image.name, network=network_name, password=pg_password,
                nodes=self.kong_nodes, children=children)
        self.plugin_files = [f"{target.rsplit('/', 1)[-1]}/{name}" for target, files in kong_plugin_files.items()
                             for name in files]
        self.admin_url = pulumi.Output.from_input(ports.admin_url(settings))
        docker = settings.docker
        self.exports = PlatformExports(
            proxy_urls=ports.proxy_urls(docker), proxy_tls_urls=ports.proxy_tls_urls(docker),
            manager_url=ports.manager_url(docker), metrics_urls=ports.metrics_urls(docker))
        self.register_outputs({
            "adminUrl": self.admin_url,
            "kongNodes": [node.name for node in self.kong_nodes],
            "network": network_name,
            # A failed `kong migrations finish` must fail `pulumi up`: nothing else waits on its gate.
            **({"migrationsFinished": finished} if finished is not None else {}),
        })
