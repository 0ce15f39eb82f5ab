"""Run Pulumi code under mocks and record every registration: type, name, parent, deps, inputs.

The stock ``pulumi.runtime.test`` only awaits one Output; these tests need the whole resource graph,
with secrecy preserved (the stock mocks unwrap secrets), to assert counts, wiring and that no secret
travels in clear.
"""

from __future__ import annotations

import asyncio
import runpy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import grpc
import pulumi
from google.protobuf.json_format import MessageToDict
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"


@dataclass(frozen=True)
class Secret:
    """A value that was marked secret on its way to the engine."""

    value: Any


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    dependencies: list[str]
    inputs: dict[str, Any]
    """Inputs as sent, secrets wrapped in ``Secret``."""
    options: dict[str, Any] = field(default_factory=dict)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Input name -> URNs it depends on (how a plugin's ``routeId`` points at its route before ids exist)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """State the mocks returned (what a provider would store), secrets wrapped in ``Secret``."""

    def plain(self, key: str) -> Any:
        return reveal(self.inputs.get(key))


def reveal(value: Any) -> Any:
    """The value with every ``Secret`` unwrapped (for asserting on content)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def _mark(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG and "value" in value:
            return Secret(_mark(value["value"]))
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v) for v in value]
    return value


class InvokeRpcError(grpc.RpcError):  # type: ignore[misc]  # grpc ships no type hints
    """The resource monitor's error answer to an invoke (a provider's Invoke that returned an error): a call
    hook raises it, and the SDK turns it into ``Exception("invoke of <token> failed: <details>")``
    (pulumi/runtime/invoke.py, ``grpc_error_to_exception``)."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details


StateHook = Callable[[pulumi.runtime.MockResourceArgs], "dict[str, Any] | None"]
CallHook = Callable[[pulumi.runtime.MockCallArgs], "tuple[dict[str, Any], list[tuple[str, str]]] | None"]
"""An invoke's answer: (result, failures); a failure is (property, reason), as a provider reports it. A hook
raises ``InvokeRpcError`` for an invoke that fails as a whole."""


class _Mocks(pulumi.runtime.Mocks):
    state_hooks: ClassVar[list[StateHook]] = []
    """Extra state per resource (e.g. a failing migration's exitCode); later hooks win. Tests append and
    remove their own (see ``state_hook``)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = f"generated-{args.name}-" + "x" * 24
        elif args.typ == "tls:index/privateKey:PrivateKey":
            state["privateKeyPem"] = (f"-----BEGIN PRIVATE KEY-----\ngenerated-{args.name}-key\n"
                                      "-----END PRIVATE KEY-----\n")
        elif args.typ == "tls:index/selfSignedCert:SelfSignedCert":
            state["certPem"] = f"-----BEGIN CERTIFICATE-----\nself-signed-{args.name}\n-----END CERTIFICATE-----\n"
        elif args.typ == "kong:index/plugin:Plugin":
            # terraform-provider-kong resourceKongPluginRead: Kong's whole config, in a non-secret attribute
            state["computedConfig"] = args.inputs.get("configJson")
        elif args.typ == "docker:index/container:Container" and args.inputs.get("attach"):
            state["exitCode"] = 0  # an attached container has run to completion; real exit codes vary
        elif args.typ == "docker:index/network:Network" and "ipamConfigs" not in state:
            state["ipamConfigs"] = [{"subnet": "172.30.0.0/16", "gateway": "172.30.0.1"}]  # Docker's choice
        for hook in self.state_hooks:
            state.update(hook(args) or {})
        return f"{args.name}-id", state

    call_hooks: ClassVar[list[CallHook]] = []
    """Answers to invokes (e.g. docker:index/getLogs:getLogs); the first hook that answers wins."""

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        for hook in self.call_hooks:
            answer = hook(args)
            if answer is not None:
                return answer
        return {}, []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registration] = []
        self.outputs: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.registered.append(Registration(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=request.parent,
            provider=request.provider,
            dependencies=list(request.dependencies),
            inputs=_mark(MessageToDict(request.object)),
            outputs=_mark(MessageToDict(response.object)),
            options={"protect": request.protect, "retain_on_delete": request.retainOnDelete,
                     "ignore_changes": list(request.ignoreChanges),
                     "replace_on_changes": list(request.replaceOnChanges),
                     "delete_before_replace": request.deleteBeforeReplace,
                     "aliases": [MessageToDict(alias) for alias in request.aliases]},
            property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
        ))
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        self.outputs[request.urn] = _mark(MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


@dataclass
class Run:
    resources: list[Registration]
    stack_outputs: dict[str, Any]

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> Registration:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"{len(matches)} resources named {name}"
        return matches[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)

    def walk_inputs(self) -> Iterator[tuple[Registration, str, Any]]:
        for resource in self.resources:
            for key, value in resource.inputs.items():
                yield resource, key, value


def run(program: Callable[[], Any], *, stack: str = "dev", config: dict[str, str] | None = None,
        secret_keys: list[str] | None = None, preview: bool = False) -> Run:
    """Run ``program`` as a Pulumi program of project ai4v-gateway and return what it registered."""
    mocks = _Mocks()
    monitor = _RecordingMonitor(mocks)
    set_all_config(config or {}, secret_keys or [])
    pulumi.runtime.settings.ROOT.set(None)  # a fresh Stack per run (set_mocks reuses an existing root)
    pulumi.runtime.set_mocks(mocks, project="ai4v-gateway", stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.settings.SETTINGS.rpc_manager.clear()
    pulumi.runtime.settings.SETTINGS.outputs.clear()
    exported: dict[str, Any] = {}

    def program_and_exports() -> None:
        program()
        root = pulumi.runtime.settings.get_root_resource()
        for name, value in getattr(root, "outputs", {}).items():
            exported[name] = _sync_await(_settle(value))

    asyncio.get_event_loop().set_exception_handler(_quiet_unretrieved)
    _sync_await(run_pulumi_func(program_and_exports))
    return Run(monitor.registered, exported)


def _quiet_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed program leaves every Output that depended on the failure unretrieved; the failure
    itself reaches the test as an exception, so asyncio's thousands of echoes of it are dropped."""
    if str(context.get("message", "")).startswith(("Future exception was never retrieved",
                                                   "Task exception was never retrieved")):
        return
    loop.default_exception_handler(context)


