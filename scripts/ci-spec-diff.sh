#!/usr/bin/env bash
# CI: `python -m gateway diff --base BASE [ARGS...]` as Markdown in OUT, for the pull-request comment.
# Only argparse's "invalid choice: 'diff'" (a revision without the command) skips the diff; any other failure
# of `diff --help` fails the step, and the step exits with the diff's own exit code (OUT is written first).
# A PR comment holds at most 65,536 characters and a step summary 1 MiB: OUT and $GITHUB_STEP_SUMMARY get the
# first whole lines that fit (COMMENT_LIMIT, SUMMARY_LIMIT bytes, margin left) and say they were cut; the
# whole output stays in OUT's .txt sibling (the workflow uploads it as the artifact `spec-diff`).
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
COMMENT_LIMIT="${COMMENT_LIMIT:-60000}"
SUMMARY_LIMIT="${SUMMARY_LIMIT:-1000000}"
raw="${out%.*}.txt"
rc=0
"$PY" -m gateway diff --base "$base" "$@" > "$raw" 2>&1 || rc=$?
size=$(wc -c < "$raw")

# markdown LIMIT WHERE: the diff as Markdown, its output cut to the whole lines of its first LIMIT bytes
# (bytes >= characters, and a cut at a line end never splits a UTF-8 character).
markdown() {
  echo "### Gateway spec diff against \`$base\`"
  echo
  echo '```'
  if [ "$size" -le "$1" ]; then cat "$raw"; else head -c "$1" "$raw" | sed '$d'; fi
  echo '```'
  [ "$rc" = 0 ] || echo "(\`python -m gateway diff\` exited $rc)"
  [ "$size" -le "$1" ] || echo "**Cut to fit:** the diff printed $size bytes, the lines of the first $1 are shown. $2"
}
markdown "$COMMENT_LIMIT" "The whole diff: this run's step summary and its artifact \`spec-diff\`." > "$out"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  markdown "$SUMMARY_LIMIT" "The whole diff: this run's artifact \`spec-diff\`." >> "$GITHUB_STEP_SUMMARY"
fi
cat "$out"
exit "$rc"
