@_spi(GrestTestKit) import GrestHTTP
import GrestSchema
import GrestTestKit
import ServiceLifecycle
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct HarnessTests {
    @Test func everythingStopsWhenTheBodyEnds() async throws {
        let url = try await withGrestHarness(demoApps()) { harness in try harness.baseURL(for: UsersApi.schema) }
        let client = HTTPClient(UsersApi.schema, baseURL: url)
        let result = await client.result(UsersApi.get, UserID(id: "u1"))
        #expect(result.error?.debugMessage?.contains("transport failure") == true)
        await client.shutdown()
    }

    @Test func everythingStopsWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        let url = TestURLBox()
        await #expect(throws: Boom.self) {
            try await withGrestHarness(demoApps()) { harness in
                url.value = try harness.baseURL(for: GreeterApi.schema)
                throw Boom()
            }
        }
        let client = HTTPClient(GreeterApi.schema, baseURL: try #require(url.value))
        #expect(await client.result(GreeterApi.roster).error?.type == "SERVER_ERROR")
        await client.shutdown()
    }

    @Test func anAppStartedBeforeItsDependencyFailsToStart() async throws {
        let apps = demoApps()
        await #expect {
            try await withGrestHarness([apps[1], apps[0]]) { _ in }
        } throws: { error in
            "\(error)".contains("No started app serves UsersApi")
        }
    }

    @Test func logsAreCapturedPerApp() async throws {
        try await withGrestHarness(demoApps()) { harness in
            try await harness.callOn(GreeterApi.self).greet(UserID(id: "u1")).run()
            #expect(harness.logs(of: "greeter")?.all.contains { $0.message == "greeting u1" } == true)
            #expect(harness.logs(of: "users")?.all.contains { $0.message == "greeting u1" } == false)
        }
    }
}

final class TestURLBox: Sendable {
    private let storage = Mutex<String?>(nil)

    var value: String? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// An app as a type, the form `.grest(App.self)` takes.
enum UsersApp: GrestApp {
    static let store = UserStore()

    static func services(environment: GrestEnvironment) async throws -> [any Service] {
        try await store.app().makeServices(environment)
    }
}

@Suite(.timeLimit(.minutes(1)), .grest(UsersApp.self))
struct AppTypeTraitTests {
    @Test func theSuitesHarnessIsCurrent() async throws {
        let harness = try GrestHarness.required()
        try await harness.callOn(UsersApi.schema).call(UsersApi.get, UserID(id: "u2")).expect(matching: ["name": "Grace"]).run()
        #expect(harness.logs(of: "UsersApp") != nil)
    }
}

@Test func noHarnessOutsideATraitOrBlock() {
    #expect(throws: TestKitError.self) { try GrestHarness.required() }
}
