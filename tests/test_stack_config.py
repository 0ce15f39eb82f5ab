"""Item 12: a wrong ``ai4v-gateway:*`` value or an unknown key stops ``pulumi preview`` with one line per
problem (``Pulumi.<stack>.yaml: config.<key>: ...``) and no traceback, before any resource exists."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pulumi
import pytest
from platform_helpers import NS, stack_config
from pulumi_harness import ROOT, run_main

from gateway.platform.docker.settings import DockerSettings
from gateway.platform.kubernetes.settings import KubernetesSettings
from gateway.spec.problems import SpecError
from gateway.stack.settings import StackSettings, settings_from_values

CASES = [
    ("mode", "dbles", "config.ai4v-gateway:mode: Input should be 'db' or 'dbless'"),
    ("kongNodes", "0", "config.ai4v-gateway:kongNodes: Input should be greater than or equal to 1"),
    ("kongNodes", "two", "config.ai4v-gateway:kongNodes: Input should be a valid integer"),
    ("proxyPort", "70000", "config.ai4v-gateway:proxyPort: Input should be less than or equal to 65535"),
    ("adminPort", "8000", "config.ai4v-gateway: Value error, port 8000 is used twice"),
    ("kongImage", "kong", "config.ai4v-gateway:kongImage: String should match pattern"),
    ("kongNode", "2", "config.ai4v-gateway:kongNode: unknown key; did you mean ai4v-gateway:kongNodes?"),
    ("tlsSelfSignd", "true", "config.ai4v-gateway:tlsSelfSignd: unknown key; did you mean ai4v-gateway:tlsSelfSigned?"),
    ("ai4voiceClientKy", "x", "unknown key; did you mean ai4v-gateway:ai4voiceClientKey?"),
]


def errors_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize(("key", "value", "expected"), CASES)
def test_one_clear_line_per_config_mistake(caplog: pytest.LogCaptureFixture, key: str, value: str,
                                           expected: str) -> None:
    config, secret_keys = stack_config("dev", **{key: value})
    with pytest.raises(pulumi.RunError, match=r"^1 problem\(s\) in Pulumi.dev.yaml"):
        run_main("dev", config, secret_keys)
    [line] = errors_of(caplog)
    assert line.startswith("Pulumi.dev.yaml: ") and expected in line and "\n" not in line
    assert "Traceback" not in caplog.text


def test_every_mistake_is_reported_not_just_the_first(caplog: pytest.LogCaptureFixture) -> None:
    config, secret_keys = stack_config("dev", kongNodes="0", proxyPort="-1", mode="x")
    with pytest.raises(pulumi.RunError, match=r"^3 problem"):
        run_main("dev", config, secret_keys)
    assert len(errors_of(caplog)) == 3


def test_staging_without_tls_and_an_unknown_key_both_show(caplog: pytest.LogCaptureFixture) -> None:
    config, _ = stack_config("staging", kongAdminUrll="http://x")
    del config[f"{NS}:tlsCertificate"], config[f"{NS}:tlsPrivateKey"]
    with pytest.raises(pulumi.RunError, match=r"^2 problem"):
        run_main("staging", config, [])
    lines = errors_of(caplog)
    assert any("kongAdminUrll: unknown key; did you mean ai4v-gateway:kongAdminUrl?" in line for line in lines)
    assert any("tlsCertificate: no TLS certificate for the proxy" in line for line in lines)


def test_secret_keys_the_spec_names_and_other_namespaces_are_known() -> None:
    config, secret_keys = stack_config("dev", ai4voiceClientKey="k", postgresPassword="p")
    config["docker:host"] = "unix:///var/run/docker.sock"
    run_main("dev", config, [*secret_keys, f"{NS}:ai4voiceClientKey", f"{NS}:postgresPassword"])


def test_flat_keys_fill_the_common_part_and_each_platform_section() -> None:
    """Stack files keep flat keys; each lands in its section, and no key is both common and a section's."""
    settings = settings_from_values({"mode": "dbless", "kongImage": "kong:3.9.2", "proxyPort": "9000",
                                     "kongNodes": "2", "demoBackends": "true", "k8sReplicas": "3"}, "Pulumi.x.yaml")
    assert (settings.mode, settings.kong_image) == ("dbless", "kong:3.9.2")
    assert (settings.docker.proxy_port, settings.docker.kong_nodes, settings.docker.demo_backends) == (9000, 2, True)
    assert settings.kubernetes.replicas == 3
    common = set(StackSettings.aliases()) - set(DockerSettings.aliases()) - set(KubernetesSettings.aliases())
    assert not {"proxyPort", "kongNodes", "k8sReplicas"} & common
    assert not set(DockerSettings.aliases()) & set(KubernetesSettings.aliases())
    assert "docker" not in StackSettings.aliases() and "kubernetes" not in StackSettings.aliases()


@pytest.mark.parametrize(("values", "expected"), [
    ({"proxyPort": "70000"}, "Pulumi.x.yaml: config.ai4v-gateway:proxyPort: Input should be less than or equal"),
    ({"echoImage": "mendhak/http-https-echo:latest"}, "Pulumi.x.yaml: config.ai4v-gateway:echoImage: Value error, "
                                                      "tag 'latest' floats"),
    ({"kongNodes": "11"}, "Pulumi.x.yaml: config.ai4v-gateway: Value error, port 8100 is used twice"),
    ({"k8sReplicas": "0"}, "Pulumi.x.yaml: config.ai4v-gateway:k8sReplicas: Input should be greater than or equal"),
])
def test_a_section_error_names_the_flat_key(values: dict[str, str], expected: str) -> None:
    with pytest.raises(SpecError) as raised:
        settings_from_values(values, "Pulumi.x.yaml")
    [line] = str(raised.value).splitlines()
    assert line.startswith(expected), line
    assert "docker" not in line and "kubernetes" not in line, "the section is ours, the user wrote a flat key"


def test_check_stack_is_the_one_stack_check_of_validate_and_preview(
        caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24 item 1: ``python -m gateway validate`` and ``pulumi preview`` (__main__.py) check a stack's
    config through the one ``gateway.stack.checks.check_stack``, so the same stack file gives the same lines."""
    import gateway.cli.validate
    import gateway.stack.checks
    from gateway.cli.main import main

    calls: list[str] = []
    real = gateway.stack.checks.check_stack

    def spy(stack: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(stack)
        return real(stack, *args, **kwargs)

    monkeypatch.setattr(gateway.stack.checks, "check_stack", spy)
    monkeypatch.setattr(gateway.cli.validate, "check_stack", spy)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    text = (ROOT / "Pulumi.staging.yaml").read_text(encoding="utf-8")
    (tmp_path / "Pulumi.staging.yaml").write_text(
        text + f"  {NS}:kongNodes: 0\n  {NS}:kongAdminUrll: http://x\n", encoding="utf-8")

    assert main(["--root", str(tmp_path), "validate", "--stack", "staging"]) == 2
    from_validate = sorted(capsys.readouterr().err.splitlines())
    config, _ = stack_config("staging", kongNodes="0", kongAdminUrll="http://x")
    del config[f"{NS}:tlsCertificate"], config[f"{NS}:tlsPrivateKey"]
    with pytest.raises(pulumi.RunError, match=r"^2 problem\(s\) in Pulumi.staging.yaml"):
        run_main("staging", config, [])
    assert sorted(errors_of(caplog)) == from_validate and len(from_validate) == 2
    assert calls == ["staging", "staging"]
