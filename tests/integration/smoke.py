"""`make smoke` (``PYTHONPATH=tests python -m integration.smoke``): the ``smoke``-marked live tests (a few per area, well under 20 s), one ✓/✗ line per area.

An area is one test file (test_routing.py -> routing). ✓ when every smoke test of the area passed; ✗ with
the first failure (or, when nothing could run, the skip reason). Exit 0 only when every area is ✓.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from integration import live

HERE = Path(__file__).resolve().parent


@dataclass
class Area:
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)


def area_of(nodeid: str) -> str:
    """``tests/integration/test_rate_limiting.py::test_x[a]`` -> ``rate limiting``."""
    module = nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
    return module.removeprefix("test_").replace("_", " ")


def first_line(text: str, limit: int = 160) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    chosen = next((line for line in lines if line.startswith("E ")), lines[-1] if lines else "")
    chosen = chosen.removeprefix("E ").strip()
    return chosen if len(chosen) <= limit else chosen[: limit - 1] + "…"


def lines(areas: dict[str, Area]) -> list[str]:
    """One line per area: ``✓ routing: 3 passed`` or ``✗ auth: test_name: what failed``."""
    out = []
    width = max((len(name) for name in areas), default=0)
    for name, area in sorted(areas.items()):
        if area.failures:
            out.append(f"✗ {name:<{width}}  {area.failures[0]}")
        elif area.passed:
            out.append(f"✓ {name:<{width}}  {area.passed} passed")
        else:
            out.append(f"✗ {name:<{width}}  not checked: {area.skips[0] if area.skips else 'no smoke test'}")
    return out


class Collector:
    """A pytest plugin that files each smoke test's outcome under its area."""

    def __init__(self) -> None:
        self.areas: dict[str, Area] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        area = self.areas.setdefault(area_of(report.nodeid), Area())
        test = report.nodeid.split("::", 1)[-1]
        if report.failed:
            area.failures.append(f"{test}: {first_line(str(report.longrepr))}")
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            area.skips.append(str(reason).removeprefix("Skipped: "))
        elif report.when == "call":
            area.passed += 1


def main() -> int:
    os.environ[live.ENV_OPT_IN] = "1"
    started = time.monotonic()
    found = live.availability(os.environ)
    if isinstance(found, str):
        print(f"✗ gateway  {found}")
        return 1
    # Hand the settings found to the test session, so it does not ask pulumi a second time.
    os.environ.update({live.ENV_PROXY: ",".join(found.proxy_urls), live.ENV_KEY: found.key,
                       live.ENV_DEVELOPER_KEY: found.developer_key, live.ENV_ASR_ONLY_KEY: found.asr_only_key,
                       live.ENV_JWT_SECRET: found.jwt_secret, live.ENV_STACK: found.stack,
                       live.ENV_DEMO_BACKENDS: "1" if found.demo_backends else "0"})
    if found.admin_url:
        os.environ[live.ENV_ADMIN] = found.admin_url
    collector = Collector()
    code = pytest.main([str(HERE), "-m", "smoke", "-p", "no:terminal", "-p", "no:cacheprovider",
                        "-o", "addopts="], plugins=[collector])
    print(f"smoke: {found.proxy_url} ({found.source})")
    for line in lines(collector.areas):
        print(line)
    print(f"smoke: {time.monotonic() - started:.1f} s")
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        print(f"✗ pytest  exit code {int(code)}")
        return 1
    return 0 if collector.areas and all(a.passed and not a.failures for a in collector.areas.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
