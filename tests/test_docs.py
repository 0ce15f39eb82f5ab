"""``python -m gateway docs``: the committed API docs match the spec; the table and diagram cover every entity."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import edit_yaml
from pulumi_harness import ROOT

from gateway.cli.main import main
from gateway.docs import DOCS, documented_stack, expected_files, svg_name
from gateway.docs.routes import route_rows
from gateway.docs.topology import mermaid, topology
from gateway.kong.declarative import render
from gateway.kong.entities import ROUTE_UNCLEARABLE, UPSTREAM_UNCLEARABLE
from gateway.spec import load_spec

DOC = DOCS / "API_ROUTES.md"


def test_committed_docs_match_a_fresh_render() -> None:
    """Docs drift: edit the spec, then run `python -m gateway docs` and commit what it writes."""
    stack = documented_stack(ROOT)
    assert stack is not None, "no doc has a generated part"
    files = expected_files(ROOT, load_spec(ROOT / "stacks", stack), stack)
    assert {p.name for p in files} >= {"API_ROUTES.md", "AUTHENTICATION.md", "RATE_LIMITING.md",
                                       svg_name(stack)}
    for path, text in files.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is out of date: run `.venv/bin/python -m gateway docs --stack {stack}`")


def table_rows(stack: str) -> dict[str, list[str]]:
    text = (ROOT / DOC).read_text(encoding="utf-8")
    rows = [line.strip("|").split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells] for cells in rows[1:]}


def test_routes_table_lists_every_route_of_the_rendered_dev_stack() -> None:
    kong_yml = render(load_spec(ROOT / "stacks", "dev", "dbless"), "dev")
    rendered = {route["name"] for service in kong_yml["services"] for route in service["routes"]}
    assert rendered and set(table_rows("dev")) == rendered


def test_rows_say_what_kong_runs() -> None:
    rows = table_rows("dev")
    spec = load_spec(ROOT / "stacks", "dev")
    by_header = spec.services["asr"].routes["asr-v2-by-header"]
    paths = "<br>".join(by_header.paths or []).replace("|", "\\|")
    assert rows["asr-v2-by-header"][1:5] == [paths, "any", "asr → asr", "v2 (X-API-Version: v2)"]
    assert rows["asr"][4] == "v1 (unversioned path)" and rows["asr-v1"][4] == "v1"
    assert rows["asr"][5].startswith("key-auth: apikey, X-API-Key (header, query) or jwt: ")
    assert rows["asr"][6] == "asr"
    assert rows["asr"][7].startswith("100/minute, 1000/hour per X-Client-Identity (local)")
    assert rows["asr"][8] == "preset asr; en→asr-en; else asr"
    assert rows["auth"][5] == "none (public)" and rows["auth"][7].startswith("200/minute, 2000/hour per ip")
    assert rows["pipeline"][8] == "-"


def test_route_plugin_beats_service_plugin_in_the_table(project: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data.setdefault("services", {})["asr"] = {"routes": {"asr-v1": {"paths": ["/api/v1/asr"], "methods": ["POST"],
                                                  "plugins": {"rate-limiting-inline": {"config": {"second": 5}}}}}}
    edit_yaml(project / "stacks" / "dev.yaml", change)
    [row] = [r for r in route_rows(load_spec(project / "stacks", "dev")) if r.route == "asr-v1"]
    assert (row.methods, row.limits.split(";")[0]) == ("POST", "5/second per consumer (local)")
    [other] = [r for r in route_rows(load_spec(project / "stacks", "dev")) if r.route == "asr"]
    assert other.limits.startswith("100/minute")


def test_topology_has_every_service_upstream_and_target() -> None:
    spec = load_spec(ROOT / "stacks", "dev")
    graph = topology(spec)
    svg_text = (ROOT / "docs" / svg_name("dev")).read_text(encoding="utf-8")
    labels = {t.text for t in ElementTree.fromstring(svg_text).iter("{http://www.w3.org/2000/svg}text")}
    targets = {t.address for u in spec.upstreams.values() for t in u.targets}
    assert set(spec.services) | set(spec.upstreams) | targets <= labels
    chart = mermaid(graph)
    assert "s_asr --> u_asr" in chart and 's_asr -.->|"en"| u_asr_en' in chart
    assert 'u_nmt -->|"weight 100"| t_nmt_service_2_8089' in chart
    dashed = [e for e in graph.edges if e.dashed]
    assert {(e.source, e.target) for e in dashed} == {("s_asr", "u_asr_en"), ("s_tts", "u_tts_dravidian"),
                                                      ("s_tts", "u_tts_misc")}
    assert len(graph.edges) == len(spec.services) + sum(len(u.targets) for u in spec.upstreams.values()) + len(dashed)


def copy_project(tmp_path: Path) -> Path:
    for name in ("stacks", "docs"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for path in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_docs_command_rewrites_only_the_generated_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project(tmp_path)
    doc = root / DOC
    doc.write_text(doc.read_text(encoding="utf-8").replace("# AI4V-Core gateway API", "# Hand-written title"),
                   encoding="utf-8")
    assert main(["--root", str(root), "docs", "--check"]) == 0
    edit_yaml(root / "stacks" / "dev.yaml", lambda d: d.setdefault("services", {}).update(
        {"nmt": {"routes": {"nmt-batch": {"paths": ["/api/v1/nmt-batch"]}}}}))
    assert main(["--root", str(root), "docs", "--check"]) == 1
    assert "docs/API_ROUTES.md: out of date" in capsys.readouterr().err
    assert main(["--root", str(root), "docs", "--stack", "dev"]) == 0
    text = doc.read_text(encoding="utf-8")
    assert "| nmt-batch | /api/v1/nmt-batch |" in text and text.startswith("# Hand-written title")
    assert main(["--root", str(root), "docs", "--check"]) == 0


def test_docs_without_markers_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project(tmp_path)
    for path in (root / DOCS).glob("*.md"):
        path.write_text("# no markers\n", encoding="utf-8")
    assert main(["--root", str(root), "docs"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("docs/: no generated part; add '<!-- BEGIN GENERATED routes")


def test_unknown_part_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project(tmp_path)
    (root / DOCS / "X.md").write_text("<!-- BEGIN GENERATED nope (python -m gateway docs --stack dev) -->\n"
                                      "<!-- END GENERATED nope -->\n", encoding="utf-8")
    assert main(["--root", str(root), "docs"]) == 2
    assert capsys.readouterr().err == "docs/X.md: unknown generated part 'nope'; parts: routes, topology, consumers, rate-limits\n"


def _section(doc: str, heading: str) -> str:
    text = (ROOT / DOCS / doc).read_text(encoding="utf-8")
    assert heading in text, f"docs/{doc} has no '{heading}'"
    rest = text.split(heading, 1)[1]
    return rest.split("\n## ", 1)[0]


def _spec_field(pulumi_name: str) -> str:
    """``healthchecks.active.httpsSni`` -> ``healthchecks.active.https_sni``: the spec's spelling."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), pulumi_name)


