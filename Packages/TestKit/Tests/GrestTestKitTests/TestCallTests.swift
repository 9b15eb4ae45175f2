import GrestHTTP
import GrestSchema
import GrestTestKit
import Testing
import Logging
import Synchronization

@Suite(.timeLimit(.minutes(1)))
struct TestCallTests {
    @Test func aCallAwaitedTwiceRunsOnce() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            let call = try harness.callOn(UsersApi.schema).call(UsersApi.get, UserID(id: "u1")).expect(equals: User(id: "u1", name: "Ada"))
            let first = try await call.run()
            let second = try await call.run()
            #expect(first == second)
            #expect(store.count("get") == 1)
            // A changed builder is a new call.
            try await call.expect(matching: ["name": "Ada"]).run()
            #expect(store.count("get") == 2)
        }
    }

    @Test func concurrentAwaitsShareOneRun() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            let call = try harness.callOn(UsersApi.schema).call(UsersApi.get, UserID(id: "u2"))
            async let first = call.run()
            async let second = call.run()
            let names = try await [first.name, second.name]
            #expect(names == ["Grace", "Grace"])
            #expect(store.count("get") == 1)
        }
    }

    @Test func errorsKeepTheirType() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let error = try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "nobody")).expectError(NOT_FOUND).run()
            #expect(NOT_FOUND.matches(error))
            #expect(error.displayMessage == "No user nobody")
        }
    }

    @Test func validationIssuesByNestedPath() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let api = try harness.callOn(GreeterApi.schema)
            // Raw input: the typed Swift value could not be wrong; the server's validation is what runs.
            try await api.call(GreeterApi.signup, raw: ["items": [["id": "u1"], ["id": []]]])
                .expectValidation(["items.1.id": "invalid.string.type"])
                .run()
            let count = try await api.call(GreeterApi.signup, Signup(items: [UserID(id: "u1")])).expect(equals: 1).run()
            #expect(count == 1)
        }
    }

    @Test func aMismatchFailsAtTheCallersLine() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let api = try harness.callOn(UsersApi.schema)
            try await withKnownIssue {
                try await api.call(UsersApi.get, UserID(id: "u1")).expect(matching: ["name": "Bob"]).run()
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains(#"name: expected "Bob", got "Ada""#) }
            }
            try await withKnownIssue {
                try await api.call(UsersApi.get, UserID(id: "u1")).expectError(NOT_FOUND).run()
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains("Expected error 'NOT_FOUND', but got success") }
            }
        }
    }

    @Test func logExpectations() async throws {
        try await withGrestHarness(demoApps()) { harness in
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "u2"))
                .with(harness.expectLog(in: "greeter", containing: "greeting u2", level: .info))
                .expect(equals: Greeting(text: "Hello, Grace!"))
                .run()
            await withKnownIssue {
                try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "u1"))
                    .with(harness.expectLog(in: "greeter", containing: "farewell"))
                    .run()
            }
        }
    }

    @Test func metricDeltasThroughTheReadSeam() async throws {
        let greeter = Greeter()
        try await withGrestHarness(demoApps(UserStore(), greeter)) { harness in
            let served = MetricDelta("greetings_served", by: 1) { Double(greeter.served.withLock { $0 }) }
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "u1")).with(served).run()
            await withKnownIssue {
                try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "u1"))
                    .with(MetricDelta("greetings_served", by: 2) { Double(greeter.served.withLock { $0 }) })
                    .run()
            }
        }
    }
}

extension GreeterApi: HTTPApiNamespace {}

@Suite(.timeLimit(.minutes(1)))
struct TypedCallTests {
    @Test func methodsByName() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let greeter = try harness.callOn(GreeterApi.self)
            try await greeter.greet(UserID(id: "u1")).expect(equals: Greeting(text: "Hello, Ada!")).run()
            try await greeter.roster().expect(equals: ["Ada", "Grace"]).run()
            try await greeter.signup(raw: ["items": "none"]).expectValidation(["items": "invalid.array.type"]).run()
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct TestContextTests {
    @Test func contextTravelsThroughTheRealMiddleware() async throws {
        try await withGrestHarness(demoApps()) { harness in
            try await harness.callOn(GreeterApi.self, as: .headers(["x-user": "ada"])).whoami().expect(equals: "ada").run()
            try await harness.callOn(GreeterApi.self).whoami().expectError(NOT_AUTHORIZED).run()
        }
    }
}
