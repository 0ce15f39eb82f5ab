"""The docs as a whole: an index by audience that lists every page, links that resolve, an architecture page
that names every package of ``gateway/`` and only paths that exist, and reference pages without measurement
history (a run's figures are ``make bench`` / ``make bench-live`` output)."""

from __future__ import annotations

import re
from pathlib import Path

from pulumi_harness import ROOT

DOCS = ROOT / "docs"
INDEX = DOCS / "README.md"
ARCHITECTURE = DOCS / "ARCHITECTURE.md"
AUDIENCES = ["Operators", "Authors of the spec and stack files", "People calling the API", "Contributors"]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
PATH = re.compile(r"`((?:gateway|tests|lua|bench|tools|policy|scripts|docs|stacks)/[A-Za-z0-9_./-]*)`")


def pages() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if p != INDEX)


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "policy" / "README.md", *sorted(DOCS.glob("*.md"))]


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation but ``-`` and ``_`` dropped, spaces to ``-``."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def test_docs_index_lists_every_page_by_audience() -> None:
    """Issue 24 item 5: docs/README.md groups the pages under the four audiences (operators, spec authors, API
    callers, contributors), one line per page saying what it answers; every page of docs/ is listed, and the
    project's README links the index."""
    assert INDEX.is_file(), "docs/README.md: the index of the docs is missing"
    text = INDEX.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert [next((a for a in AUDIENCES if h.startswith(a)), h) for h in headings] == AUDIENCES
    entries = re.findall(r"^- \[([A-Z_]+\.md)\]\(\1\): (.+)$", text, re.MULTILINE)
    assert len(entries) == len([line for line in text.splitlines() if line.startswith("- ")]), "a malformed line"
    assert all(len(answer.split()) >= 5 for _, answer in entries), "each line says what the page answers"
    assert {name for name, _ in entries} == {p.name for p in pages()}
    for section in text.split("\n## ")[1:]:
        names = re.findall(r"^- \[([A-Z_]+\.md)\]", section, re.MULTILINE)
        assert names and len(names) == len(set(names)), section.splitlines()[0]
    assert "](docs/README.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_link_between_docs_resolves() -> None:
    """A guard for the renames of issue 24 item 5 (passes on a main without them): every relative link of
    README.md and docs/*.md names a file that exists, and an anchor into a markdown page one of its headings."""
    broken = []
    for path in markdown_files():
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            if not resolved.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{path.relative_to(ROOT)}: {target}: no such heading")
    assert broken == []


def test_architecture_page_names_every_package_and_only_paths_that_exist() -> None:
    """Issue 24 item 5: docs/ARCHITECTURE.md names every package of ``gateway/`` (as it is laid out now), has
    the data-flow picture and the table of where each kind of change goes, and every path it names exists."""
    assert ARCHITECTURE.is_file(), "docs/ARCHITECTURE.md is missing"
    text = ARCHITECTURE.read_text(encoding="utf-8")
    packages = {f"{p.parent.relative_to(ROOT).as_posix()}/" for p in (ROOT / "gateway").rglob("__init__.py")}
    packages.discard("gateway/")
    assert {p for p in packages if f"`{p}`" not in text} == set()
    assert "```mermaid" in text and "## Where each kind of change goes" in text
    changes = text.split("## Where each kind of change goes", 1)[1]
    rows = [line for line in changes.splitlines() if line.startswith("| ") and not line.startswith("| change")]
    assert len(rows) >= 10 and all(len(row.split(" | ")) == 3 for row in rows)
    for kind in ("a CLI command", "a stack setting", "a platform resource", "a language", "a plugin of our own"):
        assert any(row.startswith(f"| {kind} ") for row in rows), kind
    missing = [p for p in PATH.findall(text) if "<" not in p and not (ROOT / p).exists()]
    assert missing == []


def test_reference_pages_hold_no_measurement_history() -> None:
    """Issue 24 item 5: the docs keep the current figures a reader needs, not the history of runs ("in an
    earlier run", "on this branch", a dated measurement): those are bench output."""
    history = re.compile(r"earlier run|later run|on this branch|this session|measured (?:on|in) \d{4}-\d\d", re.I)
    found = [f"{p.name}: {m.group(0)}" for p in markdown_files()
             for m in history.finditer(p.read_text(encoding="utf-8").replace("\n", " "))]
    assert found == []
