#!/usr/bin/env bash
# Any pulumi command on the stack `make up` deployed, with the same backend, passphrase and stack
# (scripts/pulumi-env.sh):  scripts/pulumi.sh stack output --show-secrets consumerKeys
#                           STACK=prod scripts/pulumi.sh config set --secret ai4v-gateway:redisPassword
# and two commands of its own (docs/OPERATIONS.md): move a stack from the local default to shared state,
#   PULUMI_TARGET_BACKEND_URL=s3://bucket/ai4v PULUMI_TARGET_CONFIG_PASSPHRASE=... scripts/pulumi.sh move-state
#   (or PULUMI_TARGET_SECRETS_PROVIDER=awskms://... instead of the passphrase), and switch modes:
#   STACK=prod scripts/pulumi.sh switch-mode dbless
set -euo pipefail
cd "$(dirname "$0")/.."
AI4V_CMD="scripts/pulumi.sh"
if ! command -v pulumi >/dev/null 2>&1; then
  echo "$AI4V_CMD: the Pulumi CLI is not installed; see https://www.pulumi.com/docs/iac/download-install/" >&2
  exit 1
fi
# `-s X`, `--stack X` or `--stack=X` among the arguments names the stack, as it does for pulumi itself.
args=("$@")
words=()  # the subcommand's words, flags left out
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -s | --stack) STACK="${args[i + 1]:-}"; i=$((i + 1)) ;;
    --stack=*) STACK="${args[i]#--stack=}" ;;
    -*) ;;
    *) words+=("${args[i]}") ;;
  esac
done
# shellcheck source=scripts/pulumi-env.sh
. scripts/pulumi-env.sh

# Move the stack to PULUMI_TARGET_BACKEND_URL with no clear copy of any secret, leaving the source stack as
# it was unless every step succeeds (docs/OPERATIONS.md, Moving state):
#   1. copy Pulumi.<stack>.yaml and the state as stored (encrypted) into a private directory;
#   2. re-key the stack to the target's secrets provider: `pulumi stack change-secrets-provider` re-encrypts
#      config and state (pkg/cmd/pulumi/stack/stack_change_secrets_provider.go; passphrase to passphrase reads
#      the new passphrase from stdin when not interactive: pkg/secrets/passphrase/manager.go promptForNewPassphrase);
#   3. export it, create the stack in the target backend (refused if it exists there), import: the import opens
#      the state's secrets with the target's passphrase or key (stack_import.go DeserializeUntypedDeployment).
# On a failure the half-made target stack is removed and the copies restored.
move_state() {
  local target="${PULUMI_TARGET_BACKEND_URL:-}" provider="${PULUMI_TARGET_SECRETS_PROVIDER:-passphrase}"
  [ -n "$target" ] || ai4v_fail "move-state needs PULUMI_TARGET_BACKEND_URL (s3://..., azblob://..., gs://..., https://api.pulumi.com)"
  if [ "$provider" = passphrase ] && [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE+set}" ] \
      && [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE_FILE:-}" ]; then
    ai4v_fail "move-state to a passphrase-encrypted stack needs PULUMI_TARGET_CONFIG_PASSPHRASE or PULUMI_TARGET_CONFIG_PASSPHRASE_FILE (the team's passphrase), or PULUMI_TARGET_SECRETS_PROVIDER=<KMS key URL>"
  fi
  if [ -n "${PULUMI_TARGET_CONFIG_PASSPHRASE_FILE:-}" ] && [ "$(grep -c '' "$PULUMI_TARGET_CONFIG_PASSPHRASE_FILE" 2>/dev/null || echo 0)" != 1 ]; then
    ai4v_fail "PULUMI_TARGET_CONFIG_PASSPHRASE_FILE=$PULUMI_TARGET_CONFIG_PASSPHRASE_FILE must hold the passphrase on one line (pulumi reads one line when re-keying)"
  fi
  ai4v_select_stack
  ai4v_check_passphrase
  [ -f "$STACK_FILE" ] || ai4v_fail "no $STACK_FILE: the stack's config and encryption live there"
  local source="$PULUMI_BACKEND_URL" step="copying the stack" rekeyed=0 created=0
  work="$(umask 077 && mktemp -d)"
  trap 'rm -rf "$work"' EXIT  # global: the trap runs after this function returns

  in_target() (
    export PULUMI_BACKEND_URL="$target"
    unset PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE
    [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE+set}" ] || export PULUMI_CONFIG_PASSPHRASE="$PULUMI_TARGET_CONFIG_PASSPHRASE"
    [ -z "${PULUMI_TARGET_CONFIG_PASSPHRASE_FILE:-}" ] || export PULUMI_CONFIG_PASSPHRASE_FILE="$PULUMI_TARGET_CONFIG_PASSPHRASE_FILE"
    "$@"
  )
  new_passphrase() {
    if [ -n "${PULUMI_TARGET_CONFIG_PASSPHRASE+set}" ]; then
      printf '%s\n' "$PULUMI_TARGET_CONFIG_PASSPHRASE"  # a builtin: never on a command line
    else
      cat "$PULUMI_TARGET_CONFIG_PASSPHRASE_FILE"
    fi
  }
  give_back() {
    if [ "$created" = 1 ]; then
      in_target pulumi stack rm --stack "$STACK" --yes --preserve-config >/dev/null \
        || echo "$AI4V_CMD: remove the empty stack $STACK from $target by hand (pulumi stack rm --preserve-config)" >&2
    fi
    if [ "$rekeyed" = 1 ]; then
      cp -p "$work/stack.yaml" "$STACK_FILE"
      pulumi stack import --stack "$STACK" --file "$work/backup.json" >/dev/null
    fi
    ai4v_fail "move-state failed while $step (above); $STACK is as it was in $source, nothing moved"
  }

  cp -p "$STACK_FILE" "$work/stack.yaml"
  pulumi stack export --stack "$STACK" --file "$work/backup.json" || give_back
  step="re-keying $STACK to the target's secrets provider"
  rekeyed=1  # from here a failure may have rewritten the stack file or state: restore both
  if [ "$provider" = passphrase ]; then
    new_passphrase | pulumi stack change-secrets-provider --stack "$STACK" passphrase || give_back
  else
    pulumi stack change-secrets-provider --stack "$STACK" "$provider" </dev/null || give_back
  fi
  step="exporting the re-keyed state"
  pulumi stack export --stack "$STACK" --file "$work/state.json" || give_back
  step="creating $STACK in $target"
  in_target pulumi stack init "$STACK" --non-interactive --secrets-provider "$provider" || give_back
  created=1
  step="importing the state into $target"
  in_target pulumi stack import --stack "$STACK" --file "$work/state.json" || give_back
  echo "$AI4V_CMD: $STACK now lives in $target; commit $STACK_FILE (its new encryption) and set PULUMI_BACKEND_URL=$target (and the passphrase or PULUMI_SECRETS_PROVIDER=$provider) for every later command. The copy in $source now opens only with the target's secrets; remove it once the shared one works (docs/OPERATIONS.md, Moving state)"
}

