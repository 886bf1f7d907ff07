#!/bin/sh
# The Serverless Framework v3 from npm, for tests/serverless/test_lambda_serverless_yml.py: it reads
# the serverless.yml that `aloft lambda template --format serverless` writes. v3 because v4 needs
# an account. Installed once per machine under $SERVERLESS_TEST_CACHE; a machine that has it
# skips everything. Prints the path of the `serverless` executable on its last line.
set -eu

VERSION=3.40.0
if [ "$(id -u)" = 0 ]; then DEFAULT_CACHE=/var/cache/aloft; else DEFAULT_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/aloft; fi
CACHE=${SERVERLESS_TEST_CACHE:-$DEFAULT_CACHE/serverless-$VERSION}
BIN="$CACHE/node_modules/.bin/serverless"

if [ -x "$BIN" ] && [ -f "$CACHE/.complete" ]; then
    echo "$BIN"
    exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Node.js and npm from Debian (scripts/packages/tests.txt lists nodejs). A machine whose Node.js
# already brings its own npm (NodeSource's package does, and conflicts with Debian's npm) keeps it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install_serverless: installing Debian nodejs and npm" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        nodejs npm >/dev/null
fi

mkdir -p "$CACHE"
rm -f "$CACHE/.complete"
# A private package.json keeps npm from walking up to some other project's; the lock file npm
# writes beside it pins the whole tree for later installs on this machine.
[ -f "$CACHE/package.json" ] || printf '{"private": true}\n' > "$CACHE/package.json"
npm install --prefix "$CACHE" --prefer-offline --no-audit --no-fund --no-update-notifier --loglevel=error \
    "serverless@$VERSION" >&2
SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off "$BIN" --version >&2
touch "$CACHE/.complete"
echo "$BIN"
