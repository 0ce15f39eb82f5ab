"""``python -m local_gateway up|down`` (with ``tests/`` on ``PYTHONPATH``; the Makefile's ``live-up``,
``live-down``).

``up`` prints one JSON object: the stack outputs a deployed stack has (``proxyUrls``, ``proxyTlsUrls``,
``adminUrl``, ``consumerKeys``, ...), and ``stateFile``, the gateway's description, which
``make integration`` and ``make smoke`` read when ``AI4V_LIVE_GATEWAY`` names it.

Exit codes: 0 ok; 1 the gateway did not start (one line says why); 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys

from gateway.spec import SpecError
from local_gateway import gateway, kong_install
from local_gateway.layout import LIVE_DIR
from local_gateway.processes import StartError

UP_NAME = "up-{stack}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_gateway", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the local gateway of a stack and print its settings")
    up.add_argument("--stack", default="dev")
    up.add_argument("--mode", choices=["dbless", "db"], default="dbless")
    commands.add_parser("down", help="stop every local gateway of this checkout")
    args = parser.parse_args(argv)
    if args.command == "down":
        roots = gateway.running(LIVE_DIR)
        for root in roots:
            stopped = gateway.down(root)
            print(f"live-down: {root.name}: stopped {len(stopped)} processes", file=sys.stderr)
        if not roots:
            print("live-down: no local gateway is running", file=sys.stderr)
        return 0
    install = kong_install.usable()
    if isinstance(install, str):
        print(f"live-up: {install}", file=sys.stderr)
        return 1
    try:
        state = gateway.up(args.stack, args.mode, install, name=UP_NAME.format(stack=args.stack),
                           progress=lambda line: print(f"live-up: {line}", file=sys.stderr))
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except (StartError, FileExistsError, TimeoutError) as exc:
        print(f"live-up: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({**state.outputs(), "stack": state.stack, "stateFile": str(state.layout.state_file)},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())



