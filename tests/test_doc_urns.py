"""URN patterns written in the docs (``--target``, ``--replace``, ...) name resources the program registers.

A pattern that matches nothing is silently a no-op for ``pulumi up --target`` (or an error for ``--replace``),
so each one is matched, as the engine matches it, against the URNs of a mocked run of its stack.
"""

from __future__ import annotations

import re
import shlex
from functools import cache

from pulumi_harness import ROOT, engine_urns
from test_doc_snippets import DOC_FILES, FENCE

from gateway.spec import available_stacks

URN_FLAGS = ("--target", "-t", "--replace", "--target-replace", "--exclude")
"""pulumi up/preview/destroy/refresh flags that take a URN or a glob (pkg/cmd/pulumi/operations/up.go)."""
INLINE = re.compile(r"`([^`\n]+)`")
PLACEHOLDER = re.compile(r"<[^<>]*>")


@cache
def stack_urns(stack: str) -> frozenset[str]:
    from platform_helpers import cached_run
    return frozenset(engine_urns(cached_run(stack).resources, stack))


def matches(pattern: str, urn: str) -> bool:
    """pkg/resource/deploy/deployment.go ``UrnTargets.Contains``/``getMatcher``: a pattern with ``*`` is a
    glob (``**`` any text, ``*`` any text without ``:``), anything else must equal the URN. A ``<...>``
    placeholder in the docs stands for any text."""
    pattern = PLACEHOLDER.sub("**", pattern)
    if "*" not in pattern:
        return pattern == urn
    regex = ".*".join("[^:]*".join(re.escape(part) for part in segment.split("*"))
                      for segment in pattern.split("**"))
    return re.fullmatch(regex, urn) is not None


def command_texts() -> list[tuple[str, str]]:
    """(doc, command text) of every inline code span and every line of a ``sh`` fence."""
    out = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for fence in FENCE.finditer(text):
            if fence.group("lang") == "sh":
                out += [(path.name, line) for line in fence.group("body").replace("\\\n", " ").splitlines()]
        out += [(path.name, span) for span in INLINE.findall(FENCE.sub("", text))]
    return out


def urn_patterns(command: str) -> list[tuple[str, str]]:
    """(stack, pattern) for each URN flag of ``command``; the stack from ``STACK=``, ``-s``/``--stack``,
    else dev (scripts/pulumi-env.sh's default)."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return []
    stack = "dev"
    patterns = []
    for index, word in enumerate(words):
        value = words[index + 1] if index + 1 < len(words) else None
        if word.startswith("STACK="):
            stack = word.removeprefix("STACK=")
        elif word in ("-s", "--stack") and value:
            stack = value
        elif word.startswith("--stack="):
            stack = word.removeprefix("--stack=")
        elif word in URN_FLAGS and value and not value.startswith("-"):
            patterns.append(value)
        elif "=" in word and word.split("=", 1)[0] in URN_FLAGS:
            patterns.append(word.split("=", 1)[1])
    return [(stack.split("/")[-1], pattern) for pattern in patterns]


def documented_patterns() -> list[tuple[str, str, str]]:
    return [(doc, stack, pattern) for doc, command in command_texts() for stack, pattern in urn_patterns(command)]


def test_documented_target_patterns_match_registered_urns() -> None:
    """Issue 22 item 7: every ``--target``/``--replace`` URN pattern in README.md and docs/*.md matches at least
    one URN the program registers for the stack its command names (DOCKER.md named the old type token
    ``ai4v:gateway:Secrets``, which matches nothing)."""
    found = documented_patterns()
    assert any(doc == "DOCKER.md" and stack == "prod" for doc, stack, _ in found), found
    problems = []
    for doc, stack, pattern in found:
        if stack not in available_stacks(ROOT / "stacks"):
            problems.append(f"{doc}: {pattern}: no stack {stack!r}")
        elif not any(matches(pattern, urn) for urn in stack_urns(stack)):
            problems.append(f"{doc}: {pattern}: matches no URN of stack {stack}")
    assert problems == []


def test_urn_pattern_check_refuses_what_matches_nothing() -> None:
    urns = stack_urns("prod")
    assert not any(matches("**ai4v:gateway:Secrets**", urn) for urn in urns)
    assert any(matches("**ai4v:gateway:GatewaySecrets**", urn) for urn in urns)
    assert "urn:pulumi:prod::ai4v-gateway::ai4v:gateway:DockerPlatform$docker:index/container:Container::" \
           "platform-kong-1" in urns
    assert not matches("urn:pulumi:prod::*::platform-kong-1", "urn:pulumi:prod::a::b::platform-kong-1")
    assert urn_patterns("STACK=prod scripts/pulumi.sh up --target 'a*' --target=b --replace c") == [
        ("prod", "a*"), ("prod", "b"), ("prod", "c")]
    assert urn_patterns("pulumi up -s acme/staging --target=x") == [("staging", "x")]
