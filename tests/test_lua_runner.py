"""The LuaJIT runner: the plugin's own handler decides, under the PDK fake busted's specs use
(lua/spec/helpers/pdk_fake.lua, shaped like Kong 3.9.3's kong/pdk/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.explain.lua_runner import LuaCall, LuaError, LuaRunner, compiled_chunks

ROOT = Path(__file__).resolve().parent.parent
LUAJIT = shutil.which("luajit") or "luajit"

NEWER_HANDLER = """
local kong = kong
local H = { PRIORITY = 850, VERSION = "9.9.9" }
function H:access(conf)
  local file = ngx.req.get_body_file()
  local balancer = require "kong.runloop.balancer"
  local up = balancer.get_upstream_by_name(conf.fallback_upstream)
  local health = up and balancer.get_balancer_health(up.id)
  kong.service.request.set_query({ serviceId = "m" })
  assert(kong.service.set_upstream(conf.fallback_upstream))
  kong.ctx.shared.language_router = {
    language = kong.request.get_header("X-Language"),
    source = file == nil and "no-file" or "file",
    upstream = conf.fallback_upstream,
    service_id = health and health.health or "unknown",
  }
end
return H
"""


def call(**over: object) -> LuaCall:
    base: LuaCall = {"conf": json.dumps({"fallback_upstream": "up"}), "upstreams": ["up"], "method": "POST",
                     "path": "/x", "headers": {"x-language": ["hi"]}, "query": {}, "body": None}
    return {**base, **over}  # type: ignore[typeddict-item]


def plugin_dir(tmp_path: Path, source: str) -> Path:
    handler = tmp_path / "kong" / "plugins" / "language-router" / "handler.lua"
    handler.parent.mkdir(parents=True)
    handler.write_text(source, encoding="utf-8")
    return tmp_path


def test_explain_runs_the_plugin_on_the_specs_pdk_fake(tmp_path: Path) -> None:
    """Issue 24 item 4: one fake of Kong's PDK serves busted and explain: what the specs' fake models (set_query,
    Kong's balancer health) works here, and a call Kong's PDK has no function for fails the request, as in Kong,
    instead of returning nil."""
    with LuaRunner(plugin_dir(tmp_path, NEWER_HANDLER)) as runner:
        [result] = runner.run([call()])
    assert result.error is None
    assert (result.language, result.source, result.upstream, result.service_id) == ("hi", "no-file", "up", "HEALTHY")
    unknown = NEWER_HANDLER.replace("kong.service.request.set_query(", "kong.service.request.set_queries(")
    with LuaRunner(plugin_dir(tmp_path / "unknown", unknown)) as runner:
        [result] = runner.run([call()])
    assert result.error is not None and "set_queries" in result.error


def test_a_broken_plugin_is_an_error_per_request_not_a_crash(tmp_path: Path) -> None:
    with LuaRunner(plugin_dir(tmp_path, "return {")) as runner:
        results = runner.run([call(), call()])
    assert [r.error is not None and "could not load the plugin" in r.error for r in results] == [True, True]


def test_many_requests_one_process_in_order() -> None:
    conf = json.dumps({"sources": ["header"], "header_names": ["X-Language"], "query_names": [],
                       "body_language_path": "config.language.sourceLanguage", "detect_fields": [],
                       "min_confidence": 0.5, "max_body_bytes": 1024, "preset": "asr", "mappings": [],
                       "service_id_path": "config.serviceId", "set_service_id": True,
                       "override_service_id": False, "write_source_language": True, "emit_headers": True})
    langs = ["hi", "ta", "en", "bn"] * 250
    with LuaRunner(ROOT / "lua") as runner:
        results = runner.run([call(conf=conf, headers={"x-language": [lang]}) for lang in langs])
    assert [r.language for r in results] == langs
    assert results[2].service_id == "ai4bharat/whisper--gpu-t4"


def test_missing_luajit_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LuaError, match="luajit is not installed"):
        LuaRunner(ROOT / "lua", luajit=str(tmp_path / "no-luajit"))


def test_an_unused_runner_is_stopped_without_waiting_for_the_plugin_to_load(tmp_path: Path) -> None:
    """Most explained requests meet no language-router: they must not pay for the plugin's data to load
    (here loading takes 15 s; waiting for it would raise TimeoutExpired after 10 s)."""
    with LuaRunner(plugin_dir(tmp_path, 'os.execute("sleep 15")\nreturn {}')):
        pass


def test_compiled_plugin_is_reused_only_under_its_source_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler's bytecode is kept between runs (the language data parses in ~0.1 s), used while the
    source is unchanged, rebuilt from the source once it changes or the file is damaged."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = plugin_dir(tmp_path / "lua", NEWER_HANDLER)
    with LuaRunner(root) as runner:
        [first] = runner.run([call()])
    [entry] = [c for c in compiled_chunks(root, LUAJIT) if c.startswith("kong.plugins.language-router.handler=")]
    _, key, file = entry.split("=", 2)
    assert Path(file).read_bytes().startswith(key.encode() + b"\n")

    other = tmp_path / "other.lua"  # bytecode of another handler under the current key: it is what runs
    other.write_text(NEWER_HANDLER.replace('language = kong.request.get_header("X-Language")', 'language = "bc"'),
                     encoding="utf-8")
    subprocess.run(["luajit", "-b", str(other), str(tmp_path / "other.bc")], check=True)
    Path(file).write_bytes(key.encode() + b"\n" + (tmp_path / "other.bc").read_bytes())
    with LuaRunner(root) as runner:
        [cached] = runner.run([call()])
    assert (first.language, cached.language) == ("hi", "bc")

    handler = root / "kong" / "plugins" / "language-router" / "handler.lua"
    handler.write_text(NEWER_HANDLER.replace('"9.9.9"', '"9.9.10"'), encoding="utf-8")  # size and mtime change
    with LuaRunner(root) as runner:
        [edited] = runner.run([call()])
    assert edited.language == "hi"

    _, key, file = next(c for c in compiled_chunks(root, LUAJIT) if "handler=" in c).split("=", 2)
    Path(file).write_bytes(key.encode() + b"\nnot bytecode")
    with LuaRunner(root) as runner:
        [damaged] = runner.run([call()])
    assert damaged.language == "hi" and Path(file).read_bytes() != key.encode() + b"\nnot bytecode"
