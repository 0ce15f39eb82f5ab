"""``python -m gateway lint``: each rule on a constructed spec, exit codes from the stack's ``lint:`` section.

The first fixture rebuilds, in miniature, the four traffic defects of the traffic-policy issue (items 1,
2, 3 and 5) as they stand in today's base spec; the second is the same gateway with them fixed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.cli.main import main
from gateway.spec import available_stacks

KEY_AUTH = {"config": {"key_names": ["apikey"], "key_in_query": False, "anonymous": "anonymous"}}
JWT = {"config": {"anonymous": "anonymous", "uri_param_names": []}}
TWO_CHECKED_TARGETS = {
    "healthchecks": {"active": {"healthy": {"interval": 5, "successes": 1},
                                "unhealthy": {"interval": 5, "http_failures": 1}}},
    "targets": [{"target": "asr-1:8087"}, {"target": "asr-2:8087"}],
}
SERVICE_PLUGINS = {"key-auth": KEY_AUTH, "jwt": JWT, "acl": {"config": {"allow": ["asr"]}},
                   "rate-limiting": {"config": {"minute": 100, "limit_by": "consumer"}}}

DEFECTS: dict[str, Any] = {
    "upstreams": {"asr": TWO_CHECKED_TARGETS},
    "services": {
        "asr": {"upstream": "asr", "path": "/api/v1/asr", "routes": {"asr-v1": {"paths": ["/api/v1/asr"]}},
                "plugins": SERVICE_PLUGINS},
        "asr-v2": {"upstream": "asr", "path": "/api/v2/asr", "routes": {"asr-v2": {"paths": ["/api/v2/asr"]}},
                   "plugins": SERVICE_PLUGINS},
    },
    "consumers": {
        "anonymous": {"custom_id": "anonymous"},
        "app": {"custom_id": "app", "acl_groups": ["asr"], "keyauth_credentials": {"k": {"key": {"secret": "appKey"}}}},
        "web-user": {"custom_id": "web-user", "acl_groups": ["asr"],
                     "jwt_secrets": {"web": {"key": "web", "secret": {"secret": "webSecret"}}}},
    },
    "plugins": {"rate-limiting": {"config": {"minute": 1000, "limit_by": "ip"}}},
}


def fixed() -> dict[str, Any]:
    """Per-user identity, one budget across versions, no shadowed global limit, CORS before auth."""
    doc = copy.deepcopy(DEFECTS)
    for service in doc["services"].values():
        service["plugins"] = {k: v for k, v in service["plugins"].items() if k != "rate-limiting"}
    doc["plugins"] = {
        "identity-guard": {},  # sets X-Client-Identity per end user after authentication
        "rate-limiting": {"config": {"minute": 100, "limit_by": "header", "header_name": "X-Client-Identity"}},
        "cors": {"config": {"origins": ["https://app.example"]}},
    }
    return doc


def write_stack(root: Path, doc: dict[str, Any], overlay: dict[str, Any] | None = None) -> Path:
    stacks = root / "stacks"
    stacks.mkdir(parents=True, exist_ok=True)
    (stacks / "base.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    (stacks / "t.yaml").write_text(yaml.safe_dump(overlay or {}), encoding="utf-8")
    return root


def lint(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, list[str], str]:
    code = main(["--root", str(root), "lint", "--stack", "t"])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def rules(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in lines:
        rule = line.rsplit("[", 1)[1].rstrip("]")
        found.setdefault(rule, []).append(line)
    return found


ISSUE_7 = {"shared-bucket", "split-budget", "shadowed-plugin", "preflight-blocked"}


def test_todays_defects_are_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = lint(capsys, write_stack(tmp_path, DEFECTS))
    found = rules(lines)
    assert code == 0 and set(found) >= ISSUE_7, lines
    assert "stacks/base.yaml: plugins.rate-limiting: never runs" in found["shadowed-plugin"][0]  # item 3
    assert any("every user of JWT issuer consumer 'web-user'" in line for line in found["shared-bucket"])  # item 1
    assert any("2 separate budgets for upstream 'asr'" in line for line in found["split-budget"])  # item 2
    assert {line.split(": ")[2] for line in found["preflight-blocked"]} == {  # item 5
        "services.asr.routes.asr-v1", "services.asr-v2.routes.asr-v2"}
    assert all("; fix: " in line and line.startswith("warning: stacks/base.yaml: ") for line in lines)
    assert f"t: {len(lines)} warnings, 0 marked as errors" in err


def test_fixed_gateway_has_none_of_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = lint(capsys, write_stack(tmp_path, fixed()))
    assert code == 0
    assert not ISSUE_7 & set(rules(lines)), lines


def test_marked_rule_fails_lint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_stack(tmp_path, DEFECTS, {"lint": {"errors": ["preflight-blocked"], "ignore": ["split-budget"]}})
    code, lines, err = lint(capsys, root)
    assert code == 1
    assert all(line.startswith("error: ") for line in lines if line.endswith("[preflight-blocked]"))
    assert not any(line.endswith("[split-budget]") for line in lines)
    assert "marked as errors" in err
    code, _, _ = lint(capsys, write_stack(tmp_path, fixed(), {"lint": {"errors": ["preflight-blocked"]}}))
    assert code == 0


def test_unknown_rule_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = lint(capsys, write_stack(tmp_path, DEFECTS, {"lint": {"errors": ["no-such-rule"]}}))
    assert code == 2 and lines == []
    assert err.startswith("stacks/t.yaml: lint.errors[0]: unknown rule 'no-such-rule'; rules: ")


def test_other_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {
        "upstreams": {"one": {"targets": [{"target": "one:80"}]}},
        "services": {
            "open": {"host": "open", "routes": {"o": {"paths": ["/open"]}}},
            "tagged": {"host": "open", "tags": ["public"], "routes": {"p": {"paths": ["/public"]}}},
            "wild": {"host": "w", "routes": {
                "prefix": {"hosts": ["*.example.com"], "paths": ["/p"]},
                "regex": {"hosts": ["*.example.com"], "paths": ["~/p"]}}},
            "keys": {"upstream": "one", "routes": {"k": {"paths": ["/k"]}},
                     "plugins": {"key-auth": {"config": {"key_in_query": True}},
                                 "language-router": {"config": {"fallback_upstream": "one"}}}},
        },
        "plugins": {"file-log": {"config": {"path": "/tmp/log"}}},
    }
    _, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    found = rules(lines)
    assert [line.split(": ")[2] for line in found["unmarked-public-route"]] == [
        "services.open.routes.o", "services.wild.routes.regex"]
    assert [line.split(": ")[2] for line in found["unreachable-route"]] == ["services.wild.routes.prefix"]
    assert "go to wild/regex" in found["unreachable-route"][0]
    assert "a credential sent as header:apikey, query:apikey is written by file-log (header:apikey, query:apikey)" \
        in found["credential-in-log"][0]
    assert "sends traffic to 'one', which has one target" in found["language-upstream-redundancy"][0]


def test_redacted_credentials_are_not_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plugins: dict[str, Any] = {"file-log": {"config": {"path": "/tmp/log"}}}
    doc = {"services": {"keys": {"host": "k", "routes": {"k": {"paths": ["/k"]}},
                                 "plugins": {"key-auth": {"config": {"key_in_query": True}}}}},
           "plugins": plugins}
    _, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    assert "credential-in-log" in rules(lines)
    plugins["identity-guard"] = {}  # redacts ?apikey and the apikey header from logging payloads
    _, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    assert "credential-in-log" not in rules(lines)


def test_consumer_scoped_plugin_before_auth_is_shadowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = copy.deepcopy(fixed())
    doc["consumers"]["app"]["plugins"] = {"cors": {"config": {"origins": ["https://other.example"]}}}
    _, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    shadowed = rules(lines)["shadowed-plugin"]
    assert len(shadowed) == 1 and "consumers.app.plugins.cors: never runs" in shadowed[0]


def test_no_stack_has_the_traffic_policy_defects(capsys: pytest.CaptureFixture[str]) -> None:
    """Regression guard: the project's own stacks keep the four defects fixed."""
    root = Path(__file__).resolve().parent.parent
    for stack in available_stacks(root / "stacks"):
        code = main(["--root", str(root), "lint", "--stack", stack])
        lines = capsys.readouterr().out.splitlines()
        assert code in (0, 1)
        assert not ISSUE_7 & set(rules(lines)), (stack, lines)


