#!/usr/bin/env bash
# Any pulumi command on the stack `make up` deployed, with the same backend, passphrase and stack
# (scripts/pulumi-env.sh):  scripts/pulumi.sh stack output --show-secrets consumerKeys
#                           STACK=prod scripts/pulumi.sh config set --secret ai4v-gateway:redisPassword
# and one command of its own, to move a stack from the local default to shared state:
#   PULUMI_TARGET_BACKEND_URL=s3://bucket/ai4v PULUMI_TARGET_CONFIG_PASSPHRASE=... scripts/pulumi.sh move-state
#   (or PULUMI_TARGET_SECRETS_PROVIDER=awskms://... instead of the passphrase)
set -euo pipefail
cd "$(dirname "$0")/.."
AI4V_CMD="scripts/pulumi.sh"
if ! command -v pulumi >/dev/null 2>&1; then
  echo "$AI4V_CMD: the Pulumi CLI is not installed; see https://www.pulumi.com/docs/iac/download-install/" >&2
  exit 1
fi
# `-s X`, `--stack X` or `--stack=X` among the arguments names the stack, as it does for pulumi itself.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -s | --stack) STACK="${args[i + 1]:-}" ;;
    --stack=*) STACK="${args[i]#--stack=}" ;;
  esac
done
# shellcheck source=scripts/pulumi-env.sh
. scripts/pulumi-env.sh

# Export the stack's state and secret config in clear into a private directory, create the stack in the
# target backend with the target's secrets provider, import, set each secret again (re-encrypted),
# then delete the clear copies. The local stack is left as it was; remove it with `pulumi stack rm`.
move_state() {
  local target="${PULUMI_TARGET_BACKEND_URL:-}" provider="${PULUMI_TARGET_SECRETS_PROVIDER:-passphrase}"
  [ -n "$target" ] || ai4v_fail "move-state needs PULUMI_TARGET_BACKEND_URL (s3://..., azblob://..., gs://..., https://api.pulumi.com)"
  if [ "$provider" = passphrase ] && [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE+set}" ] \
      && [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE_FILE:-}" ]; then
    ai4v_fail "move-state to a passphrase-encrypted stack needs PULUMI_TARGET_CONFIG_PASSPHRASE or PULUMI_TARGET_CONFIG_PASSPHRASE_FILE (the team's passphrase), or PULUMI_TARGET_SECRETS_PROVIDER=<KMS key URL>"
  fi
  ai4v_select_stack
  ai4v_check_passphrase
  work="$(umask 077 && mktemp -d)"
  trap 'rm -rf "$work"' EXIT  # global: the trap runs after this function returns
  pulumi stack export --stack "$STACK" --show-secrets --file "$work/state.json"
  pulumi config --stack "$STACK" --show-secrets --json > "$work/config.json"
  .venv/bin/python - "$work/config.json" "$work" <<'PY'
import json, pathlib, sys
config = json.loads(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
out = pathlib.Path(sys.argv[2])
for number, (key, entry) in enumerate(sorted(config.items())):
    if entry.get("secret"):
        (out / f"secret.{number}.key").write_text(key, encoding="utf-8")
        (out / f"secret.{number}.value").write_text(str(entry["value"]), encoding="utf-8")
PY
  # The old encryption belongs to the old passphrase: drop it, the target stack writes its own.
  local keyfile
  for keyfile in "$work"/secret.*.key; do
    [ -e "$keyfile" ] || continue
    pulumi config rm --stack "$STACK" "$(cat "$keyfile")"
  done
  sed -i.bak -e '/^encryptionsalt:/d' -e '/^secretsprovider:/d' -e '/^encryptedkey:/d' "$STACK_FILE" && rm -f "$STACK_FILE.bak"

  export PULUMI_BACKEND_URL="$target"
  unset PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE
  [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE+set}" ] || export PULUMI_CONFIG_PASSPHRASE="$PULUMI_TARGET_CONFIG_PASSPHRASE"
  [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE_FILE:-}" ] || export PULUMI_CONFIG_PASSPHRASE_FILE="$PULUMI_TARGET_CONFIG_PASSPHRASE_FILE"
  pulumi stack init "$STACK" --non-interactive --secrets-provider "$provider"
  pulumi stack import --stack "$STACK" --file "$work/state.json"
  for keyfile in "$work"/secret.*.key; do
    [ -e "$keyfile" ] || continue
    pulumi config set --stack "$STACK" --secret "$(cat "$keyfile")" < "${keyfile%.key}.value"
  done
  echo "$AI4V_CMD: $STACK now lives in $target; commit $STACK_FILE (its new encryption) and set PULUMI_BACKEND_URL=$target (and the passphrase or PULUMI_SECRETS_PROVIDER=$provider) for every later command"
}

if [ "${1:-}" = move-state ]; then
  move_state
  exit 0
fi
ai4v_select_stack
ai4v_check_passphrase
exec pulumi "$@"
