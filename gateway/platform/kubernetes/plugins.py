"""The custom plugins' Lua files in ConfigMaps, mounted at Kong's plugin path the way Kong/charts does it
(``plugins.configMaps``: ``/opt/kong/plugins/<name>``, with ``KONG_LUA_PACKAGE_PATH=/opt/?.lua;...``).

A ConfigMap holds at most 1 MiB, and language-router's generated data files are larger. A plugin's files
are therefore packed into as many ConfigMaps as needed, a large file split at line boundaries into
``<file>.part-NNN`` keys; all of a plugin's ConfigMaps are one projected volume. A ConfigMap key has no
``/`` (``[-._a-zA-Z0-9]+``), so a file in a subdirectory of the plugin (language-router's ``detect/``) is
keyed with ``__`` for each ``/`` (``detect__langdata.lua``). A plugin that needed no split is mounted as
is (each key projected to its path); otherwise an init container (the Kong image's ``sh``, ``mkdir`` and
``cat``) joins the parts into an emptyDir that Kong mounts read-only at the plugin path.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from gateway.platform import kongconf
from gateway.platform.kubernetes import names, pods

CONFIGMAP_LIMIT = 1 << 20
"""Kubernetes refuses a ConfigMap whose data exceeds 1 MiB."""
PACK_LIMIT = 900 * 1024
"""What we put in one ConfigMap: under the limit, with room for keys and the object's metadata."""
PART = ".part-"
DIR_SEP = "__"
"""Stands for ``/`` in a ConfigMap key."""
SOURCE_DIR = "/plugin-src"
ASSEMBLED_DIR = "/plugin-dst"


@dataclass
class PluginPack:
    """One plugin's files as ConfigMap data, and how to rebuild each file from their keys."""

    plugin: str
    configmaps: list[dict[str, str]] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)
    """File path under the plugin's directory -> the keys (in order) whose concatenation is the file."""

    @property
    def split(self) -> bool:
        return any(keys != [key_of(name)] for name, keys in self.files.items())

    def items(self, data: dict[str, str]) -> list[k8s.core.v1.KeyToPathArgs] | None:
        """Where the keys of one of the plugin's ConfigMaps (``data``) go when it is mounted as is: None
        (each key is its file's name) unless a file is in a subdirectory. (A split plugin's keys stay
        flat: the init container puts the files in place.)"""
        if self.split or all("/" not in name for name in self.files):
            return None
        return [k8s.core.v1.KeyToPathArgs(key=keys[0], path=name)
                for name, keys in sorted(self.files.items()) if keys[0] in data]

    def configmap_name(self, index: int) -> str:
        base = names.plugin_configmap(self.plugin)
        return base if index == 0 else f"{base}-{index}"

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for data in self.configmaps:
            for key, value in sorted(data.items()):
                digest.update(f"{key}\0{value}\0".encode())
        return digest.hexdigest()


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def key_of(name: str) -> str:
    """The ConfigMap key of a file path under the plugin's directory."""
    return name.replace("/", DIR_SEP)


