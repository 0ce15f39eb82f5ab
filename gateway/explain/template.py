"""request-transformer templates (``$(uri_captures.rest or '')``), for the expressions a spec can model.

Kong evaluates ``$(...)`` as Lua in an environment of ``headers``, ``query_params``, ``uri_captures``
and ``shared`` (kong/plugins/request-transformer/access.lua ``param_value``). Here a template may use
``NAME.key``, ``NAME["key"]`` or ``NAME[1]``, optionally followed by ``or 'literal'``; a missing value
renders as an empty string. Anything else is reported as not evaluated rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_EXPR = re.compile(r"\$\((.*?)\)")
_REF = re.compile(
    r"""\s*(headers|query_params|uri_captures|shared)
        (?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:(\d+)|'([^']*)'|"([^"]*)")\s*\])
        \s*(?:or\s+(?:'([^']*)'|"([^"]*)"))?\s*$""",
    re.X,
)

Lookup = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Rendered:
    text: str
    unsupported: tuple[str, ...] = ()


def render(template: str, lookup: Lookup) -> Rendered:
    """``template`` with each ``$(...)`` replaced; ``lookup(table, key)`` reads the request."""
    bad: list[str] = []

    def one(m: re.Match[str]) -> str:
        ref = _REF.match(m.group(1))
        if ref is None:
            bad.append(m.group(0))
            return m.group(0)
        table, dotted, index, single, double, alt1, alt2 = ref.groups()
        key = next(k for k in (dotted, index, single, double) if k is not None)
        value = lookup(table, key)
        if value is None:  # Lua: only nil (or false) falls through `or`; "" does not
            value = alt1 if alt1 is not None else alt2 if alt2 is not None else ""
        return value

    return Rendered(_EXPR.sub(one, template), tuple(bad))
