"""``python -m gateway explain``: the plugin chain, decisions, the language-router under LuaJIT, the
documented ``--json`` shape, and errors on bad input."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any, ClassVar

import pytest

from gateway.cli.main import main
from gateway.explain.engine import Model, explain, no_language
from gateway.explain.iterator import Instance, PluginIndex, sort_key
from gateway.explain.lua_runner import LuaRunner
from gateway.explain.request import build_request
from gateway.spec import load_spec
from gateway.spec.models import GatewaySpec, PluginEntry
from gateway.spec.plugins import PLUGIN_CONFIGS, LanguageRouterConfig
from gateway.spec.plugins.base import PluginConfig

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "EXPLAIN.md"
TAMIL = {"input": [{"source": "நாளை காலை நான் சென்னைக்குப் போகிறேன்."}],
         "config": {"language": {"targetLanguage": "en"}}}


@pytest.fixture(scope="module")
def dev() -> Model:
    return Model(load_spec(ROOT / "stacks", "dev"))


@pytest.fixture(scope="module")
def lua() -> Any:
    with LuaRunner(ROOT / "lua") as runner:
        yield lambda call: runner.run([call])[0]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), *args])
    out, err = capsys.readouterr()
    return code, out, err


def names(outcome: Any) -> list[str]:
    return [step["name"] for step in outcome["plugins"]]


def test_priorities_on_the_models_follow_the_handlers() -> None:
    """Every bundled plugin model carries its handler's PRIORITY; ours matches the Lua handler."""
    assert all(isinstance(getattr(model, "priority", None), int) for model in PLUGIN_CONFIGS.values())
    handler = (ROOT / "lua/kong/plugins/language-router/handler.lua").read_text(encoding="utf-8")
    found = re.search(r"PRIORITY\s*=\s*(\d+)", handler)
    assert found and int(found.group(1)) == LanguageRouterConfig.priority
    order = sorted(PLUGIN_CONFIGS, key=lambda n: sort_key(n, PLUGIN_CONFIGS[n].priority))
    chain = ["cors", "jwt", "key-auth", "acl", "rate-limiting", "language-router", "request-transformer"]
    assert [n for n in order if n in chain] == chain


def test_keyed_client_on_nmt_runs_the_whole_chain(dev: Model, lua: Any) -> None:
    request = build_request("POST", "/api/v1/nmt", ["Content-Type: application/json", "X-Consumer-ID: forged"],
                            json.dumps(TAMIL, ensure_ascii=False).encode(), "ai4voice-client/primary")
    out = explain(dev, request, lua)
    assert out["route"] is not None and (out["route"]["service"], out["route"]["route"]) == ("nmt", "nmt-v1")
    chain = ["correlation-id", "cors", "jwt", "key-auth", "identity-guard", "acl", "rate-limiting-inline",
             "language-router", "request-transformer"]
    assert [n for n in names(out) if n in chain] == chain
    assert out["status"] is None and out["consumer"] == "ai4voice-client"
    assert [b["key"] for b in out["buckets"]] == [
        "ratelimit:-:nmt:header:X-Client-Identity=<id of consumer ai4voice-client>"]
    assert out["language"] is not None
    assert (out["language"]["language"], out["language"]["source"]) == ("ta", "detected")
    assert out["language"]["service_id"] == "ai4bharat/indictrans-v2-all-gpu--t4"
    up = out["upstream"]
    assert up is not None and up["path"] == "/api/v1/nmt" and up["host"] == "nmt"
    assert "apikey" not in {h.lower() for h in up["headers"]}  # hide_credentials
    assert up["headers"]["X-Consumer-ID"] == "<id of consumer ai4voice-client>"  # the forged copy went first
    assert up["headers"]["X-Gateway"] == "ai4v-gateway" and up["headers"]["X-Detected-Language"] == "ta"


def test_underscore_spellings_of_owned_headers_never_reach_the_backend(dev: Model, lua: Any) -> None:
    """Issue 22 item 14: explain, like identity-guard and language-router, drops a client's identity and
    language headers spelled with ``_`` (nginx keeps them apart from the ``-`` spelling: underscores_in_headers on)."""
    forged = ["X-Consumer_Groups: admin", "X-Client_Identity: victim", "X-Detected_Language: xx",
              "X_Language_Source: forged", "Content-Type: application/json"]
    out = explain(dev, build_request("POST", "/api/v1/nmt", forged, json.dumps(TAMIL, ensure_ascii=False).encode(),
                                     "ai4voice-client/primary"), lua)
    up = out["upstream"]
    assert up is not None
    assert [h for h in up["headers"] if "_" in h] == []
    assert up["headers"]["X-Detected-Language"] == "ta"
    assert [b["key"] for b in out["buckets"]] == [
        "ratelimit:-:nmt:header:X-Client-Identity=<id of consumer ai4voice-client>"]


