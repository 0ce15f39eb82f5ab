"""Benchmarks of the Python side: evaluating stacks under Pulumi mocks, and scale with spec size.

Run with `make bench`. Prints one line per figure. Targets (issue 2): dev stack < 2 s; a generated spec
of 500 services < 30 s, growing linearly.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from platform_helpers import stack_config
from pulumi_harness import run, run_main

from gateway.kong.entities import KongEntities, KongEntitiesArgs
from gateway.spec import load_spec
from gateway.stack.secrets import GatewaySecrets, GatewaySecretsArgs

ROOT = Path(__file__).resolve().parent.parent


def evaluate(stacks_dir: Path, stack: str) -> int:
    """Load, validate and evaluate a stack's entities under mocks; returns resources registered."""
    spec = load_spec(stacks_dir, stack)

    def program() -> None:
        secrets = GatewaySecrets("secrets", GatewaySecretsArgs(names=spec.secret_names(), provided={}))
        KongEntities("kong", KongEntitiesArgs(spec=spec, stack=stack, admin_uri="http://127.0.0.1:8001",
                                              secrets=secrets.values))

    return len(run(program, stack=stack).resources)


def timed(fn: Callable[[], int], repeats: int) -> tuple[float, int]:
    """Median seconds of ``fn``; its warnings (pulumi.log to stderr) are not part of the report."""
    times, count = [], 0
    for _ in range(repeats):
        with contextlib.redirect_stderr(io.StringIO()):
            start = time.perf_counter()
            count = fn()
            times.append(time.perf_counter() - start)
    return statistics.median(times), count


def generated_spec(services: int) -> dict[str, object]:
    """``services`` services, each with an upstream of two targets, two routes and four plugins."""
    upstreams, svcs, consumers = {}, {}, {}
    for i in range(services):
        name = f"svc{i:04d}"
        upstreams[name] = {"health_path": "/health",
                           "healthchecks": {"active": {"healthy": {"interval": 10},
                                                       "unhealthy": {"interval": 5, "http_failures": 3}}},
                           "targets": [{"target": f"{name}-a:8080"}, {"target": f"{name}-b:8080", "weight": 50}]}
        svcs[name] = {
            "upstream": name, "path": f"/api/v1/{name}",
            "routes": {f"{name}-v1": {"paths": [f"/api/v1/{name}"]}, f"{name}": {"paths": [f"/api/{name}"]}},
            "plugins": {"key-auth": {"config": {"key_names": ["apikey"], "hide_credentials": True}},
                        "acl": {"config": {"allow": [name]}},
                        "rate-limiting": {"config": {"minute": 100, "hour": 1000, "limit_by": "consumer"}},
                        "request-size-limiting": {"config": {"allowed_payload_size": 10}}},
        }
        consumers[f"client{i:04d}"] = {"custom_id": f"client{i:04d}", "acl_groups": [name],
                                       "keyauth_credentials": {"k": {"key": {"secret": f"client{i:04d}Key"}}}}
    return {"upstreams": upstreams, "services": svcs, "consumers": consumers,
            "plugins": {"correlation-id": {"config": {"header_name": "X-Correlation-ID"}}}}


def main() -> None:
    config, secret_keys = stack_config("dev")
    seconds, count = timed(lambda: len(run_main("dev", config, secret_keys).resources), repeats=5)
    print(f"spec.dev_stack_under_mocks: {seconds:.3f} s (whole __main__.py, {count} resources; target < 2 s)")
    per_service = {}
    for size in (125, 250, 500):
        with tempfile.TemporaryDirectory() as tmp:
            stacks = Path(tmp) / "stacks"
            stacks.mkdir()
            (stacks / "base.yaml").write_text(yaml.safe_dump(generated_spec(size)), encoding="utf-8")
            (stacks / "bench.yaml").write_text("{}\n", encoding="utf-8")
            seconds, count = timed(lambda: evaluate(stacks, "bench"), repeats=1)  # noqa: B023
        per_service[size] = seconds / size
        print(f"spec.generated_{size}_services_entities_under_mocks: {seconds:.2f} s ({count} resources"
              + ("; target < 30 s)" if size == 500 else ")"))
    growth = per_service[500] / per_service[125]
    print(f"spec.linearity_per_service_500_vs_125: {growth:.2f}x (1.00 = linear)")


if __name__ == "__main__":
    main()
