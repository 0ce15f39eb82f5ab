"""ConfigMaps and Secrets Kong mounts: nginx includes, the proxy certificate, the declarative config and
the passwords (the plugin files: ``plugins``).

Everything that holds a key or a password is a Secret fed from a secret Output, so it stays encrypted in
Pulumi's state and is masked in ``pulumi preview``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from gateway.platform import kongconf
from gateway.platform.kubernetes import names


@dataclass(frozen=True)
class Mounted:
    """A ConfigMap or Secret and what the pod template needs to mount it and roll on its change."""

    name: str
    mount_path: str
    secret: bool
    checksum: pulumi.Input[str]
    """sha256 of the content; a secret Output for a Secret (only ``checksum`` below publishes it, keyed)."""
    resource: pulumi.Resource


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def metadata(name: str, namespace: pulumi.Input[str], component: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=names.labels(component))


def nginx_configmap(conf: kongconf.KongNodeConf, namespace: pulumi.Input[str],
                    parent: pulumi.Resource) -> Mounted:
    """The nginx include files (log format, flood guard, HSTS), all in one directory."""
    files = kongconf.nginx_files(conf)
    directories = {path.rsplit("/", 1)[0] for path in files}
    if len(directories) != 1:
        raise ValueError(f"nginx include files must share one directory to share a mount: {sorted(files)}")
    data = {path.rsplit("/", 1)[1]: text for path, text in files.items()}
    configmap = k8s.core.v1.ConfigMap(names.NGINX_CONFIGMAP,
                                      metadata=metadata(names.NGINX_CONFIGMAP, namespace, names.KONG), data=data,
                                      opts=pulumi.ResourceOptions(parent=parent))
    digest = sha256("".join(f"{key}\0{value}\0" for key, value in sorted(data.items())))
    return Mounted(names.NGINX_CONFIGMAP, directories.pop(), False, digest, configmap)


def secret_file(name: str, directory: str, files: Mapping[str, pulumi.Output[str]], namespace: pulumi.Input[str],
                component: str, parent: pulumi.Resource) -> Mounted:
    """A Secret of files (values are secret Outputs) and the digest of its content, kept secret: a plain
    hash of a guessable value would let a guess be checked against it."""
    secret = k8s.core.v1.Secret(name, metadata=metadata(name, namespace, component), type="Opaque",
                                string_data=dict(files), opts=pulumi.ResourceOptions(parent=parent))
    ordered = sorted(files)
    digest = pulumi.Output.all(*(files[key] for key in ordered)).apply(
        lambda values: sha256("".join(f"{key}\0{value}\0" for key, value in zip(ordered, values, strict=True))))
    return Mounted(name, directory, True, digest, secret)


def platform_secret(passwords: Mapping[str, pulumi.Output[str]], namespace: pulumi.Input[str],
                    parent: pulumi.Resource) -> k8s.core.v1.Secret:
    """The passwords Kong and Redis read through ``secretKeyRef`` (never a literal env value)."""
    return k8s.core.v1.Secret(names.PLATFORM_SECRET,
                              metadata=metadata(names.PLATFORM_SECRET, namespace, names.KONG), type="Opaque",
                              string_data=dict(passwords), opts=pulumi.ResourceOptions(parent=parent))


CHECKSUM_KEY = "checksum-key"
CHECKSUM_KEY_LENGTH = 64


def checksum_key(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The stack's key for ``checksum`` (random, kept encrypted in state, stable across runs)."""
    key = random.RandomPassword(CHECKSUM_KEY, length=CHECKSUM_KEY_LENGTH, special=False,
                                opts=pulumi.ResourceOptions(parent=parent))
    return key.result


def keyed_digest(key: str, parts: Sequence[str]) -> str:
    """HMAC-SHA256 of ``parts`` (each length-prefixed, so no two lists join alike) under ``key``."""
    message = "".join(f"{len(part)}:{part}" for part in parts).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def checksum(key: pulumi.Input[str], mounts: Sequence[Mounted], *more: str,
             values: Mapping[str, pulumi.Input[str]] | None = None) -> pulumi.Output[str]:
    """One digest of every mounted file (``more``: digests of files mounted otherwise) and of ``values``
    (the platform Secret's, which the pods read at start as env): a change in any of them changes the pod
    template, so the workload rolls. Keyed with ``checksum_key``: without the key no guess of a value can
    be checked against the annotation, so it is public (reviewable in ``pulumi preview``, no secret in
    state)."""
    ordered = sorted(values or {})
    secret_values = [(values or {})[name] for name in ordered]

    def digest(args: list[str]) -> str:
        key_value, rest = args[0], args[1:]
        digests, plain = rest[:len(mounts)], rest[len(mounts):]
        named = [f"{name}={value}" for name, value in zip(ordered, plain, strict=True)]
        return keyed_digest(key_value, [*digests, *more, *named])

    combined = pulumi.Output.all(key, *(m.checksum for m in mounts), *secret_values).apply(digest)
    return pulumi.Output.unsecret(combined)