def test_language_mapping_switches_the_upstream(dev: Model, lua: Any) -> None:
    body = json.dumps({"config": {"language": {"sourceLanguage": "en"}}, "audio": [{"audioUri": "x"}]}).encode()
    out = explain(dev, build_request("POST", "/api/asr/x", ["X-API-Version: v2", "Content-Type: application/json"],
                                     body, "developer-client/primary"), lua)
    assert out["route"] is not None and out["route"]["route"] == "asr-v2-by-header"
    assert out["upstream"] is not None and out["upstream"]["host"] == "asr-en"
    assert out["upstream"]["path"] == "/api/v2/asr/x"  # request-transformer's template over uri_captures.rest
    assert out["upstream"]["targets"] == ["asr-en-service:8087", "asr-en-service-2:8087"]


def test_without_credential_identity_guard_answers_401_and_later_plugins_skip(dev: Model) -> None:
    out = explain(dev, build_request("POST", "/api/v1/tts"), no_language)
    assert (out["status"], out["answered_by"], out["consumer"]) == (401, "identity-guard", "anonymous")
    skipped = {s["name"] for s in out["plugins"] if not s["ran"]}
    assert {"acl", "rate-limiting-inline", "language-router", "request-transformer"} <= skipped
    assert "response-transformer" in {s["name"] for s in out["plugins"] if s["ran"]}
    assert out["upstream"] is None and out["buckets"] == []


def test_acl_group_refusal_is_403(dev: Model) -> None:
    out = explain(dev, build_request("POST", "/api/v1/tts", credential="asr-only-client/primary"), no_language)
    assert (out["status"], out["answered_by"], out["consumer"]) == (403, "acl", "asr-only-client")


def test_cors_answers_preflight_before_auth() -> None:
    spec = _spec({
        "plugins": {"cors": {"config": {"origins": ["https://app.example", "https://admin.example"]}}},
        "services": {"open": {"host": "b", "routes": {"r": {"paths": ["/open"]}},
                              "plugins": {"cors": {"config": {"origins": ["https://own.example"],
                                                              "preflight_continue": True}}}},
                     "locked": {"host": "b", "routes": {"r2": {"paths": ["/locked"]}},
                                "plugins": {"key-auth": {}}}},
    })
    model = Model(spec)
    headers = ["Origin: https://app.example", "Access-Control-Request-Method: POST"]
    locked = explain(model, build_request("OPTIONS", "/locked", headers), no_language)
    assert (locked["status"], locked["answered_by"]) == (200, "cors")
    assert locked["response_headers"]["Access-Control-Allow-Origin"] == "https://app.example"
    other = explain(model, build_request("OPTIONS", "/locked", ["Origin: https://evil.example",
                                                                "Access-Control-Request-Method: POST"]), no_language)
    assert other["status"] == 200 and "Access-Control-Allow-Origin" not in other["response_headers"]
    assert "Access-Control-Allow-Headers" not in locked["response_headers"]
    echoed = explain(model, build_request("OPTIONS", "/locked", [*headers, "Access-Control-Request-Headers: X-A"]),
                     no_language)
    assert echoed["response_headers"]["Access-Control-Allow-Headers"] == "X-A"
    passed_on = explain(model, build_request("OPTIONS", "/open", headers), no_language)
    assert passed_on["status"] is None  # preflight_continue: the upstream answers
    no_cors = Model(_spec({"services": {"locked": {"host": "b", "routes": {"r2": {"paths": ["/locked"]}},
                                                   "plugins": {"key-auth": {}}}}}))
    blocked = explain(no_cors, build_request("OPTIONS", "/locked", headers), no_language)
    assert (blocked["status"], blocked["answered_by"]) == (401, "key-auth")


