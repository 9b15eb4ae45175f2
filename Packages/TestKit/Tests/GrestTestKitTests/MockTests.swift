import GrestHTTP
import GrestSchema
import GrestTestKit
import Testing

@Suite(.timeLimit(.minutes(1)))
struct MockTests {
    @Test func aMockAnswersForServiceB() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "u1"))
                .with(mock(UsersApi.get).returning(User(id: "u1", name: "Mocked")))
                .expect(equals: Greeting(text: "Hello, Mocked!"))
                .run()
            #expect(store.count("get") == 0)
        }
    }

    @Test func timesMeansExactly() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let api = try harness.callOn(GreeterApi.schema)
            let twice = mock(UsersApi.get).returning(User(id: "u", name: "M")).times(2)
            try await api.call(GreeterApi.greetMany, GreetMany(ids: ["a", "b"])).with(twice).run()
            try await withKnownIssue {
                try await api.call(GreeterApi.greetMany, GreetMany(ids: ["a"])).with(twice).run()
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains("expected exactly 2 call(s), got 1") }
            }
            try await withKnownIssue {
                try await api.call(GreeterApi.greetMany, GreetMany(ids: ["a", "b", "c"])).with(twice).run()
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains("expected exactly 2 call(s), got 3") }
            }
        }
    }

    @Test func aReturningClosureIsCalledWithTheRequest() async throws {
        try await withGrestHarness(demoApps()) { harness in
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.greetMany, GreetMany(ids: ["p", "q"]))
                .with(mock(UsersApi.get).returning { request in User(id: request.id, name: "Mock-\(request.id)") }.times(2))
                .expect(equals: [Greeting(text: "Hello, Mock-p!"), Greeting(text: "Hello, Mock-q!")])
                .run()
        }
    }

    @Test func throwingAndRequestMatchers() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let api = try harness.callOn(GreeterApi.schema)
            try await api.call(GreeterApi.greet, UserID(id: "u1"))
                .with(mock(UsersApi.get).throwing(NOT_FOUND()).expecting(matching: ["id": "u1"]))
                .expectError(NOT_FOUND)
                .run()
            try await withKnownIssue {
                try await api.call(GreeterApi.greet, UserID(id: "u2"))
                    .with(mock(UsersApi.get).returning(User(id: "u2", name: "G")).expecting(matching: ["id": "u1"]))
                    .run()
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains(#"id: expected "u1", got "u2""#) }
            }
        }
    }

    @Test func aWaitedForMockStaysInstalledForLateCalls() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            try await harness.callOn(GreeterApi.self).greetLater(UserID(id: "u1"))
                .waitFor(mock(UsersApi.get).returning(User(id: "u1", name: "Late")), timeout: .seconds(5))
                .waitFor(harness.expectLog(in: "greeter", containing: "greeted Late later"), timeout: .seconds(5))
                .run()
            #expect(store.count("get") == 0)
        }
    }

    @Test func aMockOfOneMethodLeavesTheOthersReal() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.roster)
                .with(mock(UsersApi.get).returning(User(id: "u1", name: "Mocked")).times(0))
                .expect(equals: ["Ada", "Grace"])
                .run()
            #expect(store.count("list") == 1)
        }
    }

    @Test func parallelCallsMockTheSameMethodEachTheirOwnWay() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            let api = try harness.callOn(GreeterApi.schema)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let name = "Mock\(index)"
                        try await api.call(GreeterApi.greet, UserID(id: "u1"))
                            .with(mock(UsersApi.get).returning(User(id: "u1", name: name)).delay(.milliseconds(20)))
                            .expect(equals: Greeting(text: "Hello, \(name)!"))
                            .run()
                    }
                }
                try await group.waitForAll()
            }
            #expect(store.count("get") == 0)
        }
    }

    @Test func aSpyForwardsTheRealRequest() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.roster)
                .with(spy(UsersApi.list).expecting(matching: ["prefix": "u"]).responding(matching: [["name": "Ada"], ["name": "Grace"]]))
                .run()
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "x9"))
                .with(spy(UsersApi.get).expecting(matching: ["id": "x9"]).responding(matching: ["name": "Xu"]))
                .expect(equals: Greeting(text: "Hello, Xu!"))
                .run()
            #expect(store.count("list") == 1)
            #expect(store.count("get") == 1)
            try await withKnownIssue {
                try await harness.callOn(GreeterApi.schema).call(GreeterApi.roster)
                    .with(spy(UsersApi.list).responding(matching: [["name": "Bob"], ["name": "Grace"]]))
                    .run()
            } matching: { issue in
                issue.comments.contains {
                    $0.rawValue.contains(#"reply of spied list does not match:"#) && $0.rawValue.contains(#"0.name: expected "Bob", got "Ada""#)
                }
            }
        }
    }
}

/// Two tests of one suite, run in parallel against one harness, mock the same method with different answers.
@Suite(.timeLimit(.minutes(1)), .grest(demoApps()))
struct ParallelSuiteMockTests {
    @Test(arguments: ["Alpha", "Beta", "Gamma", "Delta"])
    func eachTestGetsItsOwnMock(name: String) async throws {
        let harness = try GrestHarness.required()
        for _ in 0..<5 {
            try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "u1"))
                .with(mock(UsersApi.get).returning(User(id: "u1", name: name)))
                .expect(equals: Greeting(text: "Hello, \(name)!"))
                .run()
        }
    }

    @Test func unmockedCallsReachTheRealService() async throws {
        let harness = try GrestHarness.required()
        try await harness.callOn(GreeterApi.schema).call(GreeterApi.greet, UserID(id: "u1")).expect(equals: Greeting(text: "Hello, Ada!")).run()
    }
}
