"""Every container image default, pinned to a patch release, and the rule that refuses a floating tag.

Checked on 2026-11-30 against docker-library/official-images (``library/kong``: ``3.9.3`` is the newest
3.9 tag, Kong's 3.9.2 and 3.9.3 carry security fixes; ``library/postgres``: ``16.15-alpine``;
``library/redis``: ``7.4.11-alpine``). The echo image versions by whole numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field


@dataclass(frozen=True)
class PinnedImage:
    default: str
    """``name:tag`` used when the stack does not set the key."""
    release_parts: int
    """How many dot-separated numbers start a release tag of this image (3.9.3: 3; 16.15: 2; 36: 1)."""


IMAGES: dict[str, PinnedImage] = {
    "kongImage": PinnedImage("kong:3.9.3", 3),
    "postgresImage": PinnedImage("postgres:16.15-alpine", 2),
    "redisImage": PinnedImage("redis:7.4.11-alpine", 3),
    "echoImage": PinnedImage("mendhak/http-https-echo:36", 1),
}

Image = Annotated[str, Field(min_length=1, pattern=r"^[^\s]+(:[^\s:/]+|@sha256:[0-9a-f]{64})$")]
"""An image: ``name:tag`` or ``name@sha256:...``; ``pinned_image`` refuses a floating tag."""


def image_or_default(value: Any, key: str) -> Any:
    """Pulumi.yaml declares image keys with default "" (a key without default is required): "" is the pin."""
    return IMAGES[key].default if value == "" else value


def pinned_image(value: str, key: str) -> str:
    """``value`` when pinned; a ValueError saying why not otherwise (for a pydantic validator)."""
    problem = floating_tag(value, IMAGES[key].release_parts)
    if problem:
        raise ValueError(problem)
    return value


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_RELEASE = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-_][A-Za-z0-9._-]+)?$")


def floating_tag(image: str, release_parts: int) -> str | None:
    """Why ``image`` can change under the same name, or None when it is pinned (a digest, or a tag
    that starts with a full release number)."""
    if _DIGEST.search(image):
        return None
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return f"'{image}' has no tag; pin a release such as {_example(release_parts)} or a @sha256 digest"
    match = _RELEASE.match(tag)
    if tag == "latest" or match is None or len(match.group(1).split(".")) < release_parts:
        return (f"tag '{tag}' floats (it moves to new releases); pin a release such as "
                f"{_example(release_parts)} or a @sha256 digest")
    return None


def _example(parts: int) -> str:
    return ".".join(["1", "2", "3"][:parts])


def _setting(key: str) -> tuple[BeforeValidator, AfterValidator]:
    """The validators of the config key ``key``: "" means its pin; a floating tag is refused."""
    return (BeforeValidator(lambda value: image_or_default(value, key)),
            AfterValidator(lambda value: pinned_image(value, key)))


KongImage = Annotated[Image, *_setting("kongImage")]
PostgresImage = Annotated[Image, *_setting("postgresImage")]
RedisImage = Annotated[Image, *_setting("redisImage")]
EchoImage = Annotated[Image, *_setting("echoImage")]
