"""Kong nodes: the containers, their uploads (plugin, TLS, declarative config), readiness gate, graceful stop
and rolling order.

Rolling replacement: node i depends on node i-1 (resource option), and every node waits until ready
(``wait`` on a health check that asks ``/status/ready``). A change that replaces nodes (image, env, uploads,
labels: ForceNew in terraform-provider-docker's container schema; any other change through
``replace_on_changes: ["*"]``) therefore replaces node 1, waits for it to be ready, then node 2, and so on:
the engine registers node i only once node i-1's registration has finished. A node that failed its wait is
stored with an init error; ``*`` makes the next ``pulumi up`` recreate and wait for it again instead of
"updating" it and moving on to node i+1 (health.py). Nothing takes a property from a node, so replacing one
(delete-before-replace, it holds fixed host ports) never forces anything else to be replaced first. In DB
mode ``kong migrations finish`` runs after the last node (database.py), ordered by ``depends_on`` only.

Stopping: the provider stops a container it deletes with ``destroy_grace_seconds`` (0, a kill, when unset;
resource_docker_container_funcs.go, resourceDockerContainerDelete) using the container's stop signal:
SIGQUIT, as Kong's image sets (docker-kong ubuntu/Dockerfile ``STOPSIGNAL SIGQUIT``), is nginx's graceful
shutdown, so the node finishes its in-flight requests within ``kongconf.DRAIN_SECONDS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from gateway.platform import kongconf, naming
from gateway.platform.children import Children
from gateway.platform.docker import ports
from gateway.platform.docker.health import REPLACE_ON_ANY_CHANGE
from gateway.platform.tls import ProxyTls
from gateway.stack.secrets import secret

SECRET_FILE_MODE = "0640"
"""TLS key and DB-less kong.yml. The provider writes uploads as root:root with only a mode
(resource_docker_container_funcs.go, resourceDockerContainerCreate: tar header Name/Mode/Size), and the
kong image runs as user ``kong``; group 0 (``group_adds``) lets Kong read them, nobody else in the
container can."""
KONG_READS_GROUP = "0"
STOP_SIGNAL = "SIGQUIT"
"""Kong's image's STOPSIGNAL (docker-kong ubuntu/Dockerfile): nginx's graceful shutdown. Set explicitly so the
grace holds whatever image runs."""
READY_CHECK_LUA = (
    'local h = require("resty.http").new() h:set_timeout(5000) '
    'local res, err = h:request_uri("http://127.0.0.1:{port}/status/ready") '
    'if not res then io.stderr:write("status listener: ", err, "\\n") os.exit(1) end '
    'io.stdout:write(res.status, " ", res.body, "\\n") os.exit(res.status == 200 and 0 or 1)'
)
"""Ready means Kong's ``/status/ready`` answers 200 (kong/status/ready.lua: router and plugins iterator built in
every worker, the database reachable, in DB-less mode a non-empty config loaded); ``kong health`` only checks
that nginx runs (kong/cmd/health.lua). Kong's image has no curl (docker-kong ubuntu/Dockerfile purges it after
the download) but has ``resty`` and lua-resty-http (a dependency of Kong's rockspec, beside Kong's own
modules), the same runtime ``kong health`` uses."""


def ready_check(status_port: int = naming.KONG_STATUS) -> list[str]:
    """The node's health check command: exit 0 only when ``/status/ready`` answers 200."""
    return ["resty", "-e", READY_CHECK_LUA.format(port=status_port)]


@dataclass
class KongNodeInputs:
    stack: str
    index: int
    image: pulumi.Input[str]
    network: pulumi.Input[str]
    host_address: pulumi.Input[str]
    """The network's gateway, the only address allowed to use the Admin API (network.host_side_address)."""
    conf: kongconf.KongNodeConf
    ports: list[ports.PortMapping]
    tls: ProxyTls
    pg_password: pulumi.Output[str] | None
    """DB mode only."""
    declarative: pulumi.Output[str] | None
    """DB-less mode only: the rendered kong.yml, a secret Output."""
    wait_timeout: int
    secret_env: Sequence[pulumi.Input[str]] = ()
    """``VAR=value`` secret Outputs: the values behind the spec's vault references (``gateway.kong.vault``)."""


def plugin_uploads() -> list[docker.ContainerUploadArgs]:
    return [
        docker.ContainerUploadArgs(
            file=f"{target}/{name}",
            content=path.read_text(encoding="utf-8"),
            permissions="0644",
        )
        for target, files in kongconf.custom_plugin_files().items()
        for name, path in files.items()
    ]


