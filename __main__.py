"""ai4v-gateway: read the stack's config, load its spec, create the Kong entities, export outputs."""

from pathlib import Path

import pulumi

from gateway.entities import KongEntities, KongEntitiesArgs
from gateway.secrets import GatewaySecrets, GatewaySecretsArgs
from gateway.settings import StackSettings
from gateway.spec import SpecError, load_spec

ROOT = Path(__file__).resolve().parent
config = pulumi.Config()
stack = pulumi.get_stack()

settings = StackSettings.model_validate(
    {alias: config.get(alias) for alias in StackSettings.aliases() if config.get(alias) is not None}
)
try:
    spec = load_spec(ROOT / "stacks", stack, settings.mode)
except SpecError as exc:
    for problem in exc.problems:
        pulumi.log.error(str(problem))
    raise pulumi.RunError(
        f"{len(exc.problems)} problem(s) in the gateway spec; `python -m gateway validate --stack {stack}` lists them"
    ) from None

secret_names = spec.secret_names()
secrets = GatewaySecrets(
    "secrets",
    GatewaySecretsArgs(names=secret_names, provided={name: config.get_secret(name) for name in secret_names}),
)
entities = KongEntities(
    "kong",
    KongEntitiesArgs(spec=spec, stack=stack, admin_uri=settings.kong_admin_url, secrets=secrets.values),
)

pulumi.export("adminUrl", settings.kong_admin_url)
pulumi.export("consumerKeys", pulumi.Output.secret({
    f"{consumer}/{cred}": secrets.values[credential.key.secret]
    for consumer, entry in spec.consumers.items()
    for cred, credential in entry.keyauth_credentials.items()
}))
