#!/usr/bin/env bash
# Build the wheel, install it in a fresh virtualenv and use it from outside the repository.
set -euo pipefail
python=${1:-python3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/tier1_automation-*.whl

mkdir -p "$work/project/checks" && cd "$work/project"
git init --quiet
echo "OWNER = 'user'" > checks/__init__.py
"$work/venv/bin/python" -P -c "import tier1_plugin.checks, tier1_plugin.hooks, tier1_plugin.sql; print('imports ok')"
"$work/venv/bin/tier1" db upgrade
"$work/venv/bin/tier1" plugins >/dev/null
# (grep -q would close the pipe early and pipefail would count pytest's SIGPIPE as a failure)
"$work/venv/bin/pytest" --help > "$work/pytest-help.txt"
grep -q -- "--production-check" "$work/pytest-help.txt"
echo "wheel smoke test passed"
