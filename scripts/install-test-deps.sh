#!/usr/bin/env bash
# Installs the system packages the end-to-end tests drive: Debian's Chromium (for the browser SDK),
# Debian's Python Sentry SDK (an SDK that still posts to /store/) with Django (its traced requests),
# and the legacy raven-go and raven-ruby clients with Go and Ruby to run them (they post base64 of
# zlib'd JSON to /store/).
# Idempotent: when all are already installed it touches neither apt nor the network.
set -euo pipefail

packages=(
  chromium
  python3-sentry-sdk
  python3-django
  golang-go
  golang-github-getsentry-raven-go-dev
  ruby
  ruby-sentry-raven
)

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for p in "${packages[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "test dependencies present: ${packages[*]}"
  exit 0
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi

echo "installing: ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

# The tests call these paths directly; fail here rather than in the middle of a test run.
test -x /usr/bin/chromium || { echo "/usr/bin/chromium is missing after install" >&2; exit 1; }
/usr/bin/python3 -c "import sentry_sdk" || { echo "/usr/bin/python3 cannot import sentry_sdk after install" >&2; exit 1; }
/usr/bin/python3 -c "import django" || { echo "/usr/bin/python3 cannot import django after install" >&2; exit 1; }
test -x /usr/bin/go || { echo "/usr/bin/go is missing after install" >&2; exit 1; }
test -d /usr/share/gocode/src/github.com/getsentry/raven-go || { echo "raven-go is missing from /usr/share/gocode after install" >&2; exit 1; }
/usr/bin/ruby -e 'require "raven"' || { echo "/usr/bin/ruby cannot require raven after install" >&2; exit 1; }
echo "installed: ${missing[*]}"
