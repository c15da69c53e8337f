#!/usr/bin/env bash
# Installs Debian's chromium for the browser test when it is missing and we may install packages.
# Never fails the build: where the browser cannot be installed, the browser test prints why it skips.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for the browser test (apt-get)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
    || echo "could not install chromium: the browser test will be skipped"
else
  echo "chromium is missing and cannot be installed here: the browser test will be skipped"
fi
exit 0
