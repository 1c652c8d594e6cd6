#!/usr/bin/env bash
# Runs every benchmark present; see bench/README.md. Arguments go to `python -m bench` (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m bench "$@"