def nginx_uploads(conf: kongconf.KongNodeConf) -> list[docker.ContainerUploadArgs]:
    return [docker.ContainerUploadArgs(file=path, content=text, permissions="0644")
            for path, text in kongconf.nginx_files(conf).items()]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def admin_access_upload(host_address: pulumi.Input[str]) -> docker.ContainerUploadArgs:
    """Only connections from the Docker host (the published 127.0.0.1 port or a tunnel ending on the host)
    reach the Admin API; other containers on the network (echo backends, Redis, Postgres) get 403."""
    return docker.ContainerUploadArgs(
        file=kongconf.NGINX_ADMIN_CONF,
        content=pulumi.Output.from_input(host_address).apply(kongconf.admin_access_conf), permissions="0644")


def rolling_after(previous: docker.Container | None, waits_for: Sequence[pulumi.Resource],
                  gate: pulumi.Output[str] | None) -> pulumi.Input[Sequence[pulumi.Resource]]:
    """What a node waits for: the previous node, the platform's services, and the migrations gate.

    The gate travels in ``depends_on`` (an Output of resources): registration waits for it and fails
    when it raises, yet no node input depends on the migration container, so replacing that container
    (a new Kong image) never makes the engine delete the nodes first (it only cascades through property
    dependencies).
    """
    deps = [*waits_for, *([previous] if previous is not None else [])]
    if gate is None:
        return deps
    return gate.apply(lambda _: deps)


def create_node(args: KongNodeInputs, children: Children,
                after: pulumi.Input[Sequence[pulumi.Resource]]) -> docker.Container:
    role = naming.kong_role(args.index)
    envs: list[pulumi.Input[str]] = list(kongconf.env_list(kongconf.kong_env(args.conf)))
    envs += kongconf.env_list(kongconf.admin_access_env(args.conf))
    if args.pg_password is not None:
        envs.append(secret(args.pg_password).apply(lambda value: f"KONG_PG_PASSWORD={value}"))
    envs.extend(args.secret_env)

    uploads = [
        *plugin_uploads(),
        *nginx_uploads(args.conf),
        admin_access_upload(args.host_address),
        docker.ContainerUploadArgs(file=kongconf.TLS_CERT_PATH, content=args.tls.certificate, permissions="0644"),
        docker.ContainerUploadArgs(file=kongconf.TLS_KEY_PATH, content=args.tls.private_key,
                                   permissions=SECRET_FILE_MODE),
    ]
    labels = [
        docker.ContainerLabelArgs(label="ai4v.role", value="kong"),
        docker.ContainerLabelArgs(label="ai4v.node", value=str(args.index)),
    ]
    if args.declarative is not None:
        uploads.append(docker.ContainerUploadArgs(file=kongconf.DECLARATIVE_PATH, content=args.declarative,
                                                  permissions=SECRET_FILE_MODE))
        # A digest of the config (not reversible: it covers 40-character random keys) shows in
        # `docker inspect` which config a node runs; replace_on_changes below makes any change restart Kong.
        labels.append(docker.ContainerLabelArgs(
            label="ai4v.declarative-sha256", value=pulumi.Output.unsecret(args.declarative.apply(sha256))))

    return docker.Container(
        children.name(role),
        name=naming.resource_name(args.stack, role),
        hostname=role,
        image=args.image,
        envs=envs,
        uploads=uploads,
        group_adds=[KONG_READS_GROUP],
        ports=[docker.ContainerPortArgs(internal=p.internal, external=p.external, ip=p.ip) for p in args.ports],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=args.network, aliases=[role])],
        labels=labels,
        healthcheck=docker.ContainerHealthcheckArgs(
            tests=["CMD", *ready_check(args.conf.listen.status)],
            interval="10s", timeout="10s", retries=10, start_period="20s",
        ),
        wait=True,
        wait_timeout=args.wait_timeout,
        stop_signal=STOP_SIGNAL,
        stop_timeout=kongconf.DRAIN_SECONDS,  # `docker stop` by hand, and the Docker daemon stopping
        destroy_grace_seconds=kongconf.DRAIN_SECONDS,  # the provider's stop when Pulumi deletes or replaces it
        restart="unless-stopped",
        opts=children.opts(
            role,
            depends_on=after,
            # Uploads are copied in at creation (new plugin code, certificate or kong.yml needs a new
            # container); a failed wait must be recreated and waited for again (health.py).
            replace_on_changes=REPLACE_ON_ANY_CHANGE,
            delete_before_replace=True,  # a node's host ports cannot be held by two containers
        ),
    )
