#!/usr/bin/env bash
# Debian packages lcgraph needs beyond Python: a font with Thai glyphs for the
# analysis plots, Chromium for the browser tests, Virtuoso Open Source 7
# (one of the remote stores the repository tests start themselves), and curl
# (the CLI's advice beside a running server is a curl line; a test runs it).
# Installed only when
# missing, and only where we may (root with apt-get); otherwise we say what
# is missing and go on (the tests that need it then say so themselves).
set -u
need=()
fc-list 2>/dev/null | grep -qi 'thai\|loma\|garuda\|noto sans thai' || need+=(fonts-thai-tlwg fontconfig)
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v virtuoso-t >/dev/null 2>&1 || need+=(virtuoso-opensource)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "warning: could not install ${need[*]}" >&2
else
  echo "note: missing Debian packages (${need[*]}); install them for Thai plot labels and browser tests" >&2
fi
exit 0
