#!/usr/bin/env bash
# The chat example tested as people use it: the JS wire client under Node against the Swift server, then two
# headless Chromium sessions (selenium). Uses the grest-chat-server of the root build (`swift build --build-tests`).
# Without Chromium it says so and skips; on CI (CI=true) a missing Chromium is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# The root manifest names the executable after its target (ChatServer); Examples/Package.swift calls it grest-chat-server.
SERVER="${GREST_CHAT_SERVER:-$(swift build --show-bin-path)/ChatServer}"
SHOTS="${SCREENSHOTS:-$(mktemp -d /tmp/grest-chat-shots.XXXXXX)}"

if [ ! -x "$SERVER" ]; then
    echo "browser-test: $SERVER is missing; run 'swift build' first" >&2
    exit 1
fi

echo "== chat page: grest-socket.js wire tests (node)"
GREST_CHAT_SERVER="$SERVER" NODE_PATH=/usr/share/nodejs node --test Examples/Tests/js/

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! python3 -c 'import selenium' 2>/dev/null; then
    if [ "${CI:-}" = "true" ]; then
        echo "browser-test: FAILED: chromium, chromium-driver or python selenium is missing on CI (Scripts/bootstrap installs them)" >&2
        exit 1
    fi
    echo "browser-test: SKIPPED the headless Chromium test: chromium, chromium-driver or python selenium is not installed (Scripts/bootstrap installs them)"
    exit 0
fi

echo "== chat page: headless Chromium, alice and bob"
python3 Scripts/browser_test.py "$SERVER" "$SHOTS"