def test_body_over_the_edge_limit_is_413_from_nginx() -> None:
    spec = _spec({"edge": {"max_body_size": "1k"}, "services": {"s": {"host": "b", "routes": {"r": {"paths": ["/s"]}}}}})
    out = explain(Model(spec), build_request("POST", "/s", body=b"x" * 1025), no_language)
    assert (out["status"], out["answered_by"], out["plugins"]) == (413, "nginx", [])
    assert explain(Model(spec), build_request("POST", "/s", body=b"x" * 1024), no_language)["status"] is None


def test_templates_read_captures_headers_and_query() -> None:
    spec = _spec({"services": {"s": {"host": "b", "routes": {"r": {
        "paths": ["~/v(?<ver>\\d+)/items"], "strip_path": False,
        "plugins": {"request-transformer": {"config": {
            "replace": {"uri": "/items/$(uri_captures.ver)$(uri_captures.missing or '/all')"},
            "add": {"headers": ["X-Who:$(headers.x_user or 'nobody')", "X-Q:$(query_params['q'])",
                                "X-Odd:$(ngx.now())"]}}}}}}}}})
    out = explain(Model(spec), build_request("GET", "/v2/items?q=z", ["X-User: ann"]), no_language)
    up = out["upstream"]
    assert up is not None and up["path"] == "/items/2/all"
    assert (up["headers"]["X-Who"], up["headers"]["X-Q"]) == ("ann", "z")
    assert "templates not evaluated: $(ngx.now())" in next(
        s["decision"] for s in out["plugins"] if s["name"] == "request-transformer")


def test_query_strings_reach_the_backend_unchanged_unless_a_transformer_edits_them(dev: Model) -> None:
    """Issue 22 item 15: no request-transformer of the stacks edits query strings, so the query reaches the
    backend as sent; one that does rebuilds it (access.lua ``transform_querystrings``: the first 100
    arguments, sorted), and explain says so."""
    many = "&".join(f"p{i}={i}" for i in range(120))
    url = f"/api/v1/nmt?b=2&a=%2F&a=1&{many}&apikey=<key ai4voice-client/primary>"
    up = explain(dev, build_request("GET", url), no_language)["upstream"]
    assert up is not None and up["query"] == f"b=2&a=/&a=1&{many}"  # hide_credentials took the key
    jwt_user = explain(dev, build_request("GET", "/api/v1/nmt?b=2&apikey=k&jwt=<jwt web-user/web>&a=1"),
                       no_language)["upstream"]
    assert jwt_user is not None and jwt_user["query"] == "b=2&a=1"  # identity-guard: key-auth never ran
    spec = _spec({"services": {"s": {"host": "b", "routes": {"r": {"paths": ["/s"]}}}},
                  "plugins": {"request-transformer": {"config": {"remove": {"querystring": ["jwt"]}}}}})
    out = explain(Model(spec), build_request("GET", f"/s?b=2&a=1&{many}"), no_language)
    assert out["upstream"] is not None
    assert out["upstream"]["query"] == "&".join(sorted(["b=2", "a=1", *many.split("&")[:98]], key=lambda p: p.split("=")[0]))
    assert "query rebuilt" in next(s["decision"] for s in out["plugins"] if s["name"] == "request-transformer")


def test_global_limit_applies_only_where_no_service_limit() -> None:
    spec = _spec({
        "plugins": {"rate-limiting": {"config": {"minute": 1000, "limit_by": "ip"}}},
        "services": {"own": {"host": "b", "routes": {"r": {"paths": ["/own"]}},
                             "plugins": {"rate-limiting": {"config": {"minute": 5, "limit_by": "ip"}}}},
                     "bare": {"host": "b", "routes": {"r2": {"paths": ["/bare"]}}}},
    })
    model = Model(spec)
    bare = explain(model, build_request("GET", "/bare"), no_language)["buckets"]
    own = explain(model, build_request("GET", "/own"), no_language)["buckets"]
    assert [(b["plugin_scope"], b["key"]) for b in bare] == [("global", "ratelimit:-:-:ip:<client ip>")]
    assert [(b["plugin_scope"], b["key"]) for b in own] == [("service:own", "ratelimit:-:own:ip:<client ip>")]


def _spec(doc: dict[str, Any]) -> GatewaySpec:
    return GatewaySpec.model_validate(doc)


