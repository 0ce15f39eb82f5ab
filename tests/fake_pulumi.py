"""The fake ``pulumi`` of tests/fake_tools.py: stacks, config, secrets and state as the real CLI keeps them.

It refuses what the real CLI (pulumi/pulumi v3.259, pkg/cmd/pulumi) refuses, with its message:

- a command on a stack the backend does not have (``stack/io.go`` ``RequireStack``: non-interactive, no offer
  to create: ``backenderr.StackNotFoundError``), ``stack select`` of one without ``--create``
  (``stack/stack_select.go``), ``stack init`` of one that exists (``diy/backend.go`` ``CreateStack``:
  ``StackAlreadyExistsError``);
- the passphrase secrets manager (``pkg/secrets/passphrase/manager.go``): the passphrase comes from
  ``PULUMI_CONFIG_PASSPHRASE`` or ``_FILE`` (``readPassphrase``); an ``encryptionsalt`` in
  ``Pulumi.<stack>.yaml`` opens only with the passphrase that made it (``symmetricCrypterFromPhraseAndState``),
  ``stack init`` keeps a salt that is there and checks the passphrase against it
  (``NewPromptingPassphraseSecretsManager``); ``secure:`` values open only with the key that wrote them;
- ``stack change-secrets-provider`` (``stack/stack_change_secrets_provider.go``): decrypts with the old
  provider, takes a new passphrase from stdin when rotating passphrase to passphrase (``promptForNewPassphrase``
  non-interactive) or from the environment otherwise, saves ``Pulumi.<stack>.yaml`` first, then re-encrypts
  the checkpoint;
- ``stack import`` (``stack/stack_import.go``, ``io.go`` ``SaveSnapshot``): the deployment's secrets must
  open with its own secrets provider state and the current credentials, and every URN must be of this stack;
- ``stack rm`` refuses a stack with resources and deletes ``Pulumi.<stack>.yaml`` unless ``--preserve-config``;
- ``config set`` without a value reads stdin (``config/config.go``).

``up``/``destroy`` run a small model of this program: the engine creates and replaces in registration order
and deletes what the program no longer registers last (pkg/resource/deploy/step_generator.go
``GenerateDeletes``); Kong entities are created and deleted through node 1's Admin API, which DB-less Kong
answers 405; a DB-mode node serves the routes only once the entities are in Postgres, and a moment when no
node serves any more is logged as ``{"tool": "kong", "event": "outage"}``. ``state delete`` edits the state only.
``FAKE_FAIL=<subcommand words>[@<backend>][#<n>]`` makes that command fail (``stack change-secrets-provider`` after saving the
stack file, as a failing checkpoint import would leave it).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import secrets
import sys
from pathlib import Path
from typing import Any, NoReturn

import yaml

ARGS = sys.argv[1:]
STATE = Path(os.environ["FAKE_STATE"])
BACKEND = os.environ.get("PULUMI_BACKEND_URL", "")
RECORDED_ENV = ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "DOCKER_HOST",
                "DOCKER_CONTEXT", "PULUMI_SKIP_UPDATE_CHECK")
NS = "ai4v-gateway"
Record = dict[str, Any]


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(255)


def failing(command: str) -> bool:
    """``FAKE_FAIL=<command prefix>[@<backend>][#<n>]``: the (n-th) matching call fails, in that backend only if
    one is named."""
    spec, _, nth = os.environ.get("FAKE_FAIL", "").partition("#")
    prefix, _, backend = spec.partition("@")
    if not prefix or not command.startswith(prefix) or backend not in ("", BACKEND):
        return False
    calls = [json.loads(line) for line in Path(os.environ["FAKE_LOG"]).read_text(encoding="utf-8").splitlines()]
    seen = [c for c in calls if c["tool"] == "pulumi" and " ".join(c["argv"]).startswith(prefix)
            and backend in ("", c["env"]["PULUMI_BACKEND_URL"])]
    return len(seen) == int(nth or "1")


def log(entry: dict[str, Any]) -> None:
    with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def flag(*names: str) -> str | None:
    for index, arg in enumerate(ARGS):
        if arg in names and index + 1 < len(ARGS):
            return ARGS[index + 1]
        for name in names:
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def flags(name: str) -> list[str]:
    return [ARGS[i + 1] for i, arg in enumerate(ARGS[:-1]) if arg == name]


VALUE_FLAGS = {"--stack", "-s", "--file", "--secrets-provider", "--target", "-t", "--exclude", "--replace"}


def positional(start: int) -> list[str]:
    out, skip = [], False
    for arg in ARGS[start:]:
        if skip:
            skip = False
        elif arg in VALUE_FLAGS:
            skip = True
        elif not arg.startswith("-"):
            out.append(arg)
    return out


# --- stacks in the backend ---------------------------------------------------------------------------------

def stacks_dir() -> Path:
    return STATE / "stacks" / re.sub(r"[^A-Za-z0-9.-]", "_", BACKEND)


def stack_path(name: str) -> Path:
    return stacks_dir() / (name.replace("/", "_") + ".json")


def current_stack() -> str:
    name = flag("--stack", "-s")
    if name:
        return name
    current = stacks_dir() / "current"
    if current.exists():
        return current.read_text(encoding="utf-8")
    fail("no stack selected; specify a stack name with --stack")


def load_stack(name: str) -> Record:
    path = stack_path(name)
    if not path.exists():
        fail(f"no stack named '{name}' found")
    record: Record = json.loads(path.read_text(encoding="utf-8"))
    return record


def save_stack(name: str, record: Record) -> None:
    stacks_dir().mkdir(parents=True, exist_ok=True)
    stack_path(name).write_text(json.dumps(record), encoding="utf-8")


# --- Pulumi.<stack>.yaml and the secrets managers ------------------------------------------------------------

def stack_file(name: str) -> Path:
    return Path(f"Pulumi.{name.split('/')[-1]}.yaml")


def read_file(name: str) -> dict[str, Any]:
    path = stack_file(name)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return data if isinstance(data, dict) else {}


def write_file(name: str, data: dict[str, Any]) -> None:
    stack_file(name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def passphrase() -> str:
    """readPassphrase(useEnv=true), non-interactive."""
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ:
        return os.environ["PULUMI_CONFIG_PASSPHRASE"]
    path = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            fail("unable to read PULUMI_CONFIG_PASSPHRASE_FILE")
    fail("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment "
         "variables")


def new_salt(phrase: str) -> str:
    nonce = secrets.token_hex(4)
    return f"v1:{nonce}:{hashlib.sha256((nonce + phrase).encode()).hexdigest()[:16]}"


def salt_opens(salt: str, phrase: str) -> bool:
    parts = salt.split(":")
    return len(parts) == 3 and parts[2] == hashlib.sha256((parts[1] + phrase).encode()).hexdigest()[:16]


def kms_usable(url: str) -> bool:
    return url not in os.environ.get("FAKE_KMS_DENIED", "").split()


def key_of(provider: dict[str, str]) -> str:
    """The key a provider state stands for, after checking the credentials open it."""
    if provider.get("type") == "passphrase":
        if not salt_opens(provider["salt"], passphrase()):
            fail("incorrect passphrase")
        return provider["salt"]
    if not kms_usable(provider["url"]):
        fail(f"secrets (code=PermissionDenied): access denied to {provider['url']}")
    return provider["url"]


def file_provider(data: dict[str, Any]) -> dict[str, str] | None:
    if data.get("secretsprovider") and data.get("encryptedkey"):
        return {"type": "cloud", "url": data["secretsprovider"]}
    if data.get("encryptionsalt"):
        return {"type": "passphrase", "salt": data["encryptionsalt"]}
    return None


def encrypt(key: str, value: str) -> str:
    return base64.b64encode(json.dumps([key, value]).encode()).decode()


def decrypt(key: str, ciphertext: str) -> str:
    stored_key, value = json.loads(base64.b64decode(ciphertext))
    if stored_key != key:
        fail("failed to decrypt: cipher: message authentication failed")
    return str(value)


def has_secure(data: dict[str, Any]) -> bool:
    return any(isinstance(v, dict) and "secure" in v for v in (data.get("config") or {}).values())


def file_key(name: str, data: dict[str, Any], *, create: bool) -> str:
    """The stack's secrets manager from its file; with ``create``, a passphrase salt is made when there is none
    (GetSecretsManager on a stack whose file has no encryption yet)."""
    provider = file_provider(data)
    if provider is None:
        if not create:
            fail("no secrets provider in " + str(stack_file(name)))
        data["encryptionsalt"] = new_salt(passphrase())
        write_file(name, data)
        provider = file_provider(data)
        assert provider is not None
    return key_of(provider)


def configure_provider(name: str, data: dict[str, Any], provider: str, *, rotate: bool) -> str:
    """CreateSecretsManagerForExistingStack: passphrase keeps a salt that opens (or refuses), makes one if none
    (rotating: the new passphrase from stdin); a KMS URL writes secretsprovider and encryptedkey. Returns the
    new manager's key (the CLI caches that manager: no second passphrase check)."""
    if provider in ("passphrase", "default", ""):
        data.pop("secretsprovider", None)
        data.pop("encryptedkey", None)
        if rotate:
            data.pop("encryptionsalt", None)
            phrase = sys.stdin.readline().strip()
        else:
            phrase = passphrase()
        if data.get("encryptionsalt"):
            if not salt_opens(data["encryptionsalt"], phrase):
                fail("incorrect passphrase")
        else:
            data["encryptionsalt"] = new_salt(phrase)
    else:
        if not kms_usable(provider):
            fail(f"secrets (code=PermissionDenied): access denied to {provider}")
        data.pop("encryptionsalt", None)
        if data.get("secretsprovider") != provider or rotate:
            data["secretsprovider"] = provider
            data["encryptedkey"] = "fake-data-key-" + secrets.token_hex(4)
    write_file(name, data)
    return str(data.get("encryptionsalt") or provider)


# --- the program's model ---------------------------------------------------------------------------------------

def desired(name: str, data: dict[str, Any]) -> tuple[list[Record], str]:
    config = data.get("config") or {}
    mode = str(config.get(f"{NS}:mode") or "db")
    nodes = int(config.get(f"{NS}:kongNodes") or 1)
    stack = name.split("/")[-1]

    def urn(qualified: str, res: str) -> str:
        return f"urn:pulumi:{stack}::{NS}::{qualified}::{res}"

    container = "ai4v:gateway:DockerPlatform$docker:index/container:Container"
    out: list[Record] = [
        {"urn": urn("ai4v:gateway:GatewaySecrets", "secrets"), "type": "ai4v:gateway:GatewaySecrets"},
        {"urn": urn("ai4v:gateway:GatewaySecrets$random:index/randomPassword:RandomPassword", "redisPassword"),
         "type": "random:index/randomPassword:RandomPassword", "secret": "generated-redis-password"},
        {"urn": urn("ai4v:gateway:DockerPlatform", "platform"), "type": "ai4v:gateway:DockerPlatform"},
    ]
    if mode == "db":
        out += [{"urn": urn(container, f"platform-{role}"), "type": "docker:index/container:Container"}
                for role in ("postgres", "migrations")]
    out += [{"urn": urn(container, f"platform-kong-{i}"), "type": "docker:index/container:Container",
             "mode": mode} for i in range(1, nodes + 1)]
    if mode == "db":
        out += [{"urn": urn("ai4v:gateway:KongEntities", "kong"), "type": "ai4v:gateway:KongEntities"},
                {"urn": urn("ai4v:gateway:KongEntities$kong:index/service:Service", "asr"),
                 "type": "kong:index/service:Service"}]
    return out, mode


OUTPUTS: dict[str, Any] = {
    "platform": "docker", "proxyUrls": ["http://127.0.0.1:8000"], "proxyTlsUrls": ["https://127.0.0.1:8443"],
    "adminUrl": "http://127.0.0.1:8001", "managerUrl": "http://127.0.0.1:8002",
    "metricsUrl": "http://127.0.0.1:8100/metrics", "metricsUrls": ["http://127.0.0.1:8100/metrics"],
    "consumerKeys": {}, "consumerJwtSecrets": {}, "platformPasswords": {}}
"""The stack outputs of __main__.py (values: placeholders; ``mode`` is the deployed mode)."""


def glob_matches(pattern: str, urn: str) -> bool:
    """pkg/resource/deploy/deployment.go UrnTargets.getMatcher."""
    if "*" not in pattern:
        return pattern == urn
    regex = ".*".join("[^:]*".join(re.escape(p) for p in seg.split("*")) for seg in pattern.split("**"))
    return re.fullmatch(regex, urn) is not None


def in_scope(urn: str) -> bool:
    targets, excludes = flags("--target") + flags("-t"), flags("--exclude")
    if targets and not any(glob_matches(t, urn) for t in targets):
        return False
    return not any(glob_matches(e, urn) for e in excludes)


def kong_nodes(resources: list[Record]) -> list[Record]:
    return [r for r in resources if "mode" in r]


def serving(record: Record, resources: list[Record]) -> list[str]:
    """Kong nodes that answer the spec's routes: DB-less ones from kong.yml, DB-mode ones once the entities are in
    Postgres (``kong_db``: what pulumi-kong created through the Admin API; it goes with the Postgres container)."""
    return [r["urn"] for r in kong_nodes(resources) if r["mode"] == "dbless" or record.get("kong_db")]


def admin_api(record: Record, resources: list[Record], res: Record, verb: str) -> None:
    """pulumi-kong writes through the Admin API of node 1; DB-less Kong refuses writes with 405."""
    if not res["type"].startswith("kong:"):
        return
    nodes = kong_nodes(resources)
    if not nodes or nodes[0]["mode"] == "dbless":
        fail(f"{verb} {res['urn']}: HTTP status 405 Method Not Allowed: cannot {verb} in DB-less mode")
    kong_db = set(record.get("kong_db", []))
    kong_db = kong_db | {res["urn"]} if verb == "create" else kong_db - {res["urn"]}
    record["kong_db"] = sorted(kong_db)


def checkpoint_key(record: Record) -> str | None:
    provider = record["deployment"].get("secrets_providers")
    return key_of(provider) if provider else None


def step(name: str, record: Record, resources: list[Record]) -> None:
    record["deployment"]["resources"] = resources
    save_stack(name, record)
    now = bool(serving(record, resources))
    if record.get("served") and not now:  # it served before, and no node does now
        log({"tool": "kong", "event": "outage", "detail": "no Kong node serves the spec's routes"})
    record["served"] = now
    save_stack(name, record)


def up(name: str, *, destroy: bool = False) -> None:
    record = load_stack(name)
    data = read_file(name)
    key = file_key(name, data, create=False)
    for value in (data.get("config") or {}).values():
        if isinstance(value, dict) and "secure" in value:
            decrypt(key, value["secure"])
    old_key = checkpoint_key(record)
    old: list[Record] = record["deployment"].get("resources", [])
    for res in old:
        if "ciphertext" in res and old_key is not None:
            decrypt(old_key, res["ciphertext"])
    wanted, mode = ([], "") if destroy else desired(name, data)
    current = {r["urn"]: r for r in old}
    order = [r["urn"] for r in old]
    provider = file_provider(data)
    record["deployment"]["secrets_providers"] = provider
    for res in wanted:
        if not in_scope(res["urn"]):
            continue
        res = {k: v for k, v in res.items() if k != "secret"} | (
            {"ciphertext": encrypt(key, res["secret"])} if "secret" in res else {})
        if res["urn"] not in current:
            admin_api(record, [current[u] for u in order], res, "create")
            order.append(res["urn"])
        current[res["urn"]] = res
        step(name, record, [current[u] for u in order])
    if not destroy:  # the root stack's outputs, registered when the program ends, before the deletes
        record["outputs"] = {**OUTPUTS, "mode": mode}
        save_stack(name, record)
    wanted_urns = {r["urn"] for r in wanted}
    for urn in reversed(list(order)):
        if urn in wanted_urns or not in_scope(urn):
            continue
        admin_api(record, [current[u] for u in order], current[urn], "delete")
        if urn.endswith("::platform-postgres"):
            record["kong_db"] = []
        order.remove(urn)
        del current[urn]
        step(name, record, [current[u] for u in order])
    if destroy and not flags("--target"):
        record["outputs"] = {}
        save_stack(name, record)


# --- commands ----------------------------------------------------------------------------------------------

def init_stack(name: str, provider: str) -> None:
    if stack_path(name).exists():
        fail(f"stack '{name}' already exists")
    save_stack(name, {"deployment": {"resources": [], "secrets_providers": None}, "outputs": {}})
    data = read_file(name)
    configure_provider(name, data, provider, rotate=False)
    record = load_stack(name)
    record["deployment"]["secrets_providers"] = file_provider(data)
    save_stack(name, record)
    (stacks_dir() / "current").write_text(name, encoding="utf-8")


def config_set(name: str) -> None:
    load_stack(name)
    words = positional(2)
    key = words[0]
    value = words[1] if len(words) > 1 else sys.stdin.read().removesuffix("\n")
    data = read_file(name)
    data.setdefault("config", {})
    if "--secret" in ARGS:
        data["config"][key] = {"secure": encrypt(file_key(name, data, create=True), value)}
    else:
        data["config"][key] = value
    write_file(name, data)


def config_list(name: str) -> None:
    load_stack(name)
    data = read_file(name)
    config = data.get("config") or {}
    key = file_key(name, data, create=False) if has_secure(data) and "--show-secrets" in ARGS else None
    out = {}
    for k, v in config.items():
        if isinstance(v, dict) and "secure" in v:
            out[k] = {"value": decrypt(key, v["secure"]) if key else "[secret]", "secret": True}
        else:
            out[k] = {"value": str(v).lower() if isinstance(v, bool) else str(v), "secret": False}
    print(json.dumps(out) if "--json" in ARGS else "\n".join(f"{k} {v['value']}" for k, v in out.items()))


def change_secrets_provider(name: str) -> None:
    record = load_stack(name)
    data = read_file(name)
    old_key = file_key(name, data, create=False) if has_secure(data) else None  # GetDecrypter
    old_checkpoint_key = checkpoint_key(record)
    new_provider = positional(2)[0]
    rotate = new_provider == data.get("secretsprovider") or (new_provider == "passphrase"
                                                              and not data.get("secretsprovider"))
    new_key = configure_provider(name, data, new_provider, rotate=rotate)
    for value in (data.get("config") or {}).values():
        if isinstance(value, dict) and "secure" in value and old_key is not None:
            value["secure"] = encrypt(new_key, decrypt(old_key, value["secure"]))
    write_file(name, data)
    if failing(" ".join(ARGS)):
        fail("could not import deployment: the backend refused the re-encrypted checkpoint")
    for res in record["deployment"]["resources"]:
        if "ciphertext" in res and old_checkpoint_key is not None:
            res["ciphertext"] = encrypt(new_key, decrypt(old_checkpoint_key, res["ciphertext"]))
    record["deployment"]["secrets_providers"] = file_provider(data)
    save_stack(name, record)
    print("Migrating old configuration and state to new secrets provider")


def export(name: str) -> None:
    record = load_stack(name)
    deployment = json.loads(json.dumps(record["deployment"]))
    if "--show-secrets" in ARGS:
        key = checkpoint_key(record)
        for res in deployment["resources"]:
            if "ciphertext" in res and key is not None:
                res["plaintext"] = decrypt(key, res.pop("ciphertext"))
    text = json.dumps({"version": 3, "deployment": deployment}, indent=4)
    target = flag("--file")
    if target:
        Path(target).write_text(text, encoding="utf-8")
    else:
        print(text)


def import_(name: str) -> None:
    record = load_stack(name)
    source = flag("--file")
    deployment = json.loads(Path(source).read_text(encoding="utf-8") if source else sys.stdin.read())["deployment"]
    provider = deployment.get("secrets_providers")
    key = key_of(provider) if provider else None
    for res in deployment["resources"]:
        if "ciphertext" in res:
            if key is None:
                fail("deployment uses a SecretsProvider but no SecretsProvider was provided")
            decrypt(key, res["ciphertext"])
    stack = name.split("/")[-1]
    wrong = [r["urn"] for r in deployment["resources"] if r["urn"].split("::")[0] != f"urn:pulumi:{stack}"]
    if wrong and "--force" not in ARGS:
        fail(f"resource '{wrong[0]}' is from a different stack\nimporting this file could be dangerous; rerun "
             "with --force to proceed anyway")
    record["deployment"] = deployment
    save_stack(name, record)
    print("Import complete.")


def stack_rm(name: str) -> None:
    record = load_stack(name)
    if "--yes" not in ARGS and "-y" not in ARGS:
        fail("--yes must be passed in to proceed when running in non-interactive mode")
    if record["deployment"]["resources"] and "--force" not in ARGS:
        fail(f"'{name}' still has resources; removal rejected")
    stack_path(name).unlink()
    if "--preserve-config" not in ARGS and stack_file(name).exists():
        stack_file(name).unlink()


def state_delete(name: str) -> None:
    """pkg/cmd/pulumi/state/state_delete.go and pkg/resource/edit DeleteResource: the resource leaves the state
    (not the cloud); its children and dependents too with --target-dependents, else refused."""
    record = load_stack(name)
    if "--yes" not in ARGS and "-y" not in ARGS:
        fail("--yes must be passed in to proceed when running in non-interactive mode")
    urn = positional(2)[0]
    resources: list[Record] = record["deployment"]["resources"]
    target = next((r for r in resources if r["urn"] == urn), None)
    if target is None:
        fail(f"No such resource {urn!r} exists in the current state")
    chain = urn.split("::")[2]
    dependents = [r for r in resources if r["urn"].split("::")[2].startswith(chain + "$")]
    if dependents and "--target-dependents" not in ARGS:
        fail(f"{urn} can't be safely deleted because the following resources depend on it:\n"
             + "".join(f" * {r['urn']}\n" for r in dependents)
             + "\nDelete those resources first or pass --target-dependents.")
    gone = {urn, *(r["urn"] for r in dependents)}
    record["deployment"]["resources"] = [r for r in resources if r["urn"] not in gone]
    save_stack(name, record)


def stack_output(name: str) -> None:
    record = load_stack(name)
    names = positional(2)
    if os.environ.get("FAKE_STACK_OUTPUT") and names != ["mode"]:
        print(os.environ["FAKE_STACK_OUTPUT"])
        return
    outputs = record.get("outputs") or {}
    if names:
        if names[0] not in outputs:
            fail(f"current stack does not have output property '{names[0]}'")
        print(outputs[names[0]])
    else:
        print(json.dumps(outputs))


def main() -> None:
    entry: dict[str, Any] = {"tool": "pulumi", "argv": ARGS, "cwd": os.getcwd(),
                             "env": {k: os.environ.get(k) for k in RECORDED_ENV}}
    reads_stdin = (ARGS[:2] == ["config", "set"] and len(positional(2)) < 2) or ARGS[:2] == [
        "stack", "change-secrets-provider"]
    stdin = sys.stdin.read() if reads_stdin else None
    if stdin is not None:
        entry["stdin"] = stdin
        sys.stdin = io.StringIO(stdin)
    log(entry)
    if failing(" ".join(ARGS)) and ARGS[1:2] != ["change-secrets-provider"]:
        fail(f"{' '.join(ARGS[:2])}: failed (FAKE_FAIL)")
    if ARGS[:2] == ["stack", "select"]:
        name = positional(2)[0]
        if not stack_path(name).exists():
            if "--create" not in ARGS and "-c" not in ARGS:
                fail(f"no stack named '{name}' found")
            init_stack(name, flag("--secrets-provider") or "passphrase")
        (stacks_dir() / "current").write_text(name, encoding="utf-8")
    elif ARGS[:2] == ["stack", "init"]:
        init_stack(positional(2)[0], flag("--secrets-provider") or "passphrase")
    elif ARGS[:2] == ["stack", "change-secrets-provider"]:
        change_secrets_provider(current_stack())
    elif ARGS[:2] == ["stack", "export"]:
        export(current_stack())
    elif ARGS[:2] == ["stack", "import"]:
        import_(current_stack())
    elif ARGS[:2] == ["stack", "rm"]:
        stack_rm(positional(2)[0] if positional(2) else current_stack())
    elif ARGS[:2] == ["stack", "output"]:
        stack_output(current_stack())
    elif ARGS[:2] == ["config", "set"]:
        config_set(current_stack())
    elif ARGS[:1] == ["config"] and (len(ARGS) == 1 or ARGS[1].startswith("-")):
        config_list(current_stack())
    elif ARGS[:2] == ["state", "delete"]:
        state_delete(current_stack())
    elif ARGS[:1] == ["up"]:
        up(current_stack())
    elif ARGS[:1] == ["destroy"]:
        up(current_stack(), destroy=True)
    else:
        print("fake pulumi " + " ".join(ARGS))


main()
