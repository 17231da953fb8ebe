#!/usr/bin/env bash
# ruff (lint and format) and pylint-odoo's mandatory OCA checks on the addon.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/insurance_renewal/lint-venv}

if [ ! -x "$VENV/bin/ruff" ] || ! "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        -r "$REPO_ROOT/requirements-dev.txt" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REPO_ROOT/requirements-dev.txt" \
        2> >(grep -v "is ignored" >&2)
fi

cd "$REPO_ROOT"
status=0
echo "== ruff check"
"$VENV/bin/ruff" check --no-fix insurance_renewal insurance_renewal_queue tests scripts benchmarks || status=1
echo "== ruff format --check"
"$VENV/bin/ruff" format --check insurance_renewal insurance_renewal_queue tests scripts benchmarks || status=1
echo "== pylint-odoo (OCA mandatory checks)"
"$VENV/bin/pylint" --rcfile=.pylintrc-mandatory insurance_renewal insurance_renewal_queue || status=1
exit $status
