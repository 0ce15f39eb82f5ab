"""Language routing (language-router): the language picks the upstream and the model, never a 500.

Expectations that depend on issue 9 (large bodies, where the model goes, the healthy fallback) are
helpers in integration/expect.py.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration import faults, targets
from integration.expect import (
    ASR_WHISPER,
    LARGE_BODY_BYTES,
    Echo,
    asr_body,
    echo,
    health_cache_seconds,
    is_unhealthy_fallback_source,
    model_sent,
    target_hosts,
)
from integration.live import Settings

pytestmark = pytest.mark.demo
HINDI = "आज मौसम बहुत अच्छा है और हम बाज़ार जा रहे हैं।"
TAMIL = "நாளை காலை நான் சென்னைக்குப் போகிறேன்."
TTS_INDO_ARYAN = "ai4bharat/indic-tts-indo-aryan--gpu-t4"
TTS_DRAVIDIAN = "ai4bharat/indic-tts-dravidian--gpu-t4"
NMT_MODEL = "ai4bharat/indictrans-v2-all-gpu--t4"
JSON_NOT_PARSED_BY_ECHO = "application/vnd.ai4v+json"


def tts(text: str, language: str | None = None) -> dict[str, object]:
    config: dict[str, object] = {"gender": "female"}
    if language is not None:
        config["language"] = {"sourceLanguage": language}
    return {"input": [{"source": text}], "config": config}


def post(gw: httpx.Client, settings: Settings, path: str, body: object, headers: dict[str, str] | None = None,
         params: dict[str, str] | None = None) -> Echo:
    """POST ``body`` (JSON unless bytes/str) with the main key; the echo of what the upstream received."""
    sent = {"apikey": settings.key, "Content-Type": "application/json", **(headers or {})}
    content = body if isinstance(body, (bytes, str)) else json.dumps(body).encode()
    return echo(gw.post(path, content=content, headers=sent, params=params))


def assert_upstream(spec: GatewaySpec, seen: Echo, upstream: str) -> None:
    hosts = target_hosts(spec, upstream)
    assert seen.hostname in hosts, f"served by {seen.hostname}, not by upstream {upstream} ({sorted(hosts)})"


@pytest.mark.smoke
def test_hindi_text_reaches_the_hindi_model(gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    seen = post(gw, settings, "/api/v1/tts", tts(HINDI))
    assert seen.header("x-detected-language") == "hi"
    assert seen.header("x-language-source") == "detected"
    assert model_sent(seen) == TTS_INDO_ARYAN
    assert_upstream(spec, seen, "tts")


@pytest.mark.smoke
def test_tamil_text_reaches_the_dravidian_model(gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    seen = post(gw, settings, "/api/v1/tts", tts(TAMIL))
    assert seen.header("x-detected-language") == "ta"
    assert model_sent(seen) == TTS_DRAVIDIAN
    assert_upstream(spec, seen, "tts-dravidian")


def test_nmt_detects_tamil_for_the_upstream(gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    body = {"input": [{"source": TAMIL}], "config": {"language": {"targetLanguage": "en"}}}
    seen = post(gw, settings, "/api/v1/nmt", body)
    assert seen.header("x-detected-language") == "ta"
    assert float(seen.header("x-language-confidence") or 0) >= 0.5
    assert model_sent(seen) == NMT_MODEL
    assert json.loads(seen.body)["config"]["language"]["sourceLanguage"] == "ta"  # written: it was detected
    assert_upstream(spec, seen, "nmt")


def test_body_language_picks_the_asr_upstream(gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    body = {"config": {"language": {"sourceLanguage": "en"}}, "audio": [{"audioUri": "https://example.org/a.wav"}]}
    seen = post(gw, settings, "/api/v1/asr", body)
    assert (seen.header("x-detected-language"), seen.header("x-language-source")) == ("en", "body")
    assert model_sent(seen) == ASR_WHISPER
    assert_upstream(spec, seen, "asr-en")


def test_header_overrides_the_body(gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    seen = post(gw, settings, "/api/v1/tts", tts(HINDI, "hi"), headers={"X-Language": "ta"})
    assert (seen.header("x-detected-language"), seen.header("x-language-source")) == ("ta", "header")
    assert_upstream(spec, seen, "tts-dravidian")


def test_query_overrides_the_body(gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    seen = post(gw, settings, "/api/v1/tts", tts(HINDI, "hi"), params={"lang": "ta"})
    assert (seen.header("x-detected-language"), seen.header("x-language-source")) == ("ta", "query")
    assert_upstream(spec, seen, "tts-dravidian")
    assert seen.query.get("lang") == "ta"


def test_unknown_language_reaches_the_fallback(gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    seen = post(gw, settings, "/api/v1/tts", {"config": {"language": {"sourceLanguage": "xx-Klingon"}}},
                headers={"X-Language": "zz"})
    assert seen.header("x-language-source") == "fallback"
    assert seen.header("x-detected-language") is None
    assert_upstream(spec, seen, "tts")


@pytest.mark.parametrize("body", ['{"config": {"language": {"sourceLanguage": "ta"', '{"input": [}', "\x00\xff",
                                  '{"config": "x", "config": [1, 2'])
def test_malformed_json_reaches_the_fallback(gw: httpx.Client, settings: Settings, spec: GatewaySpec,
                                             body: str) -> None:
    # A JSON type the plugin reads (application/*+json) that the echo backend does not parse (it would
    # answer 500 itself to broken application/json).
    seen = post(gw, settings, "/api/v1/tts", body, headers={"Content-Type": JSON_NOT_PARSED_BY_ECHO})
    assert seen.body == body, "the body goes on unchanged"
    assert seen.header("x-language-source") == "fallback"
    assert_upstream(spec, seen, "tts")


def test_client_language_headers_never_reach_the_backend(gw: httpx.Client, settings: Settings) -> None:
    forged = {"X-Detected-Language": "ta", "X-Language-Confidence": "0.99", "X-Language-Source": "header"}
    seen = post(gw, settings, "/api/v1/tts", {"config": {}}, headers=forged)
    assert seen.header("x-language-source") == "fallback"
    assert seen.header("x-detected-language") is None
    assert seen.header("x-language-confidence") is None


def test_large_config_first_asr_body_is_routed_by_its_language(gw: httpx.Client, settings: Settings,
                                                                spec: GatewaySpec) -> None:
    content = asr_body("en", LARGE_BODY_BYTES)
    response = gw.post("/api/v1/asr", content=content,
                       headers={"apikey": settings.key, "Content-Type": JSON_NOT_PARSED_BY_ECHO}, timeout=180)
    seen = echo(response)
    assert len(seen.body) >= LARGE_BODY_BYTES
    assert (seen.header("x-detected-language"), seen.header("x-language-source")) == ("en", "body")
    assert model_sent(seen) == ASR_WHISPER
    assert_upstream(spec, seen, "asr-en")


IN_MEMORY_AUDIO_BYTES = 512 * 1024
"""Above language-router's REWRITE_BYTES (64 KiB), below nginx's client_body_buffer_size (1 MiB): in memory."""


def test_large_in_memory_asr_body_reaches_the_backend_unchanged_with_the_model_as_query(
        gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    """Issue 23: a 512 KiB ASR body nginx holds in memory is routed by its language but not rewritten (the
    rewrite copied the body three times): the backend gets the client's bytes and the model as ``?serviceId=``."""
    content = asr_body("en", IN_MEMORY_AUDIO_BYTES)
    response = gw.post("/api/v1/asr", content=content,
                       headers={"apikey": settings.key, "Content-Type": JSON_NOT_PARSED_BY_ECHO}, timeout=60)
    seen = echo(response)
    assert seen.body.encode() == content, "the body goes on as the client sent it"
    assert (seen.header("x-detected-language"), seen.header("x-language-source")) == ("en", "body")
    assert seen.query.get("serviceId") == ASR_WHISPER
    assert_upstream(spec, seen, "asr-en")


