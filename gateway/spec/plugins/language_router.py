"""Our ``language-router`` plugin. ``lua/kong/plugins/language-router/schema.lua`` is the definition;
tests/test_plugin_schemas.py checks this model against it, field by field."""

# ruff: noqa: RUF012  (pydantic copies mutable field defaults per instance)
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from gateway.spec.plugins.base import KongModel, PluginConfig, Ref
from gateway.spec.plugins.iso15924 import script_code
from gateway.spec.plugins.typedefs import Boolean, HeaderName, Integer, Number, String, fail

_NAME = r"[^.\[\]]+"
MAX_PATH_LENGTH = 512
MAX_PATH_STEPS = 32


def _dotted_path(allow_star: bool) -> Callable[[str], str]:
    """The grammar of the plugin's json_path.compile: ``name``, ``.name``, ``[N]`` (N up to 9 digits),
    ``[*]``; at most 32 steps. ``[*]`` (every element) is refused where a value is written."""
    index = r"\[(?:\d{1,9}|\*)\]" if allow_star else r"\[\d{1,9}\]"
    pattern = re.compile(rf"(?:{_NAME}|{index})(?:\.?{index}|\.{_NAME})*")
    step = re.compile(rf"{_NAME}|{index}")
    example = "input[*].source" if allow_star else "pipelineTasks[0].config.language.sourceLanguage"

    def check(path: str) -> str:
        if len(path) > MAX_PATH_LENGTH or not pattern.fullmatch(path):
            raise fail(f"'{path}' is not a dotted path such as {example}")
        if len(step.findall(path)) > MAX_PATH_STEPS:
            raise fail(f"'{path}' has more than {MAX_PATH_STEPS} steps")
        return path

    return check


BodyPath = Annotated[String, AfterValidator(_dotted_path(allow_star=False))]
DetectPath = Annotated[String, AfterValidator(_dotted_path(allow_star=True))]


def _script(value: str) -> str:
    """schema.lua's validate_script: a registered ISO 15924 code, in any case."""
    if script_code(value) is None:
        raise fail(f"'{value}' is not an ISO 15924 script code such as Latn, Deva, Taml")
    return value


Script = Annotated[String, AfterValidator(_script)]


ULCA_CODES = frozenset({
    "as", "bn", "brx", "doi", "en", "gom", "gu", "hi", "kn", "kok", "ks", "mai", "ml", "mni", "mr", "ne", "or",
    "pa", "raj", "sa", "sat", "sd", "si", "ta", "te", "ur",
})
"""The languages the plugin knows (lua/.../languages.lua ``SUPPORTED``; tests/test_plugins.py keeps them equal)."""
ISO_ALIASES = {
    "asm": "as", "ben": "bn", "dgo": "doi", "eng": "en", "guj": "gu", "hin": "hi", "kan": "kn", "kas": "ks",
    "mal": "ml", "mar": "mr", "nep": "ne", "npi": "ne", "ori": "or", "ory": "or", "pan": "pa", "san": "sa",
    "snd": "sd", "sin": "si", "tam": "ta", "tel": "te", "urd": "ur",
}
"""ISO 639-2/3 codes the plugin maps to a ULCA code (languages.lua ``ALIASES``, identities left out)."""


def _known_language(value: str) -> str:
    """A mapping's language as the plugin's ``normalize_config`` reads it (primary subtag before - or _,
    ISO 639-2/3 aliases): refused unless it is a language the plugin knows, since a code it cannot match
    (``Hindi``, ``hn``) would route nothing and only log a warning at request time."""
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    if ISO_ALIASES.get(primary, primary) not in ULCA_CODES:
        raise fail(f"'{value}' is not a known language code; use a ULCA code: {', '.join(sorted(ULCA_CODES))}")
    return value


