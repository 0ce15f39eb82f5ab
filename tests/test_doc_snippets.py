"""Every YAML snippet and shell command in the docs (docs/*.md, README.md) is checked against the project.

YAML fences say what the snippet is:

- ```` ```yaml ````: a stack overlay, validated as `stacks/dev.yaml` on the real `stacks/base.yaml`;
- ```` ```yaml spec ````: a whole stack file, validated as the base with an empty overlay;
- ```` ```yaml kong ````: Kong declarative config (kong.yml / Admin API), validated by our plugin models and,
  where a Kong 3.9.3 is installed, by ``kong config parse``;
- ```` ```yaml traffic ````: a traffic-case file (tests/traffic/*.yaml), whose cases must hold on its stack.

Shell commands (```` ```sh ```` fences) must name make targets, `python -m gateway` command lines,
stacks, config keys, stack outputs and files that exist.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from commands import gateway_problem, make_problem, shell_functions, split_commands
from pulumi_harness import ROOT

from gateway.platform.docker.component import platform_secret_names
from gateway.spec import SpecError, available_stacks, load_spec
from gateway.spec.plugins import PLUGIN_CONFIGS
from gateway.stack.settings import StackSettings

DOC_FILES = [ROOT / "README.md", ROOT / "policy" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>[a-z]+)(?P<marker>[^\n]*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
NS = "ai4v-gateway"


def fences(lang: str) -> list[tuple[str, int, str, str]]:
    """(doc name, line, marker, body) of every fence of ``lang``."""
    out = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group("lang") == lang:
                out.append((path.name, text.count("\n", 0, m.start()) + 1, m.group("marker").strip(), m.group("body")))
    return out


YAML = fences("yaml")
SHELL = fences("sh")


def stacks_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    return tmp_path / "stacks"


def check_overlay(stacks: Path, body: str) -> None:
    (stacks / "dev.yaml").write_text(body, encoding="utf-8")
    load_spec(stacks, "dev")


def check_spec(stacks: Path, body: str) -> None:
    (stacks / "base.yaml").write_text(body, encoding="utf-8")
    (stacks / "dev.yaml").write_text("{}\n", encoding="utf-8")
    load_spec(stacks, "dev")


KONG_ENTITY_LISTS = ("services", "routes", "upstreams", "consumers", "targets")


def kong_problems(body: str) -> list[str]:
    """Offline: the plugins' configs against our models (Kong itself: ``test_kong_snippet_parses_in_kong``)."""
    doc = yaml.safe_load(body)
    problems: list[str] = []
    for key, items in doc.items():
        if key == "_format_version":
            continue
        if key == "plugins":
            for plugin in items:
                name, config = plugin["name"], plugin.get("config") or {}
                model = PLUGIN_CONFIGS.get(name)
                if model is None:
                    problems.append(f"{name}: not a plugin this project models")
                else:
                    try:
                        model.model_validate(config)
                    except ValueError as exc:
                        problems.append(f"{name}: {exc}")
        elif key not in KONG_ENTITY_LISTS:
            problems.append(f"{key}: not a kong.yml key this check knows")
    return problems


def traffic_problems(body: str) -> list[str]:
    """Each case of a traffic file, run through the offline request model (gateway.explain)."""
    from gateway.explain.corpus import TrafficFile, check, sample_bodies
    from gateway.explain.engine import Model, explain
    from gateway.explain.lua_runner import LuaRunner

    traffic = TrafficFile.model_validate(yaml.safe_load(body))
    model = Model(load_spec(ROOT / "stacks", traffic.stack))
    with LuaRunner(ROOT / "lua") as runner:
        return [f"{case.name}: {problem}" for case in traffic.cases
                for problem in check(case.expect, explain(model, case.request.build(sample_bodies(ROOT)),
                                                          lambda call: runner.run([call])[0]))]


def test_the_docs_have_yaml_of_every_kind() -> None:
    markers = {marker for _, _, marker, _ in YAML}
    assert {"", "kong"} <= markers <= {"", "spec", "kong", "traffic"}, markers
    assert any(name == "LANGUAGE_ROUTER.md" for name, *_ in YAML)


@pytest.mark.parametrize(("doc", "line", "marker", "body"), YAML, ids=[f"{d}:{n}" for d, n, _, _ in YAML])
def test_yaml_snippet_is_valid(tmp_path: Path, doc: str, line: int, marker: str, body: str) -> None:
    if marker == "kong":
        assert kong_problems(body) == []
        return
    if marker == "traffic":
        assert traffic_problems(body) == []
        return
    stacks = stacks_copy(tmp_path)
    try:
        (check_spec if marker == "spec" else check_overlay)(stacks, body)
    except SpecError as exc:
        pytest.fail(f"{doc}:{line}: " + "; ".join(str(p) for p in exc.problems))


