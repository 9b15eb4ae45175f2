# Sourced (from the repository root) by Scripts/bench-chat.sh and Scripts/bench-cluster.sh, with BENCH set to the
# bench's name: node's `ws` on NODE_PATH, many file descriptors, the release ChatServer in SERVER (built unless
# GREST_CHAT_SERVER names one), a scratch folder in DATA (the caller removes it).
export NODE_PATH=/usr/share/nodejs
ulimit -n 65536 2>/dev/null || true

if [ -z "${GREST_CHAT_SERVER:-}" ]; then
    swift build -c release --product ChatServer >/dev/null
fi
SERVER="${GREST_CHAT_SERVER:-$(swift build -c release --show-bin-path)/ChatServer}"
DATA="$(mktemp -d "/tmp/grest-$BENCH.XXXXXX")"

# server_port FILE: waits for the banner of a ChatServer whose output goes to FILE; prints the port it bound.
server_port() {
    until grep -q "open http" "$1" 2>/dev/null; do sleep 0.1; done
    grep -o "open http://127.0.0.1:[0-9]*" "$1" | grep -o "[0-9]*$"
}
