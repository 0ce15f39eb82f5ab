"""Checks of a stack's ``ai4v-gateway:*`` config: ``check_stack`` is the one check ``pulumi preview`` (through
``__main__.py``) and ``validate`` run.

Each finds every problem and reports it as one ``Problem`` line (``Pulumi.<stack>.yaml: config.<key>: ...``),
so a mistake in stack config reads like a mistake in the spec, with no traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gateway.platform import naming
from gateway.platform.interface import deploy_problem
from gateway.spec.loader import Mode
from gateway.spec.models import GatewaySpec
from gateway.spec.problems import Problem, SpecError
from gateway.stack.settings import NAMESPACE, StackSettings, settings_from_values, stack_file


class TlsConfigError(ValueError):
    pass


def config_set(stack: str | None) -> str:
    """The command that sets a stack's config through the project's state (scripts/pulumi.sh)."""
    return "scripts/pulumi.sh config set" + (f" -s {stack}" if stack else "")


def check_tls_inputs(certificate: str | None, has_key: bool, self_signed: bool, stack: str | None = None) -> None:
    """Raise one clear error unless the settings give a certificate or allow a self-signed one."""
    cmd = config_set(stack)
    if certificate and not has_key:
        raise TlsConfigError("ai4v-gateway:tlsCertificate is set but its key is not: "
                             f"`{cmd} --secret ai4v-gateway:tlsPrivateKey < key.pem`")
    if has_key and not certificate:
        raise TlsConfigError("ai4v-gateway:tlsPrivateKey is set but ai4v-gateway:tlsCertificate is not")
    if not certificate and not self_signed:
        raise TlsConfigError(
            f"no TLS certificate for the proxy: `{cmd} ai4v-gateway:tlsCertificate < cert.pem` "
            f"and `{cmd} --secret ai4v-gateway:tlsPrivateKey < key.pem`, or "
            f"`{cmd} ai4v-gateway:tlsSelfSigned true` (dev only)")


def known_keys(secret_names: Iterable[str]) -> set[str]:
    """Every key the program reads: the settings, the platform's secrets and those the spec names."""
    return {*StackSettings.aliases(), naming.TLS_PRIVATE_KEY, naming.POSTGRES_PASSWORD, naming.REDIS_PASSWORD,
            *secret_names}


def unknown_key_problems(keys: Iterable[str], known: set[str], file: str) -> list[Problem]:
    """A key nobody reads is a typo until shown otherwise: name the closest known key."""
    problems = []
    for key in sorted(set(keys) - known):
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean {NAMESPACE}:{close[0]}?" if close else f"known keys: {', '.join(sorted(known))}"
        problems.append(Problem(file, ("config", f"{NAMESPACE}:{key}"), f"unknown key; {hint}"))
    return problems


def deploy_problems(settings: StackSettings, *, has_tls_key: bool, stack: str) -> list[Problem]:
    """What stops ``pulumi up`` before anything is created, though each value is valid on its own."""
    problems = []
    file = stack_file(stack)
    try:
        check_tls_inputs(settings.tls_certificate, has_tls_key, settings.tls_self_signed, stack)
    except TlsConfigError as exc:
        problems.append(Problem(file, ("config", f"{NAMESPACE}:tlsCertificate"), str(exc)))
    platform = deploy_problem(settings, stack)
    if platform is not None:
        problems.append(Problem(file, ("config", f"{NAMESPACE}:{platform.key}"), platform.message))
    return problems


def check_stack(stack: str, config: Mapping[str, Any], load: Callable[[Mode], GatewaySpec], *,
                deployable: bool = True) -> tuple[StackSettings, GatewaySpec]:
    """The stack's settings and spec, or SpecError with every problem of both: the settings' values, the spec
    (``load`` for the settings' mode), keys nobody reads, and (``deployable``) what stops ``pulumi up``.
    ``config``: every ``ai4v-gateway:*`` key of the stack without namespace; a secure value (a mapping, as in
    the stack file) only counts as present."""
    file = stack_file(stack)
    problems: list[Problem] = []
    settings: StackSettings | None = None
    try:
        settings = settings_from_values({k: v for k, v in config.items() if not isinstance(v, dict)}, file)
    except SpecError as exc:
        problems += exc.problems
    try:
        spec = load(settings.mode if settings else "db")
    except SpecError as exc:
        raise SpecError([*problems, *exc.problems]) from None
    problems += unknown_key_problems(config, known_keys(spec.secret_names()), file)
    if settings is not None and deployable:
        problems += deploy_problems(settings, has_tls_key=naming.TLS_PRIVATE_KEY in config, stack=stack)
    if problems or settings is None:
        raise SpecError(problems)
    return settings, spec


MODE_SWITCH_DOC = "docs/OPERATIONS.md, Switching modes"


def mode_switch_problem(settings: StackSettings, *, deployed: str, kong_entities: bool, stack: str) -> Problem | None:
    """A db <-> dbless switch in one ``pulumi up`` leaves the stack unable to deploy. The engine deletes what the
    program no longer registers after every create and replace (pulumi pkg/resource/deploy/step_generator.go
    ``GenerateDeletes``, run once the program has registered everything): to dbless, the entities' deletes reach
    nodes already DB-less, which answer 405, and every later ``up`` fails the same way; to db, the nodes roll onto
    an empty database and serve 404 until the entities are created after them. ``deployed`` is the stack output
    ``mode`` of the last deployment; ``kong_entities``: the state still holds ``ai4v:gateway:KongEntities``."""
    if deployed not in ("db", "dbless") or deployed == settings.mode:
        return None
    if deployed == "db" and not kong_entities:
        return None  # the entities were deleted while Kong was still in DB mode (switch-mode's first step)
    return Problem(stack_file(stack), ("config", f"{NAMESPACE}:mode"),
                   f"the stack runs {deployed} mode; switching it to {settings.mode} in one `pulumi up` leaves it "
                   f"unable to deploy: run `STACK={stack} scripts/pulumi.sh switch-mode {settings.mode}` "
                   f"({MODE_SWITCH_DOC})")