def test_rate_limiting_inline_bucket_is_kongs_and_says_it_counts_in_the_request() -> None:
    """Issue 23 item 2: rate-limiting-inline keys the same counters as Kong's rate-limiting (its identifier
    and ``ratelimit:<route>:<service>:<identifier>``) and explain says it counts in the request (its Lua
    handler), where Kong's counts in a timer; both run at priority 910, each as its own plugin."""
    limits = {"minute": 5, "limit_by": "header", "header_name": "X-Who"}
    spec = _spec({"services": {"s": {"host": "b", "routes": {"r": {"paths": ["/s"]}}, "plugins": {
        "rate-limiting-inline": {"config": limits}, "rate-limiting": {"config": {**limits, "minute": 9}}}}}})
    out = explain(Model(spec), build_request("GET", "/s", ["X-Who: ann"]), no_language)
    steps = {s["name"]: s for s in out["plugins"]}
    assert [(b["plugin_scope"], b["key"]) for b in out["buckets"]] == [
        ("service:s", "ratelimit:-:s:header:X-Who=ann")] * 2
    assert [b["limits"] for b in out["buckets"]] == [{"minute": 5}, {"minute": 9}]  # descending names at 910
    inline, bundled = steps["rate-limiting-inline"], steps["rate-limiting"]
    assert inline["priority"] == bundled["priority"] == 910 and inline["modelled"]
    assert "counts in the request (lua/kong/plugins/rate-limiting-inline/handler.lua)" in inline["decision"]
    assert "counts in a timer started per request (kong/plugins/rate-limiting/handler.lua)" in bundled["decision"]


def test_consumer_scoped_instance_applies_after_authentication() -> None:
    spec = _spec({
        "services": {"s": {"host": "b", "routes": {"r": {"paths": ["/s"]}},
                           "plugins": {"key-auth": {}, "rate-limiting": {"config": {"minute": 10}},
                                       "cors": {"config": {"origins": ["https://a.example"]}}}}},
        "consumers": {"c": {"keyauth_credentials": {"k": {"key": {"secret": "cKey"}}},
                            "plugins": {"rate-limiting": {"config": {"minute": 99, "limit_by": "ip"}},
                                        "cors": {"config": {"origins": ["https://b.example"]}}}}},
    })
    out = explain(Model(spec), build_request("GET", "/s", ["Origin: https://b.example"], credential="c/k"), no_language)
    steps = {s["name"]: s for s in out["plugins"]}
    assert steps["rate-limiting"]["scope"] == "consumer:c"
    assert out["buckets"][0]["key"] == "ratelimit:-:-:ip:<client ip>"  # a consumer instance has no route/service
    assert steps["cors"]["scope"] == "service:s"  # cors (2000) runs before key-auth knows the consumer


class CustomConfig(PluginConfig):
    """Stands for a plugin the model does not know yet (e.g. a new custom Lua plugin)."""

    plugin_name = "identity-guard"
    priority = 1000
    phases: ClassVar[frozenset[str]] = frozenset({"rewrite", "access"})


def test_unknown_plugin_is_listed_not_modelled(dev: Model) -> None:
    model = Model(load_spec(ROOT / "stacks", "dev"))
    inst = Instance("identity-guard", PluginEntry[CustomConfig](config=CustomConfig()), ("services", "asr", "plugins"),
                    "service", service="asr")
    by_name = {**model.plugins.by_name, "identity-guard": [inst]}
    model.plugins = PluginIndex(by_name, sorted(by_name, key=lambda n: sort_key(n, by_name[n][0].priority)))
    out = explain(model, build_request("GET", "/api/v1/asr", credential="ai4voice-client/primary"), no_language)
    order = names(out)
    assert order.index("key-auth") < order.index("identity-guard") < order.index("acl")
    step = out["plugins"][order.index("identity-guard")]
    assert step["modelled"] is False and "not modelled (priority 1000, phases access, rewrite)" in step["decision"]
    assert "rewrite handler does not run here (global instances only)" in step["decision"]
    assert step["scope"] == "service:asr"
    bucket_step = out["plugins"][order.index("rate-limiting-inline")]
    assert "identity-guard ran before and is not modelled" in bucket_step["decision"]
    assert out["status"] is None


def test_https_only_route_refuses_plain_http() -> None:
    spec = _spec({"services": {"s": {"host": "b", "routes": {"r": {"paths": ["/x"], "protocols": ["https"]}}}}})
    out = explain(Model(spec), build_request("GET", "/x"), no_language)
    assert (out["status"], out["answered_by"]) == (426, "kong")
    assert explain(Model(spec), build_request("GET", "https://localhost/x"), no_language)["status"] is None