async def _settle(value: Any) -> Any:
    """An exported value, resolved, wrapped in Secret if the Output is secret."""
    output = pulumi.Output.from_input(value)
    resolved = await output.future()
    return Secret(resolved) if await output.is_secret() else resolved


@contextmanager
def state_hook(hook: StateHook) -> Iterator[None]:
    """Add a mock state hook for the duration of a ``with`` block."""
    _Mocks.state_hooks.append(hook)
    try:
        yield
    finally:
        _Mocks.state_hooks.remove(hook)


@contextmanager
def call_hook(hook: CallHook) -> Iterator[None]:
    """Answer invokes with ``hook`` for the duration of a ``with`` block."""
    _Mocks.call_hooks.append(hook)
    try:
        yield
    finally:
        _Mocks.call_hooks.remove(hook)


def run_main(stack: str, config: dict[str, str] | None = None, secret_keys: list[str] | None = None) -> Run:
    """Run the project's ``__main__.py`` for ``stack`` under mocks."""
    return run(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"), stack=stack,
               config=config, secret_keys=secret_keys)


def engine_urn_map(resources: list[Registration], stack: str) -> dict[str, str]:
    """Mock URN -> the URN the real engine gives the registration. The mock monitor prefixes only the parent's
    last type; pkg/resource/deploy/deployment.go ``generateURN`` uses the parent's whole qualified type, and
    none for a child of the root stack."""
    by_urn = {r.urn: r for r in resources}
    qualified: dict[str, str] = {}

    def qualified_type(reg: Registration) -> str:
        if reg.urn not in qualified:
            parent = by_urn.get(reg.parent)
            if parent is None or parent.type == "pulumi:pulumi:Stack":
                qualified[reg.urn] = reg.type
            else:
                qualified[reg.urn] = f"{qualified_type(parent)}${reg.type}"
        return qualified[reg.urn]

    return {r.urn: f"urn:pulumi:{stack}::ai4v-gateway::{qualified_type(r)}::{r.name}" for r in resources}


def engine_urns(resources: list[Registration], stack: str) -> set[str]:
    return set(engine_urn_map(resources, stack).values())


def _urn(stack: str, parent: str, typ: str, name: str) -> str:
    """pkg/resource/urn.go ``CreateURN``: the parent's qualified type, ``$``, the type (no parent: the type)."""
    qualified = f"{_qualified_type(parent)}${typ}" if parent else typ
    return f"urn:pulumi:{stack}::ai4v-gateway::{qualified}::{name}"


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def matched_old_urns(resources: list[Registration], stack: str, olds: set[str]) -> dict[str, str]:
    """Old URN -> the new URN that takes it over, as the engine pairs a program's registrations with the state:
    by URN, else by the aliases pkg/resource/deploy/step_generator.go ``generateAliases`` derives (the
    resource's own alias specs, collapsed by ``collapseAliasToUrn``, and those inherited from a parent that
    was itself found under an alias, ``inheritedChildAlias``), first match wins (``getOldResource``)."""
    engine = engine_urn_map(resources, stack)
    found_as: dict[str, str] = {}  # new URN -> the old URN it took over (step_generator's sg.aliases)
    taken: dict[str, str] = {}
    for reg in resources:
        urn = engine[reg.urn]
        parent = engine.get(reg.parent, "")
        parent = "" if parent.split("::")[2:3] == ["pulumi:pulumi:Stack"] else parent
        aliases: list[str] = []
        for alias in reg.options.get("aliases", []):
            if "urn" in alias:
                aliases.append(alias["urn"])
                continue
            spec = alias.get("spec", {})
            alias_parent = spec.get("parentUrn") or parent
            alias_parent = found_as.get(alias_parent, alias_parent) if spec.get("parentUrn") else alias_parent
            if spec.get("noParent") or alias_parent.split("::")[2:3] == ["pulumi:pulumi:Stack"]:
                alias_parent = ""
            aliases.append(_urn(stack, alias_parent, spec.get("type") or reg.type, spec.get("name") or reg.name))
        if parent in found_as:
            old_parent = found_as[parent]
            parent_name = parent.rsplit("::", 1)[1]

            def inherited(child_type: str, child_name: str, old_parent: str = old_parent,
                          parent_name: str = parent_name) -> str:
                if child_name.startswith(parent_name):
                    child_name = old_parent.rsplit("::", 1)[1] + child_name[len(parent_name):]
                return _urn(stack, old_parent, child_type, child_name)

            aliases = [*aliases, inherited(reg.type, reg.name),
                       *(inherited(a.split("::")[2].rsplit("$", 1)[-1], a.rsplit("::", 1)[1]) for a in aliases)]
        for candidate in [urn, *aliases]:
            if candidate in olds and candidate not in taken:
                taken[candidate] = urn
                if candidate != urn:
                    found_as[urn] = candidate
                break
    return taken
