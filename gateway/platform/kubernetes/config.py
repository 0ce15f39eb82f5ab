"""ConfigMaps and Secrets Kong mounts: nginx includes, the proxy certificate, the declarative config and
the passwords (the plugin files: ``plugins``).

Everything that holds a key or a password is a Secret fed from a secret Output, so it stays encrypted in
Pulumi's state and is masked in ``pulumi preview``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from gateway.platform import kongconf
from gateway.platform.kubernetes import names


@dataclass(frozen=True)
class Mounted:
    """A ConfigMap or Secret and what the pod template needs to mount it and roll on its change."""

    name: str
    mount_path: str
    secret: bool
    checksum: pulumi.Input[str]
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
    """A Secret of files (values are secret Outputs) and the digest of its content (not reversible: it
    covers keys of 40 random characters or a private key), which the pod template carries to roll."""
    secret = k8s.core.v1.Secret(name, metadata=metadata(name, namespace, component), type="Opaque",
                                string_data=dict(files), opts=pulumi.ResourceOptions(parent=parent))
    ordered = sorted(files)
    digest = pulumi.Output.all(*(files[key] for key in ordered)).apply(
        lambda values: sha256("".join(f"{key}\0{value}\0" for key, value in zip(ordered, values, strict=True))))
    return Mounted(name, directory, True, pulumi.Output.unsecret(digest), secret)


def platform_secret(passwords: Mapping[str, pulumi.Output[str]], namespace: pulumi.Input[str],
                    parent: pulumi.Resource) -> k8s.core.v1.Secret:
    """The passwords Kong and Redis read through ``secretKeyRef`` (never a literal env value)."""
    return k8s.core.v1.Secret(names.PLATFORM_SECRET,
                              metadata=metadata(names.PLATFORM_SECRET, namespace, names.KONG), type="Opaque",
                              string_data=dict(passwords), opts=pulumi.ResourceOptions(parent=parent))


def checksum(mounts: list[Mounted], *more: str) -> pulumi.Output[str]:
    """One digest of every mounted file (``more``: digests of files mounted otherwise): a change in any of
    them changes the pod template, so the Deployment rolls (Kong reads them only at start)."""
    return pulumi.Output.all(*(m.checksum for m in mounts)).apply(lambda digests: sha256("".join([*digests, *more])))
