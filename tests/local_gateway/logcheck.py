"""Kong's error log against the lines docs/LOCAL_GATEWAY.md explains.

Every ``[warn]``, ``[error]``, ``[crit]``, ``[alert]`` or ``[emerg]`` line a Kong node writes during a live run
must match one of the patterns of docs/LOCAL_GATEWAY.md's table "Log lines Kong writes that the live run accepts"
(the first cell of each row, a regular expression in backticks), where the reason for each is given. Any
other such line fails the run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from local_gateway.layout import ROOT

DOC = ROOT / "docs" / "LOCAL_GATEWAY.md"
HEADING = "## Log lines Kong writes that the live run accepts"
LEVELS = re.compile(r"\[(warn|error|crit|alert|emerg)\]")
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")


def documented(doc: Path = DOC) -> list[re.Pattern[str]]:
    """The patterns of the table under ``HEADING``."""
    text = doc.read_text(encoding="utf-8")
    if HEADING not in text:
        raise ValueError(f"{doc}: no section '{HEADING}'")
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    # A `|` in a table cell is written `\|` (GitHub's tables), code spans included.
    return [re.compile(match.group(1).replace("\\|", "|")) for line in section.splitlines()
            if (match := ROW.match(line))]


@dataclass
class Report:
    matched: Counter[str] = field(default_factory=Counter)
    """Pattern -> how many lines it explained."""
    unexplained: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = sum(self.matched.values())
        kinds = ", ".join(f"{n} x `{p}`" for p, n in self.matched.most_common())
        head = f"{total} warn/error lines, all explained in docs/LOCAL_GATEWAY.md" if not self.unexplained else \
            f"{len(self.unexplained)} warn/error lines not explained in docs/LOCAL_GATEWAY.md"
        return head + (f" ({kinds})" if kinds else "")


def check(lines: Iterable[str], patterns: list[re.Pattern[str]]) -> Report:
    report = Report()
    for line in lines:
        if line.startswith("{") or not LEVELS.search(line):  # an access log line (JSON) is a request, not Kong's
            continue
        hit = next((p for p in patterns if p.search(line)), None)
        if hit is None:
            report.unexplained.append(line.rstrip())
        else:
            report.matched[hit.pattern] += 1
    return report


def check_files(paths: Iterable[Path], patterns: list[re.Pattern[str]] | None = None) -> Report:
    lines: list[str] = []
    for path in paths:
        if path.is_file():
            lines += path.read_text(errors="replace").splitlines()
    return check(lines, documented() if patterns is None else patterns)