def as_declarative(body: str) -> dict[str, Any]:
    """A kong snippet as a whole kong.yml: ``_format_version`` and a service for the routes and services its
    plugins name but it does not define."""
    doc: dict[str, Any] = {"_format_version": "3.0", **yaml.safe_load(body)}
    services = {s["name"] for s in doc.get("services", [])}
    routes = {r["name"] for s in doc.get("services", []) for r in s.get("routes", [])} | {
        r["name"] for r in doc.get("routes", [])}
    for plugin in doc.get("plugins", []):
        if plugin.get("service") and plugin["service"] not in services:
            doc.setdefault("services", []).append({"name": plugin["service"], "host": "snippet.internal"})
            services.add(plugin["service"])
        if plugin.get("route") and plugin["route"] not in routes:
            doc.setdefault("services", []).append({"name": f"snippet-{plugin['route']}", "host": "snippet.internal",
                                                   "routes": [{"name": plugin["route"], "paths": ["/snippet"]}]})
            routes.add(plugin["route"])
    return doc


KONG_SNIPPETS = [(doc, line, body) for doc, line, marker, body in YAML if marker == "kong"]


@pytest.mark.parametrize(("doc", "line", "body"), KONG_SNIPPETS, ids=[f"{d}:{n}" for d, n, _ in KONG_SNIPPETS])
def test_kong_snippet_parses_in_kong(doc: str, line: int, body: str, kong: Any, tmp_path: Path) -> None:
    """Issue 24 item 4: a ``yaml kong`` snippet of the docs is config Kong 3.9.3 accepts (``kong config parse``,
    our plugins on its path), not only one our models accept."""
    path = tmp_path / "kong.yml"
    path.write_text(yaml.safe_dump(as_declarative(body), sort_keys=False), encoding="utf-8")
    done = kong.config_parse(path, ROOT / "lua", tmp_path / "prefix")
    assert done.returncode == 0, f"{doc}:{line}: " + (done.stderr or done.stdout)[-1500:]


def test_kong_refuses_a_bad_kong_snippet(kong: Any, tmp_path: Path) -> None:
    path = tmp_path / "kong.yml"
    path.write_text(yaml.safe_dump(as_declarative("plugins:\n  - name: rate-limiting\n    route: r\n"
                                                  "    config: {minute: x}\n")), encoding="utf-8")
    done = kong.config_parse(path, ROOT / "lua", tmp_path / "prefix")
    assert done.returncode != 0 and "minute" in done.stderr


def test_snippet_checks_refuse_bad_snippets(tmp_path: Path) -> None:
    stacks = stacks_copy(tmp_path)
    # The LANGUAGE_ROUTER.md example as it was: a mapping to an upstream the spec does not have.
    dangling = ("services:\n  nmt:\n    plugins:\n      language-router:\n        config:\n"
                "          mappings: [{language: ta, upstream: nmt-dravidian}]\n")
    with pytest.raises(SpecError, match="nmt-dravidian"):
        check_overlay(stacks, dangling)
    with pytest.raises(SpecError):
        check_overlay(stacks, "language-router:\n  config: {preset: asr}\n")
    with pytest.raises(SpecError):
        check_spec(stacks, "services: {a: {host: a.internal, routes: {r: {paths: [nope]}}}}\n")
    assert kong_problems("plugins:\n  - name: rate-limiting\n    config: {minute: x}\n")
    assert kong_problems("plugins:\n  - name: language-router\n    config: {preset: klingon}\n")
    wrong = ("stack: dev\ncases:\n  - name: v1\n    request: {method: GET, url: /api/v1/nmt}\n"
             "    expect: {route: asr/asr-v1}\n")
    assert traffic_problems(wrong) == ["v1: route: expected 'asr/asr-v1', got 'nmt/nmt-v1'"]


# Shell commands.

def config_keys() -> set[str]:
    keys = set(StackSettings.aliases()) | platform_secret_names("db") | {"tlsPrivateKey"}
    for stack in available_stacks(ROOT / "stacks"):
        keys |= load_spec(ROOT / "stacks", stack).secret_names()
    return keys


def stack_outputs() -> set[str]:
    return set(re.findall(r'pulumi\.export\("([A-Za-z]+)"', (ROOT / "__main__.py").read_text(encoding="utf-8")))


PULUMI_SUBCOMMANDS = {"up", "preview", "destroy", "refresh", "login", "logout", "state", "stack", "config",
                      "cancel", "whoami", "import"}
EXTERNAL = {"curl", "docker", "ssh", "jq", "busted", "luacheck", "luajit", "openssl", "cd", "echo", "export",
            "python3", "seq", "xargs", "sort", "uniq", "grep", "head"}
