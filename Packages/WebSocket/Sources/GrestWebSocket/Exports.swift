// The server side of the socket RPC layer (hosting on GrestHTTP's HTTPServer). The shared core (contracts, wire,
// dispatch, peer, broadcast) comes with it, so `import GrestWebSocket` is all a server needs. The client is
// GrestWebSocketClient, a product of its own.
@_exported public import GrestWebSocketCore
