"""The gateway's topology (services -> upstreams -> targets) as a graph, drawn as Mermaid and as SVG.

The SVG is laid out and written here (three columns, one box per node, curved edges), so readers
without a Mermaid renderer see the same graph and no external tool is needed to produce it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from gateway.kong.scope import SpecResolver
from gateway.spec.models import GatewaySpec
from gateway.spec.plugins.language_router import LanguageRouterConfig

Column = int
SERVICES, UPSTREAMS, TARGETS = 0, 1, 2
COLUMN_TITLES = ("services", "upstreams", "targets")


@dataclass(frozen=True)
class Node:
    id: str
    column: Column
    label: str
    detail: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False
    """A route the language-router may take instead of the service's own upstream."""


@dataclass
class Topology:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def add(self, node: Node) -> str:
        if all(n.id != node.id for n in self.nodes):
            self.nodes.append(node)
        return node.id

    def column(self, column: Column) -> list[Node]:
        return [n for n in self.nodes if n.column == column]


def _id(kind: str, name: str) -> str:
    return f"{kind}_" + re.sub(r"[^A-Za-z0-9]", "_", name)


def topology(spec: GatewaySpec) -> Topology:
    """Enabled services, the upstreams they (or their language-router) send to, and those upstreams' targets."""
    graph = Topology()
    resolver = SpecResolver(spec)
    for name, service in spec.services.items():
        if not service.enabled:
            continue
        sid = graph.add(Node(_id("s", name), SERVICES, name, service.path or ""))
        if service.upstream is None:
            tid = graph.add(Node(_id("h", f"{service.host}:{service.port}"), TARGETS, f"{service.host}:{service.port}"))
            graph.edges.append(Edge(sid, tid))
            continue
        graph.edges.append(Edge(sid, _upstream(graph, spec, service.upstream)))
        languages: dict[str, list[str]] = {}
        routers = (resolver.on_route(name, route).get("language-router") for route in service.routes)
        for _, entry in filter(None, routers):
            if not isinstance(entry.config, LanguageRouterConfig):
                continue
            for language, upstream in entry.config.upstream_choices():
                if upstream != service.upstream:
                    languages.setdefault(upstream, []).append(language)
        for upstream, langs in languages.items():
            label = ", ".join(dict.fromkeys(langs))
            graph.edges.append(Edge(sid, _upstream(graph, spec, upstream), label, dashed=True))
    return graph


def _upstream(graph: Topology, spec: GatewaySpec, name: str) -> str:
    upstream = spec.upstreams[name]
    uid = _id("u", name)
    if any(n.id == uid for n in graph.nodes):
        return uid
    graph.add(Node(uid, UPSTREAMS, name, upstream.algorithm))
    for target in upstream.targets:
        tid = graph.add(Node(_id("t", target.address), TARGETS, target.address))
        graph.edges.append(Edge(uid, tid, f"weight {target.weight}"))
    return uid


def mermaid(graph: Topology) -> str:
    lines = ["flowchart LR"]
    for column, title in enumerate(COLUMN_TITLES):
        lines.append(f"  subgraph {title}")
        for node in graph.column(column):
            text = node.label + (f"<br/><small>{node.detail}</small>" if node.detail else "")
            lines.append(f'    {node.id}["{text}"]')
        lines.append("  end")
    for edge in graph.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{edge.label}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


# SVG layout: columns left to right, nodes stacked in graph order.
CHAR_W, BOX_H, GAP, COL_GAP, MARGIN, TITLE_H = 7, 34, 10, 140, 20, 30


def svg(graph: Topology) -> str:
    widths = [max([len(COLUMN_TITLES[c]), *(max(len(n.label), len(n.detail)) for n in graph.column(c))]) * CHAR_W + 20
              for c in range(len(COLUMN_TITLES))]
    xs = [MARGIN + sum(widths[:c]) + COL_GAP * c for c in range(len(widths))]
    where: dict[str, tuple[int, int, int]] = {}  # id -> x, y, width
    height = 0
    for c in range(len(COLUMN_TITLES)):
        y = MARGIN + TITLE_H
        for node in graph.column(c):
            where[node.id] = (xs[c], y, widths[c])
            y += BOX_H + GAP
        height = max(height, y)
    width = xs[-1] + widths[-1] + MARGIN
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + MARGIN}" '
           f'viewBox="0 0 {width} {height + MARGIN}" font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
           f'<rect width="{width}" height="{height + MARGIN}" fill="#fff"/>']
    for c, title in enumerate(COLUMN_TITLES):
        out.append(f'<text x="{xs[c]}" y="{MARGIN + 14}" font-weight="bold">{title}</text>')
    for edge in graph.edges:
        sx, sy, sw = where[edge.source]
        tx, ty, _ = where[edge.target]
        x1, y1, x2, y2 = sx + sw, sy + BOX_H // 2, tx, ty + BOX_H // 2
        mid = (x1 + x2) // 2
        dash = ' stroke-dasharray="5,4"' if edge.dashed else ""
        out.append(f'<path d="M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}" fill="none" stroke="#555"{dash} '
                   f'marker-end="url(#arrow)"/>')
        if edge.label and edge.dashed:
            out.append(f'<text x="{x2 - 6}" y="{y2 - 4}" text-anchor="end" font-size="10" fill="#555">'
                       f'{escape(edge.label)}</text>')
    for node in graph.nodes:
        x, y, w = where[node.id]
        fill = ("#e8f0fe", "#e6f4ea", "#fef7e0")[node.column]
        out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{BOX_H}" rx="5" fill="{fill}" stroke="#666"/>')
        if node.detail:
            out.append(f'<text x="{x + 8}" y="{y + 14}">{escape(node.label)}</text>')
            out.append(f'<text x="{x + 8}" y="{y + 28}" font-size="10" fill="#555">{escape(node.detail)}</text>')
        else:
            out.append(f'<text x="{x + 8}" y="{y + 21}">{escape(node.label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
