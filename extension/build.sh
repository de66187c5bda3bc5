#!/usr/bin/env bash
# Builds the prebuilt (federated) JupyterLab extension into extension/labextension/ with @jupyterlab/builder,
# against the shared-package versions of the JupyterLab in the project's virtual environment (the folder of its staging/package.json).
set -euo pipefail
cd "$(dirname "$0")"
core="${STREAMLAB_JUPYTERLAB_CORE:-}"
if [ -z "$core" ]; then
  py="../.venv/bin/python"
  [ -x "$py" ] || { echo "extension/build.sh: no ../.venv (run scripts/install.sh first)" >&2; exit 1; }
  core="$("$py" -c 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))')"
fi
npx tsc -p tsconfig.json
npx build-labextension --core-path "$core" .
