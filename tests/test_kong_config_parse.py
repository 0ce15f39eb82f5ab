"""Kong itself checks every stack's rendered ``kong.yml`` (``kong config parse``, Kong 3.9.3): the schemas the
Python models mirror are Kong's own here. The e2e workflow does the same with the official image
(scripts/kong-config-parse.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, STACKS
from local_gateway import kong_install

from gateway.kong import declarative
from gateway.spec import load_spec


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_config_parses_in_kong(stack: str, kong: kong_install.KongInstall, tmp_path: Path) -> None:
    path = tmp_path / "kong.yml"
    path.write_text(declarative.to_yaml(declarative.render(load_spec(ROOT / "stacks", stack, "dbless"), stack)))
    done = kong.config_parse(path, ROOT / "lua", tmp_path / "prefix")
    assert done.returncode == 0, (done.stderr or done.stdout)[-1500:]
    assert "parse successful" in done.stdout + done.stderr


def test_kong_refuses_a_broken_config(kong: kong_install.KongInstall, tmp_path: Path) -> None:
    spec = load_spec(ROOT / "stacks", "dev", "dbless")
    document = declarative.render(spec, "dev")
    document["services"][0]["routes"][0]["paths"] = ["no-leading-slash"]
    path = tmp_path / "kong.yml"
    path.write_text(declarative.to_yaml(document))
    done = kong.config_parse(path, ROOT / "lua", tmp_path / "prefix")
    assert done.returncode != 0 and "should start with: / (fixed path) or ~/ (regex path)" in done.stderr
