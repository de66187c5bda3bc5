#!/usr/bin/env bash
# The quickstart commands: `bash scripts/dev.sh demo` (or `lab`) and `bash scripts/dev.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
command="${1:-}"
shift || true
bash scripts/install.sh
case "$command" in
  demo) exec node dist/cli/main.js demo "$@" ;;
  lab) exec node dist/cli/main.js lab "$@" ;;
  test) exec bash test/run.sh "$@" ;;
  bench) exec node dist/bench/run.js "$@" ;;
  *) echo "usage: bash scripts/dev.sh demo|lab|test|bench" >&2; exit 2 ;;
esac
