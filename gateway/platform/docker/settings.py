"""``DockerSettings``: the keys only the Docker platform reads, the Docker section of ``StackSettings``.

They keep their flat config keys (``ai4v-gateway:proxyPort``, ...), declared with the same default in
``Pulumi.yaml``; ``StackSettings`` gathers them here, so stack files need no change. The port scheme they
feed is ``gateway.platform.naming``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.platform.docker import ports
from gateway.stack.images import IMAGES, EchoImage, PostgresImage

Port = Annotated[int, Field(ge=1, le=65535)]


class DockerSettings(BaseModel):
    """Non-secret settings of the Docker platform (one Docker host)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    postgres_image: PostgresImage = Field(IMAGES["postgresImage"].default, alias="postgresImage")
    echo_image: EchoImage = Field(IMAGES["echoImage"].default, alias="echoImage")
    kong_nodes: Annotated[int, Field(ge=1, le=16)] = Field(1, alias="kongNodes")
    demo_backends: bool = Field(False, alias="demoBackends")
    publish_admin: bool = Field(True, alias="publishAdmin")
    """Publish Admin API and Kong Manager on 127.0.0.1 (node 1). Never on another address."""
    proxy_port: Port = Field(8000, alias="proxyPort")
    proxy_tls_port: Port = Field(8443, alias="proxyTlsPort")
    admin_port: Port = Field(8001, alias="adminPort")
    admin_tls_port: Port = Field(8444, alias="adminTlsPort")
    manager_port: Port = Field(8002, alias="managerPort")
    status_port: Port = Field(8100, alias="statusPort")
    protect_data: bool = Field(False, alias="protectData")
    """Protect the Postgres volume and keep it in Docker when deleted (prod)."""
    kong_wait_timeout: Annotated[int, Field(ge=10, le=3600)] = Field(180, alias="kongWaitTimeout")

    @model_validator(mode="after")
    def _distinct_ports(self) -> DockerSettings:
        seen: dict[int, str] = {}
        for what, port in ports.published_ports(self):
            if port in seen:
                raise ValueError(f"port {port} is used twice: {seen[port]} and {what}")
            seen[port] = what
        return self

    @classmethod
    def aliases(cls) -> list[str]:
        return [field.alias or name for name, field in cls.model_fields.items()]