# db <-> dbless in the order that keeps the stack deployable (docs/OPERATIONS.md, Switching modes):
#   to dbless: while Kong still runs in DB mode, take the entities out of the state (`pulumi state delete
#     --target-dependents`: the component and its children; Kong keeps serving them from Postgres), then set
#     the mode and deploy: the nodes roll to DB-less one at a time, and no entity is left for the engine to
#     delete on DB-less nodes (405); Postgres and its rows go last;
#   to db: set the mode and deploy all but Kong nodes 2..N (Postgres, migrations, node 1, then the entities
#     through node 1), then deploy the rest: nodes 2..N keep serving the DB-less config until the entities
#     exist, and roll onto a populated database.
switch_mode() {
  local to="${1:-}" deployed
  case "$to" in db | dbless) ;; *) ai4v_fail "switch-mode needs the mode to switch to: db or dbless" ;; esac
  ai4v_select_stack
  ai4v_check_passphrase
  deployed="$(pulumi stack output mode --stack "$STACK" 2>/dev/null)" || deployed=""
  if [ "$deployed" = "$to" ]; then  # switched already, or a run that stopped after the update: finish it
    echo "$AI4V_CMD: $STACK runs $to mode already; deploying it as it is"
    STACK="$STACK" bash scripts/up.sh
    return 0
  fi
  # The stack must validate in the new mode before anything changes (e.g. `policy: cluster` needs a database).
  pulumi config set --stack "$STACK" "ai4v-gateway:mode" "$to"
  if ! .venv/bin/python -m gateway validate --stack "$STACK_NAME" >/dev/null; then
    pulumi config set --stack "$STACK" "ai4v-gateway:mode" "${deployed:-db}"
    ai4v_fail "switch-mode: $STACK does not validate in $to mode (above); nothing changed"
  fi
  if [ "$to" = dbless ] && [ -n "$deployed" ]; then
    local entities_urn
    entities_urn="$(ai4v_kong_entities_urn)"
    if [ -n "$entities_urn" ]; then
      pulumi state delete --stack "$STACK" "$entities_urn" --target-dependents --yes
    fi
  fi
  if [ "$to" = db ] && [ -n "$deployed" ]; then
    local excludes=() urn
    while read -r urn; do
      case "$urn" in *::platform-kong-1) ;; *) excludes+=(--exclude "$urn") ;; esac
    done < <(pulumi stack export --stack "$STACK" | { grep -oE '"urn": "[^"]*::platform-kong-[0-9]+"' || true; } \
               | sed -e 's/^"urn": "//' -e 's/"$//')
    pulumi up --stack "$STACK" --yes --non-interactive ${excludes[@]+"${excludes[@]}"}
  fi
  STACK="$STACK" bash scripts/up.sh
}

case "${1:-}" in
  move-state) move_state; exit 0 ;;
  switch-mode) switch_mode "${2:-}"; exit 0 ;;
esac
# `config set` on a stack of this project (its Pulumi.<stack>.yaml is here) that the backend does not have yet
# creates it first, with the secrets provider of scripts/pulumi-env.sh: the real CLI refuses `config set` on
# a missing stack when not interactive (pkg/cmd/pulumi/stack/io.go RequireStack), and staging and prod need
# their certificate set before `make up` validates and creates them (docs/OPERATIONS.md, Creating a stack).
if [ "${words[0]:-}" = config ] && { [ "${words[1]:-}" = set ] || [ "${words[1]:-}" = set-all ]; } \
    && [ -f "$STACK_FILE" ]; then
  ai4v_select_stack create
else
  ai4v_select_stack
fi
ai4v_check_passphrase
[ "${words[0]:-}" != up ] || ai4v_check_mode_switch
exec pulumi "$@"
