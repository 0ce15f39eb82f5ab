"""``python -m gateway docs``: the generated parts of the docs (tables and diagram from the spec).

A doc under docs/ holds generated parts between marker lines; the rest of it is written by hand::

    <!-- BEGIN GENERATED routes (python -m gateway docs --stack dev) -->
    <!-- END GENERATED routes -->

Parts: ``routes`` and ``topology`` (docs/API_ROUTES.md; topology also writes
``docs/topology.<stack>.svg``), ``consumers`` (AUTHENTICATION.md), ``rate-limits`` (RATE_LIMITING.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from gateway.docs.consumers import consumers_table
from gateway.docs.limits import limits_table
from gateway.docs.routes import markdown_table, route_rows
from gateway.docs.topology import mermaid, svg, topology
from gateway.spec.models import GatewaySpec

DOCS = Path("docs")
BEGIN = "<!-- BEGIN GENERATED {part} (python -m gateway docs --stack {stack}) -->"
END = "<!-- END GENERATED {part} -->"
BLOCK = re.compile(r"<!-- BEGIN GENERATED ([a-z-]+) \(python -m gateway docs --stack ([A-Za-z0-9_.-]+)\) -->\n"
                   r".*?<!-- END GENERATED \1 -->", re.DOTALL)


def svg_name(stack: str) -> str:
    return f"topology.{stack}.svg"


def _routes(spec: GatewaySpec, stack: str) -> str:
    rows = route_rows(spec)
    services = sum(1 for s in spec.services.values() if s.enabled)
    return (f"Stack `{stack}`: {len(rows)} routes on {services} services. A row shows what Kong runs on a request "
            "to that route (one instance per plugin: the most specific enabled one, route before service before "
            "global).\n\n"
            + markdown_table(rows))


def _topology(spec: GatewaySpec, stack: str) -> str:
    return ("Services, the upstreams they send to (dashed: chosen by `language-router`, labelled with the "
            "languages; `*` is its fallback) and each upstream's targets.\n\n"
            f"```mermaid\n{mermaid(topology(spec))}```\n\n"
            f"Without Mermaid: ![topology of the {stack} stack]({svg_name(stack)})\n")


def _consumers(spec: GatewaySpec, stack: str) -> str:
    return f"Consumers of stack `{stack}`:\n\n" + consumers_table(spec)


def _limits(spec: GatewaySpec, stack: str) -> str:
    return f"Rate limits of stack `{stack}`:\n\n" + limits_table(spec)


PARTS: dict[str, Callable[[GatewaySpec, str], str]] = {
    "routes": _routes, "topology": _topology, "consumers": _consumers, "rate-limits": _limits,
}


class MarkerError(ValueError):
    """A generated part names no known part."""


def render_parts(document: str, spec: GatewaySpec, stack: str, name: str) -> str:
    """``document`` with each generated part re-rendered for ``stack``."""
    def replace(match: re.Match[str]) -> str:
        part = match.group(1)
        if part not in PARTS:
            raise MarkerError(f"{name}: unknown generated part '{part}'; parts: {', '.join(PARTS)}")
        return f"{BEGIN.format(part=part, stack=stack)}\n\n{PARTS[part](spec, stack)}\n{END.format(part=part)}"
    return BLOCK.sub(replace, document)


def documented_stack(root: Path) -> str | None:
    """The stack the committed docs were generated for (from the first marker found)."""
    for path in sorted((root / DOCS).glob("*.md")):
        found = BLOCK.search(path.read_text(encoding="utf-8"))
        if found:
            return found.group(2)
    return None


def expected_files(root: Path, spec: GatewaySpec, stack: str) -> dict[Path, str]:
    """Every file ``docs`` writes (docs with generated parts, the topology SVG) with the content it should have."""
    files: dict[Path, str] = {}
    for path in sorted((root / DOCS).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if BLOCK.search(text):
            files[path] = render_parts(text, spec, stack, str(path.relative_to(root)))
            if "<!-- BEGIN GENERATED topology " in text:
                files[root / DOCS / svg_name(stack)] = svg(topology(spec))
    if not files:
        raise MarkerError(f"{DOCS}/: no generated part; add '{BEGIN.format(part='routes', stack=stack)}' and "
                          f"'{END.format(part='routes')}' lines to a doc")
    return files
