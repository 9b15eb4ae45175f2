// The socket client (connection driver, reconnect, pool) without the HTTP server: this target does not link GrestHTTP.
// The shared core (contracts, wire, dispatch, peer) comes with it, so `import GrestWebSocketClient` is all a client needs.
@_exported public import GrestWebSocketCore
