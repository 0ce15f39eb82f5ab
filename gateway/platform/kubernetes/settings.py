"""``KubernetesSettings``: the ``ai4v-gateway:k8s*`` keys, the Kubernetes section of ``StackSettings``.

Read only when ``ai4v-gateway:platform`` is ``kubernetes``; every key is declared with the same default in
``Pulumi.yaml``. Secrets never pass through here: the Postgres URL carries no password (``postgresPassword``
is a secret key of its own).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

CpuQuantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?m?$")]
"""CPU in cores or millicores (``500m``, ``2``)."""
MemoryQuantity = Annotated[str, Field(pattern=r"^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$")]
"""Memory in bytes with a unit (``512Mi``, ``1Gi``)."""
NodePort = Annotated[int, Field(ge=0, le=32767)]
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class PostgresTarget(BaseModel):
    """The parts of ``k8sPostgresUrl`` Kong's ``pg_*`` properties take."""

    host: str
    port: int
    user: str
    database: str


def parse_postgres_url(url: str) -> PostgresTarget:
    """``postgres://USER@HOST[:PORT]/DATABASE``; a password in the URL is refused (it would sit in clear
    in the stack file and in state): set it with ``pulumi config set --secret ai4v-gateway:postgresPassword``."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("must look like postgres://USER@HOST:PORT/DATABASE")
    if parts.password is not None:
        raise ValueError("holds a password; remove it and `pulumi config set --secret ai4v-gateway:postgresPassword`")
    try:
        port = parts.port or 5432
    except ValueError:
        raise ValueError("has an invalid port; must look like postgres://USER@HOST:PORT/DATABASE") from None
    database = parts.path.lstrip("/")
    if not parts.hostname or not parts.username or not database or "/" in database:
        raise ValueError("must name a user, a host and a database: postgres://USER@HOST:PORT/DATABASE")
    return PostgresTarget(host=parts.hostname, port=port, user=parts.username, database=database)


class KubernetesSettings(BaseModel):
    """Non-secret settings of the Kubernetes platform (config keys ``ai4v-gateway:k8s*``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    namespace: str | None = Field(None, alias="k8sNamespace")
    """Empty: ``ai4v-gateway-<stack>``. One namespace per stack, created by the program."""
    replicas: Annotated[int, Field(ge=1, le=100)] = Field(2, alias="k8sReplicas")
    hpa_max_replicas: Annotated[int, Field(ge=0, le=200)] = Field(0, alias="k8sHpaMaxReplicas")
    """0: no HorizontalPodAutoscaler; otherwise it scales between ``replicas`` and this."""
    hpa_cpu_percent: Annotated[int, Field(ge=10, le=100)] = Field(70, alias="k8sHpaCpuPercent")
    proxy_service_type: Literal["LoadBalancer", "NodePort"] = Field("LoadBalancer", alias="k8sProxyServiceType")
    proxy_node_port: NodePort = Field(0, alias="k8sProxyNodePort")
    """NodePort of the HTTP proxy (0: Kubernetes picks one); NodePort services only."""
    proxy_tls_node_port: NodePort = Field(0, alias="k8sProxyTlsNodePort")
    ingress_host: str | None = Field(None, alias="k8sIngressHost")
    """Empty: no Ingress. Otherwise an Ingress for this host in front of the proxy Service."""
    ingress_class: str | None = Field(None, alias="k8sIngressClass")
    postgres_url: str | None = Field(None, alias="k8sPostgresUrl")
    """DB mode: the external Postgres, ``postgres://USER@HOST:PORT/DATABASE`` (no password)."""
    redis_host: str | None = Field(None, alias="k8sRedisHost")
    """Empty: Redis runs in the namespace (a StatefulSet). Otherwise the external Redis host name, which
    the namespace's ``redis`` Service points at (ExternalName), so the spec's ``redis`` host is unchanged."""
    kong_cpu_request: CpuQuantity = Field("500m", alias="k8sKongCpuRequest")
    kong_cpu_limit: CpuQuantity = Field("2", alias="k8sKongCpuLimit")
    """Also Kong's worker count (one nginx worker per CPU of the limit)."""
    kong_memory: MemoryQuantity = Field("1Gi", alias="k8sKongMemory")
    """Request and limit (equal: a Kong worker that outgrows it is restarted, not left to swap)."""
    concurrent_uploads: Annotated[int, Field(ge=1, le=1000)] = Field(8, alias="k8sConcurrentUploads")
    """Large request bodies one Kong pod holds on disk at once: nginx spills every body above 1 MiB to a
    temporary file (and a large response too), so the pod's body volume and its ephemeral-storage are
    sized as this many times two ``edge.max_body_size`` (``pods.body_temp_bytes``)."""

    @field_validator("namespace", "ingress_host", "ingress_class", "postgres_url", "redis_host", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """Pulumi.yaml declares these with default "" (a key without default is required)."""
        return None if value == "" else value

    @field_validator("namespace", "ingress_class")
    @classmethod
    def _dns_label(cls, value: str | None) -> str | None:
        if value is not None and not DNS_LABEL.match(value):
            raise ValueError(f"'{value}' is not a DNS label (lower-case letters, digits and '-', at most 63)")
        return value

    @field_validator("ingress_host", "redis_host")
    @classmethod
    def _dns_name(cls, value: str | None) -> str | None:
        if value is not None and not DNS_NAME.match(value):
            raise ValueError(f"'{value}' is not a DNS name (e.g. redis.example.internal)")
        return value

    @field_validator("postgres_url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        if value is not None:
            parse_postgres_url(value)
        return value

    @field_validator("hpa_max_replicas")
    @classmethod
    def _above_replicas(cls, value: int, info: ValidationInfo) -> int:
        replicas = info.data.get("replicas")
        if value and replicas is not None and value < replicas:
            raise ValueError(f"is below k8sReplicas ({replicas}); 0 (no autoscaler) or at least k8sReplicas")
        return value

    @field_validator("proxy_node_port", "proxy_tls_node_port")
    @classmethod
    def _node_port(cls, value: int, info: ValidationInfo) -> int:
        if value and info.data.get("proxy_service_type") != "NodePort":
            raise ValueError("applies to k8sProxyServiceType NodePort only; 0 or unset otherwise")
        if value and not 30000 <= value <= 32767:
            raise ValueError(f"{value} is outside Kubernetes' default node port range 30000-32767")
        return value

    @property
    def postgres(self) -> PostgresTarget | None:
        return parse_postgres_url(self.postgres_url) if self.postgres_url else None

    def namespace_for(self, stack: str) -> str:
        return self.namespace or f"ai4v-gateway-{stack}"

    @classmethod
    def aliases(cls) -> list[str]:
        return [field.alias or name for name, field in cls.model_fields.items()]
