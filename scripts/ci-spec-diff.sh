#!/usr/bin/env bash
# CI: `python -m gateway diff --base BASE [ARGS...]` as Markdown in OUT, for the pull-request comment.
# Only argparse's "invalid choice: 'diff'" (a revision without the command) skips the diff; any other failure
# of `diff --help` fails the step, and the step exits with the diff's own exit code (OUT is written first).
set -euo pipefail
cd "$(dirname "$0")/.."
base="$1"
out="$2"
shift 2
PY="${PY:-.venv/bin/python}"
mkdir -p "$(dirname "$out")"
help_rc=0
help=$("$PY" -m gateway diff --help 2>&1) || help_rc=$?
if [ "$help_rc" != 0 ]; then
  if grep -q "invalid choice: 'diff'" <<<"$help"; then
    echo "Spec diff skipped: this revision has no \`python -m gateway diff\` command." | tee "$out"
    exit 0
  fi
  printf '%s\n' "$help" >&2
  echo "::error title=spec diff::\`python -m gateway diff --help\` exited $help_rc" >&2
  exit "$help_rc"
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
exit "$rc"