def test_docs_say_what_kong_does() -> None:
    """Issue 22 item 18: what the docs say Kong 3.9.3 does, as its source and a real Kong show it
    (tests/test_kong_claims.py, tests/integration/test_security.py): the flood guard runs after Kong's
    rewrite phase; the 426 and ``X-Forwarded-Proto`` are ``access.before``; nginx's own errors are logged as
    ``/kong_error_handler``; the delete-first windows of targets, routes and upstreams are in OPERATIONS.md."""
    docs = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / DOCS).glob("*.md")}
    everything = "\n".join(docs.values()).replace("\n", " ")
    assert not re.search(r"costs no Lua", everything), "the flood guard runs after Kong.rewrite (Lua)"
    for doc in ("SECURITY.md", "DECISIONS.md"):
        assert "after Kong's rewrite phase" in docs[doc].replace("\n  ", " ").replace("\n", " "), doc
    for match in re.finditer(r"access\.after", everything):  # it does append the query string (correct)
        around = everything[max(0, match.start() - 250):match.end()]
        assert not re.search(r"426|X-Forwarded-Proto|redirect", around), (
            f"the 426 and X-Forwarded-Proto are in kong/runloop/handler.lua access.before: ...{around}")
    assert docs["SECURITY.md"].count("`access.before`") >= 2
    assert "/kong_error_handler" in _section("SECURITY.md", "## 7. No credential in any log")

    windows = _section("OPERATIONS.md", "## Changes that delete before they create (DB mode)")
    for field in ("weight", "tags", *map(_spec_field, ROUTE_UNCLEARABLE), *map(_spec_field, UPSTREAM_UNCLEARABLE)):
        assert f"`{field}`" in windows, f"OPERATIONS.md does not say that a change of `{field}` replaces delete-first"
    assert "503" in windows and "404" in windows
