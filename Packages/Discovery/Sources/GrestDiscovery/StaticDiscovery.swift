#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fixed URLs per API (grest-ts `GGStaticServiceDiscovery`), validated when created, so a typo fails at start-up
/// with a message listing everything configured rather than at the first call.
///
/// ```swift
/// let discovery = try StaticDiscovery(["UserApi": "http://users:8080", "ChatSocket": "ws://chat:9000"])
/// let fromEnvironment = try StaticDiscovery.environment()   // GREST_API_URL__UserApi=http://users:8080
/// ```
///
/// A URL is an origin; a trailing copy of the API's prefix (the form grest-ts documented) is removed by the
/// clients, which know the prefix. Registration is a no-op: static URLs are someone else's configuration.
public struct StaticDiscovery: DiscoveryClient {
    /// The validated endpoints by API name.
    public let endpoints: [String: Endpoint]

    /// - Throws: ``DiscoveryError/invalidURL(api:url:reason:)`` naming the first bad entry (in API order).
    public init(_ urls: [String: String]) throws(DiscoveryError) {
        var endpoints: [String: Endpoint] = [:]
        for api in urls.keys.sorted() {
            let url = urls[api]!
            do {
                endpoints[api] = try Endpoint(url: url)
            } catch {
                guard case .invalidURL(_, _, let reason) = error else { throw error }
                throw .invalidURL(api: api, url: url, reason: reason)
            }
        }
        self.endpoints = endpoints
    }

    /// The prefix of the lossless variable naming rule: `GREST_API_URL__<ApiName>` names the API verbatim
    /// (`GREST_API_URL__OAuthApi`, `GREST_API_URL__ChatSocket`).
    public static let explicitPrefix = "GREST_API_URL__"

    /// Reads URLs from environment variables, by three rules, later ones winning:
    /// 1. grest-ts compatibility (`legacySuffixRule`): `USER_API_URL` → `UserApi`, `ORDER_SERVICE_API_URL` → `OrderServiceApi`
    ///    (only names ending in `Api`, acronyms lost: kept for existing deployments).
    /// 2. The lossless rule: `GREST_API_URL__<ApiName>` (the API name verbatim after the double underscore).
    /// 3. `mapping`: explicit variable → API pairs (`["USERS_URL": "UserApi"]`); a listed variable that is unset
    ///    is an error, since the mapping says the deployment must provide it.
    /// - Throws: ``DiscoveryError/invalidURL(api:url:reason:)`` or ``DiscoveryError/misconfigured(_:)`` for a
    ///   missing mapped variable, with the list of what is configured.
    public static func environment(
        _ environment: [String: String] = StaticDiscovery.processEnvironment(), mapping: [String: String] = [:], legacySuffixRule: Bool = true
    ) throws(DiscoveryError) -> StaticDiscovery {
        var urls: [String: String] = [:]
        if legacySuffixRule {
            for (name, value) in environment {
                if let api = legacyAPIName(forVariable: name) { urls[api] = value }
            }
        }
        for (name, value) in environment where name.hasPrefix(explicitPrefix) && name.count > explicitPrefix.count {
            urls[String(name.dropFirst(explicitPrefix.count))] = value
        }
        var missing: [String] = []
        for (variable, api) in mapping.sorted(by: { $0.key < $1.key }) {
            if let value = environment[variable] { urls[api] = value } else { missing.append("\(variable) (for \(api))") }
        }
        if !missing.isEmpty {
            let configured = urls.keys.sorted().joined(separator: ", ")
            throw .misconfigured("Service discovery: unset variables \(missing.joined(separator: ", ")); configured: [\(configured)]")
        }
        return try StaticDiscovery(urls)
    }

    /// grest-ts's rule: `ORDER_SERVICE_API_URL` → `OrderServiceApi`; `nil` for names it does not cover.
    public static func legacyAPIName(forVariable name: String) -> String? {
        guard name.hasSuffix("_API_URL"), !name.hasPrefix(explicitPrefix) else { return nil }
        let stem = name.dropLast("_API_URL".count)
        let parts = stem.split(separator: "_").filter { !$0.isEmpty }
        guard !parts.isEmpty else { return nil }
        return parts.map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined() + "Api"
    }

    /// The variable that configures `api` by the lossless rule.
    public static func variableName(forAPI api: String) -> String { explicitPrefix + api }

    /// The process environment, read without Foundation.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    public func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        endpoints[api].map { [$0] } ?? []
    }

    public func resolve(api: String) async throws(DiscoveryError) -> Endpoint {
        guard let endpoint = endpoints[api] else {
            let configured = endpoints.keys.sorted().joined(separator: ", ")
            throw .misconfigured(
                "\(DiscoveryError.notRegistered(api: api).description) Set \(StaticDiscovery.variableName(forAPI: api))=http://host:port; configured: [\(configured)]"
            )
        }
        return endpoint
    }

    public func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Endpoint].self)
        continuation.yield(endpoints[api].map { [$0] } ?? [])
        return stream  // never changes; the stream stays open until its consumer goes away
    }

    public func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {}
    public func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {}
}
