"""ai4v-gateway: read the stack's config, load its spec, create the platform and the Kong entities, export."""

import gc
from pathlib import Path
from typing import NoReturn

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from gateway.kong.entities import KongEntities, KongEntitiesArgs
from gateway.platform import naming
from gateway.platform.factory import create_platform
from gateway.platform.interface import PlatformArgs, platform_secret_names
from gateway.spec import SpecError, load_spec
from gateway.spec.problems import Problem
from gateway.stack.checks import check_stack
from gateway.stack.secrets import GatewaySecrets, GatewaySecretsArgs
from gateway.stack.settings import NAMESPACE, StackSettings, stack_file

ROOT = Path(__file__).resolve().parent
# A spec of hundreds of services makes thousands of resources, each with many Outputs and asyncio tasks; with
# CPython's default thresholds the collector rescans that growing heap so often that evaluation grows faster
# than linearly (measured under mocks: a 500-service spec took 36 s with the defaults, 13 s with these).
_, gen1, gen2 = gc.get_threshold()
gc.set_threshold(100_000, max(gen1, 50), max(gen2, 1000))
config = pulumi.Config()
stack = pulumi.get_stack()


def stop(problems: list[Problem], what: str) -> NoReturn:
    """One error line per problem in `pulumi preview` / `pulumi up`, then stop before creating anything."""
    for problem in problems:
        pulumi.log.error(str(problem))
    raise pulumi.RunError(f"{len(problems)} problem(s) in {what}; `python -m gateway validate --stack {stack}` "
                          "lists them")


# Every ai4v-gateway:* key set; a secret one (not a setting) only counts as present, its value is never read here.
config_keys = {key.removeprefix(f"{NAMESPACE}:") for key in {*CONFIG.get(), *get_config_env()}
               if key.startswith(f"{NAMESPACE}:")}
settings_keys = set(StackSettings.aliases())
config_values = {key: config.get(key) if key in settings_keys else {"secure": "..."} for key in config_keys}
config_values = {key: value for key, value in config_values.items() if value is not None}
try:
    settings, spec = check_stack(stack, config_values, lambda mode: load_spec(ROOT / "stacks", stack, mode))
except SpecError as exc:
    stop(exc.problems, ", ".join(sorted({p.file for p in exc.problems})) or stack_file(stack))

secret_names = spec.secret_names() | platform_secret_names(settings.mode)
secrets = GatewaySecrets(
    "secrets",
    GatewaySecretsArgs(names=secret_names, provided={name: config.get_secret(name) for name in secret_names}),
)
platform = create_platform(
    "platform",
    PlatformArgs(spec=spec, stack=stack, settings=settings, secrets=secrets.values,
                 tls_private_key=config.get_secret(naming.TLS_PRIVATE_KEY)),
)
if settings.mode == "db":
    # DB-less Kong refuses Admin API writes; there the platform uploads the rendered kong.yml instead.
    KongEntities(
        "kong",
        KongEntitiesArgs(spec=spec, stack=stack, admin_uri=platform.component.admin_url.apply(lambda url: url or ""),
                         secrets=secrets.values),
        pulumi.ResourceOptions(depends_on=list(platform.component.kong_nodes)),
    )

pulumi.export("mode", settings.mode)
pulumi.export("platform", settings.platform)
pulumi.export("proxyUrls", platform.exports.proxy_urls)
pulumi.export("proxyTlsUrls", platform.exports.proxy_tls_urls)
pulumi.export("adminUrl", platform.component.admin_url)
pulumi.export("managerUrl", platform.exports.manager_url)
pulumi.export("metricsUrl", pulumi.Output.from_input(platform.exports.metrics_urls).apply(lambda urls: urls[0]))
pulumi.export("metricsUrls", platform.exports.metrics_urls)
pulumi.export("consumerKeys", pulumi.Output.secret({
    credential: secrets.values[name] for credential, name in spec.consumer_key_secrets().items()}))
pulumi.export("consumerJwtSecrets", pulumi.Output.secret({
    credential: secrets.values[name] for credential, name in spec.consumer_jwt_secrets().items()}))
pulumi.export("platformPasswords", pulumi.Output.secret({
    name: secrets.values[name] for name in sorted(platform_secret_names(settings.mode))
}))
