#!/usr/bin/env bash
# Runs the whole suite on the compiled output. Test files run one at a time: each starts its own broker (the embedded
# mock, or for test/kafka/ a real Apache Kafka).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
# Keep the state file of a `streamlab broker` the developer may be running out of the tests' way.
export STREAMLAB_STATE_DIR="$(mktemp -d)"
trap 'rm -rf "$STREAMLAB_STATE_DIR"' EXIT
files=("$@")
# test/kafka/ runs last: the broker matrix on a real Kafka (one KRaft node per file), the fault and security tests.
[ ${#files[@]} -gt 0 ] || files=(dist/test/*.test.js dist/test/kafka/*.test.js)
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
