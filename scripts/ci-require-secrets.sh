#!/usr/bin/env bash
# CI: are the named secrets set (as environment variables)? Writes ready=true|false to $GITHUB_OUTPUT and,
# when some are missing, a notice naming them, so the steps that need them are skipped, not failed.
set -euo pipefail
missing=()
for name in "$@"; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
out="${GITHUB_OUTPUT:-/dev/null}"
if [ "${#missing[@]}" -eq 0 ]; then
  echo "ready=true" >> "$out"
  echo "secrets set: $*"
else
  echo "ready=false" >> "$out"
  echo "::notice title=pulumi preview skipped::set the repository secret(s) ${missing[*]} (Settings > Secrets and variables > Actions) to run pulumi preview on the shared state"
fi
