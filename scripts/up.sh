#!/usr/bin/env bash
# `make up`: deploy a stack (default dev) with a local file state backend inside the repo, no prompts.
# Checks every prerequisite before touching anything, so a missing tool never leaves a half deployment.
set -euo pipefail
cd "$(dirname "$0")/.."

STACK="${STACK:-dev}"
STATE_DIR="$PWD/.pulumi-state"
PY=.venv/bin/python

missing=0
if ! command -v pulumi >/dev/null 2>&1; then
  echo "make up: the Pulumi CLI is not installed; see https://www.pulumi.com/docs/iac/download-install/" >&2
  missing=1
fi
if ! command -v docker >/dev/null 2>&1; then
  echo "make up: Docker is not installed; see https://docs.docker.com/engine/install/" >&2
  missing=1
elif ! docker info >/dev/null 2>&1; then
  echo "make up: Docker is installed but its engine does not answer (is it running? may this user use it?)" >&2
  missing=1
fi
[ "$missing" = 0 ] || exit 1

# The spec first: a mistake is reported as one line per problem, before any resource is touched.
"$PY" -m gateway validate --stack "$STACK"

# Local state in the repo (git-ignored); its secrets are encrypted with a passphrase kept beside it
# unless the caller brings their own.
mkdir -p "$STATE_DIR"
export PULUMI_BACKEND_URL="file://$STATE_DIR"
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$STATE_DIR/passphrase" ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(32))' > "$STATE_DIR/passphrase")
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$STATE_DIR/passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true

pulumi stack select "$STACK" --non-interactive 2>/dev/null \
  || pulumi stack init "$STACK" --non-interactive --secrets-provider passphrase
pulumi up --stack "$STACK" --yes --non-interactive
pulumi stack output --stack "$STACK"
