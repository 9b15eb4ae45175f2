// The transport-neutral layer (middleware protocol and chain, permission gate and registry) lives in GrestMiddleware,
// which a socket-only or client-only adopter links without the HTTP server; every `import GrestHTTP` still sees it.
@_exported public import GrestMiddleware
