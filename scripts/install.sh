#!/usr/bin/env bash
# Installs everything streamlab needs on Debian 12 / Ubuntu (as root, or with sudo), then builds it.
# Safe to re-run: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
# The embedded broker is librdkafka's mock cluster.
ldconfig -p 2>/dev/null | grep -q 'librdkafka\.so\.1' || apt_packages+=(librdkafka1)
# Jupyter's own kernel test suite (and jupyter_client) runs against the kernel in the tests, with Debian's Python.
dpkg -s python3-jupyter-kernel-test >/dev/null 2>&1 || apt_packages+=(python3-jupyter-kernel-test)
# A real Apache Kafka (`streamlab broker --kafka`, the broker matrix, fault and security tests): Java 17 runs it,
# Maven fetches its jars from Maven Central, openssl makes the tests' certificates.
command -v java >/dev/null 2>&1 || apt_packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || apt_packages+=(maven)
command -v openssl >/dev/null 2>&1 || apt_packages+=(openssl)
if [ ${#apt_packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing ${apt_packages[*]} (apt)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

npm run --silent build

# The Kafka broker's jars, into .cache/kafka (skipped when cached).
node dist/cli/main.js broker --kafka --fetch
