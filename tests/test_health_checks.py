"""Health checks that fit the services: the health path per upstream, passive checks that only count what
a sick backend answers, and the validate warning about a single health-checked target (issue 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, STACKS, edit_yaml

from gateway.cli.main import main
from gateway.kong.records import upstream as upstream_data
from gateway.spec import load_spec
from gateway.spec.models import Upstream

SICK_BACKEND = {502, 503, 504}


@pytest.mark.parametrize("stack", STACKS)
def test_passive_checks_count_only_what_a_sick_backend_answers(stack: str) -> None:
    for name, up in load_spec(ROOT / "stacks", stack).upstreams.items():
        unhealthy = up.healthchecks.passive.unhealthy
        if unhealthy.http_failures:
            assert set(unhealthy.http_statuses) <= SICK_BACKEND, name
            assert not {500, 429} & set(unhealthy.http_statuses), name
        assert unhealthy.tcp_failures > 0 and unhealthy.timeouts > 0, name


def test_health_path_is_kongs_active_http_path() -> None:
    up = Upstream.model_validate({"targets": [{"target": "a:1"}]})
    assert up.health_path == "/health"
    assert upstream_data("a", up, "dev")["healthchecks"]["active"]["http_path"] == "/health"
    custom = Upstream.model_validate({"health_path": "/v2/healthz", "targets": [{"target": "a:1"}]})
    data = upstream_data("a", custom, "dev")
    assert data["healthchecks"]["active"]["http_path"] == "/v2/healthz"
    assert "health_path" not in data


def _set_upstream(name: str, **fields: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data.setdefault("upstreams", {}).setdefault(name, {}).update(fields)

    return change


def test_health_path_from_an_overlay(project: Path) -> None:
    edit_yaml(project / "stacks" / "dev.yaml", _set_upstream("asr", health_path="/ready"))
    spec = load_spec(project / "stacks", "dev")
    assert upstream_data("asr", spec.upstreams["asr"], "dev")["healthchecks"]["active"]["http_path"] == "/ready"


def test_http_path_in_healthchecks_points_to_health_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "stacks" / "dev.yaml",
              _set_upstream("asr", healthchecks={"active": {"http_path": "/ready"}}))
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    assert capsys.readouterr().err.strip() == (
        "stacks/dev.yaml: upstreams.asr.healthchecks.active: http_path is set by the upstream's health_path "
        "(default /health); move it there"
    )


def test_bad_health_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(project / "stacks" / "dev.yaml", _set_upstream("asr", health_path="health"))
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 2
    assert capsys.readouterr().err.startswith("stacks/dev.yaml: upstreams.asr.health_path: ")


def test_single_target_warning_keeps_exit_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(project), "validate", "--stack", "staging"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("staging: ok")
    lines = err.strip().splitlines()
    assert (
        "stacks/staging.yaml: upstreams.asr-en.targets: warning: one target with active health checks on "
        "/health: when it fails them, Kong's balancer has no healthy target left and language-router sends "
        "its requests to 'asr' meanwhile, any other route to it gets 503; add a second target"
    ) in lines
    assert (
        "stacks/staging.yaml: upstreams.pipeline.targets: warning: one target with active health checks on "
        "/health: when it fails them, Kong's balancer has no healthy target left and every request routed to "
        "it gets 503 until a check passes again; add a second target"
    ) in lines
    # two targets: no warning
    assert not any(line.startswith("stacks/staging.yaml: upstreams.asr.targets") for line in lines)


def test_no_warning_without_active_checks_or_on_dev(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    off = {"active": {"healthy": {"interval": 0}, "unhealthy": {"interval": 0}}}
    edit_yaml(project / "stacks" / "staging.yaml", _set_upstream("pipeline", healthchecks=off))
    assert main(["--root", str(project), "validate", "--stack", "staging"]) == 0
    assert "upstreams.pipeline" not in capsys.readouterr().err
    assert main(["--root", str(project), "validate", "--stack", "dev"]) == 0
    assert capsys.readouterr().err == ""
