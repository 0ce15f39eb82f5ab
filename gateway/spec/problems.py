"""Problems found in a stack's spec, reported one line each as ``file: field.path: what is wrong``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """``('services', 'asr', 'routes', 'v1', 'paths', 0)`` -> ``services.asr.routes.v1.paths[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {format_loc(self.loc)}: {self.message}"


class SpecError(Exception):
    """The spec is invalid; ``problems`` holds every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, format_loc(p.loc), p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