def test_wildcard_and_port_hosts_are_accepted_and_matched() -> None:
    spec = _spec({"services": {"s": {"host": "b", "routes": {
        "wild": {"hosts": ["*.example.com"]}, "right": {"hosts": ["example.*"]}, "port": {"hosts": ["api.test:8443"]}}}}})
    model = Model(spec)

    def route(url: str) -> str | None:
        out = explain(model, build_request("GET", url), no_language)
        return out["route"]["route"] if out["route"] else None

    assert route("http://a.example.com/") == "wild"
    assert route("http://example.org/") == "right"
    assert route("https://api.test/") == "port"
    assert route("http://api.test/") is None


# --- command line --------------------------------------------------------------------------------------


def test_cli_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "explain", "--stack", "dev", "GET", "/api/asr", "-H", "X-API-Version: v2",
                           "--credential", "web-user/web")
    assert code == 0
    assert "route:    asr/asr-v2-by-header" in out
    assert ("bucket:   ratelimit:-:asr:header:X-Client-Identity=<id of consumer web-user>:<md5 of the token's sub> "
            "(100/minute, 1000/hour)") in out


@pytest.mark.parametrize(("args", "message"), [
    (["--credential", "nobody/x"], "explain: credential 'nobody/x': no consumer 'nobody'"),
    (["--credential", "web-user/nope"], "explain: credential 'web-user/nope': consumer 'web-user' has no credential"),
    (["--credential", "web-user"], "explain: credential 'web-user': write it as CONSUMER/CREDENTIAL"),
    (["-H", "no-colon"], "explain: header 'no-colon': write it as 'Name: value'"),
])
def test_cli_bad_request_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = run_cli(capsys, "explain", "--stack", "dev", "GET", "/api/asr", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(message)


def test_cli_unknown_stack_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "explain", "--stack", "nope", "GET", "/x")
    assert code == 2 and "no stack 'nope'" in err


REQUESTS = ROOT / "tests" / "traffic" / "dev-requests.jsonl"


def test_explain_requests_file_answers_many_requests_in_one_process(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24 item 2: ``explain --requests FILE`` answers every line, in order, as one ``explain`` per
    request would, loading the spec once and starting LuaJIT once."""
    from gateway.cli import explain as commands

    loads: list[object] = []
    starts: list[object] = []
    real_load, real_popen = load_spec, subprocess.Popen

    def counted_load(*args: Any, **kwargs: Any) -> GatewaySpec:
        loads.append(args)
        return real_load(*args, **kwargs)

    def counted_popen(*args: Any, **kwargs: Any) -> Any:
        starts.append(args)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(commands, "load_spec", counted_load)
    monkeypatch.setattr(subprocess, "Popen", counted_popen)
    code, out, err = run_cli(capsys, "explain", "--stack", "dev", "--json", "--requests", str(REQUESTS))
    assert code == 0, err
    answers = [json.loads(line) for line in out.splitlines()]
    assert (len(loads), len(starts)) == (1, 1)
    singles = [
        ["GET", "/api/v1/nmt/health"],
        ["POST", "/api/v1/nmt", "--credential", "ai4voice-client/primary",
         "--data", "@lua/spec/fixtures/ulca/nmt-no-language.json"],
        ["GET", "/api/asr", "-H", "X-API-Version: v2", "--credential", "web-user/web"],
    ]
    assert len(answers) == len(singles)
    for answer, args in zip(answers, singles, strict=True):
        code, single, _ = run_cli(capsys, "explain", "--stack", "dev", "--json", *args)
        assert code == 0 and answer == json.loads(single), args
    assert answers[1]["language"]["language"] is not None  # the language-router ran under LuaJIT


def test_explain_requests_file_reports_every_wrong_line_and_explains_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 24 item 2: one line per wrong request (file, line, field, reason), exit 2, no answer printed."""
    file = tmp_path / "requests.jsonl"
    file.write_text('{"url": "/api/v1/nmt/health"}\n\n{"url": 3}\n{"method": "G1", "url": "/x"}\n'
                    '{"url": "/x", "body": "@nope"}\n', encoding="utf-8")
    code, out, err = run_cli(capsys, "explain", "--stack", "dev", "--requests", str(file))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{file}:3: url: Input should be a valid string",
        f"{file}:4: request: method 'G1': expected letters only, such as GET or POST",
        f"{file}:5: request: body '@nope': no such ULCA sample; samples: "
        + ", ".join(sorted(p.stem for p in (ROOT / "lua/spec/fixtures/ulca").glob("*.json"))),
    ]
    code, _, err = run_cli(capsys, "explain", "--stack", "dev", "--requests", str(file), "GET", "/x")
    assert code == 2 and err.startswith("explain: --requests FILE: the requests come from the file")


