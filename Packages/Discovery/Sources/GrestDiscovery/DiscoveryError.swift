/// Why discovery could not answer. The descriptions are grest-ts's messages where grest-ts has one.
public enum DiscoveryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No live instance of the API is known.
    case notRegistered(api: String)
    /// A configured URL is not a service origin.
    case invalidURL(api: String, url: String, reason: String)
    /// The configuration is unusable (the message lists what is configured).
    case misconfigured(String)
    /// The backend (router, etcd) cannot be reached or answered with an error.
    case unavailable(String)
    /// A registration was refused (malformed, or not owned by the caller).
    case refused(String)

    public var description: String {
        switch self {
        case .notRegistered(let api): "Service '\(api)' is not registered! Did you forget to start it?"
        case .invalidURL(let api, let url, let reason):
            api.isEmpty ? "Invalid service URL '\(url)': \(reason)" : "Invalid URL for '\(api)': '\(url)': \(reason)"
        case .misconfigured(let message): message
        case .unavailable(let message): "Service discovery unavailable: \(message)"
        case .refused(let message): "Registration refused: \(message)"
        }
    }
}
