"""Per-stack settings: the ``ai4v-gateway:*`` keys of ``Pulumi.<stack>.yaml``.

``__main__.py`` fills this from ``pulumi.Config``; the CLI reads the same keys from the stack file, so
``validate`` and ``render`` see the mode ``pulumi up`` will use. Every field here is declared with the
same default in ``Pulumi.yaml`` (``tests/test_main.py`` checks they agree).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway.images import IMAGES, floating_tag
from gateway.plugins.typedefs import HeaderName
from gateway.spec.problems import Problem, SpecError

NAMESPACE = "ai4v-gateway"

Port = Annotated[int, Field(ge=1, le=65535)]
Image = Annotated[str, Field(min_length=1, pattern=r"^[^\s]+(:[^\s:/]+|@sha256:[0-9a-f]{64})$")]
"""``name:tag`` or ``name@sha256:...``; gateway.images refuses a floating tag."""


class StackSettings(BaseModel):
    """Non-secret settings; secrets never pass through this model (``tlsCertificate`` is public)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    mode: Literal["db", "dbless"] = "db"
    kong_image: Image = Field(IMAGES["kongImage"].default, alias="kongImage")
    postgres_image: Image = Field(IMAGES["postgresImage"].default, alias="postgresImage")
    redis_image: Image = Field(IMAGES["redisImage"].default, alias="redisImage")
    echo_image: Image = Field(IMAGES["echoImage"].default, alias="echoImage")
    kong_nodes: Annotated[int, Field(ge=1, le=16)] = Field(1, alias="kongNodes")
    demo_backends: bool = Field(False, alias="demoBackends")
    kong_admin_url: str | None = Field(None, alias="kongAdminUrl", pattern=r"^https?://")
    """Where pulumi-kong reaches the Admin API; unset: the published admin port of node 1."""
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
    tls_self_signed: bool = Field(False, alias="tlsSelfSigned")
    """Without ``tlsCertificate``: make a self-signed certificate (dev). Otherwise one is required."""
    tls_certificate: str | None = Field(None, alias="tlsCertificate")
    """PEM certificate (chain) for the proxy's 8443; its key is the secret ``tlsPrivateKey``."""
    tls_hostnames: list[str] = Field(default_factory=lambda: ["localhost"], alias="tlsHostnames")
    """DNS names of the self-signed certificate."""
    kong_wait_timeout: Annotated[int, Field(ge=10, le=3600)] = Field(180, alias="kongWaitTimeout")
    trusted_ips: list[str] = Field(default_factory=list, alias="trustedIps")
    """CIDRs of the load balancers in front of Kong: only their real-IP and X-Forwarded-* headers are
    believed (Kong's ``trusted_ips``). Empty: every client is the address that connected."""
    real_ip_header: HeaderName = Field("X-Forwarded-For", alias="realIpHeader")
    real_ip_recursive: bool = Field(True, alias="realIpRecursive")
    """Skip trusted addresses from the right of ``realIpHeader`` (nginx ``real_ip_recursive``)."""

    @field_validator("kong_admin_url", "tls_certificate", "kong_image", "postgres_image", "redis_image",
                     "echo_image", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any, info: Any) -> Any:
        """Pulumi.yaml declares these with default "" (a key without default is required)."""
        if value != "":
            return value
        alias = cls.model_fields[info.field_name].alias or info.field_name
        return IMAGES[alias].default if alias in IMAGES else None

    @field_validator("kong_image", "postgres_image", "redis_image", "echo_image")
    @classmethod
    def _pinned(cls, value: str, info: Any) -> str:
        alias = cls.model_fields[info.field_name].alias or info.field_name
        problem = floating_tag(value, IMAGES[alias].release_parts)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("trusted_ips", mode="before")
    @classmethod
    def _cidrs(cls, value: Any) -> Any:
        items = [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value
        if isinstance(items, list):
            for item in items:
                try:
                    ipaddress.ip_network(str(item), strict=False)
                except ValueError:
                    raise ValueError(f"'{item}' is not an IP address or CIDR range (e.g. 10.0.0.0/8)") from None
        return items

    @field_validator("tls_hostnames", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _distinct_ports(self) -> StackSettings:
        from gateway.platform.naming import published_ports  # pure; avoids an import cycle at load time

        seen: dict[int, str] = {}
        for what, port in published_ports(self):
            if port in seen:
                raise ValueError(f"port {port} is used twice: {seen[port]} and {what}")
            seen[port] = what
        return self

    @classmethod
    def aliases(cls) -> list[str]:
        """The config keys (without namespace) this model reads."""
        return [field.alias or name for name, field in cls.model_fields.items()]


def read_stack_settings(root: Path, stack: str) -> StackSettings:
    """Settings from ``Pulumi.<stack>.yaml`` (missing file: defaults), secure values skipped."""
    config = read_stack_config(root, stack)
    values = {key: value for key, value in config.items() if not isinstance(value, dict)}
    return settings_from_values(values, f"Pulumi.{stack}.yaml")


def read_stack_config(root: Path, stack: str) -> dict[str, Any]:
    """The ``ai4v-gateway:*`` entries of ``Pulumi.<stack>.yaml`` without namespace (``{secure: ...}`` kept)."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SpecError([Problem(path.name, (), f"invalid YAML: {exc}")]) from None
    config = data.get("config") or {} if isinstance(data, dict) else {}
    return {
        key.removeprefix(f"{NAMESPACE}:"): value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(f"{NAMESPACE}:")
    }


def settings_from_values(values: dict[str, Any], file: str) -> StackSettings:
    """Validated settings; every wrong value is one Problem at ``config.ai4v-gateway:<key>`` of ``file``."""
    try:
        return StackSettings.model_validate(values)
    except ValidationError as exc:
        raise SpecError([
            Problem(file, ("config", f"{NAMESPACE}:{err['loc'][0]}" if err["loc"] else NAMESPACE), err["msg"])
            for err in exc.errors()
        ]) from None