def _keys(value: Any) -> Any:
    """The shape of a JSON value: mapping keys (recursively), lists by their first element."""
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keys(value[0])] if value and isinstance(value[0], dict) else []
    return None


def test_json_shape_is_the_documented_one(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/EXPLAIN.md's example is real output of its request, reduced: the key sets must agree."""
    doc = DOC.read_text(encoding="utf-8")
    example = json.loads(re.search(r"### `--json`.*?```json\n(.*?)```", doc, re.S).group(1))  # type: ignore[union-attr]
    code, out, _ = run_cli(capsys, "explain", "--stack", "dev", "--json", "GET", "/api/asr", "-H",
                           "X-API-Version: v2", "--credential", "web-user/web")
    actual = json.loads(out)
    assert code == 0
    shape, documented = _keys(actual), _keys(example)
    shape["upstream"]["headers"] = documented["upstream"]["headers"] = None
    shape["response_headers"] = documented["response_headers"] = None
    assert shape == documented
    for key in ("route", "buckets", "language", "request", "status", "consumer", "notes"):
        assert actual[key] == example[key], key
    assert example["plugins"][0] in actual["plugins"]


def test_documented_commands_run(capsys: pytest.CaptureFixture[str]) -> None:
    """Every ``python -m gateway explain|lint|diff`` line in docs/EXPLAIN.md and README.md runs (exit 0/1)."""
    lines = []
    for path in (DOC, ROOT / "README.md"):
        for block in re.findall(r"```sh\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
            lines += [line for line in block.splitlines()
                      if re.match(r"\.venv/bin/python -m gateway (explain|lint|diff) ", line)]
    assert len(lines) >= 4
    for line in lines:
        argv = shlex.split(line.split("  #")[0])[3:]
        code, out, err = run_cli(capsys, *argv)
        assert code in (0, 1), (line, err)
        assert out or err, line  # a clean lint prints only its summary (stderr)


def test_readme_examples_show_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's explain examples print exactly the output shown under them."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"```sh\n(\.venv/bin/python -m gateway explain [^\n]*)\n```\n\n```text\n(.*?)```", readme, re.S)
    assert len(examples) == 2
    for command, shown in examples:
        code, out, _ = run_cli(capsys, *shlex.split(command)[3:])
        assert code == 0
        assert out == shown, "README shows stale output: run .venv/bin/python tools/readme_explain.py"


@pytest.mark.parametrize(("url", "headers", "host", "port"), [
    ("/x", [], "localhost", 8000),
    ("https://api.example.com/x", [], "api.example.com", 8443),
    ("http://api.example.com:9000/x", [], "api.example.com", 9000),
    ("http://localhost/x", ["Host: other.example:8443"], "other.example", 8443),
    ("http://[::1]/x", [], "[::1]", 8000),
    ("http://[::1]:81/x", [], "[::1]", 81),
])
def test_request_host_and_port(url: str, headers: list[str], host: str, port: int) -> None:
    request = build_request("get", url, headers)
    assert (request.method, request.host, request.port, request.path) == ("GET", host, port, "/x")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("hosts", "a.*.com", "invalid wildcard: must be placed at leftmost or rightmost label"),
    ("hosts", "*.*.com", "invalid wildcard: must have at most one wildcard"),
    ("hosts", "*example.com", "invalid wildcard: must be placed at leftmost or rightmost label"),
    ("hosts", "ex ample.com", "invalid host 'ex ample.com'"),
    ("snis", "*.example.com:443", "must not have a port"),
    ("snis", "10.0.0.1", "must not be an IP"),
])
def test_route_host_forms_kong_refuses(field: str, value: str, message: str) -> None:
    """Route ``hosts`` follow Kong's typedefs.hosts and ``snis`` its typedefs.wildcard_host."""
    route: dict[str, Any] = {"paths": ["/x"], field: [value]}
    if field == "snis":
        route["protocols"] = ["https"]
    with pytest.raises(ValueError, match=re.escape(message)):
        _spec({"services": {"s": {"host": "b", "routes": {"r": route}}}})
