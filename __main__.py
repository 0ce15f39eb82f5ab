"""ai4v-gateway: read the stack's config, load its spec, create the platform and the Kong entities, export."""

from pathlib import Path
from typing import NoReturn

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from gateway import stackconfig
from gateway.entities import KongEntities, KongEntitiesArgs
from gateway.perf import relax_gc
from gateway.platform import naming
from gateway.platform.interface import PlatformArgs, create_platform, platform_secret_names
from gateway.secrets import GatewaySecrets, GatewaySecretsArgs
from gateway.settings import NAMESPACE, StackSettings, settings_from_values
from gateway.spec import SpecError, load_spec
from gateway.spec.problems import Problem

ROOT = Path(__file__).resolve().parent
relax_gc()  # thousands of resources on large specs: see gateway/perf.py
config = pulumi.Config()
stack = pulumi.get_stack()

def stop(problems: list[Problem], what: str) -> NoReturn:
    """One error line per problem in `pulumi preview` / `pulumi up`, then stop before creating anything."""
    for problem in problems:
        pulumi.log.error(str(problem))
    raise pulumi.RunError(f"{len(problems)} problem(s) in {what}; `python -m gateway validate --stack {stack}` "
                          "lists them")


config_file = stackconfig.stack_file(stack)
config_keys = {key.removeprefix(f"{NAMESPACE}:") for key in {*CONFIG.get(), *get_config_env()}
               if key.startswith(f"{NAMESPACE}:")}
try:
    settings = settings_from_values(
        {alias: config.get(alias) for alias in StackSettings.aliases() if config.get(alias) is not None}, config_file)
except SpecError as exc:
    stop(exc.problems, config_file)
try:
    spec = load_spec(ROOT / "stacks", stack, settings.mode)
except SpecError as exc:
    stop(exc.problems, "the gateway spec")
config_problems = [
    *stackconfig.unknown_key_problems(config_keys, stackconfig.known_keys(spec.secret_names()), config_file),
    *stackconfig.deploy_problems(settings, has_tls_key=naming.TLS_PRIVATE_KEY in config_keys, stack=stack),
]
if config_problems:
    stop(config_problems, config_file)

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
