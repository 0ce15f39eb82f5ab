"""Per-stack settings: the ``ai4v-gateway:*`` keys of ``Pulumi.<stack>.yaml``.

``__main__.py`` fills this from ``pulumi.Config``; the CLI reads the same keys from the stack file, so
``validate`` and ``render`` see the mode ``pulumi up`` will use. Every field here is declared with the
same default in ``Pulumi.yaml`` (``tests/test_main.py`` checks they agree).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway.platform.docker.settings import DockerSettings
from gateway.platform.kubernetes.settings import KubernetesSettings
from gateway.spec.plugins.typedefs import HeaderName
from gateway.spec.problems import Problem, SpecError
from gateway.stack.images import IMAGES, KongImage, RedisImage

NAMESPACE = "ai4v-gateway"
M = TypeVar("M", bound=BaseModel)

SECTIONS: dict[str, type[DockerSettings] | type[KubernetesSettings]] = {
    "docker": DockerSettings, "kubernetes": KubernetesSettings}
"""Platform sections of ``StackSettings``, each gathered from its own flat keys."""


class StackSettings(BaseModel):
    """Non-secret settings; secrets never pass through this model (``tlsCertificate`` is public).

    The fields both platforms read, plus one section per platform (``docker``, ``kubernetes``) holding the
    keys only that platform reads; all keys stay flat in the stack file."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    platform: Literal["docker", "kubernetes"] = "docker"
    """Where Kong runs: one Docker host, or a Kubernetes cluster (the ``kubernetes`` section)."""
    mode: Literal["db", "dbless"] = "db"
    """Unset or "": the platform's default, ``db`` on Docker and ``dbless`` on Kubernetes."""

    kong_image: KongImage = Field(IMAGES["kongImage"].default, alias="kongImage")
    redis_image: RedisImage = Field(IMAGES["redisImage"].default, alias="redisImage")
    kong_admin_url: str | None = Field(None, alias="kongAdminUrl", pattern=r"^https?://")
    """Where pulumi-kong reaches the Admin API; unset: the published admin port of node 1."""
    tls_self_signed: bool = Field(False, alias="tlsSelfSigned")
    """Without ``tlsCertificate``: make a self-signed certificate (dev). Otherwise one is required."""
    tls_certificate: str | None = Field(None, alias="tlsCertificate")
    """PEM certificate (chain) for the proxy's 8443; its key is the secret ``tlsPrivateKey``."""
    tls_hostnames: list[str] = Field(default_factory=lambda: ["localhost"], alias="tlsHostnames")
    """DNS names of the self-signed certificate."""
    trusted_ips: list[str] = Field(default_factory=list, alias="trustedIps")
    """CIDRs of the load balancers in front of Kong: only their real-IP and X-Forwarded-* headers are
    believed (Kong's ``trusted_ips``). Empty: every client is the address that connected."""
    real_ip_header: HeaderName = Field("X-Forwarded-For", alias="realIpHeader")
    real_ip_recursive: bool = Field(True, alias="realIpRecursive")
    """Skip trusted addresses from the right of ``realIpHeader`` (nginx ``real_ip_recursive``)."""
    docker: DockerSettings = Field(default_factory=DockerSettings)
    """The keys only the Docker platform reads (ports, node count, demo backends...), gathered here."""
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    """The ``k8s*`` keys, gathered into one section (``platform: kubernetes`` only)."""

    @model_validator(mode="before")
    @classmethod
    def _sections(cls, data: Any) -> Any:
        """Flat config keys into sections; an unset mode is the platform's default."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        if out.get("mode") in (None, ""):
            out["mode"] = "dbless" if out.get("platform") == "kubernetes" else "db"
        for name, model in SECTIONS.items():
            keys = set(model.aliases())
            out = {key: value for key, value in out.items() if key not in keys}
            out.setdefault(name, {key: value for key, value in data.items() if key in keys})
        return out

    @field_validator("kong_admin_url", "tls_certificate", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """Pulumi.yaml declares these with default "" (a key without default is required)."""
        return None if value == "" else value

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

    @classmethod
    def aliases(cls) -> list[str]:
        """The config keys (without namespace) this model reads (sections' keys included)."""
        own = [field.alias or name for name, field in cls.model_fields.items() if name not in SECTIONS]
        return [*own, *(key for model in SECTIONS.values() for key in model.aliases())]


def stack_file(stack: str) -> str:
    """The stack's settings file, as problems name it."""
    return f"Pulumi.{stack}.yaml"


def read_stack_settings(root: Path, stack: str) -> StackSettings:
    """Settings from ``Pulumi.<stack>.yaml`` (missing file: defaults), secure values skipped."""
    return settings_from_values(plain_values(root, stack), stack_file(stack))


def settings_from_values(values: dict[str, Any], file: str) -> StackSettings:
    """Validated settings; every wrong value is one Problem at ``config.ai4v-gateway:<key>`` of ``file``."""
    return validated(StackSettings, values, file, frozenset(SECTIONS))


def read_stack_config(root: Path, stack: str) -> dict[str, Any]:
    """The ``ai4v-gateway:*`` entries of ``Pulumi.<stack>.yaml`` without namespace (``{secure: ...}`` kept)."""
    path = root / stack_file(stack)
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


def plain_values(root: Path, stack: str) -> dict[str, Any]:
    """The stack's config keys without the secure ones (never read by settings)."""
    return {key: value for key, value in read_stack_config(root, stack).items() if not isinstance(value, dict)}


def config_key(loc: tuple[int | str, ...], sections: frozenset[str] = frozenset()) -> str:
    """The config key a validation error is about: a section's field errors name the field's flat key; an
    error about a whole section (e.g. two Docker ports alike) names no key, as one about the whole model."""
    if loc and loc[0] in sections:
        return str(loc[1]) if len(loc) > 1 else ""
    return str(loc[0]) if loc else ""


def validated(model: type[M], values: dict[str, Any], file: str, sections: frozenset[str] = frozenset()) -> M:
    """``model`` from config values; every wrong value is one Problem at ``config.ai4v-gateway:<key>`` of
    ``file``."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = config_key(err["loc"], sections)
            problems.append(Problem(file, ("config", f"{NAMESPACE}:{key}" if key else NAMESPACE), err["msg"]))
        raise SpecError(problems) from None
