import Synchronization
extension HTTPServer {
    /// Whether an upgrade (WebSocket) route answers `path` on this server, so a test harness can find the app
    /// that serves a socket schema.
    @_spi(GrestTestKit)
    public func servesUpgrade(path: String) -> Bool {
        let path = path.first == "/" ? path : "/" + path
        return state.withLock { $0.upgrades.route(for: Substring(path)) != nil }
    }
}
