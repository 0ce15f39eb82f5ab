"""Kong itself checks every ``kong.yml`` the project writes (``kong config parse``, Kong 3.9.3): the stacks'
rendered files, the Docker nodes' uploads and the Kubernetes secret. The schemas the Python models mirror are
Kong's own here (these tests replace a snapshot of them, issue 24 item 4). The e2e workflow does the same with
the official image (scripts/kong-config-parse.sh). Skipped without a Kong."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, STACKS
from k8s_helpers import k8s_run
from local_gateway import kong_install
from platform_helpers import DOCKER_STACKS, cached_run, uploads_of
from pulumi_harness import reveal
from test_kubernetes import declarative_of
from test_platform import DBLESS, kong_nodes

from gateway.kong import declarative
from gateway.spec import load_spec


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_config_parses_in_kong(stack: str, kong: kong_install.KongInstall, tmp_path: Path) -> None:
    path = tmp_path / "kong.yml"
    path.write_text(declarative.to_yaml(declarative.render(load_spec(ROOT / "stacks", stack, "dbless"), stack)))
    done = kong.config_parse(path, ROOT / "lua", tmp_path / "prefix")
    assert done.returncode == 0, (done.stderr or done.stdout)[-1500:]
    assert "parse successful" in done.stdout + done.stderr


def _parses(kong: kong_install.KongInstall, text: str, tmp_path: Path) -> None:
    path = tmp_path / "kong.yml"
    path.write_text(text, encoding="utf-8")
    done = kong.config_parse(path, ROOT / "lua", tmp_path / "prefix")
    assert done.returncode == 0, (done.stderr or done.stdout)[-1500:]


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_docker_dbless_upload_parses_in_kong(stack: str, kong: kong_install.KongInstall, tmp_path: Path) -> None:
    """Issue 24 item 4: the kong.yml each Docker node is given (secrets filled in) is one Kong accepts."""
    content = uploads_of(kong_nodes(cached_run(stack, DBLESS))[0])["/kong/declarative/kong.yml"]
    _parses(kong, str(reveal(content)), tmp_path)


def test_kubernetes_dbless_config_parses_in_kong(kong: kong_install.KongInstall, tmp_path: Path) -> None:
    """Issue 24 item 4: the kong.yml of the Kubernetes platform's secret is one Kong accepts."""
    _parses(kong, declarative_of(k8s_run()), tmp_path)


def test_kong_refuses_a_broken_config(kong: kong_install.KongInstall, tmp_path: Path) -> None:
    spec = load_spec(ROOT / "stacks", "dev", "dbless")
    document = declarative.render(spec, "dev")
    document["services"][0]["routes"][0]["paths"] = ["no-leading-slash"]
    path = tmp_path / "kong.yml"
    path.write_text(declarative.to_yaml(document))
    done = kong.config_parse(path, ROOT / "lua", tmp_path / "prefix")
    assert done.returncode != 0 and "should start with: / (fixed path) or ~/ (regex path)" in done.stderr
