#!/usr/bin/env bash
# Checks for the system packages qtm needs: Chromium (PNG export, browser tests), ChromeDriver and a CJK font
# (Chinese text in exported charts). Installs them with apt-get when run as root; otherwise says what to run.
#   scripts/system-deps.sh            warn if something is missing
#   scripts/system-deps.sh --required fail if something is missing and cannot be installed
set -euo pipefail
required=0
[[ "${1:-}" == "--required" ]] && required=1

missing=()
command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || [[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || missing+=(fonts-wqy-microhei)

((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "qtm: installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "qtm: missing system packages: ${missing[*]}" >&2
echo "qtm: install them with:  sudo apt-get install -y ${missing[*]}" >&2
((required)) && exit 1
exit 0
