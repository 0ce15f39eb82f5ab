"""Shared fixtures: a scratch copy of the project's stacks to break on purpose."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.spec import available_stacks

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests' own helpers (pulumi_harness, provider_replay)

STACKS = tuple(available_stacks(ROOT / "stacks"))
"""Every stack of stacks/ (discovered: a new overlay is tested like the others)."""


OPERATOR_CONFIG = {
    "staging": {"ai4v-gateway:tlsCertificate": "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n",
                "ai4v-gateway:tlsPrivateKey": {"secure": "v1:ZmFrZQ==:ZmFrZQ=="}},
    "prod": {"ai4v-gateway:tlsCertificate": "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n",
             "ai4v-gateway:tlsPrivateKey": {"secure": "v1:ZmFrZQ==:ZmFrZQ=="},
             "ai4v-gateway:kongAdminUrl": "http://127.0.0.1:18001"},
}
"""What an operator adds to Pulumi.<stack>.yaml before staging and prod can deploy (validate checks it)."""


@pytest.fixture(autouse=True, scope="session")
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`explain` caches specs under XDG_CACHE_HOME (gateway/explain/speccache.py): never the user's, in tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of stacks/ and Pulumi.<stack>.yaml files in a temporary project root, with the operator's
    certificate (and prod's Admin tunnel) set, so each stack validates as it deploys."""
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    for path in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    for stack, values in OPERATOR_CONFIG.items():
        edit_yaml(tmp_path / f"Pulumi.{stack}.yaml", lambda data, v=values: data["config"].update(v))  # type: ignore[misc]
    return tmp_path


Edit = Callable[[dict[str, Any]], None]


def edit_yaml(path: Path, change: Edit) -> None:
    """Load a stack file (anchors expanded), apply ``change`` and write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="session")
def kong() -> object:
    """The installed Kong 3.9.3 (``local_gateway.kong_install``); the test is skipped, saying how to get one,
    without it."""
    from local_gateway.kong_install import usable

    found = usable()
    if isinstance(found, str):
        pytest.skip(f"needs a Kong 3.9.3: {found}")
    return found


@pytest.fixture(scope="session")
def real_kong(kong: Any) -> Iterator[object]:
    """Kong 3.9.3 with Postgres and no entities (``real_kong.empty_kong``)."""
    from real_kong import empty_kong

    with empty_kong(kong) as found:
        if isinstance(found, str):
            pytest.skip(found)
        yield found
