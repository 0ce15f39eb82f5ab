#!/usr/bin/env bash
# `make up`: deploy a stack (default dev) with the state backend of scripts/pulumi-env.sh (local file
# backend inside the repo unless PULUMI_BACKEND_URL is set), no prompts. Checks every prerequisite
# before touching anything, so a missing tool never leaves a half deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
AI4V_CMD="make up"
STACK="${STACK:-dev}"
PY=.venv/bin/python

missing=0
if ! command -v pulumi >/dev/null 2>&1; then
  echo "make up: the Pulumi CLI is not installed; see https://www.pulumi.com/docs/iac/download-install/" >&2
  missing=1
fi
if ! command -v docker >/dev/null 2>&1; then
  echo "make up: Docker is not installed; see https://docs.docker.com/engine/install/" >&2
  missing=1
fi
[ "$missing" = 0 ] || exit 1

# One engine for `docker` and the provider. The provider reads DOCKER_HOST (or DOCKER_CONTEXT), not the
# CLI's current context (terraform-provider-docker internal/provider/provider.go: "host" defaults to
# $DOCKER_HOST else the local socket; "context" only from DOCKER_CONTEXT): pin the CLI's endpoint.
if [ -z "${DOCKER_HOST:-}" ]; then
  endpoint="$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
  if [ -n "$endpoint" ]; then
    export DOCKER_HOST="$endpoint"
  fi
fi
unset DOCKER_CONTEXT
if ! docker info >/dev/null 2>&1; then
  echo "make up: the Docker engine at ${DOCKER_HOST:-the local socket} does not answer (is it running? may this user use it?)" >&2
  exit 1
fi

# The spec and stack config first: a mistake is one line per problem, before any resource is touched.
"$PY" -m gateway validate --stack "${STACK##*/}"

# Host ports other stacks on this engine publish already, and a remote engine without an Admin tunnel.
in_use=()
while IFS='|' read -r name ports; do
  case "$name" in "ai4v-gateway-${STACK##*/}-"*) continue ;; esac
  for port in $(printf '%s\n' "$ports" | { grep -oE ':[0-9]+->' || true; } | tr -dc '0-9\n' | sort -u); do
    in_use+=(--in-use "$port=$name")
  done
done < <(docker ps --format '{{.Names}}|{{.Ports}}')
"$PY" -m gateway preflight --stack "${STACK##*/}" --docker-host "${DOCKER_HOST:-unix:///var/run/docker.sock}" \
  ${in_use[@]+"${in_use[@]}"}

# shellcheck source=scripts/pulumi-env.sh
. scripts/pulumi-env.sh
ai4v_select_stack create
ai4v_check_passphrase
ai4v_check_mode_switch
pulumi up --stack "$STACK" --yes --non-interactive
pulumi stack output --stack "$STACK"