"""Programs of the machine a command runs on (not of this repo); their arguments are not checked."""


def pulumi_problem(args: list[str]) -> str | None:
    if not args or args[0] not in PULUMI_SUBCOMMANDS:
        return f"pulumi {' '.join(args[:1])}: not a pulumi command these docs should use"
    if args[:2] == ["config", "set"]:
        key = next(a for a in args[2:] if not a.startswith("-"))
        name = key.removeprefix(f"{NS}:")
        if not key.startswith(f"{NS}:") or name not in config_keys():
            return f"{key}: not a setting (Pulumi.yaml) nor a secret the stacks use"
    if args[:2] == ["stack", "output"]:
        names = [a for a in args[2:] if not a.startswith("-")]
        if names and names[0] not in stack_outputs():
            return f"{names[0]}: not a stack output of __main__.py"
    if "--policy-pack" in args and not (ROOT / args[args.index("--policy-pack") + 1] / "PulumiPolicy.yaml").is_file():
        return "--policy-pack: no such policy pack"
    stacks = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--stack", "-s")]
    unknown = [s for s in stacks if s not in available_stacks(ROOT / "stacks")]
    return f"no stack {unknown}" if unknown else None


def docker_problem(args: list[str]) -> str | None:
    """Containers named ``ai4v-gateway-<stack>-<name>`` must belong to a stack that exists."""
    for arg in args:
        m = re.fullmatch(r"ai4v-gateway-([a-z]+)-[a-z0-9-]+", arg)
        if m and m.group(1) not in available_stacks(ROOT / "stacks"):
            return f"{arg}: no stack {m.group(1)!r}"
    return None


def command_problem(words: list[str], functions: set[str] | None = None) -> str | None:
    program, args = words[0], words[1:]
    if program in (functions or set()):
        return None
    if program == "make":
        return make_problem(args)
    if program.endswith("python") and args[:2] == ["-m", "gateway"]:
        return gateway_problem(args[2:])
    if program == "pulumi":
        return pulumi_problem(args)
    if program == "docker":
        return docker_problem(args)
    if program in EXTERNAL:
        return None
    if "/" in program:
        return None if (ROOT / program).exists() else f"{program}: no such file in the repo"
    return f"{program}: unknown program"


def doc_commands() -> list[tuple[str, int, list[str], set[str]]]:
    """(doc, line, command words, shell functions its block defines) for every command of every sh block."""
    out = []
    for doc, line, _, body in SHELL:
        out += [(doc, line, words, shell_functions(body)) for words in split_commands(body)]
    return out


def test_every_doc_command_names_what_exists() -> None:
    problems = [f"{doc}:{line}: {' '.join(words)}: {problem}" for doc, line, words, functions in doc_commands()
                if (problem := command_problem(words, functions))]
    assert problems == []
    assert len(doc_commands()) > 20


@pytest.mark.parametrize("command", [
    "make nonexistent", ".venv/bin/python -m gateway render --stack nope", ".venv/bin/python -m gateway frobnicate",
    "pulumi config set ai4v-gateway:noSuchKey 1", "pulumi stack output nonsense", "pulumi frob",
    "pulumi preview --policy-pack nowhere", "docker exec ai4v-gateway-qa-postgres true", "wget x",
])
def test_command_check_refuses(command: str) -> None:
    [words] = split_commands(command)
    assert command_problem(words) is not None


def test_gateway_commands_in_docs_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The read-only `python -m gateway` commands of the docs run and exit 0 (render writes into a scratch dir)."""
    from gateway.cli.main import main
    ran = 0
    for _, _, words, _ in doc_commands():
        if words[0].endswith("python") and words[1:3] == ["-m", "gateway"]:
            args: list[Any] = words[3:]
            if args[0] == "render" and "--with-secrets" not in args:
                args = [a if a not in ("kong.yml", "build/kong.staging.yml") else str(tmp_path / "k.yml") for a in args]
                assert main(args) == 0, args
                ran += 1
            elif args == ["validate"]:
                capsys.readouterr()
                # every stack as `pulumi up` sees it: as shipped, staging and prod lack the operator's TLS
                # certificate (and prod its Admin tunnel), so exit 2 with one config line per missing value
                code = main(args)
                err = capsys.readouterr().err.splitlines()
                assert code == 0 or (code == 2 and err and all(
                    line.startswith(("Pulumi.staging.yaml: config.", "Pulumi.prod.yaml: config."))
                    for line in err if not line.startswith("stacks/"))), err
                ran += 1
            elif args[0] == "validate" or args[:2] == ["docs", "--check"]:
                assert main(args) == 0, args
                ran += 1
    assert ran >= 3