def test_small_asr_body_gets_the_model_written_into_it(gw: httpx.Client, settings: Settings,
                                                      spec: GatewaySpec) -> None:
    """Issue 23: a body of up to 64 KiB is still rewritten: the model in ``config.serviceId``, no query argument."""
    seen = post(gw, settings, "/api/v1/asr", json.loads(asr_body("en", 4096)))
    assert json.loads(seen.body)["config"]["serviceId"] == ASR_WHISPER
    assert "serviceId" not in seen.query
    assert_upstream(spec, seen, "asr-en")


@pytest.mark.destructive
@pytest.mark.processes
def test_fallback_serves_when_every_target_of_the_mapped_upstream_is_stopped(
        gw: httpx.Client, admin: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    mapped = targets.targets(spec, "tts-dravidian")
    tamil = tts(TAMIL)

    def poke() -> None:
        gw.post("/api/v1/tts", json=tamil, headers={"apikey": settings.key})

    faults.set_targets_running(settings, mapped, running=False)
    try:
        targets.wait_for("tts-dravidian targets UNHEALTHY",
                         lambda: set(targets.health(admin, "tts-dravidian").values()) == {"UNHEALTHY"}, poke=poke)
        time.sleep(health_cache_seconds(spec, "tts"))  # each worker's last answer expires
        for _ in range(5):
            seen = post(gw, settings, "/api/v1/tts", tamil)
            assert_upstream(spec, seen, "tts")
            assert is_unhealthy_fallback_source(seen.header("x-language-source")), seen.header("x-language-source")
    finally:
        faults.set_targets_running(settings, mapped, running=True)
        targets.wait_for("tts-dravidian targets HEALTHY again",
                         lambda: set(targets.health(admin, "tts-dravidian").values()) == {"HEALTHY"})
        time.sleep(health_cache_seconds(spec, "tts"))
    assert_upstream(spec, post(gw, settings, "/api/v1/tts", tamil), "tts-dravidian")