def split_lines(text: str, limit: int) -> list[str]:
    """Consecutive runs of whole lines, each at most ``limit`` bytes (UTF-8 stays whole)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.splitlines(keepends=True):
        line_size = _size(line)
        if line_size > limit:
            raise ValueError(f"a line of {line_size} bytes does not fit a ConfigMap part of {limit}")
        if size + line_size > limit and current:
            parts.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += line_size
    if current or not parts:
        parts.append("".join(current))
    return parts


def pack(plugin: str, files: dict[str, Path], limit: int = PACK_LIMIT) -> PluginPack:
    """Files (by their path under the plugin's directory) in order into ConfigMaps of at most ``limit``
    bytes of data each."""
    result = PluginPack(plugin)
    current: dict[str, str] = {}
    size = 0
    for name, path in files.items():
        text = path.read_text(encoding="utf-8")
        key = key_of(name)
        pieces = ([(key, text)] if _size(key) + _size(text) <= limit else
                  [(f"{key}{PART}{i:03d}", part)
                   for i, part in enumerate(split_lines(text, limit - len(key) - len(PART) - 3))])
        result.files[name] = [k for k, _ in pieces]
        for key, value in pieces:
            piece = _size(key) + _size(value)
            if size + piece > limit and current:
                result.configmaps.append(current)
                current, size = {}, 0
            current[key] = value
            size += piece
    if current:
        result.configmaps.append(current)
    return result


def assemble_script(packs: list[PluginPack]) -> str:
    """``cat`` each split plugin's parts (and its whole files) into its assembled directory, subdirectories
    made first."""
    lines = ["set -eu"]
    for p in packs:
        if not p.split:
            continue
        src, dst = f"{SOURCE_DIR}/{p.plugin}", f"{ASSEMBLED_DIR}/{p.plugin}"
        for directory in sorted({name.rsplit("/", 1)[0] for name in p.files if "/" in name}):
            lines.append(f"mkdir -p {shlex.quote(f'{dst}/{directory}')}")
        for name, keys in sorted(p.files.items()):
            sources = " ".join(shlex.quote(f"{src}/{key}") for key in keys)
            lines.append(f"cat {sources} > {shlex.quote(f'{dst}/{name}')}")
    return "\n".join(lines) + "\n"


@dataclass
class PluginMounts:
    """What the Kong pod template needs for the plugins."""

    volumes: list[k8s.core.v1.VolumeArgs]
    mounts: list[k8s.core.v1.VolumeMountArgs]
    """Kong container: each plugin's directory at ``/opt/kong/plugins/<name>``."""
    init_containers: list[k8s.core.v1.ContainerArgs]
    checksum: str
    resources: list[pulumi.Resource]


def create(namespace: pulumi.Input[str], image: str, parent: pulumi.Resource) -> PluginMounts:
    packs = [pack(target.rsplit("/", 1)[-1], files) for target, files in kongconf.custom_plugin_files().items()]
    volumes: list[k8s.core.v1.VolumeArgs] = []
    mounts: list[k8s.core.v1.VolumeMountArgs] = []
    init_mounts: list[k8s.core.v1.VolumeMountArgs] = []
    resources: list[pulumi.Resource] = []
    for p in packs:
        sources = []
        for index, data in enumerate(p.configmaps):
            name = p.configmap_name(index)
            resources.append(k8s.core.v1.ConfigMap(name, metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=namespace, labels=names.labels(names.KONG)), data=data,
                opts=pulumi.ResourceOptions(parent=parent)))
            sources.append(k8s.core.v1.VolumeProjectionArgs(config_map=k8s.core.v1.ConfigMapProjectionArgs(
                name=name, items=p.items(data))))
        source = f"{names.plugin_configmap(p.plugin)}-src"
        volumes.append(k8s.core.v1.VolumeArgs(name=source, projected=k8s.core.v1.ProjectedVolumeSourceArgs(
            sources=sources, default_mode=0o444)))
        target = f"{names.PLUGINS_DIR}/{p.plugin}"
        if not p.split:
            mounts.append(k8s.core.v1.VolumeMountArgs(name=source, mount_path=target, read_only=True))
            continue
        assembled = names.plugin_configmap(p.plugin)
        volumes.append(k8s.core.v1.VolumeArgs(name=assembled, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
            size_limit=pods.EMPTY_DIR_LIMIT)))
        mounts.append(k8s.core.v1.VolumeMountArgs(name=assembled, mount_path=target, read_only=True))
        init_mounts += [
            k8s.core.v1.VolumeMountArgs(name=source, mount_path=f"{SOURCE_DIR}/{p.plugin}", read_only=True),
            k8s.core.v1.VolumeMountArgs(name=assembled, mount_path=f"{ASSEMBLED_DIR}/{p.plugin}"),
        ]
    init = [k8s.core.v1.ContainerArgs(
        name="assemble-plugins", image=image, command=["sh", "-c", assemble_script(packs)],
        resources=pods.resources("50m", "200m", "64Mi"),
        security_context=pods.container_security(names.KONG_UID),
        volume_mounts=init_mounts,
    )] if init_mounts else []
    checksum = hashlib.sha256("".join(p.checksum() for p in packs).encode()).hexdigest()
    return PluginMounts(volumes, mounts, init, checksum, resources)
