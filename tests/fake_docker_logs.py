"""terraform-provider-docker's ``docker_logs`` data source as the program meets it through ``docker.get_logs``.

``dataSourceDockerLogsRead`` (internal/provider/data_source_docker_logs.go, v4.5.0, the upstream of
pulumi-docker 5.x) reads Docker's multiplexed log stream (moby stdcopy frames: stream byte, three zero
bytes, 4-byte big-endian size, payload) with a ``bufio.Scanner`` (``ScanLines``: split at ``\\n``, one ``\\r``
before it dropped, a last line without newline kept) and, with ``discard_headers`` (default true), returns
``line[8:]`` of every line, which panics on a line shorter than 8 bytes. A missing container is the Docker
daemon's error, which reaches the program as the invoke's RPC error; a crashed provider as another one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_harness
from pulumi_harness import InvokeRpcError

LOGS = "docker:index/getLogs:getLogs"
STDOUT, STDERR = 1, 2


def frame(stream: int, payload: str) -> bytes:
    """One frame of the multiplexed stream."""
    data = payload.encode("utf-8")
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def stream(stdout: list[str], stream_id: int = STDOUT) -> bytes:
    """One frame per log line, as ``docker logs`` sends a container's line-by-line output."""
    return b"".join(frame(stream_id, line + "\n") for line in stdout)


class ProviderPanicError(Exception):
    """``line[8:]`` on a shorter line: "panic: runtime error: slice bounds out of range"."""


def scan_lines(data: bytes, discard_headers: bool) -> list[str]:
    """``logs_list_string`` for ``data``: dataSourceDockerLogsRead's scanner loop."""
    tokens = data.split(b"\n")
    if tokens and tokens[-1] == b"":
        tokens.pop()  # ScanLines: no empty token after a final newline
    lines = []
    for token in tokens:
        line = token[:-1] if token.endswith(b"\r") else token
        if discard_headers:
            if len(line) < 8:
                raise ProviderPanicError(f"slice bounds out of range [8:{len(line)}]")
            line = line[8:]
        lines.append(line.decode("utf-8"))
    return lines


def engine_error(details: str) -> InvokeRpcError:
    """The engine's answer when the provider's Invoke returns an error (pkg/resource/deploy/source_eval.go,
    ``resmon.Invoke``); the bridge prefixes "invoking <token>: " (pkg/tfbridge/provider.go, ``Invoke``)."""
    return InvokeRpcError(f"invocation of {LOGS} returned an error: {details}")


def missing(name: str) -> InvokeRpcError:
    return engine_error(f"invoking {LOGS}: dataSourceDockerLogsRead: error while asking for logs "
                        f"Error response from daemon: No such container: {name}")


CRASHED = engine_error("rpc error: code = Unavailable desc = error reading from server: EOF")
"""What the engine says when the provider process died during the Invoke (e.g. the panic above)."""


def get_logs_hook(streams: Mapping[str, bytes | InvokeRpcError]) -> pulumi_harness.CallHook:
    """Answer ``getLogs`` per container name like the provider: the lines of its stream as asked
    (``discardHeaders`` defaults to true, as in the schema), the daemon's error for a container not in
    ``streams``, or the given error."""
    def hook(args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]] | None:
        if args.token != LOGS:
            return None
        name = args.args["name"]
        answer = streams.get(name)
        if answer is None:
            raise missing(name)
        if isinstance(answer, InvokeRpcError):
            raise answer
        assert args.args.get("showStderr") is False  # stdout holds the marker lines (database.migrations_script)
        try:
            return {"logsListStrings": scan_lines(answer, args.args.get("discardHeaders", True))}, []
        except ProviderPanicError:
            raise CRASHED from None
    return hook
