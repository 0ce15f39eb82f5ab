#!/usr/bin/env bash
# CI: `python -m gateway diff --base BASE [ARGS...]` as Markdown in OUT, for the pull-request comment. When
# this revision has no `diff` command, OUT says the diff was skipped; the step does not fail either way.
set -euo pipefail
cd "$(dirname "$0")/.."
base="$1"
out="$2"
shift 2
PY="${PY:-.venv/bin/python}"
mkdir -p "$(dirname "$out")"
if ! "$PY" -m gateway diff --help >/dev/null 2>&1; then
  echo "Spec diff skipped: this revision has no \`python -m gateway diff\` command." | tee "$out"
  exit 0
fi
rc=0
"$PY" -m gateway diff --base "$base" "$@" > "$out.txt" 2>&1 || rc=$?
{
  echo "### Gateway spec diff against \`$base\`"
  echo
  echo '```'
  cat "$out.txt"
  echo '```'
  [ "$rc" = 0 ] || echo "(\`python -m gateway diff\` exited $rc)"
} > "$out"
rm -f "$out.txt"
cat "$out"
