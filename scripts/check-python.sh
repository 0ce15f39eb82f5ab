#!/usr/bin/env bash
# `make up` / `make test` need Python 3.11 or newer (tomllib, typing features, pinned wheels); say so at
# once instead of failing inside pip or at an import.
set -euo pipefail
PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "make: $PYTHON not found; install Python 3.11 or newer (e.g. apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "make: $("$PYTHON" --version 2>&1) is too old; this project needs Python 3.11 or newer (set PYTHON=python3.11 if you have it)" >&2
  exit 1
fi