class LanguageMapping(KongModel):
    """One language (ULCA code, e.g. ``hi``), optionally in one script (``Latn``: romanized), ->
    upstream and/or model serviceId. With a script it wins over the language's mapping without one."""

    language: Annotated[String, AfterValidator(_known_language)]
    script: Script | None = None
    upstream: String | None = None
    service_id: String | None = None

    @property
    def key(self) -> str:
        """``hi``, or ``hi-Latn`` for a mapping on language + script (the label docs show). Without
        ``script``, a script subtag of ``language`` (``hi-Latn``) counts, as handler.lua reads it."""
        parts = re.split(r"[-_]", self.language.strip())
        primary = parts[0].lower()
        script = script_code(self.script) if self.script else next(
            (code for part in parts[1:2] if (code := script_code(part))), None)
        return f"{primary}-{script}" if script else self.language


EMITTED_HEADERS = ("X-Detected-Language", "X-Language-Source", "X-Language-Confidence", "X-Detected-Script")
"""The request headers the handler sets or clears (handler.lua ``HEADER_*``); a client's copies, however
spelled, never reach the backend."""


class LanguageRouterConfig(PluginConfig):
    """``language-router`` (priority 850, access phase): find the source language, route by it."""

    plugin_name = "language-router"
    priority = 850  # lua/kong/plugins/language-router/handler.lua: PRIORITY
    phases = frozenset({"access"})

    sources: Annotated[list[Literal["header", "query", "body", "detect"]], Field(min_length=1)] = [
        "header",
        "query",
        "body",
        "detect",
    ]
    header_names: list[HeaderName] = ["X-Language", "X-Source-Language"]
    script_header_names: list[HeaderName] = ["X-Source-Script"]
    query_names: list[String] = ["lang", "sourceLanguage"]
    script_query_names: list[String] = ["sourceScriptCode"]
    body_language_path: BodyPath = "config.language.sourceLanguage"
    body_script_path: BodyPath = "config.language.sourceScriptCode"
    detect_fields: list[DetectPath] = ["input[*].source"]
    min_confidence: Annotated[Number, Field(ge=0, le=1)] = 0.5
    max_body_bytes: Annotated[Integer, Field(gt=0)] = 52428800
    preset: Literal["none", "asr", "tts", "nmt", "pipeline"] = "none"
    mappings: list[LanguageMapping] = []
    fallback_upstream: String | None = None
    fallback_service_id: String | None = None
    service_id_path: BodyPath = "config.serviceId"
    set_service_id: Boolean = True
    override_service_id: Boolean = False
    write_source_language: Boolean = True
    write_source_script: Boolean = True
    service_id_delivery: Literal["query", "header"] = "query"
    service_id_header: HeaderName = "X-Service-Id"
    health_fallback: Boolean = True
    health_cache_seconds: Annotated[Number, Field(ge=0, le=60)] = 5
    emit_headers: Boolean = True
    doc_column = "language"

    def upstream_choices(self) -> list[tuple[str, str]]:
        """(language, upstream) for every upstream ``upstream_refs`` names (``hi-Latn`` for a mapping
        on language + script); ``*`` for the fallback."""
        return [("*" if loc[0] == "fallback_upstream" else self.mappings[int(loc[1])].key, upstream)
                for loc, upstream in self.upstream_refs()]

    def doc_summary(self) -> str:
        routes = [f"{m.key}→{m.upstream}" for m in self.mappings if m.upstream]
        parts = [f"preset {self.preset}"] if self.preset != "none" else []
        parts += routes
        if self.fallback_upstream:
            parts.append(f"else {self.fallback_upstream}")
        return "; ".join(parts) or "detect only"

    def sets_headers(self) -> set[str]:
        return {name.lower() for name in EMITTED_HEADERS}

    def upstream_refs(self) -> Iterator[Ref]:
        if self.fallback_upstream:
            yield ("fallback_upstream",), self.fallback_upstream
        for index, mapping in enumerate(self.mappings):
            if mapping.upstream:
                yield ("mappings", index, "upstream"), mapping.upstream

    def upstream_fallbacks(self) -> dict[str, str]:
        """Mapped upstreams -> fallback_upstream, used while Kong's balancer reports them unhealthy."""
        if not (self.health_fallback and self.fallback_upstream):
            return {}
        return {m.upstream: self.fallback_upstream for m in self.mappings
                if m.upstream and m.upstream != self.fallback_upstream}
