import GrestDiscovery
import Testing

@Suite struct EndpointTests {
    @Test(arguments: [
        ("http://users:8080", "http://users:8080"),
        ("HTTP://users", "http://users:80"),
        ("https://users.example.com/", "https://users.example.com:443"),
        ("ws://127.0.0.1:9000/edge/", "ws://127.0.0.1:9000/edge"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ])
    func parsesOrigins(input: String, expected: String) throws {
        #expect(try Endpoint(url: input).url == expected)
    }

    @Test(arguments: ["users:8080", "ftp://users", "http://:80", "http://users:0", "http://users:99999", "http://users:8080/x?y=1", "http://a@b:1"])
    func refusesNonOrigins(input: String) {
        #expect(throws: DiscoveryError.self) { try Endpoint(url: input) }
    }

    @Test func removesADuplicatedPrefixOnce() throws {
        let endpoint = try Endpoint(url: "http://users:8080/api/users/")
        #expect(endpoint.removingTrailing(pathPrefix: "api/users").url == "http://users:8080")
        #expect(endpoint.removingTrailing(pathPrefix: "/other").url == "http://users:8080/api/users")
    }

    @Test func switchesBetweenHTTPAndWebSocketSchemes() throws {
        #expect(try Endpoint(url: "https://h:1").webSocket.url == "wss://h:1")
        #expect(try Endpoint(url: "ws://h:1").http.url == "http://h:1")
    }

    @Test func registrationsNormaliseThePrefixAndPublishTheOriginOnly() {
        let registration = ServiceRegistration(api: "UserApi", port: 8080, pathPrefix: "api/users/", instanceID: "a")
        #expect(registration.pathPrefix == "/api/users")
        #expect(registration.endpoint.url == "http://127.0.0.1:8080")
        #expect(registration.problem == nil)
        #expect(ServiceRegistration(api: "", port: 1, instanceID: "a").problem != nil)
        #expect(ServiceRegistration(api: "A", port: 70000, instanceID: "a").problem != nil)
        #expect(ServiceRegistration(api: "A", host: "http://x", port: 1, instanceID: "a").problem != nil)
    }

    @Test func notRegisteredSpeaksGrestTs() {
        #expect(DiscoveryError.notRegistered(api: "UserApi").description == "Service 'UserApi' is not registered! Did you forget to start it?")
    }
}
