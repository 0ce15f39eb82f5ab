"""The rules of ``ai4v_rules`` as pulumi-policy policies (``__main__.py`` serves them to ``pulumi preview``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ai4v_rules import (
    Resource,
    admin_published,
    clear_secrets,
    unauthenticated_routes,
    unlimited_services,
    unpinned_images,
    unprotected_postgres_volumes,
)
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)


class ClearSecretError(ValueError):
    """Raised from the remediation hook: the only hook that still sees which inputs are secret."""


def raw(value: Any) -> Any:
    """Inputs as plain dicts and lists, unknowns left as Pulumi's sentinel and secrets as ``Secret``.

    The SDK's proxies raise on an unknown value during preview; the rules skip unknowns themselves.
    """
    if isinstance(value, str):
        return value
    if type(value).__name__ == "Secret" and hasattr(value, "value"):
        return type(value)(raw(value.value))
    if isinstance(value, Mapping):
        try:
            target = value["__target"]
        except KeyError:
            target = value
        return {key: raw(target[key]) for key in target}
    if isinstance(value, Sequence):
        try:
            items = value["__target"]  # type: ignore[call-overload]
        except TypeError:
            items = value
        return [raw(item) for item in items]
    return value


def from_args(args: ResourceValidationArgs) -> Resource:
    return Resource(type=args.resource_type, name=args.name, urn=args.urn, props=raw(args.props),
                    protect=bool(args.opts.protect))


def from_stack(resource: PolicyResource) -> Resource:
    return Resource(type=resource.resource_type, name=resource.name, urn=resource.urn, props=raw(resource.props),
                    protect=bool(resource.opts.protect),
                    property_dependencies={key: [dep.urn for dep in deps]
                                           for key, deps in resource.property_dependencies.items()})


def resource_policy(name: str, description: str, rule: Callable[[Resource], list[str]]) -> Policy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for problem in rule(from_args(args)):
            report(problem, None)
    return ResourceValidationPolicy(name=name, description=description, validate=validate)


def stack_policy(name: str, description: str, rule: Callable[[list[Resource]], list[str]]) -> Policy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for problem in rule([from_stack(r) for r in args.resources]):
            report(problem, None)
    return StackValidationPolicy(name=name, description=description, validate=validate)


def refuse_clear_secrets(args: ResourceValidationArgs) -> None:
    """pulumi-policy 1.21 unwraps secrets before ``validate`` (``Analyze`` deserialises without
    ``proxy_secrets``) but keeps them marked for ``remediate``: this check runs there and fails the
    preview instead of rewriting anything."""
    problems = clear_secrets(from_args(args))
    if problems:
        raise ClearSecretError("no-clear-secrets: " + "; ".join(problems))


POLICIES: list[Policy] = [
    resource_policy("admin-loopback-only",
                    "The Kong Admin API and Kong Manager are never published on a non-loopback address.",
                    admin_published),
    stack_policy("routes-authenticated",
                 "Every route outside the declared public ones (tag 'public') has an auth plugin in scope.",
                 unauthenticated_routes),
    stack_policy("services-rate-limited", "Every Kong service has a rate limit.", unlimited_services),
    ResourceValidationPolicy(
        name="no-clear-secrets",
        description="No secret-looking value is in clear in any resource input.",
        remediate=refuse_clear_secrets,
        enforcement_level=EnforcementLevel.REMEDIATE,
    ),
    stack_policy("postgres-volume-protected", "The Postgres volume is protected on prod.",
                 unprotected_postgres_volumes),
    resource_policy("images-pinned", "Every image is pinned to one patch release (or a digest).", unpinned_images),
]