def test_a_checked_mapped_upstream_is_covered_by_the_healthy_fallback(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """One target is enough for a mapped upstream when Kong health-checks it and the router falls back
    when it is unhealthy; not for the fallback itself, nor without health_fallback."""
    checks = {"active": {"healthy": {"interval": 5, "successes": 1}, "unhealthy": {"interval": 5, "http_failures": 1}}}
    router: dict[str, Any] = {"mappings": [{"language": "en", "upstream": "english"}], "fallback_upstream": "main"}
    doc: dict[str, Any] = {
        "upstreams": {"english": {"healthchecks": checks, "targets": [{"target": "en:80"}]},
                      "main": {"healthchecks": checks, "targets": [{"target": "m1:80"}, {"target": "m2:80"}]}},
        "services": {"asr": {"upstream": "main", "tags": ["public"], "routes": {"a": {"paths": ["/a"]}},
                             "plugins": {"language-router": {"config": router}}}},
    }
    _, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    assert "language-upstream-redundancy" not in rules(lines)
    router["health_fallback"] = False
    _, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    assert ["sends traffic to 'english', which has one target" in line
            for line in rules(lines)["language-upstream-redundancy"]] == [True]
    router["health_fallback"] = True
    doc["upstreams"]["main"]["targets"] = [{"target": "m1:80"}]  # the fallback itself has no cover
    _, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    assert ["'main', which has one target" in line for line in rules(lines)["language-upstream-redundancy"]] == [True]


def test_budget_rules_read_rate_limiting_inline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 23 item 2: the bucket rules know a counting plugin by its model (``counts_requests``), not by the
    name ``rate-limiting``: the same defects counted by rate-limiting-inline are found, at its instances."""
    doc = json.loads(json.dumps(DEFECTS).replace('"rate-limiting"', '"rate-limiting-inline"'))
    code, lines, _ = lint(capsys, write_stack(tmp_path, doc))
    found = rules(lines)
    assert code == 0 and set(found) >= ISSUE_7, lines
    assert "stacks/base.yaml: plugins.rate-limiting-inline: never runs" in found["shadowed-plugin"][0]
    assert any(": services.asr.plugins.rate-limiting-inline: every user of JWT issuer consumer 'web-user'" in line
               for line in found["shared-bucket"])
    [split] = found["split-budget"]
    assert ": services.asr.plugins.rate-limiting-inline: a consumer gets 2 separate budgets for upstream 'asr'" in split
    assert "each rate-limiting-inline instance keys its counters" in split
    fixed_doc = json.loads(json.dumps(fixed()).replace('"rate-limiting"', '"rate-limiting-inline"'))
    _, lines, _ = lint(capsys, write_stack(tmp_path, fixed_doc))
    assert not ISSUE_7 & set(rules(lines)), lines
