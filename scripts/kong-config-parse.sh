#!/usr/bin/env bash
# `kong config parse` of every stack's rendered kong.yml with the official Kong image (the e2e workflow;
# tests/test_kong_config_parse.py does the same with a local Kong). Exit 1 when any stack fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
image=$("$PY" -c 'from gateway.stack.images import IMAGES; print(IMAGES["kongImage"].default)')
plugins=$("$PY" -c 'from gateway.platform.kongconf import PLUGINS; print(PLUGINS)')
mounts=()
while read -r target source; do
  mounts+=(-v "$PWD/$source:$target:ro")
done < <("$PY" -c '
from gateway.platform.kongconf import PLUGINS_ROOT, custom_plugin_files
from pathlib import Path
for target in custom_plugin_files():
    print(target, (PLUGINS_ROOT / target.rsplit("/", 1)[1]).relative_to(Path.cwd()))')
out=build/config-parse
mkdir -p "$out"
status=0
for stack in $("$PY" -c 'from pathlib import Path; from gateway.spec import available_stacks; print(*available_stacks(Path("stacks")))'); do
  "$PY" -m gateway render --stack "$stack" -o "$out/kong.$stack.yml"
  if docker run --rm -e KONG_DATABASE=off -e "KONG_PLUGINS=$plugins" "${mounts[@]}" -v "$PWD/$out:/config:ro" \
      "$image" kong config parse "/config/kong.$stack.yml"; then
    echo "kong config parse ($image): $stack ok"
  else
    echo "kong config parse ($image): $stack failed" >&2
    status=1
  fi
done
exit "$status"
