"""``KubernetesPlatform``: the gateway in one namespace per stack, every object a typed pulumi-kubernetes
resource (reviewable in ``pulumi preview``, validated offline against the Kubernetes schema by the tests).

Namespace -> Secrets and ConfigMaps -> Redis (in the namespace, or an ExternalName to an external one) ->
[DB mode: migrations Job] -> Kong Deployment (rolls on any config change) -> [DB mode: migrations finish];
Services, PodDisruptionBudget, optional HPA and Ingress, NetworkPolicies beside.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from gateway.kong import vault
from gateway.platform import kongconf
from gateway.platform.children import Children
from gateway.platform.files import redis_conf, rendered_config
from gateway.platform.interface import PlatformArgs, PlatformExports, vault_secret_names
from gateway.platform.kubernetes import (
    config,
    kong,
    kongenv,
    migrations,
    names,
    plugins,
    pods,
    policy,
    redis,
    services,
)
from gateway.platform.kubernetes.settings import KubernetesSettings
from gateway.platform.naming import POSTGRES_PASSWORD, REDIS_PASSWORD
from gateway.platform.tls import proxy_tls
from gateway.stack.secrets import secret


class KubernetesPlatform(pulumi.ComponentResource):
    admin_url: pulumi.Output[str | None]
    """``kongAdminUrl``: DB mode, the operator's ``kubectl port-forward`` to the Admin API on a pod's
    loopback (the only address it listens on)."""
    kong_nodes: list[pulumi.Resource]
    """The Deployment: pulumi-kubernetes resolves it once the rollout is complete."""
    exports: PlatformExports

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai4v:gateway:KubernetesPlatform", name, None, opts)
        settings, spec, k = args.settings, args.spec, args.settings.kubernetes
        self._children = Children(name, self)  # the TLS key and certificate, named as on Docker
        vault_names = vault_secret_names(args)
        postgres = k.postgres if settings.mode == "db" else None
        if settings.mode == "db" and postgres is None:
            raise ValueError("ai4v-gateway:k8sPostgresUrl is required in DB mode on Kubernetes")

        ns_name = k.namespace_for(args.stack)
        self.namespace = k8s.core.v1.Namespace("namespace", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=ns_name, labels=names.labels("namespace")), opts=pulumi.ResourceOptions(parent=self))
        ns = self.namespace.metadata.apply(lambda meta: meta.name or ns_name)

        # The values behind the spec's vault references (gateway.kong.vault): Kong's env vault reads them from
        # the container's environment, filled from the platform Secret (key = variable name).
        vault_env = {vault.env_var(name): args.secrets[name] for name in sorted(vault_names)}
        passwords = {names.REDIS_PASSWORD_KEY: args.secrets[REDIS_PASSWORD], **vault_env}
        secret_env = [(variable, variable) for variable in vault_env]
        if postgres is not None:
            passwords[names.PG_PASSWORD_KEY] = args.secrets[POSTGRES_PASSWORD]
            secret_env.append(("KONG_PG_PASSWORD", names.PG_PASSWORD_KEY))
        platform_secret = config.platform_secret(passwords, ns, self)
        self.checksum_key = config.checksum_key(self)

        conf = kongenv.node_conf(settings, spec.edge)
        mounts = self._kong_files(args, conf, ns)
        plugin_mounts = plugins.create(ns, settings.kong_image, self)
        waits_for: list[pulumi.Resource] = [platform_secret, *plugin_mounts.resources, *(m.resource for m in mounts)]
        self.redis = self._redis(args, ns)
        waits_for += self.redis
        self.policies = policy.create_policies(ns, in_cluster_redis=not k.redis_host, parent=self)

        self.migrations: list[k8s.batch.v1.Job] = []
        if postgres is not None:
            up = migrations.create_job(
                "migrations", names.MIGRATIONS, kongconf.MIGRATIONS_UP_COMMAND, namespace=ns, image=settings.kong_image,
                env=kongenv.migration_env(postgres), settings=k, depends_on=[platform_secret], parent=self)
            self.migrations.append(up)
            waits_for.append(up)
        self.deployment = kong.create_deployment(kong.KongWorkload(
            namespace=ns, image=settings.kong_image, settings=k, env=kongenv.kong_env(conf, postgres, k.kong_cpu_limit),
            secret_env=secret_env, mounts=mounts, plugins=plugin_mounts,
            checksum=config.checksum(self.checksum_key, mounts, plugin_mounts.checksum, values=passwords),
            depends_on=waits_for, body_temp_bytes=pods.body_temp_bytes(spec.edge.max_body_size, k.concurrent_uploads),
        ), self)
        if postgres is not None:
            self.migrations.append(migrations.create_job(
                "migrations-finish", names.MIGRATIONS_FINISH, kongconf.MIGRATIONS_FINISH_COMMAND, namespace=ns,
                image=settings.kong_image, env=kongenv.migration_env(postgres), settings=k,
                depends_on=[self.deployment], parent=self))
        self.kong_nodes = [self.deployment]
        self.disruption_budget = kong.create_disruption_budget(ns, self)
        self.autoscaler = kong.create_autoscaler(k, ns, self.deployment, self) if k.hpa_max_replicas else None
        self.proxy_service = services.create_proxy_service(k, ns, self)
        self.status_service = services.create_status_service(ns, self)
        self.ingress = services.create_ingress(k, k.ingress_host, ns, self) if k.ingress_host else None

        self.admin_url = pulumi.Output.from_input(settings.kong_admin_url)
        self.exports = PlatformExports(
            proxy_urls=self._proxy_urls(k, "http", names.HTTP_PORT, k.proxy_node_port),
            proxy_tls_urls=self._proxy_urls(k, "https", names.HTTPS_PORT, k.proxy_tls_node_port),
            manager_url=None,
            metrics_urls=[names.metrics_url(ns_name)],
        )
        self.register_outputs({"namespace": ns, "adminUrl": self.admin_url,
                               "deployment": self.deployment.metadata.name})

    def _kong_files(self, args: PlatformArgs, conf: kongconf.KongNodeConf,
                    ns: pulumi.Output[str]) -> list[config.Mounted]:
        """nginx includes, the proxy certificate and (DB-less) kong.yml, at kongconf's paths."""
        settings = args.settings
        proxy = proxy_tls(certificate=settings.tls_certificate, private_key=args.tls_private_key,
                          self_signed=settings.tls_self_signed, hostnames=settings.tls_hostnames,
                          children=self._children)
        tls_dir, cert_file = kongconf.TLS_CERT_PATH.rsplit("/", 1)
        key_dir, key_file = kongconf.TLS_KEY_PATH.rsplit("/", 1)
        if key_dir != tls_dir:
            raise ValueError(f"{kongconf.TLS_CERT_PATH} and {kongconf.TLS_KEY_PATH} must share one Secret mount")
        mounts = [
            config.nginx_configmap(conf, ns, self),
            config.secret_file(names.TLS_SECRET, tls_dir, {
                cert_file: secret(pulumi.Output.from_input(proxy.certificate)), key_file: proxy.private_key,
            }, ns, names.KONG, self),
        ]
        self.declarative: pulumi.Output[str] | None = None
        if settings.mode == "dbless":
            self.declarative = rendered_config(args.spec, args.stack, args.secrets)
            directory, file = kongconf.DECLARATIVE_PATH.rsplit("/", 1)
            mounts.append(config.secret_file(names.DECLARATIVE_SECRET, directory, {file: self.declarative},
                                             ns, names.KONG, self))
        return mounts

    def _redis(self, args: PlatformArgs, ns: pulumi.Output[str]) -> list[pulumi.Resource]:
        host = args.settings.kubernetes.redis_host
        if host:
            return [redis.create_external(host, ns, self)]
        redis_config = config.secret_file(
            names.REDIS_CONFIG_SECRET, redis.CONFIG_DIR,
            {redis.CONFIG_FILE: secret(args.secrets[REDIS_PASSWORD]).apply(redis_conf)}, ns, names.REDIS, self)
        return [redis_config.resource, *redis.create_in_cluster(
            args.settings.redis_image, redis_config, config.checksum(self.checksum_key, [redis_config]), ns, self)]

    def _proxy_urls(self, k: KubernetesSettings, scheme: str, port: int, node_port: int) -> pulumi.Output[list[str]]:
        """Where clients reach the proxy: the Ingress host, the balancer's address, or any node's port."""
        if k.ingress_host:
            return pulumi.Output.from_input([f"{scheme}://{k.ingress_host}"])
        if k.proxy_service_type == "NodePort":
            assigned = node_port or "<node port>"
            return pulumi.Output.from_input([f"{scheme}://<node address>:{assigned}"])
        status = self.proxy_service.status

        def from_status(value: k8s.core.v1.outputs.ServiceStatus | None) -> list[str]:
            ingress = (value.load_balancer.ingress if value and value.load_balancer else None) or []
            return [f"{scheme}://{entry.hostname or entry.ip}:{port}"
                    for entry in ingress if entry.hostname or entry.ip]

        return status.apply(from_status)

