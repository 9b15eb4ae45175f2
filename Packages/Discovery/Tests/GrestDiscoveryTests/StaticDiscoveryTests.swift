import GrestDiscovery
import Testing

@Suite struct StaticDiscoveryTests {
    @Test func resolvesConfiguredOrigins() async throws {
        let discovery = try StaticDiscovery(["UserApi": "http://users:8080", "ChatSocket": "ws://chat:9000"])
        #expect(try await discovery.resolve(api: "UserApi").url == "http://users:8080")
        #expect(try await discovery.instances(api: "ChatSocket").map(\.url) == ["ws://chat:9000"])
        #expect(try await discovery.instances(api: "Nope").isEmpty)
        #expect(try await discovery.lookup("UserApi") == [HostPort(host: "users", port: 8080)])
    }

    @Test func validatesAtCreationNamingTheEntry() {
        #expect(throws: DiscoveryError.invalidURL(api: "UserApi", url: "users:8080", reason: "no scheme (expected http://host:port)")) {
            try StaticDiscovery(["OrderApi": "http://orders:1", "UserApi": "users:8080"])
        }
    }

    @Test func unknownAPIsListWhatIsConfigured() async throws {
        let discovery = try StaticDiscovery(["UserApi": "http://users:8080"])
        await #expect {
            try await discovery.resolve(api: "OrderApi")
        } throws: { error in
            let text = (error as? DiscoveryError)?.description ?? ""
            return text.contains("Service 'OrderApi' is not registered! Did you forget to start it?")
                && text.contains("GREST_API_URL__OrderApi") && text.contains("[UserApi]")
        }
    }

    @Test(arguments: [
        ("USER_API_URL", "UserApi"), ("ORDER_SERVICE_API_URL", "OrderServiceApi"), ("OAUTH_API_URL", "OauthApi"),
    ])
    func legacyRuleMatchesGrestTs(variable: String, api: String) {
        #expect(StaticDiscovery.legacyAPIName(forVariable: variable) == api)
    }

    @Test func environmentRulesAreLosslessAndExplicit() async throws {
        let discovery = try StaticDiscovery.environment(
            [
                "USER_API_URL": "http://legacy:1",
                "GREST_API_URL__OAuthApi": "http://oauth:2",
                "GREST_API_URL__ChatSocket": "ws://chat:3",
                "USERS": "http://explicit:4",
                "PATH": "/usr/bin",
            ],
            mapping: ["USERS": "UserApi"]
        )
        #expect(discovery.endpoints.mapValues(\.url) == ["UserApi": "http://explicit:4", "OAuthApi": "http://oauth:2", "ChatSocket": "ws://chat:3"])
        #expect(StaticDiscovery.legacyAPIName(forVariable: "GREST_API_URL__X_API_URL") == nil)
    }

    @Test func aMappedVariableThatIsUnsetIsAStartUpError() {
        #expect(throws: DiscoveryError.misconfigured("Service discovery: unset variables USERS (for UserApi); configured: [OrderApi]")) {
            try StaticDiscovery.environment(["ORDER_API_URL": "http://orders:1"], mapping: ["USERS": "UserApi"])
        }
    }

    @Test func theLegacyRuleCanBeSwitchedOff() throws {
        let discovery = try StaticDiscovery.environment(["USER_API_URL": "http://legacy:1"], legacySuffixRule: false)
        #expect(discovery.endpoints.isEmpty)
    }

    @Test func readsTheProcessEnvironment() {
        #expect(StaticDiscovery.processEnvironment()["PATH"] != nil)
    }
}

@Suite struct KubernetesDNSDiscoveryTests {
    @Test func namesServicesByClusterDNS() async throws {
        let discovery = KubernetesDNSDiscovery(
            namespace: "shop",
            services: ["UserApi": .init(name: "users", port: 8080), "AuditApi": .init(name: "audit", namespace: "ops", port: 9000)]
        )
        #expect(try await discovery.resolve(api: "UserApi").url == "http://users.shop.svc.cluster.local:8080")
        #expect(try await discovery.resolve(api: "AuditApi").url == "http://audit.ops.svc.cluster.local:9000")
        await #expect(throws: DiscoveryError.notRegistered(api: "Nope")) { try await discovery.resolve(api: "Nope") }
        let short = KubernetesDNSDiscovery(usesShortNames: true, services: ["UserApi": .init(name: "users", port: 80)])
        #expect(try await short.resolve(api: "UserApi").url == "http://users:80")
        #expect(KubernetesDNSDiscovery.hostname(service: "a", namespace: "b") == "a.b.svc.cluster.local")
    }
}
