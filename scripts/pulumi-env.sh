# shellcheck shell=bash
# Sourced by scripts/up.sh and scripts/pulumi.sh: one state backend, secrets provider and stack for every
# command, so anything run through scripts/pulumi.sh finds the stack `make up` created.
#
#   nothing set             local file backend in .pulumi-state/ (git-ignored), passphrase generated into
#                           .pulumi-state/passphrase: the zero-config default of `make up`
#   PULUMI_BACKEND_URL      shared state: s3://bucket/prefix, azblob://container, gs://bucket, or
#                           https://api.pulumi.com (Pulumi Cloud; then STACK=<org>/<stack>)
#   PULUMI_SECRETS_PROVIDER passphrase (default), or a KMS key: awskms://..., azurekeyvault://...,
#                           gcpkms://..., hashivault://... (used when the stack is created)
#   PULUMI_CONFIG_PASSPHRASE[_FILE]  the passphrase; required with shared state and the passphrase
#                           provider (from the CI secret store), never generated for it
#   STACK                   dev (default), staging, prod, or <org>/<stack>
# Expects AI4V_CMD (the name errors start with) and the working directory at the repo root.

ai4v_fail() {
  echo "$AI4V_CMD: $*" >&2
  exit 2
}

STACK="${STACK:-dev}"
STACK_NAME="${STACK##*/}"                       # Pulumi.<name>.yaml and stacks/<name>.yaml
STACK_FILE="Pulumi.$STACK_NAME.yaml"
STATE_DIR="$PWD/.pulumi-state"
SECRETS_PROVIDER="${PULUMI_SECRETS_PROVIDER:-passphrase}"
export PULUMI_SKIP_UPDATE_CHECK=true

if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p "$STATE_DIR"
  export PULUMI_BACKEND_URL="file://$STATE_DIR"
fi
case "$PULUMI_BACKEND_URL" in
  "file://$STATE_DIR") AI4V_DEFAULT_STATE=1 ;;
  file://* | s3://* | azblob://* | gs://* | https://* | http://*) AI4V_DEFAULT_STATE=0 ;;
  *) ai4v_fail "PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL is not a Pulumi backend; use s3://, azblob://, gs://, file:// or https://api.pulumi.com" ;;
esac

# The passphrase provider needs a passphrase; only the local default may invent one.
if [ "$SECRETS_PROVIDER" = passphrase ] && [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] \
    && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ "$AI4V_DEFAULT_STATE" = 1 ]; then
    if [ ! -s "$STATE_DIR/passphrase" ]; then
      (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$STATE_DIR/passphrase")
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$STATE_DIR/passphrase"
  else
    ai4v_fail "shared state ($PULUMI_BACKEND_URL) needs the team's secrets: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE from your secret store, or PULUMI_SECRETS_PROVIDER to a KMS key (awskms://, azurekeyvault://, gcpkms://, hashivault://)"
  fi
fi

# Select the stack; with "create", create it if the backend does not have it.
ai4v_select_stack() {
  if pulumi stack select "$STACK" --non-interactive 2>/dev/null; then
    return 0
  fi
  [ "${1:-}" = create ] || ai4v_fail "no stack $STACK in $PULUMI_BACKEND_URL; \`make up STACK=$STACK\` creates it"
  if grep -q '^encryptionsalt:' "$STACK_FILE" 2>/dev/null && [ "$AI4V_DEFAULT_STATE" = 1 ] \
      && [ "$SECRETS_PROVIDER" = passphrase ]; then
    # A salt made with someone else's passphrase: the new local stack could not read its secure values.
    ai4v_fail "$STACK_FILE holds an encryptionsalt (and secure values) from another passphrase; set PULUMI_CONFIG_PASSPHRASE to that passphrase, or for a fresh local stack delete the encryptionsalt line and every 'secure:' value from $STACK_FILE"
  fi
  pulumi stack init "$STACK" --non-interactive --secrets-provider "$SECRETS_PROVIDER"
  if [ "$AI4V_DEFAULT_STATE" = 1 ] && git ls-files --error-unmatch "$STACK_FILE" >/dev/null 2>&1 \
      && ! git diff --quiet -- "$STACK_FILE" 2>/dev/null; then
    echo "$AI4V_CMD: note: $STACK_FILE now holds the encryptionsalt of your local passphrase (.pulumi-state/passphrase); do not commit it - a shared stack gets its own (docs/DOCKER.md, Shared state)" >&2
  fi
}

# A wrong passphrase makes every later command fail deep inside pulumi; say it once, plainly.
ai4v_check_passphrase() {
  [ "$SECRETS_PROVIDER" = passphrase ] || return 0
  grep -q '^encryptionsalt:' "$STACK_FILE" 2>/dev/null || return 0
  local err
  err="$(mktemp)"
  if ! pulumi config --stack "$STACK" --show-secrets --json >/dev/null 2>"$err"; then
    if grep -qi 'passphrase' "$err"; then
      rm -f "$err"
      ai4v_fail "wrong passphrase for stack $STACK: PULUMI_CONFIG_PASSPHRASE${PULUMI_CONFIG_PASSPHRASE_FILE:+_FILE ($PULUMI_CONFIG_PASSPHRASE_FILE)} does not decrypt $STACK_FILE; use the passphrase the stack was created with"
    fi
    cat "$err" >&2
    rm -f "$err"
    exit 1
  fi
  rm -f "$err"
}

# A db <-> dbless switch in one `pulumi up` leaves the stack unable to deploy (gateway/stack/checks.py
# mode_switch_problem): refused with one line naming `scripts/pulumi.sh switch-mode`. The deployed mode is the
# stack output `mode` of the last deployment (none yet: nothing to switch from).
# The URN of the stack's ai4v:gateway:KongEntities component (DB mode's entities) in its state; empty when the
# state holds none.
ai4v_kong_entities_urn() {
  pulumi stack export --stack "$STACK" \
    | { grep -m1 -oE '"urn": "[^"]*::ai4v:gateway:KongEntities::[^"]*"' || true; } \
    | sed -e 's/^"urn": "//' -e 's/"$//'
}

ai4v_check_mode_switch() {
  local deployed urn entities=()
  deployed="$(pulumi stack output mode --stack "$STACK" 2>/dev/null)" || return 0
  urn="$(ai4v_kong_entities_urn)"
  [ -z "$urn" ] || entities=(--kong-entities)
  .venv/bin/python -m gateway mode-check --stack "$STACK_NAME" --deployed "$deployed" ${entities[@]+"${entities[@]}"} \
    || exit $?
}
