#!/usr/bin/env bash
# System packages the tests drive for real: Debian's Chromium (the report and the app are checked
# in a real headless browser; Playwright's own browser download does not work offline, so
# Playwright is pointed at /usr/bin/chromium) and a Java 17+ runtime for Spark in local mode.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then need+=(openjdk-17-jre-headless); fi

if ((${#need[@]} == 0)); then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install-system-deps: need root or sudo to install: ${need[*]}" >&2
  exit 1
fi
echo "install-system-deps: installing ${need[*]} (apt)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
